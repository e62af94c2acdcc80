"""`confcheck scan` against what real Apache answered, scenario by scenario.

For every request real Apache refused (403/500) because of the disk, scan must
report the path at fault under the rule of the scenario's family; for every
request answered 200, scan must report nothing about the file served or a
directory above it; and where an APA rule says requests are refused, the real
server must have refused them. The config scanned is the very httpd.conf the
server ran. Config-caused denials (`decided_by`) are `why`'s to explain
(test_apache_why_matches_server.py), not the scan's.
"""

from __future__ import annotations

import os
import re

import pytest

from confcheck.engine import ScanOptions, run_scan
from realserver_harness.checks import claims_disagreeing, paths_at_fault, preflight_problems, served_files

pytestmark = pytest.mark.realserver

# The scenario's rule family -> the rule names scan may report it under.
FAMILIES = {
    "parent-not-searchable": {"parent-not-searchable"},
    "file-unreadable": {"file-unreadable"},
    "dir-not-listable": {"dir-not-listable"},
    "symlink-refused": {"symlink-refused"},
    "dangling-symlink": {"symlink-refused"},          # Apache: 403 AH00037 (row 35)
    "selinux-label": {"selinux-label"},
    "htaccess-unreadable": {"htaccess-unreadable"},
    "htaccess-not-allowed": {"htaccess-not-allowed"},
    "htaccess-invalid": {"htaccess-invalid"},
    "auth-file-unreadable": {"auth-user-file-unreadable", "auth-file-unreadable"},
    "auth-file-missing": {"auth-user-file-unreadable", "auth-file-missing"},
    "root-missing": {"document-root-missing", "root-missing"},
}
# Families that are the request model's (a directory below the site without an
# index): `why` explains them; APA110 covers the home page only.
NOT_SCAN = {"no-index"}
# Rules whose fs_path blocks everything below it.
BLOCKING = {"parent-not-searchable", "selinux-label", "symlink-refused", "htaccess-unreadable",
            "htaccess-not-allowed", "htaccess-invalid"}


@pytest.fixture(scope="module")
def scan(apache_run):
    result = run_scan(ScanOptions(paths=[str(apache_run.conf_path)], server="apache"))
    assert [str(e) for e in result.errors] == []
    return result



def test_every_disk_denial_is_reported_at_its_path(apache_run, scan):
    checked = 0
    missing = []
    for sc, req in apache_run.disk_denials():
        if sc.error or req.expected_rule in NOT_SCAN:
            continue
        assert req.expected_rule in FAMILIES, f"{sc.name}: unknown rule family {req.expected_rule}"
        checked += 1
        want = str(req.expected_fs_path)
        hits = [f for f in scan.findings if want in paths_at_fault(f)]
        if not any(f.name in FAMILIES[req.expected_rule] for f in hits):
            got = [(f.rule, f.name, f.fs_path) for f in hits]
            missing.append(f"{sc.name} {req.method} {req.path} -> {req.status}: "
                           f"want {req.expected_rule} at {want}, got {got}")
    assert not missing, "\n".join(missing)
    assert checked >= 20



def test_nothing_is_reported_about_files_served_with_200(apache_run, scan):
    wrong = []
    served = 0
    for sc, req in apache_run.served_ok():
        for path in served_files(sc, req):
            served += 1
            for f in scan.findings:
                at_fault = paths_at_fault(f)
                if path in at_fault or (f.name in BLOCKING and any(
                        path.startswith(os.path.dirname(p.rstrip("/")) + "/") if p.endswith("/.htaccess")
                        else path.startswith(p.rstrip("/") + "/") for p in at_fault)):
                    wrong.append(f"{sc.name} {req.method} {req.path} -> 200 but {f.rule} {f.message}")
    assert not wrong, "\n".join(wrong)
    assert served >= 15


# APA rules that say every request under a URL is refused by the configuration:
# their messages read "every request for URL is answered STATUS".
REFUSING_RULES = {"APA101", "APA114", "APA115"}
# "... unless a deeper section grants it": only the URLs of the directory itself are claimed.
_CLAIM = re.compile(r"every request for (\S+) is answered (\d+)(?: \([^)]*\))?( unless a deeper section)?")


