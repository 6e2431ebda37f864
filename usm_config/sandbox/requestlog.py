"""A thread-safe record of the requests an emulator answered, for tests and benchmarks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, NamedTuple


class LoggedRequest(NamedTuple):
    """One request as the emulator saw it.

    ``status`` is the status the client was sent (or, for a dropped response, the status the
    app produced before the response was lost). ``injected_fault`` names the fault knob that
    fired (``"rate_429"``, ``"rate_5xx"``, ``"drop_after_commit"``) or is ``None``.
    """

    method: str
    path: str
    query: dict[str, str]
    status: int
    injected_fault: str | None = None


class RequestLog:
    """Append-only list of :class:`LoggedRequest`, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def record(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        status: int,
        injected_fault: str | None = None,
    ) -> None:
        """Record one request from its parts."""
        self.append(LoggedRequest(method, path, query, status, injected_fault))

    def entries(self) -> list[LoggedRequest]:
        """A copy of every entry so far, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def count(
        self,
        *,
        method: str | None = None,
        path_prefix: str = "",
        status: int | None = None,
        injected_fault: str | None = None,
    ) -> int:
        """Number of entries matching every given criterion."""
        return sum(
            1
            for entry in self.entries()
            if (method is None or entry.method == method.upper())
            and entry.path.startswith(path_prefix)
            and (status is None or entry.status == status)
            and (injected_fault is None or entry.injected_fault == injected_fault)
        )

    def to_json(self) -> list[dict[str, Any]]:
        """The entries as JSON-ready dicts."""
        return [entry._asdict() for entry in self.entries()]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.entries())
