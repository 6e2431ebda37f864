"""Progress on terminals only; silent in pipes and CI logs.

rich is imported only to draw: a command whose stderr is no terminal (a pipeline's) does not
load it, which saves a tenth of the command line's start-up.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from usm_config.http import RequestStats

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[Any], None]]:
    """Yield a callback that advances a bar by one; a no-op when stderr is not a terminal."""
    if not sys.stderr.isatty() or total < 2:
        yield lambda _item: None
        return
    from rich.console import Console  # noqa: PLC0415 (see the top)
    from rich.progress import (  # noqa: PLC0415 (see the top)
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda _item: progress.advance(task)


class _Requests:
    """``label: N requests sent, S s``, counted from when it was made, each time it is drawn."""

    def __init__(self, label: str, stats: RequestStats) -> None:
        self.label = label
        self.stats = stats
        self.first = stats.requests_sent
        self.started = time.monotonic()

    def __rich__(self) -> Text:
        from rich.text import Text  # noqa: PLC0415 (see the top)

        sent = self.stats.requests_sent - self.first
        seconds = time.monotonic() - self.started
        return Text(f"{self.label}: {sent:,} requests sent, {seconds:.0f} s")


@contextmanager
def request_status(
    label: str, stats: RequestStats, *, console: Console | None = None
) -> Iterator[None]:
    """While the block runs, show ``label`` with the requests sent since it began (a plan of
    thousands of services can read for a minute); on stderr when it is a terminal, else
    nothing. The line is gone once the block ends."""
    if console is None:
        if not sys.stderr.isatty():
            yield
            return
        from rich.console import Console  # noqa: PLC0415 (see the top)

        console = Console(stderr=True)
    with console.status(_Requests(label, stats)):
        yield
