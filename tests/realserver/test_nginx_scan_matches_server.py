"""`confcheck scan` against what real nginx answered, scenario by scenario.

For every request real nginx refused (403/500) because of the disk, scan must
report the path at fault, under the right rule; for every request answered
200, scan must report nothing about the file served or a directory above it.
The config scanned is the very nginx.conf the server ran.
"""

from __future__ import annotations

import pytest

from confcheck.engine import ScanOptions, run_scan
from realserver_harness.checks import claims_disagreeing, paths_at_fault, preflight_problems, served_files

pytestmark = pytest.mark.realserver

# Rule families of the scenario data that belong to the request model (issue:
# nginx request model), not to the filesystem scan.
NOT_FS_RULES = {"no-index"}
# Rules whose fs_path blocks everything below it.
BLOCKING = {"parent-not-searchable", "selinux-label", "symlink-refused"}


@pytest.fixture(scope="module")
def scan(nginx_run):
    result = run_scan(ScanOptions(paths=[str(nginx_run.conf_path)]))
    assert [str(e) for e in result.errors] == []
    return result



def test_every_disk_denial_is_reported_at_its_path(nginx_run, scan):
    checked = 0
    missing = []
    for sc, req in nginx_run.disk_denials():
        if req.expected_rule in NOT_FS_RULES:
            continue
        checked += 1
        want = str(req.expected_fs_path)
        hits = [f for f in scan.findings if want in paths_at_fault(f)]
        if not any(f.name == req.expected_rule for f in hits):
            got = [(f.rule, f.name, f.fs_path) for f in hits]
            missing.append(f"{sc.name} {req.method} {req.path} -> {req.status}: "
                           f"want {req.expected_rule} at {want}, got {got}")
    assert not missing, "\n".join(missing)
    assert checked >= 20



def test_nothing_is_reported_about_files_served_with_200(nginx_run, scan):
    wrong = []
    served = 0
    for sc, req in nginx_run.served_ok():
        for path in served_files(sc, req):
            served += 1
            for f in scan.findings:
                at_fault = paths_at_fault(f)
                if path in at_fault or (f.name in BLOCKING and any(
                        path.startswith(p.rstrip("/") + "/") for p in at_fault)):
                    wrong.append(f"{sc.name} {req.method} {req.path} -> 200 but {f.rule} {f.message}")
    assert not wrong, "\n".join(wrong)
    assert served >= 15


def test_statuses_named_by_findings_are_what_nginx_answered(nginx_run, scan):
    """A finding that names a status names the request too (messages come from decide());
    where the scenario of the path at fault sent that request, the real answer agrees."""
    checked, wrong = claims_disagreeing(nginx_run, scan.findings)
    assert not wrong, "\n".join(wrong)
    assert checked >= 5


def test_refused_preflights_under_cors_headers_are_reported(scan, nginx_run):
    """NGX110: the location sending Access-Control-Allow-* headers whose OPTIONS the real server
    refused is reported with that preflight; no other CORS scenario is."""
    assert preflight_problems(nginx_run, scan.findings, "NGX110", "cors-limit-except", "/api/") == []
