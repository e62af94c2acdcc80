"""What the hand-run benchmarks share."""

from __future__ import annotations

import time


def best_of(fn, runs: int = 3) -> float:
    """The fastest of `runs` calls of fn(), in seconds (less noise than a mean)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
