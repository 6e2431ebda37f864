"""The emulators' clocks. A test may inject any clock, naive or in any zone; a tool answers
its times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["in_utc"]


def in_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be in UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
