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

import hashlib
import json
import os
import tempfile
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from json.encoder import encode_basestring
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from usm_config.blueprint.validation_errors import translate_errors
from usm_config.diagnostics import Diagnostic, DiagnosticError, Severity, display_path
from usm_config.engine.records import immutable
from usm_config.jsonsource import json_index, load_json, located, read_text

LOCK_FORMAT = 1
#: What to do about a lock file that cannot be used.
LOCK_FIX = (
    "restore the lock file from version control; if that is not possible, move it aside and "
    "run plan: records it listed are taken over again by their natural key"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _RecordEntry(_Strict):
    kind: str
    id: str
    key: tuple[str, ...]
    adopted: bool = Field(False, strict=True)
    applied: str | None = None


class LockFile(_Strict):
    """The JSON shape of a lock file, as :meth:`Lock.to_json` writes it."""

    format: int = Field(strict=True)
    target: str
    adapter: str
    records: dict[str, _RecordEntry]


_ENTRY_FIELDS = frozenset(_RecordEntry.model_fields)
_FILE_FIELDS = frozenset(LockFile.model_fields)


def _plain_lock_file(data: object) -> tuple[str, str, dict[str, LockEntry]] | None:
    """The target, adapter and entries of ``data`` when it has exactly the shape
    :meth:`Lock.to_json` writes, read without pydantic's validation of every entry (a quarter
    of a second for 50,000); None for anything else, which :class:`LockFile` then judges."""
    if not (isinstance(data, dict) and set(data) == _FILE_FIELDS):
        return None
    target, adapter, records = data["target"], data["adapter"], data["records"]
    if not (
        type(data["format"]) is int
        and isinstance(target, str)
        and isinstance(adapter, str)
        and isinstance(records, dict)
    ):
        return None
    entries = {}
    kinds: dict[str, str] = {}
    for uid, entry in records.items():
        if not (isinstance(entry, dict) and entry.keys() <= _ENTRY_FIELDS):
            return None
        kind, target_id, key = entry.get("kind"), entry.get("id"), entry.get("key")
        adopted, applied = entry.get("adopted", False), entry.get("applied")
        if not (
            isinstance(kind, str)
            and isinstance(target_id, str)
            and isinstance(key, list)
            and all(isinstance(part, str) for part in key)
            and type(adopted) is bool
            and (applied is None or isinstance(applied, str))
        ):
            return None
        kind = kinds.setdefault(kind, kind)
        entries[uid] = LockEntry(kind, target_id, tuple(key), adopted, applied)
    return target, adapter, entries


@immutable
class LockEntry:
    """One managed record; ``adopted`` when usm-config took it over rather than created it
    (an out-of-box record, or one made by hand)."""

    kind: str
    target_id: str
    key: tuple[str, ...]
    adopted: bool = False
    applied: str | None = None


@dataclass
class Lock:
    """The managed-records map of one target."""

    path: Path
    target: str
    adapter: str
    entries: dict[str, LockEntry] = field(default_factory=dict)

    @classmethod
    def load(
        cls, path: Path, target: str, adapter: str, kinds: Collection[str] | None = None
    ) -> Lock:
        """Read the lock file; a missing file is an empty lock.

        Raises :class:`~usm_config.diagnostics.DiagnosticError`, located in the file, when it
        is not a lock file of this format, ``target`` and ``adapter``, or lists a kind not in
        ``kinds`` (when given).
        """
        if not path.exists() and not path.is_symlink():
            return cls(path, target, adapter)
        text = read_text(path, "lock file", LOCK_FIX)
        seen = _seen(path, text, target, adapter)
        known = _LAST_READ.get(seen)
        if known is not None and (kinds is None or {e.kind for e in known.values()} <= {*kinds}):
            # The same text was read and checked, or written, a moment ago: a run checks the
            # lock before it connects and reads it again with the live records. A kind not in
            # ``kinds`` is reported by the parse, located.
            return cls(path, target, adapter, dict(known))
        lock = cls._parse(path, text, target, adapter, kinds)
        _remember(seen, lock.entries)
        return lock

    @classmethod
    def _parse(
        cls, path: Path, text: str, target: str, adapter: str, kinds: Collection[str] | None
    ) -> Lock:
        data = load_json(path, text, "lock file", LOCK_FIX)
        if isinstance(data, dict) and data.get("format", LOCK_FORMAT) != LOCK_FORMAT:
            raise located(
                path,
                text,
                ("format",),
                "LOCK002",
                f"the lock file is in format {json.dumps(data['format'])}; this usm-config "
                f"reads format {LOCK_FORMAT}",
                "use the usm-config release that wrote it, or " + LOCK_FIX.split("; ", 1)[1],
            )
        quick = _plain_lock_file(data)
        if quick is None:  # not the shape usm-config writes: pydantic says what is wrong
            try:
                parsed = LockFile.model_validate(data)
            except ValidationError as exc:
                raise _shape_error(path, text, exc) from None
            quick = (
                parsed.target,
                parsed.adapter,
                {
                    uid: LockEntry(e.kind, e.id, e.key, e.adopted, e.applied)
                    for uid, e in parsed.records.items()
                },
            )
        found_target, found_adapter, entries = quick
        for key, found, expected in (
            ("target", found_target, target),
            ("adapter", found_adapter, adapter),
        ):
            if found != expected:
                raise located(
                    path,
                    text,
                    (key,),
                    "LOCK003",
                    f"the lock file belongs to {key} '{found}', not to {key} '{expected}'",
                    f"check --target and lock_dir in the targets file; {LOCK_FIX}",
                )
        for uid, entry in entries.items():
            if kinds is not None and entry.kind not in kinds:
                raise located(
                    path,
                    text,
                    ("records", uid, "kind"),
                    "LOCK004",
                    f"the lock file lists a record of kind '{entry.kind}', which adapter "
                    f"'{adapter}' does not have",
                    LOCK_FIX,
                )
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
        *,
        adopted: bool = False,
    ) -> None:
        """Record that ``uid`` is the record ``target_id``, with ``applied`` the fingerprint of
        the fields written (when unknown, a fingerprint the entry already has is kept); an
        adopted record stays adopted."""
        previous = self.entries.get(uid)
        same = previous is not None and previous.target_id == target_id
        if applied is None and same and previous is not None:
            applied = previous.applied
        kept = same and previous is not None and previous.adopted
        self.entries[uid] = LockEntry(kind, target_id, key, adopted or kept, applied)

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
        """Stable JSON text of the lock: sorted keys, one space of indent per level, text as
        it is (what ``json.dumps(..., indent=1, sort_keys=True, ensure_ascii=False)`` gives).

        Written out by hand because ``json`` encodes indented output in pure Python (0.6 to
        0.8 s for a lock of 50,000 records, and a plan and an apply each need it); the shape
        is fixed, and each string still goes through ``json``'s C encoder.
        """
        return "".join(self.json_pieces())

    def json_pieces(self) -> Iterator[str]:
        """:meth:`to_json`'s text in pieces, a record at a time (a plan fingerprints the lock
        without holding its text whole)."""
        text = encode_basestring
        yield f'{{\n "adapter": {text(self.adapter)},\n "format": {LOCK_FORMAT},\n "records": '
        if not self.entries:
            yield "{}"
        for n, uid in enumerate(sorted(self.entries)):
            entry = self.entries[uid]
            key = "[\n    " + ",\n    ".join(map(text, entry.key)) + "\n   ]" if entry.key else "[]"
            yield (
                ("{\n" if n == 0 else ",\n")
                + f"  {text(uid)}: {{\n"
                + ('   "adopted": true,\n' if entry.adopted else "")
                + (f'   "applied": {text(entry.applied)},\n' if entry.applied else "")
                + f'   "id": {text(entry.target_id)},\n   "key": {key},\n'
                + f'   "kind": {text(entry.kind)}\n  }}'
            )
        if self.entries:
            yield "\n }"
        yield f',\n "target": {text(self.target)}\n}}\n'

    def save(self) -> None:
        """Write the lock atomically."""
        text = self.to_json()
        write_atomic(self.path, text)
        # An apply reads the lock again at once to prove convergence. An empty ``applied`` is
        # not written, so it would read back as none: such entries are read again instead.
        if all(e.applied is None or e.applied for e in self.entries.values()):
            _remember(_seen(self.path, text, self.target, self.adapter), self.entries)


#: What the last :meth:`Lock.load` read or :meth:`Lock.save` wrote, by (path, digest of the
#: text, target, adapter): its entries.
_LAST_READ: dict[tuple[object, ...], dict[str, LockEntry]] = {}


def _seen(path: Path, text: str, target: str, adapter: str) -> tuple[object, ...]:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    return (str(path.absolute()), digest, target, adapter)


def _remember(seen: tuple[object, ...], entries: dict[str, LockEntry]) -> None:
    _LAST_READ.clear()
    _LAST_READ[seen] = dict(entries)


def _shape_error(path: Path, text: str, exc: ValidationError) -> DiagnosticError:
    """The first problems of a lock file that is not in the shape usm-config writes."""
    index = json_index(text, display_path(path))
    return DiagnosticError(
        [
            Diagnostic(
                Severity.ERROR,
                "LOCK001",
                f"not what a lock file holds: {d.message}",
                d.location,
                d.path,
                LOCK_FIX,
            )
            for d in translate_errors(exc, index, LockFile)[:5]
        ]
    )


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
