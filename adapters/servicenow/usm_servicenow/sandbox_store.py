"""SQLite state of the ServiceNow emulator: records of any table, as string dicts.

Every write goes to SQLite at once (one transaction per write); reads are served from an
in-memory copy loaded at start-up, so paging a large table does not re-decode it per page.
One emulator process should own a state file at a time.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path

__all__ = ["DuplicateRecord", "RecordStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tables (
    name TEXT PRIMARY KEY,
    columns TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    sys_id TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (tbl, sys_id)
);
CREATE INDEX IF NOT EXISTS records_by_sys_id ON records (sys_id);
"""

#: A record: field name → string value. Treat as read-only; writes replace the whole dict.
Row = dict[str, str]


class DuplicateRecord(Exception):
    """An insert reused a sys_id that the table already holds."""


class RecordStore:
    """Tables of records keyed by ``sys_id``, in insertion order, persisted in SQLite.

    ``db_path=None`` keeps everything in an in-memory database. ``tables`` are created
    (empty) if missing. All methods are thread-safe.
    """

    def __init__(self, db_path: str | Path | None = None, *, tables: Iterable[str] = ()) -> None:
        self._lock = threading.RLock()
        self._base_tables = tuple(tables)
        target = ":memory:" if db_path is None else str(db_path)
        self._conn = sqlite3.connect(target, check_same_thread=False)
        self._closer = weakref.finalize(self, self._conn.close)
        if db_path is not None:
            # No WAL: a -wal file left by a killed process would be replayed into a fresh
            # database after `usm-config sandbox reset` deletes only the main file. Skipping
            # fsync is fine for a sandbox and keeps a commit in the tens of microseconds.
            self._conn.execute("PRAGMA journal_mode=DELETE")
            self._conn.execute("PRAGMA synchronous=OFF")
        with self._conn:
            self._conn.executescript(_SCHEMA)
        self._rows: dict[str, dict[str, Row]] = {}
        self._columns: dict[str, list[str]] = {}
        self._table_of: dict[str, str] = {}
        self._load()

    def _load(self) -> None:
        with self._lock:
            self._rows.clear()
            self._columns.clear()
            self._table_of.clear()
            for name, columns in self._conn.execute("SELECT name, columns FROM tables"):
                self._rows[name] = {}
                self._columns[name] = list(json.loads(columns))
            query = "SELECT tbl, sys_id, data FROM records ORDER BY seq"
            for table, sys_id, data in self._conn.execute(query):
                self._rows.setdefault(table, {})[sys_id] = json.loads(data)
                self._table_of[sys_id] = table
            for name in self._base_tables:
                self.ensure_table(name)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._closer()

    # ------------------------------------------------------------------ reads

    def has_table(self, table: str) -> bool:
        """Whether ``table`` exists (was pre-created or written to)."""
        with self._lock:
            return table in self._rows

    def tables(self) -> list[str]:
        """Names of every table."""
        with self._lock:
            return sorted(self._rows)

    def columns(self, table: str) -> list[str]:
        """Every field ever written to ``table``, in first-seen order."""
        with self._lock:
            return list(self._columns.get(table, ()))

    def records(self, table: str) -> list[Row]:
        """The records of ``table`` in insertion order (the dicts must not be mutated)."""
        with self._lock:
            return list(self._rows.get(table, {}).values())

    def get(self, table: str, sys_id: str) -> Row | None:
        """One record, or ``None``."""
        with self._lock:
            return self._rows.get(table, {}).get(sys_id)

    def locate(self, sys_id: str) -> tuple[str, Row] | None:
        """The table and record holding ``sys_id`` in any table, or ``None``."""
        with self._lock:
            table = self._table_of.get(sys_id)
            if table is None:
                return None
            row = self._rows[table].get(sys_id)
            return None if row is None else (table, row)

    # ------------------------------------------------------------------ writes

    def ensure_table(self, table: str) -> None:
        """Create ``table`` if it does not exist."""
        with self._lock:
            if table in self._rows:
                return
            with self._conn:
                self._conn.execute("INSERT OR IGNORE INTO tables (name) VALUES (?)", (table,))
            self._rows[table] = {}
            self._columns[table] = []

    def insert(self, table: str, row: Row) -> Row:
        """Add ``row`` (which must hold a ``sys_id``) to ``table``, creating the table."""
        sys_id = row["sys_id"]
        with self._lock:
            self.ensure_table(table)
            if sys_id in self._rows[table]:
                raise DuplicateRecord(f"{table} already holds {sys_id}")
            row = dict(row)
            with self._conn:
                self._conn.execute(
                    "INSERT INTO records (tbl, sys_id, data) VALUES (?, ?, ?)",
                    (table, sys_id, json.dumps(row)),
                )
                self._learn_columns(table, row)
            self._rows[table][sys_id] = row
            self._table_of[sys_id] = table
            return row

    def replace(self, table: str, row: Row) -> Row:
        """Store ``row`` as the new version of the record with its ``sys_id``."""
        sys_id = row["sys_id"]
        with self._lock:
            if sys_id not in self._rows.get(table, {}):
                raise KeyError(f"{table} has no record {sys_id}")
            row = dict(row)
            with self._conn:
                self._conn.execute(
                    "UPDATE records SET data = ? WHERE tbl = ? AND sys_id = ?",
                    (json.dumps(row), table, sys_id),
                )
                self._learn_columns(table, row)
            self._rows[table][sys_id] = row
            return row

    def delete(self, table: str, sys_id: str) -> bool:
        """Delete one record; ``False`` if it did not exist."""
        with self._lock:
            if sys_id not in self._rows.get(table, {}):
                return False
            with self._conn:
                self._conn.execute(
                    "DELETE FROM records WHERE tbl = ? AND sys_id = ?", (table, sys_id)
                )
            del self._rows[table][sys_id]
            if self._table_of.get(sys_id) == table:
                del self._table_of[sys_id]
            return True

    def reset(self) -> None:
        """Delete every table and record, then re-create the pre-created tables."""
        with self._lock:
            with self._conn:
                self._conn.execute("DELETE FROM records")
                self._conn.execute("DELETE FROM tables")
            self._load()

    def _learn_columns(self, table: str, row: Row) -> None:
        known = self._columns[table]
        new = [name for name in row if name not in known]
        if new:
            known.extend(new)
            self._conn.execute(
                "UPDATE tables SET columns = ? WHERE name = ?", (json.dumps(known), table)
            )
