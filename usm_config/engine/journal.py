"""The apply journal: a durable log that makes a killed apply safe to resume.

Before a write is sent, a ``begin`` line is appended and flushed to disk; when it succeeds, a
``done`` line with the tool's id follows. The lock file is only rewritten at the end of an
apply, so after a crash the journal is the truth: :func:`recover` folds finished writes into
the lock, and reports creates that were begun but not confirmed, which the next plan finds
again by natural key (and adopts) instead of creating them twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from usm_config.engine.lock import Lock


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
    """Append-only JSON-lines log of one apply."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def __enter__(self) -> Journal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a", encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def write(self, **entry: Any) -> None:
        """Append one entry and force it to disk."""
        assert self._handle is not None, "journal is not open"
        self._handle.write(json.dumps(entry, sort_keys=True) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def clear(self) -> None:
        """Remove the journal once its content is safely in the lock file."""
        self.path.unlink(missing_ok=True)


def recover(path: Path, lock: Lock) -> Recovered:
    """Fold a previous apply's journal into ``lock``; say what it confirmed and what not."""
    if not path.exists():
        return Recovered(0, [])
    begun: dict[str, dict[str, Any]] = {}
    confirmed = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by the crash
        change = entry.get("change")
        if entry.get("event") == "begin":
            begun[change] = entry
        elif entry.get("event") == "done":
            confirmed += 1
            started = begun.pop(change, entry)
            uid = started.get("uid")
            if uid and started.get("action") == "delete":
                lock.remove(uid)
            elif uid and entry.get("target_id"):
                lock.set(
                    uid,
                    started["kind"],
                    entry["target_id"],
                    tuple(started["key"]),
                    started.get("applied"),
                )
    unconfirmed = [
        Unconfirmed(e.get("uid"), e["kind"], tuple(e["key"]), e["action"]) for e in begun.values()
    ]
    return Recovered(confirmed, unconfirmed)
