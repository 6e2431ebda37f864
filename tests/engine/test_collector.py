"""usm_config.collector: paused collection, and what a pause leaves to later passes."""

from __future__ import annotations

import asyncio
import gc

import httpx

from usm_config.collector import FREEZE_AFTER, library_call, paused_gc
from usm_config.http import HttpClient


def test_a_large_pause_freezes_what_it_built_and_the_collector_runs_again_after_it() -> None:
    assert gc.isenabled()
    before = gc.get_freeze_count()
    try:
        with paused_gc():
            assert not gc.isenabled()
            built = [[i] for i in range(FREEZE_AFTER)]  # lists are always tracked
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(built)
    finally:
        gc.unfreeze()


def test_a_small_pause_leaves_the_heap_to_the_collector() -> None:
    gc.unfreeze()
    gc.collect()
    with paused_gc():
        built = [[i] for i in range(1000)]
    assert gc.isenabled() and gc.get_freeze_count() == 0 and len(built) == 1000


def test_inside_a_library_call_a_pause_freezes_nothing() -> None:
    gc.unfreeze()
    with library_call(), paused_gc():
        built = [[i] for i in range(FREEZE_AFTER)]
    assert gc.isenabled() and gc.get_freeze_count() == 0 and len(built) == FREEZE_AFTER


def test_a_response_read_through_the_client_is_freed_without_the_collector() -> None:
    """httpx ties each response and its stream in a cycle; frozen by a pause, that cycle
    would keep every response body of a large read alive until the process ends."""
    asyncio.run(_read_and_drop_a_response())


async def _read_and_drop_a_response() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    async with HttpClient("https://example.test", transport=transport) as client:
        gc.disable()
        try:
            response = await client.request("GET", "/thing")
            assert response.json() == {"ok": True}
            gc.collect()
            gc.set_debug(gc.DEBUG_SAVEALL)
            del response
            found = gc.collect()
            leftovers = [o for o in gc.garbage if isinstance(o, httpx.Response)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert leftovers == [], f"{found} objects in cycles"
