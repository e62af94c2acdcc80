"""limit_req/limit_conn log lines: a refusal names the limit and its status; a delay
within the burst (nginx's [warn] `delaying request`) names the limit and no status.
The lines are as real nginx 1.22 wrote them in tests/realserver's limits scenario."""

from __future__ import annotations

from confcheck.explain import Machine, explain_events
from confcheck.logparse import parse_line
from confcheck.why import WhyOptions

CONF = """events {}
http {
    limit_req_zone $binary_remote_addr zone=lim_fast:1m rate=1000r/s;
    limit_req_zone $binary_remote_addr zone=lim_slow:1m rate=1r/m;
    server {
        listen 80;
        server_name lim.test;
        root /srv/www;
        limit_req_status 403;
        location /slow/ { limit_req zone=lim_slow; }
        location /d/ { limit_req zone=lim_fast burst=5; deny all; }
    }
}
"""
DELAY = ('2026/12/06 22:20:59 [warn] 8451#8451: *617 delaying request, excess: 1.000, by zone "lim_fast", '
         'client: 127.0.0.1, server: lim.test, request: "GET /d/a.html HTTP/1.1", host: "lim.test"')
REFUSED = ('2026/12/06 22:20:59 [error] 8451#8451: *620 limiting requests, excess: 0.999 by zone "lim_slow", '
           'client: 127.0.0.1, server: lim.test, request: "GET /slow/a.html HTTP/1.1", host: "lim.test"')


def _causes(tmp_path, line):
    conf = tmp_path / "nginx.conf"
    conf.write_text(CONF)
    report = explain_events([parse_line(line)], Machine(WhyOptions(configs=[str(conf)])))
    assert not report.unknown
    return report.causes


def test_a_delay_within_the_burst_names_the_limit_and_no_status(tmp_path):
    (cause,) = _causes(tmp_path, DELAY)
    assert cause.kind == "limit-req-delay" and cause.status is None
    assert " ".join([cause.decided_by.name] + [a.raw for a in cause.decided_by.args]) == "limit_req zone=lim_fast burst=5"
    assert "delayed the request within its burst" in cause.explanation


def test_a_refusal_names_the_limit_and_its_configured_status(tmp_path):
    (cause,) = _causes(tmp_path, REFUSED)
    assert cause.kind == "limit-req" and cause.status == 403
    assert " ".join([cause.decided_by.name] + [a.raw for a in cause.decided_by.args]) == "limit_req zone=lim_slow"
