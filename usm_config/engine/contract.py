"""What the engine calls on an adapter: the I/O half of the adapter contract.

The engine reads, finds and writes records through these protocols and nothing else, so it
never depends on :mod:`usm_config.adapter` (which adds the blueprint-facing half: ``name``,
``compile`` and the optional capabilities, and re-exports everything here).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from usm_config.engine.records import KindSpec, Record, ref_target
from usm_config.http import HttpClient


@runtime_checkable
class RecordIO(Protocol):
    """Reading and writing records of the kinds an adapter declares."""

    kinds: Mapping[str, KindSpec]

    async def read(self, client: HttpClient, kinds: Sequence[str]) -> list[Record]:
        """Read every record of ``kinds`` (whole collections, paged, owned fields only).

        Reference fields hold the tool's raw ids (a list of ids for a field that holds several
        references); the engine turns them into references.
        """
        ...

    async def find(self, client: HttpClient, kind: str, key: tuple[str, ...]) -> list[Record]:
        """Read the records of ``kind`` whose natural key may be ``key`` (after an uncertain
        write). Extra candidates are fine: the engine keeps those whose key really matches."""
        ...

    async def create(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        """Create one record. All-or-nothing: if it raises, the record must not exist,
        unless the HTTP layer raised ``UncertainWriteError``."""
        ...

    async def update(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        """Write ``fields`` (changed owned fields only) to an existing record; returns it as
        stored. A ``target_id`` other than the one written to is its id from now on (a tool
        whose ids hold a reference the update changed); the lock file follows it."""
        ...

    async def delete(self, client: HttpClient, kind: str, target_id: str) -> None:
        """Delete a record. If it raises, the record is assumed to still exist."""
        ...


@dataclass(frozen=True)
class Write:
    """One write of a batch: ``action`` is ``create``, ``update`` or ``delete``."""

    action: str
    kind: str
    fields: Mapping[str, Any]
    target_id: str | None = None


@dataclass(frozen=True)
class WriteOutcome:
    """What became of one write of a batch.

    ``target_id`` is set when the write succeeded. Otherwise ``error`` says why; ``retryable``
    marks writes that were not carried out (rate limited, not serviced) and may be sent again;
    ``uncertain`` marks writes that may or may not have been carried out (their answer could
    not be read), which the engine looks up by key before it sends them again.
    """

    target_id: str | None = None
    error: str = ""
    retryable: bool = False
    uncertain: bool = False


@runtime_checkable
class SupportsBatchWrites(Protocol):
    """An adapter that can send many writes in one request (e.g. ServiceNow's Batch API, or
    Jira's create of several statuses or of several options of one field context)."""

    #: Most writes in one request.
    batch_size: int

    def batch_key(self, action: str, kind: str, fields: Mapping[str, Any]) -> Hashable | None:
        """Which writes may share a request: those of one level with equal keys; ``None`` for
        a write that goes alone (through ``create``, ``update`` or ``delete``). ``action`` is
        a :class:`Write`'s; ``fields`` are the change's, references not yet resolved (see
        :func:`~usm_config.engine.records.ref_target`)."""
        ...

    async def write_batch(self, client: HttpClient, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Send ``writes`` (of one key, see :meth:`batch_key`) together; one outcome per
        write, in order.

        Raises ``UncertainWriteError`` when the answer was lost: then any write may or may not
        have been carried out, and the engine checks each one.
        """
        ...


@dataclass(frozen=True)
class ReadScope:
    """What a plan needs of each kind: the natural keys of the blueprint's records, of the
    records they refer to and of the records the lock file manages, and the tool ids of the
    latter. A record dropped from the blueprint is pruned, one renamed in the tool is matched
    by its id, and one gone from the tool is drift: each must be read if it is there."""

    keys: Mapping[str, Set[tuple[str, ...]]]
    ids: Mapping[str, Set[str]]

    @classmethod
    def of(
        cls,
        desired: Iterable[Record],
        managed: Iterable[tuple[str, tuple[str, ...], str]],
        kinds: Mapping[str, KindSpec],
    ) -> ReadScope:
        """The scope of a plan: the keys of the ``desired`` records and of the records they
        refer to (a reference is written as the id of the record read under that key), and
        the kind, key and tool id of each ``managed`` record (the lock file's)."""
        keys: dict[str, set[tuple[str, ...]]] = {}
        ids: dict[str, set[str]] = {}
        names = {kind: tuple(spec.references) for kind, spec in kinds.items()}
        # Records share reference values (50,000 records of 5,000 services hold 60,000
        # references in 25,000 objects): each object is looked at once.
        seen: set[int] = set()
        for record in desired:
            keys.setdefault(record.kind, set()).add(record.key)
            fields = record.fields
            for name in names[record.kind]:
                value = fields.get(name)
                for item in value if type(value) is list else (value,):
                    if id(item) not in seen:
                        seen.add(id(item))
                        target = ref_target(item)
                        if target is not None:
                            keys.setdefault(target[0], set()).add(target[1])
        for kind, key, target_id in managed:
            keys.setdefault(kind, set()).add(key)
            ids.setdefault(kind, set()).add(target_id)
        return cls(keys, ids)

    def keys_of(self, kind: str) -> Set[tuple[str, ...]]:
        """The keys wanted of ``kind``."""
        return self.keys.get(kind, frozenset())

    def ids_of(self, kind: str) -> Set[str]:
        """The tool ids of the managed records of ``kind``."""
        return self.ids.get(kind, frozenset())


@runtime_checkable
class SupportsScopedRead(Protocol):
    """An adapter with a kind it should not read whole for a plan: one the tool lists only
    item by item (TOPdesk's SLA services, a request per service once the tenant has 100), or
    a table that can hold far more than any blueprint touches (ServiceNow's dictionary and
    choices, and a production instance's companies, groups, offerings and articles)."""

    async def read_for(
        self, client: HttpClient, kinds: Sequence[str], scope: ReadScope
    ) -> list[Record]:
        """What :meth:`RecordIO.read` reads, except that such a kind is read only as far as
        ``scope`` reaches (a superset is fine: the engine matches keys). A plan reads this
        way; an export or an assessment, which want everything, calls ``read``."""
        ...


__all__ = [
    "ReadScope",
    "RecordIO",
    "SupportsBatchWrites",
    "SupportsScopedRead",
    "Write",
    "WriteOutcome",
]
