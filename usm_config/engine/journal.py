"""The apply journal: a durable log that makes a killed apply safe to resume.

The first line names the journal's format, target and adapter. Before a write is sent, a
``begin`` line is appended and forced to disk; when it succeeds, a ``done`` line with the
tool's id follows. The lock file is only rewritten at the end of an apply, so after a crash the
journal is the truth: :func:`recover` folds finished writes into the lock, and reports creates
that were begun but not confirmed, which the next plan finds again by natural key (and adopts)
instead of creating them twice.

A ``done`` line is handed to the operating system at once (a killed process loses none) but
reaches the disk with the next sync, which the next ``begin`` forces anyway: losing it to a
power cut only leaves its write unconfirmed, the same as a crash just before it was written.
Syncs run off the event loop and are shared: writes waiting for the disk at the same moment
wait for one ``fsync`` together (:meth:`Journal.durable`).

Only a last line without its line break is a crash's doing (cut short while it was written,
so the write it announced was never sent, or its ``done`` is unknown); anything else that is
not a line this module writes is refused, located, instead of being guessed at.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from usm_config.blueprint.validation_errors import translate_errors
from usm_config.diagnostics import (
    Diagnostic,
    DiagnosticError,
    Location,
    Severity,
    display_path,
    locate,
)
from usm_config.engine.lock import Lock
from usm_config.engine.plan import Action
from usm_config.jsonsource import half_character_at, json_index, read_text, refusal

JOURNAL_FORMAT = 1
#: What to do about a journal that cannot be used.
JOURNAL_FIX = (
    "move the journal aside and run plan: records the interrupted apply created are taken "
    "over by their natural key"
)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Start(_Entry):
    """The first line: what wrote the journal."""

    event: Literal["start"]
    format: int = Field(strict=True)
    target: str
    adapter: str


class Begin(_Entry):
    """A write is about to be sent."""

    event: Literal["begin"]
    change: str
    action: Action
    uid: str | None
    kind: str
    key: tuple[str, ...]
    applied: str | None = None
    """The fingerprint of the blueprint's fields the write puts in place (see
    :class:`~usm_config.engine.lock.LockEntry`)."""


class Done(_Entry):
    """A write succeeded; ``target_id`` is the record's id in the tool."""

    event: Literal["done"]
    change: str
    target_id: str | None


Entry = Annotated[Start | Begin | Done, Field(discriminator="event")]
_ENTRY: TypeAdapter[Start | Begin | Done] = TypeAdapter(Entry)


@dataclass(frozen=True)
class Unconfirmed:
    """A write that was begun but whose result is unknown."""

    uid: str | None
    kind: str
    key: tuple[str, ...]
    action: str


@dataclass(frozen=True)
class Recovered:
    """What a previous apply's journal held: how many writes it confirmed (now in the lock),
    and the writes it began without confirming."""

    confirmed: int
    unconfirmed: list[Unconfirmed]


class Journal:
    """Append-only JSON-lines log of one apply of ``adapter`` to ``target``."""

    def __init__(self, path: Path, *, target: str, adapter: str) -> None:
        self.path = path
        self.target = target
        self.adapter = adapter
        self._handle: IO[str] | None = None
        self._pending: list[str] | None = None
        """Lines held inside :meth:`together`, handed over at its end."""
        self._written = 0
        """Lines written so far."""
        self._synced = 0
        """Lines known to be on disk."""
        self._syncing: asyncio.Future[None] | None = None
        # Held around a sync running in a worker thread and around closing the file, so that
        # the file descriptor is never closed under an fsync.
        self._fd_lock = threading.Lock()

    def __enter__(self) -> Journal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a", encoding="utf-8")
        if self._handle.tell() == 0:
            self.write(
                event="start", format=JOURNAL_FORMAT, target=self.target, adapter=self.adapter
            )
            self._sync()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._fd_lock:
            if self._handle is not None:
                self._sync()
                self._handle.close()
                self._handle = None

    def write(self, **entry: Any) -> None:
        """Append one entry and hand it to the operating system (at the end of
        :meth:`together` inside one); :meth:`durable` forces it to disk."""
        self._append(json.dumps(entry, sort_keys=True))

    def begin(
        self,
        change: str,
        action: str,
        uid: str | None,
        kind: str,
        key: Sequence[str],
        applied: str | None,
    ) -> None:
        """Append the ``begin`` line of a write (see :class:`Begin`), as :meth:`write` would."""
        text = encode_basestring_ascii
        self._append(
            f'{{"action": {text(action)}, "applied": {_text_or_null(applied)}, '
            f'"change": {text(change)}, "event": "begin", '
            f'"key": [{", ".join(map(text, key))}], "kind": {text(kind)}, '
            f'"uid": {_text_or_null(uid)}}}'
        )

    def done(self, change: str, target_id: str | None) -> None:
        """Append the ``done`` line of a write (see :class:`Done`), as :meth:`write` would."""
        self._append(
            f'{{"change": {encode_basestring_ascii(change)}, "event": "done", '
            f'"target_id": {_text_or_null(target_id)}}}'
        )

    def _append(self, line: str) -> None:
        assert self._handle is not None, "journal is not open"
        if self._pending is not None:
            self._pending.append(line)
            return
        self._handle.write(line + "\n")
        self._handle.flush()
        self._written += 1

    @contextmanager
    def together(self) -> Iterator[None]:
        """Write several entries with one hand-over to the operating system at the end, e.g.
        the ``begin`` lines of a batch before it is sent."""
        pending: list[str] = []
        self._pending = pending
        try:
            yield
        finally:
            self._pending = None
            if self._handle is not None and pending:
                self._handle.write("\n".join(pending) + "\n")
                self._handle.flush()
                self._written += len(pending)

    async def durable(self) -> None:
        """Return once every entry written so far is on disk.

        The ``fsync`` runs in a worker thread, so other writes' answers are handled meanwhile;
        callers that wait at the same time share one ``fsync`` (group commit).
        """
        wanted = self._written
        while self._synced < wanted:
            if self._syncing is None:
                self._syncing = asyncio.ensure_future(self._sync_in_thread())
            # Shielded: a caller that is cancelled does not cancel the others' sync.
            await asyncio.shield(self._syncing)

    async def _sync_in_thread(self) -> None:
        covered = self._written
        try:
            if self._handle is None:
                return  # closed meanwhile: closing synced it
            self._handle.flush()
            await asyncio.to_thread(self._sync_locked)
        finally:
            self._syncing = None
        self._synced = max(self._synced, covered)

    def _sync_locked(self) -> None:
        with self._fd_lock:
            if self._handle is not None:
                os.fsync(self._handle.fileno())

    def _sync(self) -> None:
        assert self._handle is not None, "journal is not open"
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._synced = self._written

    def clear(self) -> None:
        """Remove the journal once its content is safely in the lock file."""
        self.path.unlink(missing_ok=True)


