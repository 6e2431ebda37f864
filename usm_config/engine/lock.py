"""The lock file: which target records this tool manages, by blueprint identity.

One lock file per blueprint and target, committed next to the blueprint. It maps each record's
``uid`` (derived from blueprint ids, stable across renames) to the tool's id, so a renamed
service is an update rather than a delete plus create, and ``--prune`` only ever deletes records
listed here. It holds ids only, never credentials. Writes are atomic (temp file + rename) and
the JSON is sorted with one entry per line, so Git diffs stay readable.

Each entry also keeps ``applied``, a fingerprint of the blueprint's fields last applied to the
record (or found already in place): when the blueprint still has those fields and the record
differs, the tool changed, not the blueprint (drift). Entries of lock files written before
``applied`` existed have none until the next apply.

The lock files of other blueprints for the same target in the same folder *claim* their
records (:mod:`usm_config.engine.ownership`): a plan never adopts or changes them without
``--take-over``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

LOCK_FORMAT = 1


@dataclass(frozen=True)
class LockEntry:
    """One managed record."""

    kind: str
    target_id: str
    key: tuple[str, ...]
    applied: str | None = None


@dataclass
class Lock:
    """The managed-records map of one target."""

    path: Path
    target: str
    adapter: str
    entries: dict[str, LockEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, target: str, adapter: str) -> Lock:
        """Read the lock file; a missing file is an empty lock."""
        if not path.exists():
            return cls(path, target, adapter)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = {
                uid: LockEntry(e["kind"], e["id"], tuple(e["key"]), e.get("applied"))
                for uid, e in data["records"].items()
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise LockError(
                f"{path}: the lock file is damaged ({exc}); restore it from version control"
            ) from exc
        if data.get("target") not in (None, target):
            raise LockError(f"{path}: the lock file belongs to target '{data.get('target')}'")
        return cls(path, target, adapter, entries)

    def managed_ids(self) -> dict[tuple[str, str], str]:
        """Map of (kind, target id) → uid for every managed record.

        Ids are unique within a kind only: Jira numbers each object type from 10000.
        """
        return {(entry.kind, entry.target_id): uid for uid, entry in self.entries.items()}

    def set(
        self,
        uid: str,
        kind: str,
        target_id: str,
        key: tuple[str, ...],
        applied: str | None = None,
    ) -> None:
        """Record that ``uid`` is the record ``target_id``, with ``applied`` the fingerprint of
        the fields written (when unknown, a fingerprint the entry already has is kept)."""
        previous = self.entries.get(uid)
        if applied is None and previous is not None and previous.target_id == target_id:
            applied = previous.applied
        self.entries[uid] = LockEntry(kind, target_id, key, applied)

    def learn(self, applied: Mapping[str, str]) -> bool:
        """Set the ``applied`` fingerprints of managed records found in line with the blueprint
        (uid → fingerprint); True when an entry changed."""
        changed = False
        for uid, value in applied.items():
            entry = self.entries.get(uid)
            if entry is not None and entry.applied != value:
                self.entries[uid] = replace(entry, applied=value)
                changed = True
        return changed

    def remove(self, uid: str) -> None:
        """Forget a record (after it was deleted)."""
        self.entries.pop(uid, None)

    def to_json(self) -> str:
        """Stable JSON text of the lock."""
        data = {
            "format": LOCK_FORMAT,
            "target": self.target,
            "adapter": self.adapter,
            "records": {
                uid: {"kind": e.kind, "id": e.target_id, "key": list(e.key)}
                | ({"applied": e.applied} if e.applied else {})
                for uid, e in sorted(self.entries.items())
            },
        }
        return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def save(self) -> None:
        """Write the lock atomically."""
        write_atomic(self.path, self.to_json())


class LockError(Exception):
    """The lock file cannot be used."""


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
