"""Where an exclusion is written matters to mod_security2 and not to libmodsecurity, as
confcheck/waf/inforce.py models it (WAF103): a SecRuleRemoveById read before the CRS (in
modsecurity.conf) leaves Apache refusing the request and lets nginx pass it; `scan` warns
for the Apache configuration only. Real servers, Debian's CRS 3.3."""

from __future__ import annotations

import os

import pytest

from realserver_harness.modsec import SITES, ModsecServer, modsec_prerequisites
from realserver_harness.session import gate

from confcheck.engine import ScanOptions, run_scan

pytestmark = pytest.mark.realserver

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
           "Accept": "*/*", "Content-Type": "application/x-www-form-urlencoded"}
# an article about SQL: the CRS 3.3 refuses it at paranoia level 1 with 942190 and 942270 only
BODY = "content=To+combine+rows+use+SELECT+name+FROM+users+UNION+SELECT+name+FROM+admins"
REMOVAL = "SecRuleRemoveById 942190 942270"


@pytest.mark.parametrize("kind,refused", [("apache", True), ("nginx", False)])
def test_a_removal_before_the_crs(kind, refused):
    action = gate(modsec_prerequisites(kind), os.environ.get("CI"))
    if action != "run":
        (pytest.fail if action == "fail" else pytest.skip)(modsec_prerequisites(kind))
    with ModsecServer(kind, sites=SITES, paranoia=1) as plain:
        r = plain.request("POST", "/wp-admin/post.php", body=BODY, headers=BROWSER, site="app")
        assert r.status == 403 and {"942190", "942270"} <= set(r.rule_ids)
    with ModsecServer(kind, sites=SITES, paranoia=1, extra=REMOVAL) as srv:
        r = srv.request("POST", "/wp-admin/post.php", body=BODY, headers=BROWSER, site="app")
        assert (r.status == 403) is refused, r.log
        result = run_scan(ScanOptions(paths=[str(srv.conf_path)], no_fs=True))
        assert [str(e) for e in result.errors] == []
        never = [f for f in result.findings if f.rule == "WAF103"]
        if refused:
            assert len(never) == 2 and all("comes before rule 942" in f.message for f in never), \
                [f.message for f in never]
            assert all(f.span.file.endswith("modsecurity.conf") for f in never)
        else:
            assert never == []
            # it applies, to the whole server: the blunt form
            assert [f.rule for f in result.findings if f.rule == "WAF104"] == ["WAF104"]


CTL = ('SecRule REQUEST_URI "@beginsWith /wp-admin/" "id:10001,phase:{phase},pass,nolog,'
       'ctl:ruleRemoveTargetById=942190;ARGS:content,ctl:ruleRemoveTargetById=942270;ARGS:content"')


@pytest.mark.parametrize("kind", ["apache", "nginx"])
@pytest.mark.parametrize("phase,refused", [(1, False), (3, True)])
def test_a_ctl_exclusion_in_a_later_phase_comes_too_late(kind, phase, refused):
    action = gate(modsec_prerequisites(kind), os.environ.get("CI"))
    if action != "run":
        (pytest.fail if action == "fail" else pytest.skip)(modsec_prerequisites(kind))
    with ModsecServer(kind, sites=SITES, paranoia=1, extra=CTL.format(phase=phase)) as srv:
        r = srv.request("POST", "/wp-admin/post.php", body=BODY, headers=BROWSER, site="app")
        assert (r.status == 403) is refused, r.log
        result = run_scan(ScanOptions(paths=[str(srv.conf_path)], no_fs=True))
        never = [f.message for f in result.findings if f.rule == "WAF103"]
        if refused:
            assert len(never) == 2 and all("runs in phase 3, after rule 942" in m for m in never), never
        else:
            assert never == []
