"""An adapter's writes as tables: per kind, the coroutine that creates, updates or deletes.

An adapter whose tool has a different call per object type (Jira, TOPdesk) keeps one table per
operation and hands them to :class:`WriteTables`, which does the rest of the engine's
``create``/``update``/``delete`` contract once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from usm_config.engine.records import Record
from usm_config.http import HttpClient

#: Creates a record from its fields; returns the tool's id.
Creator = Callable[[HttpClient, dict[str, Any]], Awaitable[str]]
#: Writes changed fields of the record with the given id; returns its new id where the write
#: gives it one (a tool whose ids hold a reference), else None.
Updater = Callable[[HttpClient, str, dict[str, Any]], Awaitable[str | None]]
#: Deletes (or archives) the record with the given id.
Deleter = Callable[[HttpClient, str], Awaitable[None]]


@dataclass(frozen=True)
class WriteTables:
    """The create, update and delete coroutines of every kind an adapter writes."""

    create: Mapping[str, Creator]
    update: Mapping[str, Updater]
    delete: Mapping[str, Deleter]

    async def create_record(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        """Create one record; the engine computes its key."""
        target_id = await self.create[kind](client, fields)
        return Record(kind=kind, key=(), fields=dict(fields), target_id=target_id)

    async def update_record(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        """Write the changed fields of one record; the record returned has its id after the
        write."""
        moved = await self.update[kind](client, target_id, fields)
        return Record(kind=kind, key=(), fields=dict(fields), target_id=moved or target_id)

    async def delete_record(self, client: HttpClient, kind: str, target_id: str) -> None:
        """Delete one record (what that means is the table's: TOPdesk archives)."""
        await self.delete[kind](client, target_id)
