"""An in-memory tool and adapter for engine tests.

Groups; items, which point at one group (``group``) and at a list of groups (``watchers``);
and flows, which the API cannot write (manual steps).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import JsonValue

from usm_config.adapter import Write, WriteOutcome
from usm_config.blueprint.model import Blueprint
from usm_config.engine.records import Desired, KindSpec, Record, kind_table, ref
from usm_config.http import HttpClient, HttpStatusError, NotFoundError, UncertainWriteError

KINDS: dict[str, KindSpec] = {
    "group": KindSpec("group", "group", ("name",), ("name", "email")),
    "item": KindSpec(
        "item",
        "item",
        ("name",),
        ("name", "group", "order", "watchers"),
        references={"group": "group", "watchers": "group"},
    ),
    "flow": KindSpec(
        "flow", "flow", ("name",), ("name",), operations=frozenset(), manual_hint="build it"
    ),
    # A folder may sit in another folder: a kind that refers to itself.
    "folder": KindSpec(
        "folder", "folder", ("name",), ("name", "parent"), references={"parent": "folder"}
    ),
}
#: Fields holding a list; an unset one reads as an empty list.
LIST_FIELDS = frozenset({"watchers"})


def group(name: str, email: str = "", uid: str | None = None) -> Record:
    """A desired group."""
    return Record(kind="group", key=(name,), fields={"name": name, "email": email}, uid=uid)


def item(
    name: str,
    group_name: str,
    order: str = "1",
    uid: str | None = None,
    watchers: Iterable[str] = (),
) -> Record:
    """A desired item pointing at a group, and at the groups named in ``watchers``."""
    fields: dict[str, JsonValue] = {
        "name": name,
        "group": ref("group", (group_name,)),
        "order": order,
        "watchers": [ref("group", (watcher,)) for watcher in watchers],
    }
    return Record(kind="item", key=(name,), fields=fields, uid=uid)


def folder(name: str, parent: str | None = None, uid: str | None = None) -> Record:
    """A desired folder, in the folder ``parent`` when given."""
    fields: dict[str, JsonValue] = {
        "name": name,
        "parent": ref("folder", (parent,)) if parent else "",
    }
    return Record(kind="folder", key=(name,), fields=fields, uid=uid)


class MemoryTool:
    """The tool's storage: table → id → row, with optional lost responses."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
        self._ids = itertools.count(1)
        self.lose_next_create_responses = 0
        self.unwritten_on_lost_create: tuple[str, ...] = ()
        """Fields a create whose response is lost leaves unwritten: the tool made the record,
        the steps that write these after it never ran."""
        self.missed_by_listings: set[str] = set()
        """Ids a listing leaves out (a row skipped by a list that shifted while it was read)
        though a look-up by key finds them."""
        self.unreadable_create_answers: list[bool] = []
        """Answers of the next creates that are JSON of another shape than documented: each
        says whether the tool made the record all the same."""
        self.writes = 0

    def insert(self, kind: str, row: Mapping[str, Any]) -> str:
        """Store a row directly (the 'live state' of a test)."""
        target_id = f"{kind}-{next(self._ids):04d}"
        self.tables[kind][target_id] = dict(row)
        return target_id

    def check_references(self, kind: str, fields: Mapping[str, Any]) -> None:
        """Refuse a write whose reference fields hold anything but ids of existing records."""
        for name, target_kind in KINDS[kind].references.items():
            if name not in fields:
                continue
            value = fields[name]
            for target_id in value if isinstance(value, list) else [value]:
                if target_id == "":
                    continue  # no reference: a folder at the top
                if not isinstance(target_id, str) or target_id not in self.tables[target_kind]:
                    raise ValueError(f"{kind}.{name}: {target_id!r} is no {target_kind} id")


def parse_created(answer: Any) -> Record:
    """What an adapter's parser does with an answer that lacks the documented ``id``."""
    return Record(kind="group", key=(), fields={}, target_id=str(answer["id"]))


