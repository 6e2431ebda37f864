"""Running a coroutine to completion from synchronous code (the command line, the API), and
awaiting many calls a few at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any, TypeVar, cast

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``, with ``main``'s result kept off the task asyncio runs.

    On Python 3.11, ``asyncio.run`` formats the repr of its main task, and with it the repr of
    the task's result, twice as it restores the SIGINT handler
    (https://github.com/python/cpython/issues/112559): for a plan or a live read of 50,000
    records that is seconds of CPU and a string of hundreds of MB nobody reads. The task here
    returns ``None``; the result travels beside it.
    """
    box: list[T] = []

    async def boxed() -> None:
        box.append(await main)

    asyncio.run(boxed())
    return box[0]


async def gather_bounded(calls: Iterable[Awaitable[T]], limit: int) -> list[T]:
    """Await ``calls``, at most ``limit`` at a time, and return their results in order.

    The first failure is raised once every call has ended, so a failed read leaves no request
    running behind it.
    """
    semaphore = asyncio.Semaphore(limit)

    async def limited(call: Awaitable[T]) -> T:
        async with semaphore:
            return await call

    outcomes = await asyncio.gather(*(limited(c) for c in calls), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return cast("list[T]", outcomes)
