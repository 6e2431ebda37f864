"""Collecting compiled records: keys, provenance, clashes, the final :class:`Desired`.

A :class:`RecordSink` receives the records a mapping produces, each with the blueprint path
it comes from. It computes each record's natural key with the engine's
:func:`~usm_config.engine.records.record_key` (a reference by its target's key), and finds
*clashes*: two elements that become one record of the tool, which the adapter reports as
problems before compile refuses them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from pydantic import JsonValue

from usm_config.adapter import Problem
from usm_config.blueprint.validation_errors import format_path
from usm_config.engine.records import Desired, KindSpec, Record, record_key, sets_in_order

Path = tuple[str | int, ...]
Fields = dict[str, JsonValue]


class RecordSink:
    """Records as a mapping produces them, with the blueprint path each one comes from.

    ``kinds`` are the adapter's kind specs; ``tool`` is the tool's display name used in
    clash messages ('ServiceNow').
    """

    def __init__(self, kinds: Mapping[str, KindSpec], tool: str) -> None:
        self.kinds = kinds
        self.tool = tool
        self._items: list[tuple[Record, Path]] = []
        self._owned = {name: frozenset(spec.owned_fields) for name, spec in kinds.items()}
        # The field names a kind's records were added with and found right: a mapping adds
        # thousands of records of one kind with the same names.
        self._checked: set[tuple[str, tuple[str, ...]]] = set()

    def add(self, kind: str, fields: Fields, uid: str, path: Path) -> Record:
        """Add one record of ``kind`` for the element at ``path``; ``uid`` is its blueprint
        identity (stable across renames). Returns the record with its key computed."""
        spec = self.kinds[kind]
        names = (kind, tuple(fields))
        if names not in self._checked:
            unknown = fields.keys() - self._owned[kind]
            if unknown:  # a programming error in the mapping, not a blueprint problem
                raise AssertionError(f"{kind} does not own {sorted(unknown)}")
            missing = [name for name in spec.key_fields if name not in fields]
            if missing:
                raise AssertionError(f"{kind} needs its key fields {missing}")
            self._checked.add(names)
        key = record_key(spec, fields)
        # A list of references is a set, kept in the order the engine reads it back in (a
        # sequence is an order, kept as it is).
        if any(isinstance(fields.get(name), list) for name in spec.references):
            fields = sets_in_order(spec, fields)
        else:
            fields = dict(fields)
        record = Record(kind=kind, key=key, fields=fields, uid=uid, source=format_path(path))
        self._items.append((record, path))
        return record

    @property
    def items(self) -> Sequence[tuple[Record, Path]]:
        """Every record added so far with its blueprint path, in the order added."""
        return tuple(self._items)

    def clashes(self) -> list[Problem]:
        """One problem for every record whose kind and key an earlier record already has."""
        seen: dict[tuple[str, tuple[str, ...]], Path] = {}
        problems = []
        for record, path in self._items:
            spec = self.kinds[record.kind]
            address = (record.kind, spec.match_key(record.key))
            if address not in seen:
                seen[address] = path
                continue
            regardless = " regardless of case" if spec.keys_ignore_case else ""
            problems.append(
                Problem(
                    path,
                    f"{format_path(path)} and {format_path(seen[address])} both become the "
                    f"{self.tool} {spec.label} '{'/'.join(record.key)}'",
                    f"give them different names: {self.tool} identifies each {spec.label} by "
                    + ", ".join(spec.key_fields)
                    + regardless,
                )
            )
        return problems

    def too_long(
        self,
        limits: Mapping[tuple[str, str], int],
        vendor: str,
        fixes: Mapping[str, str] | None = None,
    ) -> list[Problem]:
        """One problem for every record whose text in a field of ``limits`` ((kind, field) → the
        most characters the tool accepts) is longer. ``vendor`` names the tool in the message
        ('Jira'); ``fixes`` adds advice to the fix of a kind's problems."""
        problems = []
        for record, path in self._items:
            for (kind, name), limit in limits.items():
                value = str(record.fields.get(name, ""))
                if record.kind != kind or len(value) <= limit:
                    continue
                problems.append(
                    Problem(
                        path,
                        f"'{value}' becomes a {vendor} {kind.replace('_', ' ')} name of "
                        f"{len(value)} characters; {vendor} accepts at most {limit}",
                        f"shorten the name to {limit} characters or fewer"
                        + (fixes or {}).get(kind, ""),
                    )
                )
        return problems

    def desired(self, notes: Iterable[str] = ()) -> Desired:
        """The records sorted by kind and key, with ``notes``.

        Raises ``ValueError`` naming every clash; adapters report clashes as problems first.
        """
        clashes = self.clashes()
        if clashes:
            raise ValueError("; ".join(p.message for p in clashes))
        records = sorted((record for record, _ in self._items), key=lambda r: (r.kind, r.key))
        return Desired(records=tuple(records), notes=tuple(notes))

    def counts(self) -> dict[str, int]:
        """Number of records added per kind, in the order of ``kinds``."""
        return record_counts((record for record, _ in self._items), self.kinds)


def record_counts(records: Iterable[Record], kinds: Iterable[str]) -> dict[str, int]:
    """Number of ``records`` per kind, in the order of ``kinds``; kinds without records are
    left out."""
    counts = Counter(record.kind for record in records)
    return {kind: counts[kind] for kind in kinds if counts[kind]}