class MemoryAdapter:
    """Implements the adapter contract on a :class:`MemoryTool`."""

    name = "memory"
    description = "in-memory test tool"
    kinds: Mapping[str, KindSpec] = KINDS

    def __init__(self, tool: MemoryTool, desired: Sequence[Record] = ()) -> None:
        self.tool = tool
        self.desired = tuple(desired)

    def compile(self, blueprint: Blueprint) -> Desired:
        return Desired(self.desired)

    def _record(self, kind: str, target_id: str) -> Record:
        row = self.tool.tables[kind][target_id]
        fields = {f: row.get(f, [] if f in LIST_FIELDS else "") for f in KINDS[kind].owned_fields}
        return Record(kind=kind, key=(), fields=fields, target_id=target_id)

    async def read(self, client: HttpClient, kinds: Sequence[str]) -> list[Record]:
        return [
            self._record(k, i)
            for k in kinds
            for i in sorted(self.tool.tables[k])
            if i not in self.tool.missed_by_listings
        ]

    async def find(self, client: HttpClient, kind: str, key: tuple[str, ...]) -> list[Record]:
        return [
            self._record(kind, i)
            for i, row in sorted(self.tool.tables[kind].items())
            if row.get("name") == key[0]
        ]

    async def create(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        self.tool.writes += 1
        self.tool.check_references(kind, fields)
        if self.tool.lose_next_create_responses:
            self.tool.lose_next_create_responses -= 1
            lost = self.tool.unwritten_on_lost_create
            self.tool.insert(kind, {k: v for k, v in fields.items() if k not in lost})
            raise UncertainWriteError("POST", f"/{kind}", RuntimeError("connection dropped"))
        if self.tool.unreadable_create_answers:
            if self.tool.unreadable_create_answers.pop(0):
                self.tool.insert(kind, fields)
            return parse_created({"result": 7})
        target_id = self.tool.insert(kind, fields)
        return self._record(kind, target_id)

    async def update(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        self.tool.writes += 1
        if target_id not in self.tool.tables[kind]:
            raise NotFoundError(404, "PATCH", f"/{kind}/{target_id}", "")
        self.tool.check_references(kind, fields)
        self.tool.tables[kind][target_id].update(fields)
        return self._record(kind, target_id)

    async def delete(self, client: HttpClient, kind: str, target_id: str) -> None:
        self.tool.writes += 1
        if self.tool.tables[kind].pop(target_id, None) is None:
            raise NotFoundError(404, "DELETE", f"/{kind}/{target_id}", "")


class BatchMemoryAdapter(MemoryAdapter):
    """The memory adapter with batch writes, and knobs to lose or refuse batches."""

    batch_size = 3

    def __init__(self, tool: MemoryTool, desired: Sequence[Record] = ()) -> None:
        super().__init__(tool, desired)
        self.batches = 0
        self.lose_next_batches = 0
        self.throttle_every_other = False
        self.reject_names: set[str] = set()
        self.unsettled_every_other = False
        """Every other write is carried out, but its outcome is uncertain (an answer that
        does not say)."""

    def batch_key(self, action: str, kind: str, fields: Mapping[str, Any]) -> Hashable | None:
        return "batch"

    async def write_batch(self, client: HttpClient, writes: Sequence[Write]) -> list[WriteOutcome]:
        self.batches += 1
        outcomes = []
        for index, write in enumerate(writes):
            if self.throttle_every_other and index % 2:
                outcomes.append(WriteOutcome(error="HTTP 429", retryable=True))
                continue
            self.tool.check_references(write.kind, write.fields)
            if write.fields.get("name") in self.reject_names:
                outcomes.append(WriteOutcome(error="HTTP 403: ACL Exception"))
                continue
            if write.action == "create":
                made = self.tool.insert(write.kind, write.fields)
                if self.unsettled_every_other and index % 2:
                    outcomes.append(WriteOutcome(error="the answer does not say", uncertain=True))
                    continue
                outcomes.append(WriteOutcome(target_id=made))
            elif write.action == "update":
                assert write.target_id is not None
                self.tool.tables[write.kind][write.target_id].update(write.fields)
                outcomes.append(WriteOutcome(target_id=write.target_id))
            else:
                assert write.target_id is not None
                self.tool.tables[write.kind].pop(write.target_id, None)
                outcomes.append(WriteOutcome(target_id=write.target_id))
        if self.lose_next_batches:
            self.lose_next_batches -= 1
            raise UncertainWriteError("POST", "/batch", RuntimeError("connection dropped"))
        return outcomes


class CaselessAdapter(MemoryAdapter):
    """The memory tool naming groups without regard to case, as Jira does: it refuses a group
    whose name another group has in any case, and finds groups by name in any case."""

    kinds: Mapping[str, KindSpec] = kind_table(KINDS.values(), keys_ignore_case={"group"})

    def _refuse_taken(self, kind: str, fields: Mapping[str, Any], own: str | None) -> None:
        name = fields.get("name")
        if kind != "group" or not isinstance(name, str):
            return
        for target_id, row in self.tool.tables[kind].items():
            if target_id != own and str(row.get("name", "")).casefold() == name.casefold():
                raise HttpStatusError(400, "POST", f"/{kind}", "A group with that name exists.")

    async def find(self, client: HttpClient, kind: str, key: tuple[str, ...]) -> list[Record]:
        return [
            self._record(kind, i)
            for i, row in sorted(self.tool.tables[kind].items())
            if str(row.get("name", "")).casefold() == key[0].casefold()
        ]

    async def create(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        self._refuse_taken(kind, fields, None)
        return await super().create(client, kind, fields)

    async def update(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        self._refuse_taken(kind, fields, target_id)
        return await super().update(client, kind, target_id, fields)
