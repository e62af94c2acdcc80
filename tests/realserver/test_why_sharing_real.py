"""`why --batch` shares decisions between look-alike servers and between requests that
differ only in fields a decision never read (confcheck/why_batch.py); against real nginx,
a request differing in a field the location does read (the client address through realip,
the method under limit_except, a header in an if) is never given the shared answer.

The scenario is scenarios/nginx/shared_decisions.yaml (three look-alike servers): its
requests are answered config-only, in the order sent, by the batch answerer with sharing
on, and compared with the real statuses and with the answers without sharing.
"""

from __future__ import annotations

import json

import pytest

from confcheck.why import WhyOptions, prepare
from confcheck.why_batch import answerer
from realserver_harness.checks import nginx_request

pytestmark = pytest.mark.realserver


def _answer_all(run, sc, sharing: bool, monkeypatch) -> tuple[list[str], list[bool]]:
    """(JSON lines, whether each was made from a shared decision)."""
    if sharing:
        monkeypatch.delenv("CONFCHECK_NO_SHARING", raising=False)
    else:
        monkeypatch.setenv("CONFCHECK_NO_SHARING", "1")
    prepared = prepare(WhyOptions(configs=[str(run.conf_path)], no_fs=True, server="nginx"))
    assert [str(e) for e in prepared.errors] == []
    answer = answerer(prepared)
    lines, shared = [], []
    for req in sorted(sc.requests, key=lambda r: r.index):
        before = getattr(answer, "filled", 0)
        line, error = answer(nginx_request(run, sc, req))
        assert error is None, line
        lines.append(line)
        shared.append(getattr(answer, "filled", 0) > before)
    return lines, shared


def test_shared_decisions_never_cross_a_field_the_location_reads(nginx_run, monkeypatch):
    sc = nginx_run.scenarios["share-reads"]
    assert sc.error is None, sc.error
    requests = sorted(sc.requests, key=lambda r: r.index)
    lines, shared = _answer_all(nginx_run, sc, True, monkeypatch)
    alone, none = _answer_all(nginx_run, sc, False, monkeypatch)
    assert lines == alone and not any(none)
    wrong = [f"{r.spec.method} {r.host}{r.spec.path} {r.spec.headers}: why {json.loads(line)['status']}, "
             f"nginx {r.status}" for r, line in zip(requests, lines) if json.loads(line)["status"] != r.status]
    assert not wrong, wrong
    by_path: dict[str, list[int]] = {}
    for i, r in enumerate(requests):
        by_path.setdefault(r.spec.path, []).append(i)
    for path, (first, second, third, other) in by_path.items():
        assert [shared[first], shared[second], shared[third]] == [False, False, True], path   # look3: shared
        status = [json.loads(lines[i])["status"] for i in (third, other)]
        if path == "/open/":
            # another client, a location that never reads it: the same decision, shared
            assert shared[other] and status[0] == status[1] == 200
        else:
            # the field the location reads differs: decided anew, and nginx agrees it differs
            assert not shared[other] and status[0] != status[1], path
