"""Running a coroutine to completion from synchronous code (the command line, the API), and
awaiting many calls a few at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Generator, Iterable
from typing import Any, TypeVar

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

    ``calls`` is taken one at a time, as a request slot frees: a generator of coroutines
    creates each only when it is awaited. After the first failure no further call starts;
    it is raised once the calls already running have ended, so a failed read leaves no
    request running behind it. A generator is then closed without creating the calls it
    has left; coroutines made beforehand (a list of them) are closed unawaited.
    """
    numbered = enumerate(calls)
    results: dict[int, T] = {}
    failures: list[Exception] = []

    async def worker() -> None:
        while not failures:
            try:
                index, call = next(numbered)
            except StopIteration:
                return
            try:
                results[index] = await call
            except Exception as exc:
                failures.append(exc)

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, limit))))
    finally:
        if isinstance(calls, Generator):
            calls.close()
        else:
            for _, call in numbered:
                if isinstance(call, Coroutine):
                    call.close()
    if failures:
        raise failures[0]
    return [results[index] for index in range(len(results))]
