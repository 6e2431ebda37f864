"""Batch writes: whole batches, lost batches, throttled and refused items."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from memory_harness import Harness
from memory_tool import BatchMemoryAdapter, MemoryTool, group, item

from usm_config.adapter import Write, WriteOutcome
from usm_config.engine.records import Record
from usm_config.http import HttpClient
from usm_config.write_tables import CreateTogether, WriteTables

DESIRED = [group(f"g{i}", uid=f"g:{i}") for i in range(7)] + [
    item(f"i{i}", f"g{i}", uid=f"i:{i}") for i in range(7)
]


def batch_harness(tmp_path: Path) -> tuple[Harness, BatchMemoryAdapter]:
    harness = Harness(tmp_path, BatchMemoryAdapter)
    assert isinstance(harness.adapter, BatchMemoryAdapter)
    return harness, harness.adapter


def test_levels_go_in_batches(tmp_path: Path) -> None:
    """14 creates in two levels of 7 take two batches each (batch size 3) and the write left
    over goes alone, and converge."""
    harness, adapter = batch_harness(tmp_path)
    result = harness.apply(DESIRED)
    assert not result.failed
    assert adapter.batches == 4
    assert len(result.done) == 14
    assert harness.plan(DESIRED).changes == ()


def test_lost_batch_is_settled_record_by_record_without_duplicates(tmp_path: Path) -> None:
    """A batch whose answer is lost was carried out: its records are found, not re-created."""
    harness, adapter = batch_harness(tmp_path)
    adapter.lose_next_batches = 2
    result = harness.apply(DESIRED)
    assert not result.failed
    assert result.recovered_creates == 6
    assert len(harness.tool.tables["group"]) == 7
    assert len(harness.tool.tables["item"]) == 7
    assert harness.plan(DESIRED).changes == ()


def test_throttled_items_are_sent_again_on_their_own(tmp_path: Path) -> None:
    """Items a batch did not carry out (429) are retried individually."""
    harness, adapter = batch_harness(tmp_path)
    adapter.throttle_every_other = True
    result = harness.apply(DESIRED)
    assert not result.failed
    assert harness.plan(DESIRED).changes == ()


def test_items_whose_outcome_is_uncertain_are_looked_up_not_created_again(
    tmp_path: Path,
) -> None:
    """Writes a batch's answer does not settle may have been carried out: each is found by
    its key, never sent again blindly."""
    harness, adapter = batch_harness(tmp_path)
    adapter.unsettled_every_other = True
    result = harness.apply(DESIRED)
    assert not result.failed
    assert result.recovered_creates == 4
    assert len(harness.tool.tables["group"]) == 7
    assert len(harness.tool.tables["item"]) == 7
    assert harness.plan(DESIRED).changes == ()


def test_records_a_listing_missed_are_looked_up_outside_the_batches(tmp_path: Path) -> None:
    """Managed records a listing missed are looked up by key one by one, not created blind
    in a batch."""
    harness, _ = batch_harness(tmp_path)
    harness.apply(DESIRED)
    missed = {i for i, row in harness.tool.tables["group"].items() if row["name"] in ("g1", "g5")}
    harness.tool.missed_by_listings = missed
    result = harness.apply(DESIRED)
    assert not result.failed
    assert result.recovered_creates == 2
    assert sorted(row["name"] for row in harness.tool.tables["group"].values()) == [
        f"g{i}" for i in range(7)
    ]
    harness.tool.missed_by_listings = set()
    assert harness.plan(DESIRED).changes == ()


def test_refused_item_fails_and_stops_before_the_next_level(tmp_path: Path) -> None:
    """A refused write is reported; later levels are not attempted."""
    harness, adapter = batch_harness(tmp_path)
    adapter.reject_names = {"g3"}
    result = harness.apply(DESIRED)
    assert [c.key for c, _ in result.failed] == [("g3",)]
    assert "ACL Exception" in result.failed[0][1]
    assert harness.tool.tables["item"] == {}
    adapter.reject_names = set()
    assert not harness.apply(DESIRED).failed
    assert harness.plan(DESIRED).changes == ()


class SlowBatches(BatchMemoryAdapter):
    """Batches that take a while to answer, with how many are being sent at once."""

    def __init__(self, tool: MemoryTool, desired: Sequence[Record] = ()) -> None:
        super().__init__(tool, desired)
        self.sending = 0
        self.most_sending = 0

    async def write_batch(self, client: HttpClient, writes: Sequence[Write]) -> list[WriteOutcome]:
        self.sending += 1
        self.most_sending = max(self.most_sending, self.sending)
        try:
            await asyncio.sleep(0.1)
            return await super().write_batch(client, writes)
        finally:
            self.sending -= 1


def test_a_batch_is_journaled_while_another_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fsync of one batch's intents runs while another batch is being sent, so a request
    slot never waits for the disk; no more batches are sent at once than the parallelism."""
    harness = Harness(tmp_path, SlowBatches)
    adapter = harness.adapter
    assert isinstance(adapter, SlowBatches)
    sending_at_fsync: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        sending_at_fsync.append(adapter.sending)
        time.sleep(0.03)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    # Levels of three whole batches (batch size 3): no write goes alone.
    desired = [group(f"g{i}", uid=f"g:{i}") for i in range(9)] + [
        item(f"i{i}", f"g{i}", uid=f"i:{i}") for i in range(9)
    ]
    result = harness.apply(desired, parallelism=1)
    monkeypatch.undo()

    assert not result.failed and adapter.batches == 6
    assert adapter.most_sending == 1
    assert any(sending_at_fsync), sending_at_fsync
    assert harness.plan(desired).changes == ()


