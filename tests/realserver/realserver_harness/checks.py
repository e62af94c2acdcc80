"""Assertions shared by the per-server reference tests."""

from __future__ import annotations

from collections import Counter

from .runner import RequestResult, RunResult
from .session import check_fs_paths_as_worker

ERROR_LEVELS = ("[error]", "[crit]", "[alert]", "[emerg]", ":error]", ":crit]", ":alert]", ":emerg]")


def find_request(run: RunResult, scenario: str, index: int) -> RequestResult:
    sc = run.scenarios[scenario]
    assert sc.error is None, sc.error
    matches = [r for r in sc.requests if r.index == index]
    assert len(matches) == 1, f"{scenario}[{index}] was not sent"
    return matches[0]


def assert_matches_expectation(r: RequestResult) -> None:
    """Status, log substrings (a repeated substring must match that many
    lines), no error-level lines on a plain 200, exact body when given."""
    assert r.error is None, r.describe()
    assert r.status == r.expected_status, (
        f"the real server answered {r.status}, the scenario expects {r.expected_status}\n{r.describe()}")
    for text, n in Counter(r.expected_log).items():
        got = sum(text in line for line in r.log)
        assert got >= n, f"expected {n}x {text!r} in the request's log lines\n{r.describe()}"
    if r.expected_status == 200 and not r.expected_log:
        noisy = [l for l in r.log if any(lv in l for lv in ERROR_LEVELS)]
        assert not noisy, f"a plain 200 logged errors\n{r.describe()}"
    if r.expectation.body is not None:
        assert r.body.decode("utf-8", "replace") == r.expectation.body, r.describe()


def fs_path_label_errors(run: RunResult) -> list[str]:
    """fs_path/rule labels the kernel (asked as www-data) does not confirm."""
    items, owners = [], []
    for sc in run.scenarios.values():
        for r in sc.requests:
            if r.expected_fs_path is not None:
                items.append((str(r.expected_fs_path), r.expected_rule))
                owners.append(f"{sc.name}[{r.index}] {r.expected_fs_path} ({r.expected_rule})")
    assert items, "no scenario names a path at fault"
    return [f"{o}: {v}" for o, v in zip(owners, check_fs_paths_as_worker(items)) if v is not None]


def unlabelled_denials(run: RunResult) -> list[str]:
    return [f"{r.scenario}[{r.index}] {r.spec.label} -> {r.status}"
            for r in run.all_requests()
            if r.status in (403, 500) and r.expected_fs_path is None]
