"""Ownership between blueprints: which records other blueprints manage.

Several blueprints may be applied to one target. Two things tell a plan that a record is
another blueprint's, and a plan never adopts or changes such a record without ``--take-over``:

* **Lock files.** Each blueprint has its lock file, ``<name>.<target>.lock.json``; those beside
  this blueprint's lock file *claim* their records, with what their journals confirmed (an
  interrupted apply of another blueprint owns what it created too). Only lock files in that one
  folder are seen: targets several blueprints are applied to set ``lock_dir`` so that every
  blueprint's lock file lands there.
* **Markers in the tool.** Where a tool can hold one (a kind's
  :attr:`~usm_config.engine.records.KindSpec.marker`, a field meant for integrations), every
  record a plan creates carries the blueprint's owner marker, :func:`blueprint_owner`: the
  blueprint's ``organisation.id``. Markers are seen by every pipeline that reads the tool,
  whatever repository its lock file lives in. A live record marked by another owner is
  treated as claimed; one marked by this owner, or not marked, is adopted as before. A
  take-over rewrites the marker where the tool lets an update write it; where the tool takes
  it on create only, the marker cannot follow a take-over and counts for adoption only.
  A record whose natural key holds a reference to a record marked by another owner (a
  project's component) is that owner's too: it lives inside the other blueprint's record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from usm_config.blueprint.model import Blueprint
from usm_config.engine.journal import recover
from usm_config.engine.lock import Lock
from usm_config.engine.records import Address, KindSpec, Record, ref_target


def blueprint_owner(blueprint: Blueprint) -> str:
    """The owner marker records created for ``blueprint`` carry: its organisation's id, which
    stays the same across renames, environments and the repositories it is applied from."""
    return blueprint.organisation.id


def foreign_marker(
    record: Record | None, spec: KindSpec, owner: str | None, *, through_lock: bool
) -> str | None:
    """The owner the tool marks live ``record`` with when that is not ``owner``; ``None`` when
    the record is unmarked, marked by ``owner`` or its kind holds no marker, and whatever the
    marker says when no ``owner`` is given (a comparison that is not a plan: export checks).
    For a record this blueprint's lock file matched, only a marker an update can write counts:
    one written on create only cannot follow a take-over, so it may name a previous owner."""
    if record is None or not owner or not spec.marker:
        return None
    if through_lock and not spec.marker_updatable:
        return None
    value = record.fields.get(spec.marker)
    if not isinstance(value, str) or not value or value == owner:
        return None
    return value


def inherited_marker(
    record: Record, spec: KindSpec, marked: Mapping[Address, str]
) -> tuple[str, str] | None:
    """(owner, address of the parent) when a key field of desired ``record`` points at a
    record another owner marked (``marked``: (kind, key) → owner), else ``None``."""
    for name in spec.key_fields:
        target = ref_target(record.fields.get(name))
        if target is not None and target in marked:
            kind, key = target
            return marked[target], f"{kind}[{'/'.join(key)}]"
    return None


def other_claims(lock: Lock) -> dict[tuple[str, str], Path]:
    """The records the other lock files for ``lock``'s target beside it claim: (kind, target
    id) → the lock file. Nothing is written; a damaged lock file raises
    :class:`~usm_config.engine.lock.LockError` naming it."""
    claims: dict[tuple[str, str], Path] = {}
    suffix = f".{lock.target}.lock.json"
    folder = lock.path.parent
    if not folder.is_dir():
        return claims
    for path in sorted(folder.glob(f"*{suffix}")):
        if path.resolve() == lock.path.resolve() or not path.is_file():
            continue
        try:
            named = json.loads(path.read_text(encoding="utf-8")).get("target")
        except (ValueError, AttributeError):
            named = None  # Lock.load says what is wrong with it
        if named not in (None, lock.target):
            continue  # the lock of a target whose name ends like this one's (``x.<target>``)
        other = Lock.load(path, lock.target, lock.adapter)
        recover(path.with_suffix(".journal.jsonl"), other)
        for entry in other.entries.values():
            claims.setdefault((entry.kind, entry.target_id), path)
    return claims