def recover(path: Path, lock: Lock, kinds: Collection[str] | None = None) -> Recovered:
    """Fold a previous apply's journal into ``lock``; say what it confirmed and what not.

    Raises :class:`~usm_config.diagnostics.DiagnosticError`, located at the line, for a journal
    of another format, target or adapter, of a kind not in ``kinds`` (when given), or with a
    line that is not one :class:`Journal` writes.
    """
    if not path.exists() and not path.is_symlink():
        return Recovered(0, [])
    text = read_text(path, "journal", JOURNAL_FIX)
    lines = text.split("\n")
    if lines[-1] and not _is_json(lines[-1]):
        lines.pop()  # cut short by a crash while it was written: see the module docstring
    begun: dict[str, Begin] = {}
    confirmed = 0
    started = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        entry = _parse(path, number, line)
        if not started:
            if not isinstance(entry, Start):
                raise _refuse(path, number, "the journal does not start with its 'start' line")
            _check_start(path, number, entry, lock)
            started = True
        elif isinstance(entry, Start):
            _check_start(path, number, entry, lock)
        elif isinstance(entry, Begin):
            if kinds is not None and entry.kind not in kinds:
                raise _refuse(
                    path,
                    number,
                    f"the journal begins a write of kind '{entry.kind}', which adapter "
                    f"'{lock.adapter}' does not have",
                )
            begun[entry.change] = entry
        else:
            begin = begun.pop(entry.change, None)
            if begin is None:
                raise _refuse(
                    path, number, f"'done' for {entry.change}, which no 'begin' line started"
                )
            confirmed += 1
            if begin.uid and begin.action == Action.DELETE:
                lock.remove(begin.uid)
            elif begin.uid and entry.target_id:
                lock.set(begin.uid, begin.kind, entry.target_id, begin.key, begin.applied)
    unconfirmed = [Unconfirmed(b.uid, b.kind, b.key, b.action.value) for b in begun.values()]
    return Recovered(confirmed, unconfirmed)


def _text_or_null(value: str | None) -> str:
    """``value`` as ``json.dumps`` writes it: a JSON string, or ``null``. The journal's lines are
    encoded by hand: ``json.dumps`` of a dict cost a large apply a second for 100,000 lines."""
    return "null" if value is None else encode_basestring_ascii(value)


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _refuse(path: Path, line: int, message: str) -> DiagnosticError:
    return refusal("JRNL001", Location(display_path(path), line, 1), message, JOURNAL_FIX)


def _parse(path: Path, number: int, line: str) -> Start | Begin | Done:
    try:
        data = json.loads(line)
    except ValueError as exc:
        column = getattr(exc, "colno", 1)
        raise refusal(
            "JRNL001",
            Location(display_path(path), number, column),
            "this line of the journal is not JSON: the journal is damaged",
            JOURNAL_FIX,
        ) from None
    half = half_character_at(data, line)
    if half is not None:
        shown = display_path(path)
        where = locate(json_index(line, shown), half)
        raise refusal(
            "JRNL001",
            Location(shown, number, where.column),
            "this line of the journal holds an escape of half of a character (a UTF-16 "
            "surrogate such as '\\ud83d' without its other half): the journal is damaged",
            JOURNAL_FIX,
        )
    try:
        return _ENTRY.validate_python(data)
    except ValidationError as exc:
        shown = display_path(path)
        index = {
            key: Location(shown, number, where.column)
            for key, where in json_index(line, shown).items()
        }
        first = translate_errors(exc, index, Begin)[0]
        raise DiagnosticError(
            [
                Diagnostic(
                    Severity.ERROR,
                    "JRNL001",
                    f"not a line the journal writes: {first.message}",
                    first.location,
                    first.path,
                    JOURNAL_FIX,
                )
            ]
        ) from None


def _check_start(path: Path, number: int, start: Start, lock: Lock) -> None:
    if start.format != JOURNAL_FORMAT:
        raise _refuse(
            path,
            number,
            f"the journal is in format {start.format}; this usm-config reads format "
            f"{JOURNAL_FORMAT}",
        )
    for key, expected in (("target", lock.target), ("adapter", lock.adapter)):
        found = getattr(start, key)
        if found != expected:
            raise _refuse(
                path, number, f"the journal belongs to {key} '{found}', not to {key} '{expected}'"
            )