class KeyedBatches(BatchMemoryAdapter):
    """Batches only of creates, and only of groups with the same e-mail address, as Jira
    creates the options of one field context together; the writes of each batch kept."""

    def __init__(self, tool: MemoryTool, desired: Sequence[Record] = ()) -> None:
        super().__init__(tool, desired)
        self.sent: list[list[Write]] = []
        self.alone: list[tuple[str, str]] = []

    def batch_key(self, action: str, kind: str, fields: Mapping[str, Any]) -> Hashable | None:
        return (kind, fields["email"]) if action == "create" and kind == "group" else None

    async def write_batch(self, client: HttpClient, writes: Sequence[Write]) -> list[WriteOutcome]:
        self.sent.append(list(writes))
        return await super().write_batch(client, writes)

    async def create(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        self.alone.append(("create", kind))
        return await super().create(client, kind, fields)

    async def update(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        self.alone.append(("update", kind))
        return await super().update(client, kind, target_id, fields)


def test_only_writes_of_one_batch_key_share_a_request(tmp_path: Path) -> None:
    """Creates share a request only with creates of the same key, at most a batch size of
    them; a key's last single write and every write without a key go alone."""
    harness = Harness(tmp_path, KeyedBatches)
    adapter = harness.adapter
    assert isinstance(adapter, KeyedBatches)
    # Four groups of address a, two of b, one of c; the items have no key.
    addresses = "aabaabc"
    desired = [group(f"g{i}", email, uid=f"g:{i}") for i, email in enumerate(addresses)] + DESIRED[
        7:
    ]

    result = harness.apply(desired)

    assert not result.failed
    assert [[w.fields["email"] for w in batch] for batch in adapter.sent] == [
        ["a", "a", "a"],
        ["b", "b"],
    ]
    assert adapter.alone == [("create", "group")] * 2 + [("create", "item")] * 7
    assert harness.plan(desired).changes == ()

    # Updates go alone, even of records whose creates shared a request.
    adapter.sent.clear()
    adapter.alone.clear()
    changed = [group(f"g{i}", "z", uid=f"g:{i}") for i in range(7)] + DESIRED[7:]
    assert not harness.apply(changed).failed
    assert adapter.sent == [] and adapter.alone == [("update", "group")] * 7


def test_creates_together_that_answer_too_few_ids_are_each_looked_up() -> None:
    """A creator of several records that answers a list of another length cannot say which
    id is whose: every create is left to be looked up, none is taken as settled."""

    async def two_ids(client: HttpClient, many: list[dict[str, Any]]) -> list[str | None]:
        del client, many
        return ["1", "2"]

    tables = WriteTables({}, {}, {}, {"group": CreateTogether(lambda fields: "all", two_ids)})
    writes = [Write("create", "group", {"name": n}) for n in ("a", "b", "c")]
    outcomes = asyncio.run(tables.write_batch(HttpClient("https://tool.test"), writes))
    assert [(o.target_id, o.uncertain) for o in outcomes] == [(None, True)] * 3
