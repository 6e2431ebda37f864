"""One compile per blueprint object.

A plan compiles the same blueprint object more than once: the adapter's override check
builds its records to find clashes and names the tool cannot hold, then the plan diffs
them, and the checklist of a plan's artifacts reads them again. At thousands of services
each build costs a noticeable share of a second, so an adapter's build step remembers the
blueprint it saw last and its result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from usm_config.blueprint.model import Blueprint

T = TypeVar("T")

#: What every build step remembers, so that :func:`forget_builds` can let it go.
_REMEMBERED: list[list[Any]] = []


def built_once(build: Callable[[Blueprint], T]) -> Callable[[Blueprint], T]:
    """``build`` that answers a second call for the very same blueprint object (blueprints
    are frozen) with the first call's result; any other blueprint replaces it.

    The result is shared by those calls: read it, do not add to it.
    """
    last: list[tuple[Blueprint, T]] = []
    _REMEMBERED.append(last)

    @functools.wraps(build)
    def remembered(bp: Blueprint) -> T:
        if last and last[0][0] is bp:
            return last[0][1]
        result = build(bp)
        last[:] = [(bp, result)]
        return result

    return remembered


def forget_builds() -> None:
    """Let go of every remembered build: for a caller that holds on to its blueprint but needs
    no adapter's records of it again (the catalogue, once it has counted them)."""
    for last in _REMEMBERED:
        last.clear()
