"""A stop request (SIGINT, SIGTERM) ends an apply cleanly: no write starts after it, the
writes in flight finish and are journaled into the lock, and the next apply does the rest."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from memory_harness import Harness
from memory_tool import BatchMemoryAdapter, MemoryAdapter, group, item

from usm_config.engine.interrupt import StopRequest
from usm_config.engine.plan import Change

DESIRED = [group(f"g{i}", uid=f"g:{i}") for i in range(7)] + [
    item(f"i{i}", f"g{i}", uid=f"i:{i}") for i in range(7)
]


@pytest.mark.parametrize("adapter", [MemoryAdapter, BatchMemoryAdapter], ids=["single", "batch"])
def test_a_stop_after_the_first_write_lets_the_writes_in_flight_finish(
    tmp_path: Path, adapter: type[MemoryAdapter]
) -> None:
    harness = Harness(tmp_path, adapter)
    seen: list[str] = []
    stop = StopRequest(on_request=lambda signum: seen.append(signal.Signals(signum).name))

    def progress(change: Change) -> None:
        stop.request(signal.SIGTERM)

    result = harness.apply(DESIRED, stop=stop, on_progress=progress)

    assert result.stopped and not result.failed
    assert seen == ["SIGTERM"] and stop.exit_code == 143
    assert 0 < len(result.done) < len(DESIRED)
    assert harness.tool.tables["item"] == {}, "no write of the next level started"
    assert len(harness.lock().entries) == len(result.done), "what was done is in the lock"
    assert not harness.journal_path.exists()

    rest = harness.apply(DESIRED)

    assert not rest.stopped and len(rest.done) == len(DESIRED) - len(result.done)
    assert len(harness.tool.tables["group"]) == 7 and len(harness.tool.tables["item"]) == 7
    assert harness.plan(DESIRED).changes == ()


def test_a_stop_before_the_apply_writes_nothing(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    stop = StopRequest()
    stop.request(signal.SIGINT)

    result = harness.apply(DESIRED, stop=stop)

    assert result.stopped and result.done == [] and stop.exit_code == 130
    assert harness.tool.tables.get("group", {}) == {}
    assert len(harness.plan(DESIRED).changes) == len(DESIRED)


def test_only_the_first_signal_counts() -> None:
    stop = StopRequest()
    stop.request(signal.SIGINT)
    stop.request(signal.SIGTERM)
    assert stop.signal == signal.SIGINT and stop.exit_code == 130


def test_a_stop_leaves_a_batch_journaled_ahead_unsent(tmp_path: Path) -> None:
    """With one request at a time, the next batch is journaled while the first is sent; a stop
    then keeps it from being sent, the stopped apply leaves no journal, and the next apply
    writes it once."""
    harness = Harness(tmp_path, BatchMemoryAdapter)
    adapter = harness.adapter
    assert isinstance(adapter, BatchMemoryAdapter)
    stop = StopRequest()
    # Levels of whole batches (batch size 3): no write goes alone.
    desired = [r for r in DESIRED if r.key[0] not in ("g6", "i6")]

    result = harness.apply(
        desired, stop=stop, on_progress=lambda _: stop.request(signal.SIGINT), parallelism=1
    )

    assert result.stopped and adapter.batches == 1
    assert len(result.done) == adapter.batch_size == len(harness.tool.tables["group"])
    assert not harness.journal_path.exists()

    rest = harness.apply(desired)

    assert len(rest.done) == len(desired) - adapter.batch_size
    assert len(harness.tool.tables["group"]) == 6 and len(harness.tool.tables["item"]) == 6
    assert harness.plan(desired).changes == ()
