"""The journal hands every entry to the operating system at once and forces entries to disk
when asked, off the event loop, with one fsync for all the writes waiting at that moment."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from usm_config.engine.journal import Journal


class Syncs:
    """A stand-in for ``os.fsync`` that records, per call, the thread and how many lines of
    the journal were in the file, and takes ``seconds`` like a slow disk."""

    def __init__(self, path: Path, seconds: float = 0.0) -> None:
        self.path = path
        self.seconds = seconds
        self.lines: list[int] = []
        self.threads: list[int] = []
        self._real = os.fsync

    def __call__(self, fd: int) -> None:
        self.threads.append(threading.get_ident())
        self.lines.append(len(self.path.read_text(encoding="utf-8").splitlines()))
        time.sleep(self.seconds)
        self._real(fd)


@pytest.fixture
def syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Syncs:
    recorder = Syncs(tmp_path / "j.jsonl", seconds=0.05)
    monkeypatch.setattr(os, "fsync", recorder)
    return recorder


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_entries_reach_the_file_at_once_or_at_the_end_of_a_batch(syncs: Syncs) -> None:
    with Journal(syncs.path, target="t", adapter="a") as journal:
        assert syncs.lines == [1], "the start line is synced when the journal is created"
        journal.write(event="done", change="c0", target_id="0")
        assert len(_lines(syncs.path)) == 2, "a killed process loses no line written"
        with journal.together():
            for i in range(1, 4):
                journal.write(event="done", change=f"c{i}", target_id=str(i))
            assert len(_lines(syncs.path)) == 2, "a batch's lines are handed over together"
        assert len(_lines(syncs.path)) == 5
        assert syncs.lines == [1], "writing alone forces nothing to disk"
    assert syncs.lines == [1, 5], "closing the journal forces the rest to disk"


def test_waiting_writes_share_one_sync_run_off_the_event_loop(syncs: Syncs) -> None:
    async def scenario() -> list[int]:
        with Journal(syncs.path, target="t", adapter="a") as journal:
            first = len(syncs.lines)

            async def begin(name: str, late: bool = False) -> int:
                # A late write waits until the first sync has counted the file's lines.
                while late and len(syncs.lines) == first:
                    await asyncio.sleep(0.001)
                journal.write(event="begin", change=name)
                await journal.durable()
                # What the disk holds when the caller may send its write:
                return syncs.lines[-1]

            on_disk = await asyncio.gather(
                *(begin(f"c{i}") for i in range(5)),
                begin("late", late=True),  # written while the first sync is running
            )
            assert syncs.lines[first:] == [6, 7], "five waiters share the first fsync"
            assert threading.get_ident() not in syncs.threads[first:]
            await journal.durable()  # nothing new: no sync
            assert len(syncs.lines) == first + 2
            return list(on_disk)

    on_disk = asyncio.run(scenario())
    assert on_disk == [6, 6, 6, 6, 6, 7], "nobody returns before its own line is synced"
