"""Check an export against the records it came from, and let it manage them.

The exported blueprint is compiled by the same adapter and diffed against the live records, as
``plan`` would with an empty lock: a record it reproduces exactly is *matched*; one it would
change *differs* (what the inverse could not carry over); one it would create is *invented*
(a defect of the inverse); manual steps stay *pending* as they were. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from usm_config.adapter import Adapter
from usm_config.blueprint.model import Blueprint
from usm_config.engine.diff import compute_changes
from usm_config.engine.lock import Lock
from usm_config.engine.ownership import other_claims
from usm_config.engine.plan import Action, Change
from usm_config.engine.records import Record


@dataclass(frozen=True)
class Fidelity:
    """How the exported blueprint compiles back onto the live records."""

    matched: tuple[Record, ...]
    differs: tuple[Change, ...]
    invented: tuple[Change, ...]
    pending: tuple[Change, ...]

    @property
    def exact(self) -> bool:
        """True when planning the export against the same target changes nothing."""
        return not self.differs and not self.invented

    def summary(self) -> str:
        """One line with the counts."""
        return (
            f"{len(self.matched)} record(s) reproduced exactly, {len(self.differs)} differ, "
            f"{len(self.invented)} would be created, {len(self.pending)} manual step(s) pending"
        )


def check_export(adapter: Adapter, blueprint: Blueprint, live: Iterable[Record]) -> Fidelity:
    """Compile ``blueprint`` with ``adapter`` and compare it with ``live``."""
    live_list = list(live)
    desired = adapter.compile(blueprint).records
    result = compute_changes(desired, live_list, adapter.kinds, Lock(Path(), "", adapter.name))
    by_key = {(r.kind, r.key): r for r in live_list}
    changes = {(c.kind, c.key): c for c in result.changes}
    matched = tuple(
        by_key[(r.kind, r.key)]
        for r in desired
        if (r.kind, r.key) in by_key and not _changes_it(changes.get((r.kind, r.key)))
    )
    return Fidelity(
        matched=matched,
        differs=tuple(c for c in result.changes if c.target_id and c.diff),
        invented=tuple(c for c in result.changes if c.action == Action.CREATE),
        pending=tuple(c for c in result.changes if c.action == Action.MANUAL and not c.target_id),
    )


def adopt(
    adapter: Adapter, blueprint: Blueprint, live: Iterable[Record], lock: Lock
) -> tuple[int, dict[Path, int]]:
    """Record in ``lock`` every live record the blueprint describes, so that it manages them
    (the first plan then shows no adoptions), except records another blueprint's lock file
    beside it manages: those stay with their owner (:mod:`usm_config.engine.ownership`).
    Returns how many were recorded, and how many were left to each other lock file."""
    by_key = {(r.kind, r.key): r for r in live if r.target_id}
    claims = other_claims(lock)
    count = 0
    left: Counter[Path] = Counter()
    for record in adapter.compile(blueprint).records:
        found = by_key.get((record.kind, record.key))
        if not record.uid or found is None or not found.target_id:
            continue
        owner = claims.get((record.kind, found.target_id))
        if owner is not None:
            left[owner] += 1
            continue
        lock.set(record.uid, record.kind, found.target_id, record.key, adopted=True)
        count += 1
    return count, dict(left)


def _changes_it(change: Change | None) -> bool:
    return change is not None and not (change.action == Action.ADOPT and not change.diff)
