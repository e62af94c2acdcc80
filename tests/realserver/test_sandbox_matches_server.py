"""Real servers inside the mount namespace their systemd unit describes
(realserver_harness/sandbox.py): `confcheck why --root IMAGE` reads the unit and
its drop-in from the image, and must predict every status the server gave, the
path at fault, and, for every answer the sandbox caused, the unit line."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from realserver_harness.checks import assert_matches_expectation
from realserver_harness.sandbox import SANDBOX_DIR, UNITS, load_sandboxes, run_sandbox
from realserver_harness.tree import make_base, remove_base

from confcheck.servers.nginx.request import Request
from confcheck.why import WhyOptions, explain, prepare

pytestmark = pytest.mark.realserver

FPM_SANDBOX_DIR = SANDBOX_DIR.parent / "fpm_sandbox_scenarios"


def fresh_tmp(request) -> str:
    """A fresh directory in the real /tmp for the run (what PrivateTmp= hides), removed afterwards."""
    tmp = tempfile.mkdtemp(prefix="confcheck-sandbox-", dir="/tmp")
    os.chmod(tmp, 0o755)
    request.addfinalizer(lambda: shutil.rmtree(tmp, ignore_errors=True))
    return tmp


def _runs(request, kind: str, directory=SANDBOX_DIR):
    request.getfixturevalue("realserver_gate")(kind)
    tmp = fresh_tmp(request)
    base = make_base("sandbox")
    request.addfinalizer(lambda: remove_base(base))
    return [run_sandbox(base, spec) for spec in load_sandboxes(kind, tmp, directory)]


@pytest.fixture(scope="module")
def nginx_sandbox_runs(request):
    return _runs(request, "nginx")


@pytest.fixture(scope="module")
def apache_sandbox_runs(request):
    return _runs(request, "apache")


def _assert_php_real(req) -> None:
    """What the real servers did behind php-fpm: the status, the body and the log lines the
    scenario names (nginx logs php-fpm's answers as upstream lines, which the plain check refuses)."""
    exp = req.expectation
    assert req.error is None and req.status == exp.status, req.describe()
    assert exp.body is None or req.body.decode("utf-8", "replace") == exp.body, req.describe()
    for text in req.expected_log:
        assert any(text in line for line in req.log), f"expected {text!r} in the log\n{req.describe()}"


def _mispredicted(run) -> list[str]:
    configs = [UNITS[run.spec.kind][1]] + ([UNITS["php-fpm"][1]] if run.spec.fpm_dropin is not None else [])
    prepared = prepare(WhyOptions(configs=configs, root=str(run.image)))
    assert [str(e) for e in prepared.errors] == []
    wrong = []
    for sc in run.result.scenarios.values():
        assert sc.error is None, sc.error
        for req in sc.requests:
            (_assert_php_real if run.spec.fpm_dropin is not None else assert_matches_expectation)(req)
            outcome = explain(prepared, Request.parse(
                f"http://127.0.0.1:{run.result.port}{req.spec.path}", req.spec.method, {"Host": req.host},
                "127.0.0.1"))
            problems = []
            exp = req.expectation
            if outcome.status != (None if exp.script else req.status):
                problems.append(f"status {outcome.status} != real {req.status}"
                                + (" (the script ran)" if exp.script else ""))
            if exp.script and "answered by the PHP script" not in outcome.reason:
                problems.append("the script that ran is not named")
            if exp.fs_path is not None and outcome.fs_path != "/" + exp.fs_path:
                problems.append(f"fs_path {outcome.fs_path} != /{exp.fs_path}")
            if exp.unit_line is not None and f"{run.image}/etc/systemd/system/{exp.unit_line})" not in outcome.reason:
                problems.append(f"the unit line {exp.unit_line} is not named")
            if exp.unit_line is None and "sandbox" in (outcome.reason or ""):
                problems.append("a sandbox is blamed for an answer it did not cause")
            if problems:
                wrong.append(f"{run.spec.name}/{sc.name}[{req.index}] {req.spec.label}: " + "; ".join(problems)
                             + f"\n      why: {outcome.reason}\n      real: {req.log}")
    return wrong


def test_why_matches_nginx_in_its_sandbox(nginx_sandbox_runs):
    assert len(nginx_sandbox_runs) >= 3
    wrong = [line for run in nginx_sandbox_runs for line in _mispredicted(run)]
    assert not wrong, "\n".join(wrong)


def test_why_matches_apache_in_its_sandbox(apache_sandbox_runs):
    assert apache_sandbox_runs
    wrong = [line for run in apache_sandbox_runs for line in _mispredicted(run)]
    assert not wrong, "\n".join(wrong)


def test_without_the_unit_the_same_tree_is_served(nginx_sandbox_runs):
    """The same image with the drop-in gone: no sandbox, today's answers (all 200)."""
    run = next(r for r in nginx_sandbox_runs if r.spec.name == "protect-home-yes")
    dropin = run.image / run.spec.dropin_path.lstrip("/")
    text = dropin.read_text()
    dropin.unlink()
    try:
        prepared = prepare(WhyOptions(configs=[UNITS["nginx"][1]], root=str(run.image)))
        sc = run.result.scenarios["ph-yes-home-docroot"]
        outcome = explain(prepared, Request.parse(f"http://127.0.0.1:{run.result.port}/index.html", "GET",
                                                  {"Host": sc.server_name}, "127.0.0.1"))
        assert outcome.status == 200, outcome.reason
    finally:
        dropin.write_text(text)


@pytest.mark.parametrize("kind", ["nginx", "apache"])
def test_explain_names_the_unit_line_of_logged_denials(kind, request):
    """The servers' own `(13: Permission denied)` / `(13)Permission denied` lines, fed
    to explain with the image's unit, are mapped to the unit line (and the fix is the drop-in)."""
    from confcheck.explain import Machine, explain_events
    from confcheck.fixers.unit_dropin import DropInFix
    from confcheck.logparse import parse_line
    runs = request.getfixturevalue(f"{kind}_sandbox_runs")
    checked, wrong = 0, []
    for run in runs:
        machine = Machine(WhyOptions(configs=[UNITS[kind][1]], root=str(run.image)))
        for sc in run.result.scenarios.values():
            for req in sc.requests:
                lines = [line for line in req.log if "Permission denied" in line]
                if req.status != 403 or req.expectation.unit_line is None or not lines:
                    continue
                checked += 1
                report = explain_events([parse_line(line) for line in lines], machine)
                want = f"{run.image}/etc/systemd/system/{req.expectation.unit_line})"
                if report.unknown or not any(want in c.explanation for c in report.causes):
                    wrong.append(f"{sc.name}[{req.index}]: {[(c.kind, c.explanation) for c in report.causes]}"
                                 f" unknown={report.unknown_examples}")
                elif not any(isinstance(c.fix, DropInFix) for c in report.causes):
                    wrong.append(f"{sc.name}[{req.index}]: no drop-in fix: {[c.fix for c in report.causes]}")
    assert checked, "no sandbox-caused denial was logged"
    assert not wrong, "\n".join(wrong)


def test_fs109_drop_in_fix_makes_real_nginx_serve(nginx_sandbox_runs, tmp_path_factory):
    """FS109's drop-in for ProtectHome=yes, added to the image: confcheck no longer finds
    anything, and real nginx in the namespace systemd builds for the fixed unit (an empty
    tmpfs on /home with the docroot bound back read-only) serves the page."""
    import dataclasses

    from confcheck.engine import ScanOptions, run_scan
    from realserver_harness.sandbox import write_dropin
    run = next(r for r in nginx_sandbox_runs if r.spec.name == "protect-home-yes")
    options = ScanOptions(paths=[UNITS["nginx"][1]], root=str(run.image))
    before = run_scan(options).findings
    [finding] = [f for f in before if f.rule == "FS109"]
    assert finding.fs_path == "/home" and finding.fix.diff.startswith("--- /dev/null\n")
    write_dropin(run.image, finding.fix.path, "\n".join(finding.fix.lines) + "\n")
    # the harness's marker root lives outside the image (FS104 before and after): nothing else changes
    assert [f.message for f in run_scan(options).findings] == [f.message for f in before if f is not finding]
    # what namespace.c mounts for ProtectHome=tmpfs + BindReadOnlyPaths=/home/alice/site (sorted by path)
    fixed = dataclasses.replace(run.spec, mounts=[["tmpfs", "/home", "0755"], ["bind-ro", "/home/alice/site"],
                                                  ["tmpfs", "/root", "0700"]],
                                scenarios=[s for s in run.spec.scenarios if s.name == "ph-yes-home-docroot"])
    base = make_base("sandbox-fix")
    try:
        again = run_sandbox(base, fixed, image=run.image, label="-fixed")
        prepared = prepare(WhyOptions(configs=[UNITS["nginx"][1]], root=str(run.image)))
        sc = again.result.scenarios["ph-yes-home-docroot"]
        real = {r.spec.path: r.status for r in sc.requests}
        assert real == {"/index.html": 200, "/missing.html": 404}, [r.describe() for r in sc.requests]
        for req in sc.requests:
            outcome = explain(prepared, Request.parse(f"http://127.0.0.1:{again.result.port}{req.spec.path}",
                                                      "GET", {"Host": req.host}, "127.0.0.1"))
            assert outcome.status == req.status, outcome.reason
    finally:
        remove_base(base)


@pytest.fixture(scope="module")
def fpm_sandbox_runs(request):
    from realserver_harness.phpfpm import available
    missing = available()
    if missing:     # like the servers themselves: skipped here, a failure under CI
        if os.environ.get("CI"):
            pytest.fail(f"real-server tests must run under CI (CI is set), but: {missing}", pytrace=False)
        pytest.skip(missing)
    return _runs(request, "nginx", FPM_SANDBOX_DIR)


def test_why_matches_php_fpm_in_its_sandbox_behind_nginx(fpm_sandbox_runs):
    """Real php-fpm in the namespace php8.2-fpm.service's drop-in describes, behind real
    nginx in its own: the pool's reads through php-fpm's view (ProtectHome=yes: 404 naming
    the line), reads unchanged and the script's write refused under ProtectSystem=strict (the
    script answers), a socket a private /tmp keeps apart on either side (502)."""
    assert len(fpm_sandbox_runs) == 4
    wrong = [line for run in fpm_sandbox_runs for line in _mispredicted(run)]
    assert not wrong, "\n".join(wrong)
