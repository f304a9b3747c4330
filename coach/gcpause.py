"""Pausing the garbage collector while one call is read or scored.

Reading and scoring a call allocate thousands of small objects (cues, turns,
token lists, signals, evidence) and make no reference cycles worth chasing.
With the collector on, those allocations trigger passes that walk the whole
heap (the spaCy pipeline, the compiled rubric) and free nothing: a few
milliseconds per 60-minute call. Whatever is collectable is collected after,
as usual, once the collector is back on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Collector off for the block; back to how it was after (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
