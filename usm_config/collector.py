"""Pausing the cyclic garbage collector while large, acyclic data is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees everything).

    Loading a blueprint, compiling it, reading the live records and diffing them allocate
    hundreds of thousands of containers that hold no cycles and live until the command ends;
    the collector's passes over every one of them, each time the heap grew by a quarter, made
    these steps superlinear (half of the CPU of a converged plan of 5,000 services). Nested
    pauses are fine: the collector runs again when the outermost one ends, if it ran before.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
