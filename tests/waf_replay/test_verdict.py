"""Reading the engine's verdict from the error-log lines both servers write
(lines as Debian 12's mod_security2 and libmodsecurity3 + nginx wrote them)."""

from __future__ import annotations

from confcheck.waf_replay.rulefile import Item
from confcheck.waf_replay.verdict import read

APACHE = [
    '[Sun Dec 06 23:01:22.329856 2026] [security2:error] [pid 18003:tid 18005] [client 127.0.0.1:42117] '
    '[client 127.0.0.1] ModSecurity: Warning. Pattern match "(?i)union.*?select.*?from" at ARGS:q. '
    '[file "/usr/share/modsecurity-crs/rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf"] [line "297"] '
    '[id "942270"] [msg "Looking for basic sql injection. Common attack string for mysql, oracle and others"] '
    '[data "Matched Data: union select password from found within ARGS:q: 1 union select password from users"] '
    '[severity "CRITICAL"] [ver "OWASP_CRS/3.3.4"] [tag "attack-sqli"] [tag "paranoia-level/1"] '
    '[hostname "app.confcheck.test"] [uri "/"] [unique_id "axXpQk2Yg1jPpTRwO-qJjAAAAAA"]',
    '[Sun Dec 06 23:01:22.329993 2026] [security2:error] [pid 18003:tid 18005] [client 127.0.0.1:42117] '
    '[client 127.0.0.1] ModSecurity: Access denied with code 403 (phase 2). Operator GE matched 5 at '
    'TX:anomaly_score. [file "/usr/share/modsecurity-crs/rules/REQUEST-949-BLOCKING-EVALUATION.conf"] '
    '[line "94"] [id "949110"] [msg "Inbound Anomaly Score Exceeded (Total Score: 20)"] [severity "CRITICAL"] '
    '[ver "OWASP_CRS/3.3.4"] [tag "attack-generic"] [hostname "app.confcheck.test"] [uri "/"] '
    '[unique_id "axXpQk2Yg1jPpTRwO-qJjAAAAAA"]',
]

NGINX = [
    '2026/12/06 22:42:35 [info] 29124#29124: *15 ModSecurity: Warning. Matched "Operator `Rx\' with parameter '
    '`(?i)<script[^>]*>[\\s\\S]*?\' against variable `ARGS:content\' (Value: `<script>alert(1)</script>\' ) '
    '[file "/tmp/confcheck-waf-x/waf.conf"] [line "12"] [id "941110"] [rev ""] '
    '[msg "XSS Filter - Category 1: Script Tag Vector"] [data "Matched Data: <script> found within '
    'ARGS:content: <script>alert(1)</script>"] [severity "2"] [ver "OWASP_CRS/3.3.4"] [maturity "0"] '
    '[accuracy "0"] [tag "paranoia-level/1"] [hostname "127.0.0.1"] [uri "/post"] '
    '[unique_id "179659695569.530581"] [ref "o0,8v8,25t:utf8toUnicode"], client: 127.0.0.1, server: _',
    '2026/12/06 22:47:43 [error] 24990#24990: *2 [client 127.0.0.1] ModSecurity: Access denied with code 403 '
    '(phase 2). Matched "Operator `Ge\' with parameter `5\' against variable `TX:ANOMALY_SCORE\' (Value: `20\' ) '
    '[file "/usr/share/modsecurity-crs/rules/REQUEST-949-BLOCKING-EVALUATION.conf"] [line "81"] [id "949110"] '
    '[rev ""] [msg "Inbound Anomaly Score Exceeded (Total Score: 20)"] [data ""] [severity "2"] '
    '[unique_id "179659695569.530581"], client: 127.0.0.1, server: _',
]


def test_apache_denial_rules_and_score():
    v = read(APACHE)
    assert (v.status, v.phase, v.anomaly_score) == (403, 2, 20)
    assert [r.id for r in v.rules] == ["942270", "949110"]
    first, denier = v.rules
    assert (first.file, first.line, first.variable, first.paranoia_level, first.denied) == (
        "/usr/share/modsecurity-crs/rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf", 297, "ARGS:q", 1, False)
    assert denier.denied and denier.variable == "TX:anomaly_score"


def test_nginx_lines_and_inline_rules_map_back_to_their_file():
    # the replay copied the rule at waf.conf:12 from the user's file: the answer names the user's file
    origin = {("/tmp/confcheck-waf-x/waf.conf", 12): Item("SecRule ...", "secrule", "/etc/nginx/modsec/main.conf", 40)}
    v = read(NGINX, origin)
    assert (v.status, v.phase, v.anomaly_score) == (403, 2, 20)
    xss = v.rules[0]
    assert (xss.id, xss.file, xss.line, xss.variable) == ("941110", "/etc/nginx/modsec/main.conf", 40, "ARGS:content")
    assert v.rules[1].id == "949110" and v.rules[1].denied


def test_warnings_only_is_no_refusal():
    v = read(APACHE[:1])
    assert not v.refused and v.status is None and [r.id for r in v.rules] == ["942270"]
    assert v.anomaly_score is None        # not stated by the engine: not guessed


def test_body_limit_line():
    line = ('[Sun Dec 06 23:01:22.348238 2026] [security2:error] [pid 18003:tid 18005] [client 127.0.0.1:35633] '
            '[client 127.0.0.1] ModSecurity: Request body (Content-Length) is larger than the configured limit '
            '(2000). [hostname "app.confcheck.test"] [uri "/"] [unique_id "axXpQk2Yg1jPpTRwO-qJjgAAAAA"]')
    v = read([line])
    assert v.body_limit.startswith("ModSecurity: Request body (Content-Length) is larger")
    assert v.rules == [] and v.status is None      # the status is the replay's (combine.py)


def test_other_lines_are_ignored():
    assert read(["2026/12/06 [notice] 1#1: signal process started", ""]).lines == []
