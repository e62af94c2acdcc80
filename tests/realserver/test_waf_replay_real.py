"""`why` replays a request through the real ModSecurity engine and must predict
what the real server with the WAF answers: the status and, where ModSecurity
decided, the ids of the rules it matched.

The real servers (realserver_harness.modsec: Apache + mod_security2, nginx +
libmodsecurity3, Debian's CRS at paranoia level 1 and 2, SecRuleEngine On)
carry the site `app` (a static root, /api/ proxied to a backend that never
runs, /ping a `return`, /admin/ refused by the server's own access rules);
the requests are waf/requests.yaml on each of its paths.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from confcheck.servers.nginx.request import Request
from confcheck.waf_replay.combine import ReplayOptions
from confcheck.waf_replay.throwaway import Pool
from confcheck.why import WhyOptions, explain, prepare

pytestmark = pytest.mark.realserver

DATA = yaml.safe_load((Path(__file__).parent / "waf" / "requests.yaml").read_text())
TYPES = {"form": "application/x-www-form-urlencoded", "json": "application/json", "text": "text/plain"}
# a request with no backend: nginx 502, Apache 503
UPSTREAM = {"nginx": 502, "apache": 503}


def cases():
    for spec in DATA["requests"]:
        paths = DATA["paths"]["get" if spec["method"] == "GET" else "post"]
        for path in paths:
            yield spec, path + (f"?{spec['query']}" if spec.get("query") else "")


def headers_for(spec) -> dict[str, str]:
    # what the harness's http.client sends besides Host and the body's length
    headers = {"Connection": "close", "Accept-Encoding": "identity"}
    if spec.get("type"):
        headers["Content-Type"] = TYPES[spec["type"]]
    return headers


def check(kind: str, srv, prepared, spec, target: str, pool) -> tuple[str | None, str]:
    """(failure or None, outcome class) for one request."""
    headers = headers_for(spec)
    body = spec.get("body")
    real = srv.request(spec["method"], target, site="app", body=body, headers=headers)
    request = Request.parse(f"http://app.confcheck.test:{srv.port}{target}", spec["method"],
                            {"Host": "app.confcheck.test", **headers})
    one = dataclasses.replace(prepared, replay=ReplayOptions(body=body.encode() if body is not None else None,
                                                             pool=pool))
    outcome = explain(one, request)
    waf = outcome.waf or {}
    label = f"{kind} {spec['name']} {spec['method']} {target}"
    denied_real = any("Access denied" in line for line in real.log)
    response_phase = any("(phase 4)" in line or "(phase 3)" in line for line in real.log)
    if real.error is not None or response_phase:
        # PL2 (950100): the backend's 502/503 page is refused in phase 4: Apache answers 403,
        # nginx has sent the headers and closes the connection. What the backend answers is
        # unknown to why: status null (upstream), the response phases not replayed
        if outcome.status is not None or not response_phase or "response" not in (waf.get("reason") or ""):
            return (f"{label}: real {real.status or 'no response'} (response phase), why {outcome.status}: "
                    f"{outcome.reason} / {waf.get('reason')}"), "response"
        got = "response"
    elif real.status == UPSTREAM[kind] and not denied_real:
        if outcome.status is not None or waf.get("decides"):
            return f"{label}: real {real.status} (upstream), why {outcome.status}: {outcome.reason}", "upstream"
        got = "upstream"
    elif outcome.status != real.status:
        return (f"{label}: real {real.status} {real.rule_ids}, why {outcome.status} "
                f"{[r['id'] for r in waf.get('rules', [])]}: {outcome.reason}"), "status"
    else:
        got = "waf" if waf.get("decides") else "model"
    if not waf.get("replayed"):
        return f"{label}: no replay ({waf.get('reason') or outcome.reason})", got
    replay_ids = {r["id"] for r in waf["rules"]}
    if waf.get("decides") and set(real.rule_ids) != replay_ids:
        return f"{label}: rules real {sorted(real.rule_ids)} replay {sorted(replay_ids)}", got
    # response rules (RESPONSE-95x: phases 3-4, and the outbound score's 980140) see the
    # site's answer, which the replay has not
    if not {i for i in real.rule_ids if not i.startswith("95") and i != "980140"} <= replay_ids:
        return f"{label}: the real server matched rules the replay did not: " \
               f"{sorted(set(real.rule_ids) - replay_ids)}", got
    return None, got


@pytest.mark.parametrize("paranoia", [1, 2])
@pytest.mark.parametrize("kind", ["nginx", "apache"])
def test_why_replay_predicts_the_waf(modsec_server, kind, paranoia):
    srv = modsec_server(kind, paranoia=paranoia)
    prepared = prepare(WhyOptions(configs=[str(srv.conf_path)]))
    assert not prepared.errors, prepared.errors
    failures, counts = [], {}
    pool = Pool()          # one replay server for the whole batch (the same WAF configuration)
    try:
        for spec, target in cases():
            failure, got = check(kind, srv, prepared, spec, target, pool)
            counts[got] = counts.get(got, 0) + 1
            counts[spec["kind"]] = counts.get(spec["kind"], 0) + 1
            if failure:
                failures.append(failure)
    finally:
        pool.close()
    total = sum(1 for _ in cases())
    print(f"\n{kind} PL{paranoia}: {total} requests; {counts}")
    # every shape must occur: the suite proves nothing if ModSecurity never refused
    assert counts.get("waf", 0) > 0 and counts.get("model", 0) > 0
    assert not failures, "\n".join(failures)
