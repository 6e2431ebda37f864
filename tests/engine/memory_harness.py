"""Plan and apply desired records against the in-memory tool, as the runner would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from memory_tool import MemoryAdapter, MemoryTool

from usm_config.engine.apply import (
    Applier,
    ApplyResult,
)
from usm_config.engine.diff import DiffResult, compute_changes
from usm_config.engine.interrupt import StopRequest
from usm_config.engine.journal import Journal, recover
from usm_config.engine.lock import Lock
from usm_config.engine.plan import Change
from usm_config.engine.records import Record
from usm_config.engine.references import resolve_live_references
from usm_config.http import HttpClient


class Harness:
    """Plans and applies desired records to a :class:`MemoryTool`."""

    def __init__(self, folder: Path, adapter_class: type[MemoryAdapter] = MemoryAdapter) -> None:
        self.tool = MemoryTool()
        self.adapter = adapter_class(self.tool)
        self.folder = folder
        self.lock_path = folder / "test.lock.json"
        self.journal_path = folder / "test.journal.jsonl"

    def live(self) -> list[Record]:
        adapter, kinds = MemoryAdapter(self.tool), self.adapter.kinds
        raw = asyncio.run(adapter.read(HttpClient("http://memory.invalid"), list(kinds)))
        return resolve_live_references(raw, kinds)

    def lock(self) -> Lock:
        lock = Lock.load(self.lock_path, "test", "memory")
        recover(self.journal_path, lock)
        return lock

    def plan(self, desired: Sequence[Record], *, prune: bool = False) -> DiffResult:
        return compute_changes(desired, self.live(), self.adapter.kinds, self.lock(), prune=prune)

    def apply(
        self,
        desired: Sequence[Record],
        *,
        prune: bool = False,
        stop: StopRequest | None = None,
        on_progress: Callable[[Change], None] | None = None,
        parallelism: int = 3,
    ) -> ApplyResult:
        plan = self.plan(desired, prune=prune)
        lock = self.lock()
        live = self.live()
        adapter = self.adapter

        async def run() -> ApplyResult:
            async with HttpClient("http://memory.invalid") as client:
                with Journal(self.journal_path, target="test", adapter="memory") as journal:
                    applier = Applier(
                        adapter,
                        client,
                        lock,
                        journal,
                        live,
                        parallelism=parallelism,
                        stop=stop,
                        on_progress=on_progress,
                    )
                    result = await applier.run(plan.changes)
                    lock.save()
                    journal.clear()
                    return result

        return asyncio.run(run())
