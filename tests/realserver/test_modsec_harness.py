"""Self-tests of the ModSecurity harness (realserver_harness/modsec.py): real
Apache + mod_security2 and real nginx + libmodsecurity3 with Debian's CRS."""

from __future__ import annotations

import os

import pytest

from realserver_harness.modsec import SITES, ModsecServer, modsec_prerequisites
from realserver_harness.session import gate

pytestmark = pytest.mark.realserver

SQLI = "/?q=1%20union%20select%20password%20from%20users"
KINDS = ["nginx", "apache"]


@pytest.mark.parametrize("kind", KINDS)
def test_engine_on_denies_an_attack_and_logs_the_rules(modsec_server, kind):
    srv = modsec_server(kind)
    ok = srv.request("GET", "/", site="app")
    assert (ok.status, ok.rule_ids, ok.audit) == (200, [], [])
    r = srv.request("GET", SQLI, site="app")
    assert r.status == 403
    assert {"942100", "949110"} <= set(r.rule_ids), r.log
    assert any("Access denied with code 403 (phase 2)" in line for line in r.log), r.log
    [uid] = r.unique_ids
    assert len(r.audit) == 1 and uid in r.audit[0]


@pytest.mark.parametrize("kind", KINDS)
def test_detection_only_logs_and_lets_through(modsec_server, kind):
    srv = modsec_server(kind, engine="DetectionOnly")
    r = srv.request("GET", SQLI, site="app")
    assert r.status == 200
    assert "942100" in r.rule_ids
    assert not any("Access denied" in line for line in r.log)


@pytest.mark.parametrize("kind", KINDS)
def test_paranoia_level_is_the_one_asked_for(modsec_server, kind):
    # 942432 (restricted SQL characters, threshold 2) is a paranoia-level-4 rule;
    # 942430 (threshold 12) is level 2: twelve quotes in one argument
    arg = "/?a=" + "'x" * 13
    assert "942430" not in modsec_server(kind, paranoia=1).request("GET", arg, site="app").rule_ids
    assert "942430" in modsec_server(kind, paranoia=2).request("GET", arg, site="app").rule_ids


@pytest.mark.parametrize("kind", KINDS)
def test_stopped_by_pid_and_removed(kind):
    action = gate(modsec_prerequisites(kind), os.environ.get("CI"))
    if action != "run":
        (pytest.fail if action == "fail" else pytest.skip)(modsec_prerequisites(kind))
    srv = ModsecServer(kind, sites=SITES)
    with srv:
        pid = srv.runner.proc.pid
        assert os.path.exists(f"/proc/{pid}")
        assert srv.request("GET", "/", site="app").status == 200
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    assert not srv.base.exists()
