"""An adapter's writes as tables: per kind, the coroutine that creates, updates or deletes.

An adapter whose tool has a different call per object type (Jira, TOPdesk) keeps one table per
operation and hands them to :class:`WriteTables`, which does the rest of the engine's
``create``/``update``/``delete`` contract once. Kinds whose creates one request can carry
several of (Jira's statuses, the options of one field context) add a :class:`CreateTogether`
each; the adapter then passes the engine's batch calls (``batch_key``, ``write_batch``, see
:class:`~usm_config.engine.contract.SupportsBatchWrites`) on to the tables.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from usm_config.engine.contract import Write, WriteOutcome
from usm_config.engine.records import Record
from usm_config.http import HttpClient, answer_id

log = logging.getLogger(__name__)

#: Creates a record from its fields; returns the tool's id.
Creator = Callable[[HttpClient, dict[str, Any]], Awaitable[str]]
#: Writes changed fields of the record with the given id; returns its new id where the write
#: gives it one (a tool whose ids hold a reference), else None.
Updater = Callable[[HttpClient, str, dict[str, Any]], Awaitable[str | None]]
#: Deletes (or archives) the record with the given id.
Deleter = Callable[[HttpClient, str], Awaitable[None]]


#: Creates several records of one kind in one request; returns the tool's id of each, in the
#: order given, or None for one the answer does not name.
GroupCreator = Callable[[HttpClient, list[dict[str, Any]]], Awaitable[list[str | None]]]


@dataclass(frozen=True)
class CreateTogether:
    """How one request creates several records of a kind: those whose ``group`` is equal (of
    a change's fields, references unresolved) share a request, which ``create`` sends, at
    most ``most`` records to a request (the tool's limit; None: the engine's batch size)."""

    group: Callable[[Mapping[str, Any]], Hashable]
    create: GroupCreator
    most: int | None = None


@dataclass(frozen=True)
class WriteTables:
    """The create, update and delete coroutines of every kind an adapter writes, and the
    kinds whose creates share requests (:attr:`together`, which also creates them one at a
    time: such a kind needs no entry in :attr:`create`)."""

    create: Mapping[str, Creator]
    update: Mapping[str, Updater]
    delete: Mapping[str, Deleter]
    together: Mapping[str, CreateTogether] = field(default_factory=dict)

    def batch_key(self, action: str, kind: str, fields: Mapping[str, Any]) -> Hashable | None:
        """The creates of a kind of :attr:`together` share a request with those of their
        group; every other write goes alone."""
        together = self.together.get(kind)
        if action != "create" or together is None:
            return None
        return kind, together.group(fields)

    async def write_batch(self, client: HttpClient, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Send creates of one kind and group (one :meth:`batch_key`) in one request, or in
        as few as the kind's :attr:`CreateTogether.most` allows, one after another."""
        together = self.together[writes[0].kind]
        size = together.most or len(writes)
        outcomes: list[WriteOutcome] = []
        for start in range(0, len(writes), size):
            outcomes += await self._create_together(together, client, writes[start : start + size])
        return outcomes

    async def _create_together(
        self, together: CreateTogether, client: HttpClient, writes: Sequence[Write]
    ) -> list[WriteOutcome]:
        try:
            ids = await together.create(client, [dict(w.fields) for w in writes])
        except Exception as exc:
            # Refused (an HTTP error, Jira's workflow validation) or unanswered as a whole, yet
            # a tool may have made some of them first (Jira does not say its bulk creates are
            # all or nothing): each is looked up by its key and then sent alone, which also
            # gives each its own answer, and its own error.
            log.debug("%d creates of %s together: %s", len(writes), writes[0].kind, exc)
            return [WriteOutcome(error=str(exc), uncertain=True) for _ in writes]
        if len(ids) != len(writes):
            said = f"{len(ids)} ids for {len(writes)} creates"
            return [WriteOutcome(error=said, uncertain=True) for _ in writes]
        return [
            WriteOutcome(target_id=made)
            if made
            else WriteOutcome(error="the answer does not name it", uncertain=True)
            for made in ids
        ]

    async def create_record(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        """Create one record (of a kind of :attr:`together`, as a group of one); the engine
        computes its key."""
        together = self.together.get(kind)
        if together is None:
            target_id = await self.create[kind](client, fields)
        else:
            made = await together.create(client, [fields])
            # No id, or another number of them: answer_id's shape error, so the engine looks
            # the record up.
            target_id = answer_id({"id": made[0]} if len(made) == 1 else None, "id")
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
