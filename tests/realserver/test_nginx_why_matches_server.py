"""`confcheck why` predicts the exact status real nginx gave, request by request.

The configuration read is the very nginx.conf the server ran; the Host header,
method, headers and credentials are the ones the harness sent. For every
disk-caused 403/500 the path at fault must be the real one, and where a
scenario names the deciding directive, `decided_by` must point at it.
"""

from __future__ import annotations

import pytest

from confcheck.why import WhyOptions, explain, prepare
from realserver_harness.checks import nginx_request, not_modelled_problems

pytestmark = pytest.mark.realserver


@pytest.fixture(scope="module")
def prepared(nginx_run):
    result = prepare(WhyOptions(configs=[str(nginx_run.conf_path)]))
    assert [str(e) for e in result.errors] == []
    return result


def _decided_text(node) -> str:
    return " ".join([node.name] + [a.raw for a in node.args])


def test_why_predicts_every_status(nginx_run, prepared):
    wrong = []
    total = 0
    for sc in nginx_run.scenarios.values():
        for req in sc.requests:
            if req.status is None and req.error:
                continue
            total += 1
            outcome = explain(prepared, nginx_request(nginx_run, sc, req))
            expectation = req.expectation
            unknown = getattr(expectation, "not_modelled", None)
            want = None if getattr(expectation, "upstream", False) or unknown else req.status
            problems = not_modelled_problems(outcome, unknown)
            decided = getattr(expectation, "decided_by", None)
            under_load = getattr(expectation, "under_load", None)
            if under_load is not None:
                # a limit refused it under load: one request gets under_load, and the limit is named
                want = under_load
                if not any((_decided_text(l.directive) + ";").startswith(decided.rstrip(";"))
                           and l.status == req.status for l in outcome.limits):
                    problems.append(f"no limit {decided!r} answering {req.status} under load: "
                                    f"{[l.describe() for l in outcome.limits]}")
                decided = None
            if outcome.status != want:
                problems.append(f"status {outcome.status} != real {req.status}")
            # 403/500 from the disk, and the 404s whose cause is on disk too (N10, row 32...)
            if req.expected_fs_path is not None and outcome.fs_path != str(req.expected_fs_path):
                problems.append(f"fs_path {outcome.fs_path} != {req.expected_fs_path}")
            if decided and (outcome.decided_by is None
                            or not (_decided_text(outcome.decided_by) + ";").startswith(decided.rstrip(";"))):
                got = _decided_text(outcome.decided_by) if outcome.decided_by is not None else None
                problems.append(f"decided_by {got!r} != {decided!r}")
            if outcome.rule == "NGX-rewrite-loop" and req.status == 500:
                # the cycle is worded as nginx logs it, with the URI it gave up on
                cycle = "rewrite or internal redirection cycle"
                said = cycle + outcome.reason.split(cycle, 1)[-1].split(": more than", 1)[0]
                if not any(said in line for line in req.log):
                    problems.append(f"the log does not say {said!r}: {req.log}")
            if problems:
                wrong.append(f"{sc.name}[{req.index}] {req.spec.label} (Host {req.host}): "
                             + "; ".join(problems) + f"\n      why: {outcome.reason}")
    assert not wrong, f"{len(wrong)} of {total} requests mispredicted:\n" + "\n".join(wrong)
    assert total >= 60
