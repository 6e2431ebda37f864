"""Pausing the cyclic garbage collector while large, acyclic data is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees everything).

    Loading a blueprint, compiling it, reading the live records and diffing them allocate
    hundreds of thousands of containers that hold no cycles and live until the command ends;
    the collector's passes over every one of them, each time the heap grew by a quarter, made
    these steps superlinear (half of the CPU of a converged plan of 5,000 services). When the
    outermost pause ends after building at least :data:`FREEZE_AFTER` objects the collector
    tracks, everything alive is frozen (:func:`gc.freeze`) before the collector runs again, so
    later passes skip it: reference counting still frees it, but a cycle made inside the pause
    is never collected. Code run paused must not leave large cycles behind (the HTTP client
    breaks the one httpx makes for every response for that reason). Inside
    :func:`library_call` nothing is frozen.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_count()[0] >= FREEZE_AFTER and not _IN_LIBRARY_CALL.get():
                gc.freeze()
            gc.enable()


#: Tracked objects a pause must have built for its end to freeze the heap: a blueprint of a
#: few hundred services. Below that, the collector's passes cost little and freezing is not
#: worth keeping the pause's garbage cycles.
FREEZE_AFTER = 100_000


_IN_LIBRARY_CALL: ContextVar[bool] = ContextVar("usm_config_library_call", default=False)


@contextmanager
def library_call() -> Iterator[None]:
    """Pauses inside the block freeze nothing: a call into usm-config from a process that
    lives on (the Python API) must leave it the garbage cycles to collect, and its own frozen
    objects (:func:`gc.freeze` before forking workers) as they are."""
    token = _IN_LIBRARY_CALL.set(True)
    try:
        yield
    finally:
        _IN_LIBRARY_CALL.reset(token)
