"""`confcheck explain` on the error-log lines the real servers wrote.

The harness captured, per request, the lines nginx and Apache logged. Fed to
explain, every line must be recognised, and the cause it names must be the
real one: the disk path at fault for disk-caused 403/500s, the deciding
directive for "access forbidden by rule".
"""

from __future__ import annotations

import pytest

from confcheck.explain import Machine, explain_events
from confcheck.logparse import parse_line, parse_lines
from confcheck.why import WhyOptions

pytestmark = pytest.mark.realserver

# Lines about the upstream/backend or informational ones are not causes of a
# 403; everything else the servers logged for a request must be recognised.
NOT_CAUSES = ("while connecting to upstream", "closed keepalive", "delaying unauthorized",
              "AH01626", "AH01627", "AH01628", "forcing responsecode", "client sent invalid",
              "AH01630", "AH00128",   # Apache AH01630/AH00128 carry no request line: checked below
              "cannot PUT to a collection")
# not_modelled.yaml: mod_proxy's backend is down; mod_speling fixed a name
APACHE_NOT_CAUSES = ("AH01114", "AH03225")


def _events(lines):
    return [parse_line(line) for line in lines]


def test_nginx_log_lines_are_recognised_and_explained(nginx_run):
    machine = Machine(WhyOptions(configs=[str(nginx_run.conf_path)]))
    wrong, checked, limited = [], 0, 0
    for sc in nginx_run.scenarios.values():
        for req in sc.requests:
            lines = [l for l in req.log if not any(n in l for n in NOT_CAUSES)]
            if not lines:
                continue
            report = explain_events(_events(lines), machine)
            if report.unknown:
                wrong.append(f"{sc.name}[{req.index}] unrecognised: {report.unknown_examples}")
                continue
            checked += 1
            if req.disk_caused_denial:
                paths = {c.fs_path for c in report.causes}
                if str(req.expected_fs_path) not in paths:
                    wrong.append(f"{sc.name}[{req.index}] {req.spec.label}: want {req.expected_fs_path}, "
                                 f"explain says {[(c.kind, c.fs_path, c.explanation) for c in report.causes]}")
            decided = getattr(req.expectation, "decided_by", None)
            rule_lines = [c for c in report.causes if c.kind == "access-rule"]
            limit_lines = [c for c in report.causes if c.kind in ("limit-req", "limit-conn")]
            if getattr(req.expectation, "under_load", None) is not None:
                # a limit refused it: its line names the zone; explain names the limit and its status
                limited += 1
                if not limit_lines or limit_lines[0].status != req.status:
                    wrong.append(f"{sc.name}[{req.index}]: want the limit answering {req.status}, explain says "
                                 f"{[(c.kind, c.status, c.explanation) for c in report.causes]}")
                rule_lines = limit_lines
            if decided and rule_lines and req.status in (403, 503):
                node = rule_lines[0].decided_by
                text = " ".join([node.name] + [a.raw for a in node.args]) if node is not None else None
                if text is None or not (text + ";").startswith(decided.rstrip(";")):
                    wrong.append(f"{sc.name}[{req.index}]: decided_by {text!r} != {decided!r}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 40 and limited >= 3


def test_apache_log_lines_name_the_path_at_fault(apache_run):
    machine = Machine(WhyOptions(worker_user="www-data"))
    wrong, checked = [], 0
    for sc in apache_run.scenarios.values():
        for req in sc.requests:
            lines = [l for l in req.log if "[client" in l and not any(n in l for n in APACHE_NOT_CAUSES)]
            if not lines:
                continue
            report = explain_events(_events(lines), machine)
            if report.unknown:
                wrong.append(f"{sc.name}[{req.index}] unrecognised: {report.unknown_examples}")
                continue
            if req.disk_caused_denial:
                checked += 1
                paths = {c.fs_path for c in report.causes}
                if str(req.expected_fs_path) not in paths:
                    wrong.append(f"{sc.name}[{req.index}] {req.spec.label}: want {req.expected_fs_path}, "
                                 f"explain says {[(c.kind, c.fs_path) for c in report.causes]}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 10


# -- php-fpm behind nginx and Apache (phpfpm_scenarios/, one real php-fpm master) ----------

from test_phpfpm_matches_server import RULE_OF, _cited, php_runs  # noqa: E402,F401 - the module's fixture

from confcheck.explain import PHP_KINDS  # noqa: E402


def _php_causes(run, kind: str) -> tuple[list[str], int]:
    """explain over every line the server logged for each php request, with the server's
    configuration and the php-fpm.conf the master ran: every line recognised, the path at fault
    for what the pool's user or the socket refused, the pool entry for an extension refused, and
    the status the client got."""
    machine = Machine(WhyOptions(configs=[str(run.result.conf_path), str(run.master.conf_path)]))
    wrong, checked = [], 0
    for sc in run.result.scenarios.values():
        bound = next(b for b in run.session.bound if b.spec.name == sc.name)
        if bound.spec.source.endswith("phpini.yaml"):
            continue    # php.ini's causes (open_basedir, doc_root): their PHP warnings are not read yet
        for req in sc.requests:
            if not req.log:
                continue
            report = explain_events(_events(req.log), machine)
            label = f"{kind} {sc.name}[{req.index}] {req.spec.label}"
            if report.unknown:
                wrong.append(f"{label}: unrecognised {report.unknown_examples}")
                continue
            php = [c for c in report.causes if c.kind in PHP_KINDS]
            said = [(c.kind, c.status, c.fs_path, c.explanation) for c in php]
            exp = req.expectation
            if kind == "apache" and all(c.kind in ("php-script-unknown", "upstream-unreachable") for c in php):
                continue    # AH01071 'Primary script unknown' names no path, no request: nothing to check
            if exp.rule in RULE_OF or exp.decided_in == "php_fpm":
                checked += 1
            if exp.rule in RULE_OF and not any(c.fs_path == str(req.expected_fs_path) and c.rule == RULE_OF[exp.rule]
                                               for c in php):
                wrong.append(f"{label}: want {RULE_OF[exp.rule]} at {req.expected_fs_path}, explain says {said}")
            if exp.decided_in == "php_fpm":
                decided = exp.decided_by.replace("@POOL@", f"{kind[0]}-{sc.name}")
                if not any(c.decided_by is not None and _cited(c.decided_by).startswith(decided) for c in php):
                    wrong.append(f"{label}: want the pool entry {decided!r}, explain says "
                                 f"{[(c.kind, c.decided_by and _cited(c.decided_by)) for c in php]}")
            for cause in php:
                if exp.rule == "pool-cannot-read" and cause.fs_path == str(req.expected_fs_path) and (
                        cause.fix is None or cause.fs_path not in " ".join(cause.fix.commands)):
                    wrong.append(f"{label}: no read fix for the pool's user on {cause.fs_path}: {cause.fix}")
                if cause.status is not None and cause.status != req.status:
                    wrong.append(f"{label}: explain says {cause.status}, the server answered {req.status}: {said}")
    return wrong, checked


def test_php_fpm_lines_of_nginx_name_the_pool_entry_or_the_path(php_runs):
    wrong, checked = _php_causes(php_runs["nginx"], "nginx")
    assert not wrong, "\n".join(wrong)
    assert checked >= 15


def test_php_fpm_lines_of_apache_name_the_pool_entry_or_the_path(php_runs):
    """Apache's lines carry no request: explain reads the script path (AH01071) or the socket
    (AH02454) the line names against the pools read."""
    wrong, checked = _php_causes(php_runs["apache"], "apache")
    assert not wrong, "\n".join(wrong)
    assert checked >= 12


def test_php_fpm_own_log(php_runs):
    """A pool with fastcgi.logging off and catch_workers_output on: php-fpm's own log says what the
    pool refused (`child N said into stderr: "ERROR: Unable to open primary script: ..."`)."""
    run = php_runs["nginx"]
    lines = run.master.error_log.read_text(encoding="utf-8", errors="replace").splitlines()
    report = explain_events(parse_lines(lines), Machine(WhyOptions(configs=[str(run.result.conf_path),
                                                                        str(run.master.conf_path)])))
    assert report.unknown == 0, report.unknown_examples
    root = next(b.root for b in run.session.bound if b.spec.name == "php-fpm-own-log")
    got = sorted((c.kind, c.status, c.fs_path, c.decided_by and _cited(c.decided_by).split(" =")[0])
                 for c in report.causes if c.kind in PHP_KINDS)
    got = [g for g in got if g[0] != "fastcgi-stderr"]      # PHP's own warnings beside the refusals
    assert got == [("php-extension", 403, None, "[n-php-fpm-own-log]"),
                   ("php-open-eacces", 403, f"{root}/www/secret.php", "user")], got


def test_php_fpm_that_cannot_bind_names_the_pool_and_the_missing_folder(php_runs):
    """A second master whose pool listens in a folder that does not exist: php-fpm refuses to
    start (`ERROR: unable to bind listening socket for address '...': No such file or
    directory (2)`); explain names the pool's listen line and the folder."""
    from realserver_harness.phpfpm import FpmMaster
    from realserver_harness.tree import make_base, remove_base
    base = make_base("phpfpm-bind")
    try:
        master = FpmMaster(base, ["[bindfail]", "user = nobody", f"listen = {base}/gone/sub/x.sock",
                                  "pm = static", "pm.max_children = 1"])
        with pytest.raises(RuntimeError, match="unable to bind listening socket"):
            master.start()
        lines = master.error_log.read_text(encoding="utf-8").splitlines()
        run = php_runs["nginx"]
        report = explain_events(parse_lines(lines), Machine(WhyOptions(configs=[str(run.result.conf_path),
                                                                            str(master.conf_path)])))
        assert report.unknown == 0, report.unknown_examples
        [cause] = [c for c in report.causes if c.kind == "fpm-bind-failed"]
        assert (cause.fs_path, _cited(cause.decided_by)) == (f"{base}/gone", f"listen = {base}/gone/sub/x.sock")
        listen = master.render().splitlines().index(f"listen = {base}/gone/sub/x.sock") + 1
        assert cause.decided_by.line == listen and cause.status is None
    finally:
        master.stop()
        remove_base(base)
