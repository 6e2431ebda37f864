"""Stopping an apply cleanly on SIGINT (Ctrl-C) or SIGTERM.

The first signal asks the apply to stop: no write starts after it, the writes in flight finish
and are journaled, the lock file is saved, and the command exits 128 + the signal's number
(130 for SIGINT, 143 for SIGTERM). The next apply plans from what was written and resumes. A
second signal stops at once, the way the signal does by default; the journal still makes that
safe to resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Whether an apply was asked to stop, and by which signal."""

    def __init__(self, on_request: Callable[[int], None] | None = None) -> None:
        self.signal: int | None = None
        self._on_request = on_request

    @property
    def requested(self) -> bool:
        """True once a stop was asked for."""
        return self.signal is not None

    @property
    def exit_code(self) -> int:
        """The exit code of a process ended by the signal: 128 + its number."""
        return 128 + (self.signal or 0)

    def request(self, signum: int) -> None:
        """Ask the apply to stop (as signal ``signum`` does)."""
        if self.signal is None:
            self.signal = signum
            if self._on_request is not None:
                self._on_request(signum)

    @contextlib.contextmanager
    def on_signals(self) -> Iterator[None]:
        """While the block runs in the event loop, SIGINT and SIGTERM ask to stop."""
        loop = asyncio.get_running_loop()
        installed: list[int] = []

        def received(signum: int) -> None:
            if not self.requested:
                self.request(signum)
                return
            for other in installed:  # a second signal: its default action, now
                loop.remove_signal_handler(other)
            installed.clear()
            signal.raise_signal(signum)

        for sig in STOP_SIGNALS:
            try:
                loop.add_signal_handler(sig, received, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread, or no signals here: the default stays
            installed.append(sig)
        try:
            yield
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
