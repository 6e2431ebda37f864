"""References both ways: the tool's ids on the wire, natural keys in the engine.

Adapters stay thin: they read a reference field as the tool's id (or a list of ids, for a
field holding several references) and write whatever the engine hands them. In between, every
reference is ``ref(kind, key)`` (:func:`usm_config.engine.records.ref`), so the diff compares
natural keys and a key that contains a reference (a schedule span keyed by its schedule) is
computed the same way on both sides.

:class:`References` is the one index between the two: :meth:`References.resolve` turns a raw
live record's ids into references and computes its key (reading, and checking candidates
after a lost response); :meth:`References.to_ids` turns a desired record's references into ids
(writing). Lists are translated element by element; a list of references is a set, sorted by
key, unless it is one of its kind's ``sequences``, which keep the order the adapter read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from pydantic import JsonValue

from usm_config.engine.order import kind_levels
from usm_config.engine.records import (
    Address,
    KindSpec,
    Record,
    casefold_key,
    folded_kinds,
    record_key,
    ref,
    ref_target,
    reference_order,
)


class MissingReference(LookupError):
    """A reference to write points at a record the target does not hold (yet)."""

    def __init__(self, field: str, kind: str, key: tuple[str, ...]) -> None:
        super().__init__(
            f"field '{field}' refers to {kind}[{'/'.join(key)}], which does not exist in the target"
        )
        self.field, self.kind, self.key = field, kind, key


class References:
    """Which tool id each natural key has, and back, for the records of one target.

    Ids are looked up per kind, so a tool whose ids are only unique within a kind (Jira's
    numeric ids) works as well as one with global ids. Keys of the ``folded`` kinds (those a
    tool names without regard to case, :attr:`KindSpec.keys_ignore_case`) are looked up
    case-folded, so a blueprint's "Desk" finds the tool's "DESK".
    """

    def __init__(self, folded: Collection[str] = frozenset()) -> None:
        self._folded = frozenset(folded)
        self._ids: dict[Address, str] = {}
        self._keys: dict[tuple[str, str], tuple[str, ...]] = {}
        # One reference value per record pointed at, shared by every field that points at it
        # (field values are never changed in place): a read of 50,000 records holds fewer.
        self._refs: dict[Address, JsonValue] = {}

    @classmethod
    def of(cls, records: Iterable[Record], kinds: Mapping[str, KindSpec]) -> References:
        """The index of resolved live ``records`` of the adapter's ``kinds``; of records
        sharing a key, the smallest id (the one the diff matches)."""
        index = cls(folded_kinds(kinds))
        for record in sorted(records, key=lambda r: r.target_id or "", reverse=True):
            if record.target_id:
                index.learn(record.kind, record.key, record.target_id)
        return index

    def _address(self, kind: str, key: tuple[str, ...]) -> Address:
        return (kind, casefold_key(key)) if kind in self._folded else (kind, key)

    def target_id(self, kind: str, key: tuple[str, ...]) -> str | None:
        """The tool id of the record of ``kind`` with ``key``, if known."""
        return self._ids.get(self._address(kind, key))

    def learn(self, kind: str, key: tuple[str, ...], target_id: str) -> None:
        """Record that the record of ``kind`` with ``key`` has ``target_id``."""
        self._ids[self._address(kind, key)] = target_id
        self._keys[(kind, target_id)] = key

    def forget(self, kind: str, key: tuple[str, ...]) -> None:
        """Drop a record that no longer exists."""
        target_id = self._ids.pop(self._address(kind, key), None)
        if target_id is not None:
            self._keys.pop((kind, target_id), None)

    def resolve(self, record: Record, spec: KindSpec) -> Record:
        """``record`` (raw, as an adapter read it) with ids turned into references and its key
        computed. An id this index does not know stays as it is, so the diff shows it."""
        fields = dict(record.fields)
        for name, target_kind in spec.references.items():
            if name in fields:
                value = fields[name]
                if isinstance(value, list) and name in spec.sequences:
                    fields[name] = [self._as_reference(item, target_kind) for item in value]
                else:
                    fields[name] = self._as_reference(value, target_kind)
        # Built directly: dataclasses.replace costs twice as much, 50,000 times in a read.
        return Record(
            record.kind,
            record_key(spec, fields),
            fields,
            record.uid,
            record.target_id,
            record.source,
        )

    def _as_reference(self, value: JsonValue, kind: str) -> JsonValue:
        if isinstance(value, list):
            return sorted((self._as_reference(item, kind) for item in value), key=reference_order)
        key = self._keys.get((kind, value)) if isinstance(value, str) else None
        if key is None:
            return value
        shared = self._refs.get((kind, key))
        if shared is None:
            shared = self._refs[(kind, key)] = ref(kind, key)
        return shared

    def to_ids(self, fields: Mapping[str, JsonValue]) -> dict[str, Any]:
        """``fields`` with every reference (also inside a list) turned into the tool's id.

        Raises :class:`MissingReference` for a reference to a record not known.
        """
        ids = dict(fields)
        for name, value in fields.items():
            # Only a dict (a reference) or a list can hold one: the rest is copied as it is.
            if isinstance(value, dict | list):
                ids[name] = self._as_id(name, value)
        return ids

    def _as_id(self, name: str, value: JsonValue) -> Any:
        if isinstance(value, list):
            return [self._as_id(name, item) for item in value]
        target = ref_target(value)
        if target is None:
            return value
        target_id = self._ids.get(self._address(*target))
        if target_id is None:
            raise MissingReference(name, *target)
        return target_id


def resolve_live_references(
    records: Sequence[Record], kinds: Mapping[str, KindSpec]
) -> list[Record]:
    """Raw live records made comparable: references by natural key, keys computed.

    Kinds are resolved in dependency order, so a key that contains a reference is computed
    after the record it points at; references to a record of the same kind once the whole
    kind is known. Records of kinds the adapter does not declare pass through.
    A record listed twice (same kind and id: an offset-paged list that shifted while it was
    read serves a row on two pages) is kept once, so it is never taken for a duplicate. Each
    raw record is let go once resolved: what the caller does not keep of ``records`` is freed
    as the resolution goes, not held beside the resolved copies to the end.
    """
    levels = kind_levels(kinds)
    index = References(folded_kinds(kinds))
    resolved: list[Record] = []
    seen: dict[str, set[str]] = {}  # kind → ids resolved
    # Records that refer to records of their own kind (a sub-category to its parent), which
    # may come later in the read: their references are resolved again once all are known.
    again: list[int] = []
    ordered = sorted(records, key=lambda r: levels.get(r.kind, 0))
    del records
    for position, record in enumerate(ordered):
        ordered[position] = _RESOLVED
        if record.target_id:
            ids = seen.setdefault(record.kind, set())
            if record.target_id in ids:
                continue
            ids.add(record.target_id)
        spec = kinds.get(record.kind)
        if spec is None:
            resolved.append(record)
            continue
        comparable = index.resolve(record, spec)
        if comparable.target_id:
            index.learn(comparable.kind, comparable.key, comparable.target_id)
        if record.kind in spec.references.values():
            again.append(len(resolved))
        resolved.append(comparable)
    for position in again:
        record = resolved[position]
        resolved[position] = index.resolve(record, kinds[record.kind])
    return resolved


#: Put in the place of each raw record once it is resolved.
_RESOLVED = Record(kind="", key=())


__all__ = ["MissingReference", "References", "resolve_live_references"]
