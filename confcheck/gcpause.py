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


@contextmanager
def gc_young_only() -> Iterator[None]:
    """Collect only what is made inside: what exists (the parsed trees and models)
    is frozen out of the collector's sight. The rules' millions of short-lived
    probe objects include cycles (an exception raised through decide() keeps its
    frames, and they keep it): with the collector paused they were never freed,
    hundreds of MB on a 2,000-server tree."""
    was_enabled = gc.isenabled()
    thresholds = gc.get_threshold()
    gc.freeze()
    # a young collection per 50,000 new objects rather than per 700: the garbage
    # between two stays a few MB, and the collector's share of the time small
    gc.set_threshold(50_000, thresholds[1], thresholds[2])
    gc.enable()
    try:
        yield
    finally:
        if not was_enabled:
            gc.disable()
        gc.set_threshold(*thresholds)
        gc.unfreeze()
