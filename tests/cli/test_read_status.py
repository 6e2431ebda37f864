"""While a read of the target runs, a terminal shows how many requests it has sent; pipes and
CI logs get nothing; log lines land above the status line, never through it."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.console import Console
from test_session import context  # noqa: F401  (the fixture)

from usm_config.http import RequestStats
from usm_config.render.progress import request_status
from usm_config.runner import Context, Session
from usm_config.testing import quick_sleep

REPO = Path(__file__).resolve().parents[2]
TARGETS = """\
targets:
  sandbox:
    adapter: servicenow
    url: "sandbox:"
    lock_dir: state
    sandbox: {latency_ms: 150}
"""


def test_the_status_counts_the_requests_sent_since_it_began() -> None:
    screen = io.StringIO()
    stats = RequestStats(requests_sent=7)
    console = Console(file=screen, force_terminal=True, width=100)
    with request_status("reading target 'prod'", stats, console=console):
        for _ in range(3):
            stats.requests_sent += 1200
            time.sleep(0.2)
    shown = screen.getvalue()
    assert "reading target 'prod': 1,200 requests sent" in shown
    assert "reading target 'prod': 3,600 requests sent" in shown
    assert "3,607" not in shown


def test_the_status_is_silent_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stats = RequestStats()
    with request_status("reading target 'prod'", stats):
        stats.requests_sent += 1
    assert capsys.readouterr() == ("", "")


def test_a_session_shows_the_status_around_each_read(context: Context) -> None:  # noqa: F811
    shown: list[tuple[str, int]] = []

    @contextmanager
    def status(label: str, stats: RequestStats) -> Iterator[None]:
        first = stats.requests_sent
        yield
        shown.append((label, stats.requests_sent - first))

    async def main() -> None:
        async with Session.open(context, sleep=quick_sleep, status=status) as session:
            outcome = await session.run()
        assert outcome.converged

    asyncio.run(main())
    # The plan's read and the re-plan's read, each counted while it ran.
    assert [label for label, _ in shown] == ["reading target 'session'"] * 2
    assert all(sent > 0 for _, sent in shown)


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")
def test_a_terminal_shows_the_status_and_log_lines_above_it(tmp_path: Path) -> None:
    """``usm-config -v plan`` with stderr on a pseudo-terminal: the status is drawn, each
    request's log line is whole (none written through the status line), and stdout, a pipe,
    has the plan alone."""
    shutil.copy(REPO / "blueprints" / "usm-reference.yaml", tmp_path / "reference.yaml")
    (tmp_path / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    controller, terminal = pty.openpty()
    command = [sys.executable, "-m", "usm_config.cli", "-v", "plan", "reference.yaml"]
    process = subprocess.Popen(
        [*command, "--target", "sandbox", "-o", "summary"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "120"},
    )
    os.close(terminal)
    screen = bytearray()
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal is closed once the process has exited
            break
        if not chunk:
            break
        screen += chunk
    out, _ = process.communicate(timeout=60)
    os.close(controller)
    assert process.returncode == 0, screen.decode(errors="replace")[-3000:]
    shown = screen.decode(errors="replace")
    assert re.search(r"reading target 'sandbox': \d+ requests sent, \d+ s", shown), shown[-3000:]
    assert "DEBUG usm_config.http" in shown
    assert not re.search(r"requests sent, \d+ s(DEBUG|INFO|WARNING)", shown), shown[-3000:]
    assert b"Plan: " in out and b"\x1b" not in out
