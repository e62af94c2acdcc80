"""How many cores this process may run on (for the commands that split work between processes)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores the scheduler lets this process use (taskset, a cgroup's cpuset), not the
    machine's count: more workers than that only take turns."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1
