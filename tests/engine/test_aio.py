"""aio.run: a coroutine's result comes back without its repr being formatted; gather_bounded:
results in order, a bounded number at a time, nothing started after a failure, nothing left
unawaited."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Iterator

import pytest

from usm_config import aio


class Result:
    """A result that counts how often its repr is formatted (a plan's runs to hundreds of MB)."""

    def __init__(self) -> None:
        self.reprs = 0

    def __repr__(self) -> str:
        self.reprs += 1
        return "<Result>"


async def _result() -> Result:
    return Result()


def test_run_returns_the_result_without_formatting_it() -> None:
    result = aio.run(_result())
    assert isinstance(result, Result)
    assert result.reprs == 0


# --------------------------------------------------------------------------- gather_bounded


def test_gather_bounded_keeps_the_order_and_the_limit() -> None:
    running, most = 0, 0

    async def call(n: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.001 * (n % 3))
        running -= 1
        return n * n

    results = aio.run(aio.gather_bounded((call(n) for n in range(20)), 4))
    assert results == [n * n for n in range(20)]
    assert most == 4


def test_gather_bounded_creates_each_call_only_when_a_slot_is_free() -> None:
    created: list[int] = []

    async def call(n: int) -> int:
        await asyncio.sleep(0)
        return n

    def calls() -> Iterator[Awaitable[int]]:
        for n in range(10):
            created.append(n)
            yield call(n)

    async def main() -> list[int]:
        return await aio.gather_bounded(calls(), 2)

    assert aio.run(main()) == list(range(10))
    assert created == list(range(10))


def test_after_a_failure_no_call_starts_and_the_running_ones_end_first() -> None:
    """The first failure is raised once the calls already running have ended; the calls not
    yet started never start, and none is left unawaited (pytest turns Python's "never
    awaited" warning into an error)."""
    started: list[int] = []
    ended: list[int] = []

    async def call(n: int) -> int:
        started.append(n)
        await asyncio.sleep(0.001 if n == 2 else 0.01)
        if n == 2:
            raise ValueError("the third call fails")
        ended.append(n)
        return n

    with pytest.raises(ValueError, match="third call"):
        aio.run(aio.gather_bounded([call(n) for n in range(50)], 4))
    assert started == [0, 1, 2, 3]
    assert sorted(ended) == [0, 1, 3]
    gc.collect()


def test_a_cancelled_gather_leaves_no_call_unawaited() -> None:
    async def call(n: int) -> int:
        await asyncio.sleep(1)
        return n

    async def main() -> None:
        task = asyncio.ensure_future(aio.gather_bounded([call(n) for n in range(10)], 2))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    aio.run(main())
    gc.collect()