def _under_url(path: str, prefix: str, shallow: bool) -> bool:
    path = path.split("?", 1)[0]
    top = prefix.rstrip("/")
    if not (not top or path == top or path.startswith(top + "/")):
        return False
    return not shallow or "/" not in path[len(top) + 1:]


def test_apa_refusals_agree_with_the_real_answers(apache_run, scan):
    """Where scan says the requests under a URL are refused, the real server refused the
    plain GETs of that scenario under it (the scenario is the one whose tree the message names)."""
    wrong = []
    checked = 0
    for f in scan.findings:
        if f.rule not in REFUSING_RULES:
            continue
        claim = _CLAIM.search(f.message)
        assert claim is not None, f"{f.rule} does not say which URL it refuses: {f.message}"
        prefix, status, shallow = claim.group(1), int(claim.group(2)), bool(claim.group(3))
        for sc in apache_run.scenarios.values():
            if sc.error or str(sc.root) + "/" not in f.message:
                continue
            for req in sc.requests:
                if req.status is None or req.method != "GET" or req.spec.headers or req.spec.auth \
                        or not _under_url(req.path, prefix, shallow):
                    continue
                own = re.search(r"(\S+) has no grant of its own", f.message)
                rest = req.path.split("?", 1)[0][len(prefix.rstrip("/")):].strip("/")
                if shallow and own and rest and os.path.isdir(os.path.join(own.group(1), rest)):
                    continue          # a subdirectory: the deeper section may grant it
                checked += 1
                if req.status != status:
                    wrong.append(f"{sc.name} GET {req.path} -> {req.status}, but {f.rule}: {f.message}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 3


def test_statuses_named_by_filesystem_findings_are_what_apache_answered(apache_run, scan):
    """Findings name a status only as decide()'s answer to a request they name (APA101/114/115: above)."""
    fs_findings = [f for f in scan.findings if f.rule not in REFUSING_RULES]   # those: the test above
    checked, wrong = claims_disagreeing(apache_run, fs_findings)
    assert not wrong, "\n".join(wrong)
    assert checked >= 3


def test_refused_preflights_under_cors_headers_are_reported(scan, apache_run):
    """APA119: the location sending Access-Control-Allow-* headers whose OPTIONS the real server
    refused is reported with that preflight; no other CORS scenario is."""
    assert preflight_problems(apache_run, scan.findings, "APA119", "cors-apache-limits", "/api/") == []



GIT_PROBE = "/.git/config"      # the request APA108 puts to the model
# a <Files>/<FilesMatch> written to hide dot files with a deny (APA108's precondition, by its text)
_DOT_FILES_DENY = re.compile(r'<Files(?:Match)?\s+"?(?:\^\\\.|\.\*)[^>]*>\s*Require all denied', re.I)


def test_dotfile_findings_are_where_the_real_server_served_the_repository(apache_run, scan):
    """APA108 names a site exactly where real Apache served GET /.git/config although a dot-file
    `<Files*>` deny refused /.env: each walk merges its sections among themselves first, so
    `AuthMerging Or`/`And` alone in a `<Location>` after a Require of the same walk combines
    with what the directory walk decided, not with that Require."""
    wrong = []
    served = 0
    for sc in apache_run.scenarios.values():
        if sc.error:
            continue
        plain = {req.path: req.status for req in sc.requests
                 if req.status is not None and req.method == "GET" and not req.spec.headers and not req.spec.auth}
        if GIT_PROBE not in plain:
            continue
        named = [f.message for f in scan.findings if f.rule == "APA108" and str(sc.root) + "/" in f.message]
        expected = plain[GIT_PROBE] == 200 and plain.get("/.env") == 403 \
            and _DOT_FILES_DENY.search(sc.spec.configs["apache"]) is not None
        served += expected
        if expected != bool(named):
            wrong.append(f"{sc.name}: GET {GIT_PROBE} -> {plain[GIT_PROBE]}, /.env -> {plain.get('/.env')}, "
                         f"APA108: {named}")
    assert not wrong, "\n".join(wrong)
    assert served >= 2
