"""aio.run: a coroutine's result comes back without its repr being formatted."""

from __future__ import annotations

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
