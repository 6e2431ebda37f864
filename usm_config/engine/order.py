"""Order kinds by their declared dependencies, and records by the records of their own kind
they refer to: writes go level by level."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from usm_config.engine.records import Address, KindSpec, Record, ref_target


class DependencyCycle(ValueError):
    """The kinds' dependencies form a cycle (an adapter bug)."""


def kind_levels(kinds: Mapping[str, KindSpec]) -> dict[str, int]:
    """Level of every kind: 0 for kinds without dependencies, else 1 + the deepest dependency.

    Dependencies on kinds the adapter does not declare are ignored.
    """
    levels: dict[str, int] = {}
    visiting: set[str] = set()

    def level(name: str) -> int:
        if name in levels:
            return levels[name]
        if name in visiting:
            raise DependencyCycle(f"kinds depend on each other in a cycle through '{name}'")
        visiting.add(name)
        deps = [d for d in kinds[name].dependencies() if d in kinds]
        result = 1 + max((level(d) for d in deps), default=-1)
        visiting.discard(name)
        levels[name] = result
        return result

    for name in kinds:
        level(name)
    return levels


@dataclass(frozen=True)
class WriteLevels:
    """The level each change of a plan is written at: its kind's (:func:`kind_levels`), and,
    for a record that refers to another of its own kind (a sub-category to its parent), a level
    after that record's. Kinds above such records move up as far as they go deep, so everything
    a record refers to is written at a lower level."""

    kinds: dict[str, int]
    """The level of each kind's records that refer to none of their own kind."""
    depths: dict[Address, int]
    """How many records of its own kind stand above a record (0 is not listed)."""

    def of(self, kind: str, key: tuple[str, ...]) -> int:
        """The level of the record of ``kind`` and ``key``."""
        return self.kinds.get(kind, 0) + self.depths.get((kind, key), 0)


def write_levels(kinds: Mapping[str, KindSpec], records: Iterable[Record]) -> WriteLevels:
    """The :class:`WriteLevels` of ``records`` (a blueprint's desired records)."""
    own = {
        name: fields
        for name, spec in kinds.items()
        if (fields := [f for f, kind in spec.references.items() if kind == name])
    }
    by_address = {(r.kind, r.key): r for r in records if r.kind in own}

    def above(at: Address) -> list[Address]:
        """The records of its own kind that the record at ``at`` refers to."""
        record = by_address[at]
        found = []
        for name in own[record.kind]:
            value = record.fields.get(name)
            for item in value if isinstance(value, list) else [value]:
                target = ref_target(item)
                if target is not None and target in by_address:
                    found.append(target)
        return found

    # Depth first without recursion: a chain of options can be thousands long. A reference in
    # a circle (the blueprint's error, which a check reports) ends where it comes round.
    depths: dict[Address, int] = {}
    for start in by_address:
        if start in depths:
            continue
        path: list[Address] = [start]
        on_path = {start}
        todo = [iter(above(start))]
        while todo:
            target = next(todo[-1], None)
            if target is None:
                done = path.pop()
                on_path.discard(done)
                todo.pop()
                depths[done] = max((depths[t] + 1 for t in above(done) if t in depths), default=0)
            elif target not in depths and target not in on_path:
                path.append(target)
                on_path.add(target)
                todo.append(iter(above(target)))
    base = kind_levels(kinds)
    deepest: dict[int, int] = {}
    for (kind, _), below in depths.items():
        level = base.get(kind, 0)
        deepest[level] = max(deepest.get(level, 0), below)
    shifted = {
        kind: level + sum(extra for lower, extra in deepest.items() if lower < level)
        for kind, level in base.items()
    }
    return WriteLevels(shifted, {at: d for at, d in depths.items() if d})
