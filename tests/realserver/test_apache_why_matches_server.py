"""`confcheck why` predicts the exact status real Apache gave, request by request.

The configuration read is the very httpd.conf the server ran (explicit
LoadModule lines, Debian-like defaults, one <VirtualHost> per scenario); the
Host header, method, headers and credentials are the ones the harness sent.
For every disk-caused 403/500 the path at fault must be the real one, and
where a scenario names the deciding directive, `decided_by` must point at it.
Scenarios whose config `apache2 -t` refused did not run and are not asked.
"""

from __future__ import annotations

import re

import pytest

from confcheck.why import WhyOptions, explain, prepare
from realserver_harness.checks import apache_request, not_modelled_problems

pytestmark = pytest.mark.realserver


@pytest.fixture(scope="module")
def prepared(apache_run):
    result = prepare(WhyOptions(configs=[str(apache_run.conf_path)]))
    assert [str(e) for e in result.errors] == []
    assert result.server == "apache"
    return result


def _decided_text(node) -> str:
    return " ".join([node.name] + [a.raw for a in node.args])


def test_why_predicts_every_apache_status(apache_run, prepared):
    wrong = []
    total = 0
    for sc in apache_run.scenarios.values():
        if sc.error:
            continue
        for req in sc.requests:
            if req.status is None:
                continue
            total += 1
            outcome = explain(prepared, apache_request(apache_run, sc, req))
            expectation = req.expectation
            unknown = getattr(expectation, "not_modelled", None)
            problems = not_modelled_problems(outcome, unknown)
            null_because = getattr(expectation, "unknown", None)
            if outcome.status != (None if unknown or null_because or getattr(expectation, "upstream", False)
                                  else req.status):
                problems.append(f"status {outcome.status} != real {req.status}")
            if null_because and null_because not in outcome.reason:
                problems.append(f"reason does not say {null_because!r}: {outcome.reason}")
            if req.disk_caused_denial and outcome.fs_path != str(req.expected_fs_path):
                problems.append(f"fs_path {outcome.fs_path} != {req.expected_fs_path}")
            decided = getattr(expectation, "decided_by", None)
            if decided and (outcome.decided_by is None
                            or not _decided_text(outcome.decided_by).startswith(decided.rstrip(";"))):
                got = _decided_text(outcome.decided_by) if outcome.decided_by is not None else None
                problems.append(f"decided_by {got!r} != {decided!r}")
            real_location = req.response_headers.get("location") or ""
            if outcome.location and outcome.location.startswith("/"):
                # Apache makes a local target absolute with the request's own host and port
                real_location = re.sub(r"^https?://[^/]+", "", real_location)
            if (getattr(expectation, "location", None) and outcome.status == req.status
                    and outcome.location is not None and outcome.location != real_location):
                problems.append(f"Location {outcome.location!r} != real {real_location!r}")
            if problems:
                wrong.append(f"{sc.name}[{req.index}] {req.spec.label} (Host {req.host}): "
                             + "; ".join(problems) + f"\n      why: {outcome.reason}")
    assert not wrong, f"{len(wrong)} of {total} requests mispredicted:\n" + "\n".join(wrong)
    assert total >= 20


def test_why_json_names_apache(apache_run, prepared):
    sc = next(s for s in apache_run.scenarios.values() if not s.error and s.requests)
    req = next(r for r in sc.requests if r.status is not None)
    doc = explain(prepared, apache_request(apache_run, sc, req)).to_json()
    assert doc["server"] == "apache"
    assert doc["status"] == req.status
    assert doc["trace"][0]["step"] == "vhost"
