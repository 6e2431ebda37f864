"""Running a coroutine to completion from synchronous code (the command line, the API)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
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
