"""The journal forces every entry to disk, and a batch's entries together with one sync."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from usm_config.engine.journal import Journal


def test_entries_are_synced_one_by_one_or_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (syncs.append(fd), real(fd))[1])
    path = tmp_path / "j.jsonl"
    with Journal(path, target="t", adapter="a") as journal:
        start = len(syncs)
        journal.write(event="done", change="c0", target_id="0")
        assert len(syncs) == start + 1
        with journal.together():
            for i in range(1, 4):
                journal.write(event="done", change=f"c{i}", target_id=str(i))
            assert len(syncs) == start + 1, "nothing is synced before the batch is complete"
        assert len(syncs) == start + 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if '"done"' in line][-1].count('"c3"') == 1
