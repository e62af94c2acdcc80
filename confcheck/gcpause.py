"""Pausing Python's cyclic garbage collector while big trees are built and read.

A large config makes ~10 objects per line; the generational collector then
re-scans the growing tree again and again (it more than doubled the load of
2,000 server blocks, and kept costing while the server model walked the
tree). Nothing confcheck builds relies on cycle collection during a run, so
the collector is paused for the duration and its previous state restored.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
