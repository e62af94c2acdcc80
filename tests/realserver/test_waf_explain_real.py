"""explain on the lines real ModSecurity writes (Apache mod_security2 and nginx libmodsecurity3,
Debian's CRS 3.3, paranoia levels 1 and 2): benign posts the CRS refuses are grouped per rule
and URI, with the variable and the rule's place; the exclusion explain proposes, applied to the
real server's configuration, lets exactly the benign request through and keeps every attack of
the suite refused, on the same URI and on another."""

from __future__ import annotations

import os

import pytest

from realserver_harness.modsec import SITES, ModsecServer, modsec_prerequisites
from realserver_harness.session import gate

from confcheck.explain import Machine, explain_events
from confcheck.fixers.edits import plan_files
from confcheck.logparse import parse_lines
from confcheck.why import WhyOptions

pytestmark = pytest.mark.realserver

# what a browser sends (at paranoia level 2 the CRS counts a missing User-Agent or Accept)
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
           "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", **BROWSER}
JSON = {"Content-Type": "application/json", **BROWSER}
# real-world false-positive shapes: an article about SQL, an editor's HTML in JSON
BENIGN = [
    ("/wp-admin/post.php", FORM,
     "title=Joins&content=To+combine+rows+use+SELECT+name+FROM+users+UNION+SELECT+name+FROM+admins%3B"
     "+then+ORDER+BY+1"),
    ("/editor/posts", JSON,
     '{"title":"Hi","content":"<p>Compare a < b and <b>bold</b> text; see <a href=\\"/x\\" '
     'onclick=\\"go()\\">here</a></p>"}'),
]
# attacks that must stay refused after the exclusions (same fields, other fields, other URIs)
ATTACKS = [
    ("/wp-admin/post.php", FORM, "content=1%27+UNION+SELECT+password+FROM+users--+-"),
    ("/wp-admin/post.php", FORM, "content=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E"),
    ("/wp-admin/post.php", FORM, "title=1+UNION+SELECT+name+FROM+users&content=hello"),
    ("/wp-admin/post.php", FORM, "content=..%2F..%2F..%2F..%2Fetc%2Fpasswd"),
    ("/editor/posts", JSON, '{"content":"<script>alert(document.cookie)</script>"}'),
    ("/editor/posts", JSON, '{"title":"<a href=x onclick=go()>x</a>","content":"hi"}'),
    ("/editor/posts", JSON, '{"content":"1\' UNION SELECT password FROM users-- -"}'),
    ("/other/post.php", FORM,
     "content=To+combine+rows+use+SELECT+name+FROM+users+UNION+SELECT+name+FROM+admins%3B+then+ORDER+BY+1"),
    ("/editor/other", JSON, BENIGN[1][2]),
]
CASES = [(kind, level) for kind in ("apache", "nginx") for level in (1, 2)]


def _gate(kind: str) -> None:
    action = gate(modsec_prerequisites(kind), os.environ.get("CI"))
    if action == "fail":
        pytest.fail(f"ModSecurity tests must run under CI, but: {modsec_prerequisites(kind)}", pytrace=False)
    if action == "skip":
        pytest.skip(modsec_prerequisites(kind))


def _explain(srv, lines):
    return explain_events(parse_lines(lines), Machine(WhyOptions(configs=[str(srv.conf_path)])))


def _engine_rules(response) -> set[int]:
    """What the engine matched, without the CRS's own score evaluation (949/959/980)."""
    return {int(i) for i in response.rule_ids if int(i) // 1000 not in (949, 959, 980)}


@pytest.mark.parametrize("kind,level", CASES)
def test_explain_groups_real_refusals_by_rule_and_uri(modsec_server, kind, level):
    srv = modsec_server(kind, paranoia=level)
    lines, expected = [], []
    for uri, headers, body in BENIGN:
        for _ in range(2):                     # the same false positive twice: one cause, counted twice
            r = srv.request("POST", uri, body=body, headers=headers, site="app")
            assert r.status == 403, (uri, r.log)
            lines += r.log
        expected.append((uri, _engine_rules(r)))
    report = _explain(srv, lines)
    assert report.unknown == 0
    waf = [c for c in report.causes if c.kind == "waf-denied"]
    assert sorted((c.waf["uri"], {r["id"] for r in c.waf["rules"]}) for c in waf) == sorted(expected)
    for cause in waf:
        assert cause.count == 2 and cause.status == 403 and cause.server == kind
        assert cause.waf["denied_by"]["id"] == 949110
        for rule in cause.waf["rules"]:
            assert rule["variable"] and rule["variable"].startswith("ARGS:"), rule
            assert rule["paranoia_level"] is not None and rule["paranoia_level"] <= level
            assert f"rule {rule['id']}" in cause.explanation and rule["variable"] in cause.explanation
        assert cause.fix is not None and cause.fix.applicability == "safe"
        assert "ctl:ruleRemoveTargetById=" in cause.fix.diff
        assert cause.alternatives and cause.alternatives[0].applicability == "unsafe"


def test_explain_reads_the_audit_logs_of_both_engines(modsec_server):
    for kind in ("apache", "nginx"):
        for fmt in ("Native", "JSON"):
            srv = modsec_server(kind, audit_format=fmt)
            uri, headers, body = BENIGN[0]
            r = srv.request("POST", uri, body=body, headers=headers, site="app")
            assert r.status == 403 and r.audit, (kind, fmt)
            report = _explain(srv, "\n".join(r.audit).splitlines())
            [cause] = report.causes
            assert cause.kind == "waf-denied" and cause.status == 403 and cause.waf["uri"] == uri, (kind, fmt)
            assert {x["id"] for x in cause.waf["rules"]} == _engine_rules(r), (kind, fmt)
            assert all(x["variable"] for x in cause.waf["rules"]), (kind, fmt)


@pytest.mark.parametrize("kind,level", CASES)
def test_the_proposed_exclusion_lets_exactly_the_benign_request_through(kind, level):
    _gate(kind)
    with ModsecServer(kind, sites=SITES, paranoia=level) as srv:
        for uri, headers, body in BENIGN:
            r = srv.request("POST", uri, body=body, headers=headers, site="app")
            assert r.status == 403
            # explain reads the configuration as it is on disk now (the previous fix applied)
            [cause] = [c for c in _explain(srv, r.log).causes if c.kind == "waf-denied"]
            [plan] = plan_files(cause.fix.edits)
            with open(plan.path, "wb") as fh:
                fh.write(plan.new_data())
        srv.stop()
        srv.start()
        for uri, headers, body in BENIGN:
            r = srv.request("POST", uri, body=body, headers=headers, site="app")
            assert r.status != 403 and not any("Access denied" in line for line in r.log), (uri, r.log)
        for uri, headers, body in ATTACKS:
            r = srv.request("POST", uri, body=body, headers=headers, site="app")
            assert r.status == 403, (uri, body, r.log)

