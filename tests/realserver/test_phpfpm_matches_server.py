"""Real php-fpm 8.2 behind real nginx: `confcheck why`, reading the nginx.conf the server
ran and the php-fpm.conf the master ran, predicts every status, names the path or the
pool entry at fault for every 403/404/502 php-fpm (or the socket) caused, and answers
null, naming the script, where the script ran.

One php-fpm master carries every scenario's pools (realserver_harness/phpfpm.py);
scenarios are tests/realserver/phpfpm_scenarios/*.yaml.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from realserver_harness.checks import apache_request, nginx_request
from realserver_harness.phpfpm import FpmMaster, available, pool_text
from realserver_harness.scenarios import load_scenarios
from realserver_harness.session import RealServerSession
from realserver_harness.tree import make_base, remove_base

from confcheck.why import WhyOptions, explain, prepare

pytestmark = pytest.mark.realserver

PHP_DIR = Path(__file__).resolve().parent / "phpfpm_scenarios"


class PhpRun:
    def __init__(self, session, master, result):
        self.session, self.master, self.result = session, master, result


@pytest.fixture(scope="module")
def php_runs(request, realserver_gate):
    """Real nginx and real Apache over their php scenarios, one php-fpm master carrying the
    pools of both (per scenario and server: sockets live in each server's tree)."""
    from realserver_harness.accounts import Accounts, purge_stale_accounts
    realserver_gate("nginx")
    realserver_gate("apache")
    missing = available()
    if missing:     # like the servers themselves: skipped here, a failure under CI
        if os.environ.get("CI"):
            pytest.fail(f"real-server tests must run under CI (CI is set), but: {missing}", pytrace=False)
        pytest.skip(missing)
    purge_stale_accounts()
    accounts = Accounts()
    request.addfinalizer(accounts.cleanup)
    sessions = {}
    for kind in ("nginx", "apache"):
        session = RealServerSession(kind, load_scenarios(kind=kind, directory=PHP_DIR), accounts=accounts)
        request.addfinalizer(session.close)
        session.setup()
        sessions[kind] = session
    base = make_base("phpfpm")
    master = FpmMaster(base, [pool_text(b, kind, accounts) for kind, session in sessions.items()
                              for b in session.bound if b.spec.php_fpm])

    def stop():
        master.stop()
        remove_base(base)
    request.addfinalizer(stop)
    master.start()
    return {kind: PhpRun(session, master, session.run()) for kind, session in sessions.items()}


@pytest.fixture(scope="module")
def php_nginx(php_runs):
    return php_runs["nginx"]


def _cited(decided) -> str:
    text = getattr(decided, "text", None)
    if text is not None:
        return text
    return " ".join([decided.name] + [a.raw for a in decided.args]) + ";"


def mispredicted(run: PhpRun, configs: list[str], kind: str = "nginx") -> tuple[list[str], int]:
    prepared = prepare(WhyOptions(configs=configs))
    assert [str(e) for e in prepared.errors] == []
    wrong, total = [], 0
    for sc in run.result.scenarios.values():
        assert sc.error is None, f"{sc.name}: {sc.error}"
        bound = next(b for b in run.session.bound if b.spec.name == sc.name)
        for req in sc.requests:
            total += 1
            exp = req.expectation
            problems = []
            if req.status != exp.status:
                problems.append(f"the real server answered {req.status}, the scenario expects {exp.status}")
            if exp.body is not None and req.body.decode("utf-8", "replace") != exp.body:
                problems.append(f"the body is {req.body[:60]!r}, the scenario expects {exp.body!r}")
            outcome = explain(prepared, (nginx_request if kind == "nginx" else apache_request)(run.result, sc, req))
            want = None if exp.script else req.status
            if outcome.status != want:
                problems.append(f"status {outcome.status} != real {req.status}"
                                + (" (the script ran)" if exp.script else ""))
            if exp.script and "answered by the PHP script" not in outcome.reason:
                problems.append("the script that ran is not named")
            if exp.fs_path is not None and outcome.fs_path != str(req.expected_fs_path):
                problems.append(f"fs_path {outcome.fs_path} != {req.expected_fs_path}")
            if exp.decided_by is not None:
                decided = exp.decided_by.replace("@POOL@", f"{kind[0]}-{sc.name}")
                decided = decided.replace("@ROOT@", str(bound.root))
                got = _cited(outcome.decided_by) if outcome.decided_by is not None else None
                if got is None or not got.startswith(decided.rstrip(";")):
                    problems.append(f"decided_by {got!r} != {decided!r}")
            if problems:
                wrong.append(f"{sc.name}[{req.index}] {req.spec.label}: " + "; ".join(problems)
                             + f"\n      why: {outcome.reason}\n      log: {req.log[-3:]}")
    return wrong, total


def test_why_follows_requests_into_php_fpm(php_nginx):
    configs = [str(php_nginx.result.conf_path), str(php_nginx.master.conf_path)]
    wrong, total = mispredicted(php_nginx, configs)
    assert not wrong, f"{len(wrong)} of {total} requests mispredicted:\n" + "\n".join(wrong)
    assert total >= 40


def test_why_follows_apache_into_php_fpm(php_runs):
    run = php_runs["apache"]
    configs = [str(run.result.conf_path), str(run.master.conf_path)]
    wrong, total = mispredicted(run, configs, "apache")
    assert not wrong, f"{len(wrong)} of {total} requests mispredicted:\n" + "\n".join(wrong)
    assert total >= 10


RULE_OF = {"pool-cannot-read": "PHP102", "socket-refused": "PHP103", "no-pool": "PHP104"}


def test_scan_reports_what_php_fpm_refuses_and_nothing_on_healthy_sites(php_nginx):
    from confcheck.engine import ScanOptions, run_scan
    result = run_scan(ScanOptions(configs=[str(php_nginx.result.conf_path), str(php_nginx.master.conf_path)]))
    assert [str(e) for e in result.errors] == []
    php = [f for f in result.findings if f.rule.startswith("PHP")]
    missing = []
    for sc in php_nginx.result.scenarios.values():
        bound = next(b for b in php_nginx.session.bound if b.spec.name == sc.name)
        for req in sc.requests:
            exp = req.expectation
            if exp.rule in RULE_OF:
                want = (RULE_OF[exp.rule], str(req.expected_fs_path))
                if not any((f.rule, f.fs_path) == want for f in php):
                    missing.append(f"{sc.name}[{req.index}] {req.spec.label}: no {want}")
            elif exp.decided_in == "php_fpm":
                decided = exp.decided_by.replace("@POOL@", f"n-{sc.name}")
                if not any(f.rule == "PHP101" and f.span.source.line_text(f.span.line).startswith(decided)
                           for f in php):
                    missing.append(f"{sc.name}[{req.index}] {req.spec.label}: no PHP101 at {decided!r}")
        if sc.name.startswith("php-healthy"):
            # nothing at all: no php-fpm rule, and no worker rule about files php-fpm reads
            noise = [f"{f.rule} {f.message}" for f in result.findings
                     if (f.fs_path or "").startswith(str(bound.root) + "/") or f"n-{sc.name}]" in f.message]
            assert not noise, f"{sc.name} is healthy, yet: {noise}"
    assert not missing, "\n".join(missing)
    # the upload folder the script itself found read-only (its body says "ro"), and only that one
    upload = php_nginx.result.scenarios["php-upload-folder"]
    root = next(b.root for b in php_nginx.session.bound if b.spec.name == "php-upload-folder")
    assert [(f.rule, f.fs_path, f.span.source.line_text(f.span.line).split("]")[0]) for f in php
            if f.rule == "PHP105"] == [("PHP105", f"{root}/tmp", "php_admin_value[upload_tmp_dir")], upload
    # every PHP finding's status claim is the real answer to a request the harness sent with that path
    import re
    for finding in php:
        claim = re.search(r"GET (\S+) is answered (\d+)", finding.message)
        sent = [r for sc in php_nginx.result.scenarios.values() for r in sc.requests
                if claim and r.spec.path == claim.group(1)]
        assert not sent or any(r.status == int(claim.group(2)) for r in sent), finding.message


# (scenario, request index): (status before, status after) - every answer the pool-file
# patches change; reviewed by hand. PHP103 (safe): the worker may connect; PHP101
# (unsafe): the extension is added, so php-fpm runs the file as PHP.
CHANGED = {
    ("php-sockets", 0): (502, 200),            # GET /root/ - listen.owner/group www-data, 0660
    ("php-sockets", 4): (502, 200),            # GET /nowrite/ - listen.mode 0440 -> 0660
    ("php-sockets", 7): (502, 200),            # GET /aclo/ - www-data added to listen.acl_users
    ("php-limit-extensions", 2): (403, 200),   # GET /page.html - .html added
    ("php-limit-extensions", 4): (403, 200),   # GET /page.html/x.php
    ("php-limit-extensions", 6): (403, 200),   # GET /up/a.jpg - .jpg added to the default list
    ("php-limit-extensions", 9): (403, 200),   # GET /up/a.jpg/x.php
    ("php-alias-and-split", 2): (403, 200),    # GET /tools/notes.txt - .txt added
    ("php-pool-settings", 6): (403, 200),      # GET /B.PHP - .PHP added (a.php/more has no extension: no fix)
    ("php-intercept", 0): (403, 200),          # GET /plain/ - .txt added: x.txt runs
    ("php-intercept", 1): (403, 200),          # GET /caught/ - the same (no error to intercept any more)
    ("php-pool-user-reads", 1): (403, 200),    # GET /grp.php - PHP102: read for the pool user
    ("php-pool-user-reads", 2): (404, 200),    # GET /private/p.php - PHP102: search on private/
    ("php-pool-user-reads", 5): (403, 200),    # GET /aclmask.php - PHP102
    ("php-debian-snippet", 5): (403, 200),     # GET /0600.php - PHP102 (pool user www-data)
}


def test_pool_file_fixes_change_exactly_the_intended_answers(php_nginx):
    """Runs last in this module: it patches the php-fpm.conf the master runs, restarts
    php-fpm (same pid file and sockets), runs nginx again on the same port and compares
    every answer. A socket in a folder the worker cannot search gets no pool-file fix."""
    from realserver_harness.fixes import apply_fixes, run_patched, unexpected_changes

    from confcheck.engine import ScanOptions, run_scan
    from confcheck.fixcmd import collect

    options = ScanOptions(configs=[str(php_nginx.result.conf_path), str(php_nginx.master.conf_path)])
    before = run_scan(options)
    mine = [f for f in before.findings if f.rule in ("PHP101", "PHP102", "PHP103")]
    fixset = collect(mine, unsafe=True)
    # pool-file edits, and a script for the pools' users only (read and search, never write)
    assert fixset.patch and {p.identity.user for p in fixset.plans} <= {
        php_nginx.session.accounts.users["shop"], "www-data"}
    script = fixset.script().decode()
    assert "chmod" in script and "w" not in " ".join(
        line.split()[1] for line in script.splitlines() if line.startswith(("chmod ", "setfacl ")))
    apply_fixes(php_nginx.session, fixset, options)
    php_nginx.master.restart()
    after = run_patched(php_nginx.session)
    wrong = unexpected_changes(php_nginx.result, after, CHANGED)
    assert not wrong, "\n".join(wrong)
    # and confcheck agrees with the server on the patched pools
    assert not [f for f in run_scan(options).findings if f.rule in ("PHP101", "PHP102", "PHP103")
                and "closed" not in (f.fs_path or "") and f.fix is not None]
