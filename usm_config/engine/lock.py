"""The lock file: which target records this tool manages, by blueprint identity.

One lock file per blueprint and target, committed next to the blueprint. It maps each record's
``uid`` (derived from blueprint ids, stable across renames) to the tool's id, so a renamed
service is an update rather than a delete plus create, and ``--prune`` only ever deletes records
listed here. It holds ids only, never credentials. Writes are atomic (temp file + rename) and
the JSON is sorted with one entry per line, so Git diffs stay readable.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

LOCK_FORMAT = 1


@dataclass(frozen=True)
class LockEntry:
    """One managed record; ``adopted`` when usm-config took it over rather than created it
    (an out-of-box record, or one made by hand)."""

    kind: str
    target_id: str
    key: tuple[str, ...]
    adopted: bool = False


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
                uid: LockEntry(e["kind"], e["id"], tuple(e["key"]), bool(e.get("adopted")))
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
        self, uid: str, kind: str, target_id: str, key: tuple[str, ...], *, adopted: bool = False
    ) -> None:
        """Record that ``uid`` is the record ``target_id``; an adopted record stays adopted."""
        before = self.entries.get(uid)
        kept = before is not None and before.target_id == target_id and before.adopted
        self.entries[uid] = LockEntry(kind, target_id, key, adopted or kept)

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
                uid: {
                    "kind": e.kind,
                    "id": e.target_id,
                    "key": list(e.key),
                    **({"adopted": True} if e.adopted else {}),
                }
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
