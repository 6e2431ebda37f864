"""The state of an emulator: named tables of JSON-object rows keyed by a string id, in SQLite.

Every write goes to SQLite at once (one transaction per write, or one per
:meth:`RecordStore.together` block: a Batch API call commits its sub-requests together before
it answers); reads are served from an in-memory copy loaded at start-up, so paging a large
table does not re-decode it per page. One emulator process should own a state file at a time.

A row's id is also one of its fields, named by ``id_field`` (``"id"`` for Jira, ``"sys_id"``
for ServiceNow). Ids are either given by the emulator (ServiceNow makes its own sys_ids) or
drawn from a per-table counter with :meth:`RecordStore.next_id` (Jira's ``"10000"``,
``"10001"``, ...); the counter is persisted and never hands out an id twice, not after a delete
and not after a restart, only :meth:`RecordStore.reset` starts it again.

``seed`` fills a fresh store with out-of-box records: it runs once when the database is new,
and again after every :meth:`RecordStore.reset`, never on a restart over existing state.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from usm_config.diagnostics import display_path
from usm_config.sandbox.jsontext import encoder

__all__ = ["DamagedState", "DuplicateRecord", "RecordStore", "Row", "Seed"]

# Rows are written by their seq, which the store keeps in memory, and ids are unique because
# the store checks them in memory: an index on (tbl, id) would put every insert of a random id
# (a ServiceNow sys_id) on a random page of the index, which cost more than the rest of the
# insert together. (Files written before keep their index and AUTOINCREMENT; both still work.)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_tables (
    name TEXT PRIMARY KEY,
    columns TEXT NOT NULL DEFAULT '[]',
    next_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS store_rows (
    seq INTEGER PRIMARY KEY,
    tbl TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

#: A record: field name → any JSON value. Treat as read-only; writes replace the whole dict.
Row = dict[str, Any]
#: Fills a fresh store with its out-of-box records (through the store's own methods).
Seed = Callable[["RecordStore"], object]


#: The longest id taken as a value of a table's id counter (SQLite's INTEGER holds 18 digits).
_COUNTER_DIGITS = 18


#: ``json.dumps``, built once: it encodes every row written.
_dumps = encoder()

#: A write inside :meth:`RecordStore.together`, committed when the block ends.
_PENDING = nullcontext()


class DuplicateRecord(Exception):
    """An insert reused an id that the table already holds."""


class DamagedState(Exception):
    """The sandbox's state file is not a database this store can open (damaged, a folder,
    another kind of file)."""


class RecordStore:
    """Tables of JSON-object rows keyed by a string id, in insertion order, persisted in SQLite.

    ``db_path=None`` keeps everything in an in-memory database. ``tables`` are created (empty)
    if missing, also after :meth:`reset`. ``id_field`` is the row field holding the id.
    ``first_id`` is where every table's :meth:`next_id` counter starts. ``seed`` is run on a
    new database and after :meth:`reset` (see the module docstring). All methods are
    thread-safe.
    """

    def __init__(
        self,
        db_path: str | Path | None = None,
        *,
        tables: Iterable[str] = (),
        id_field: str = "id",
        first_id: int = 10000,
        seed: Seed | None = None,
    ) -> None:
        self.id_field = id_field
        self.first_id = first_id
        self._lock = threading.RLock()
        self._base_tables = tuple(tables)
        self._seed = seed
        target = ":memory:" if db_path is None else str(db_path)
        try:
            self._conn = sqlite3.connect(target, check_same_thread=False)
            self._closer = weakref.finalize(self, self._conn.close)
            if db_path is not None:
                # No WAL: a -wal file left by a killed process would be replayed into a fresh
                # database after `usm-config sandbox reset` deletes only the main file.
                # Skipping fsync is fine for a sandbox and keeps a commit in the tens of
                # microseconds.
                self._conn.execute("PRAGMA journal_mode=DELETE")
                self._conn.execute("PRAGMA synchronous=OFF")
            with self._conn:
                self._conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise DamagedState(f"{display_path(target)} cannot be opened ({exc})") from None
        self._rows: dict[str, dict[str, Row]] = {}
        self._seqs: dict[str, dict[str, int]] = {}
        #: table → its columns in first-seen order (a dict, for membership at dict speed).
        self._columns: dict[str, dict[str, None]] = {}
        self._next: dict[str, int] = {}
        self._together = 0
        self._version = 0
        with self._lock:
            try:
                self._load()
            except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
                raise DamagedState(f"{display_path(target)} cannot be read ({exc})") from None
            self._seed_once()

    def _load(self) -> None:
        self._rows.clear()
        self._seqs.clear()
        self._columns.clear()
        self._next.clear()
        for name, columns, next_id in self._conn.execute(
            "SELECT name, columns, next_id FROM store_tables"
        ):
            self._rows[name] = {}
            self._seqs[name] = {}
            self._columns[name] = dict.fromkeys(json.loads(columns))
            self._next[name] = next_id
        for seq, table, row_id, data in self._conn.execute(
            "SELECT seq, tbl, id, data FROM store_rows ORDER BY seq"
        ):
            self._rows.setdefault(table, {})[row_id] = json.loads(data)
            self._seqs.setdefault(table, {})[row_id] = seq
        for name in self._base_tables:
            self.ensure_table(name)

    def _seed_once(self) -> None:
        seeded = self._conn.execute("SELECT 1 FROM store_meta WHERE key = 'seeded'").fetchone()
        if seeded is not None:
            return
        if self._seed is not None:
            self._seed(self)
        with self._conn:
            self._conn.execute("INSERT OR REPLACE INTO store_meta VALUES ('seeded', '1')")

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._closer()

    # ------------------------------------------------------------------ reads

    @property
    def version(self) -> int:
        """A number that changes with every write: what was derived from the rows at one
        version (a sorted listing, say) still holds while it is the same."""
        return self._version

    def has_table(self, table: str) -> bool:
        """Whether ``table`` exists (was pre-created, ensured or written to)."""
        with self._lock:
            return table in self._rows

    def tables(self) -> list[str]:
        """Names of every table, sorted."""
        with self._lock:
            return sorted(self._rows)

    def columns(self, table: str) -> list[str]:
        """Every field ever written to ``table``, in first-seen order."""
        with self._lock:
            return list(self._columns.get(table, {}))

    def rows(self, table: str) -> list[Row]:
        """The rows of ``table`` in insertion order (the dicts must not be mutated)."""
        with self._lock:
            return list(self._rows.get(table, {}).values())

    def get(self, table: str, row_id: str) -> Row | None:
        """One row, or ``None``."""
        with self._lock:
            return self._rows.get(table, {}).get(row_id)

    def locate(self, row_id: str) -> tuple[str, Row] | None:
        """The first table (in creation order) holding ``row_id``, and that row; or ``None``.

        Meant for tools whose ids are unique across tables (ServiceNow's sys_ids).
        """
        with self._lock:
            for table, rows in self._rows.items():
                row = rows.get(row_id)
                if row is not None:
                    return table, row
            return None

    # ------------------------------------------------------------------ writes

    def ensure_table(self, table: str) -> None:
        """Create ``table`` if it does not exist."""
        with self._lock:
            if table in self._rows:
                return
            with self._transaction():
                self._conn.execute(
                    "INSERT OR IGNORE INTO store_tables (name, next_id) VALUES (?, ?)",
                    (table, self.first_id),
                )
            self._rows[table] = {}
            self._seqs[table] = {}
            self._columns[table] = {}
            self._next[table] = self.first_id
            self._version += 1

    def next_id(self, table: str) -> str:
        """Draw the next numeric id of ``table`` (``"10000"``, ``"10001"``, ...), creating it."""
        with self._lock:
            self.ensure_table(table)
            drawn = self._next[table]
            self._set_next(table, drawn + 1)
            return str(drawn)

    def insert(
        self,
        table: str,
        row: Mapping[str, Any],
        id: str | None = None,
    ) -> Row:
        """Add ``row`` to ``table`` (creating the table) and return it as stored.

        The id is ``id``, else the row's ``id_field``, else :meth:`next_id`; the stored row
        holds it in ``id_field``. A numeric id at or above the counter moves the counter past
        it, so :meth:`next_id` never hands it out.
        """
        row_id = id
        with self._lock:
            if table not in self._rows:
                self.ensure_table(table)
            given = row.get(self.id_field)
            if row_id is not None and given is not None and str(given) != row_id:
                raise ValueError(f"row {self.id_field} {given!r} is not the id {row_id!r}")
            if row_id is None:
                row_id = str(given) if given is not None else self.next_id(table)
            if row_id in self._rows[table]:
                raise DuplicateRecord(f"{table} already holds {row_id}")
            # The id first, then the row's other fields in their order.
            stored = {self.id_field: row_id, **row}
            stored[self.id_field] = row_id
            with self._transaction():
                cursor = self._conn.execute(
                    "INSERT INTO store_rows (tbl, id, data) VALUES (?, ?, ?)",
                    (table, row_id, _dumps(stored)),
                )
                seq = cursor.lastrowid
                assert seq is not None  # an INSERT of one row sets it
                self._learn_columns(table, stored)
                # A numeric id given by the caller moves the counter past it; a 32-character
                # sys_id that happens to be all digits (uuid4().hex, about once in 2.3 million)
                # is not a counter value, and would not fit SQLite's INTEGER.
                counted = row_id.isdigit() and len(row_id) <= _COUNTER_DIGITS
                if counted and int(row_id) >= self._next[table]:
                    self._set_next(table, int(row_id) + 1)
            self._rows[table][row_id] = stored
            self._seqs[table][row_id] = seq
            self._version += 1
            return stored

    def update(self, table: str, row_id: str, row: Mapping[str, Any]) -> Row:
        """Replace the row with ``row_id`` by ``row`` (its id field is kept); return it.

        Raises ``KeyError`` when there is no such row.
        """
        with self._lock:
            if row_id not in self._rows.get(table, {}):
                raise KeyError(f"{table} has no record {row_id}")
            stored = {self.id_field: row_id, **row}
            stored[self.id_field] = row_id
            with self._transaction():
                self._conn.execute(
                    "UPDATE store_rows SET data = ? WHERE seq = ?",
                    (_dumps(stored), self._seqs[table][row_id]),
                )
                self._learn_columns(table, stored)
            self._rows[table][row_id] = stored
            self._version += 1
            return stored

    def merge(self, table: str, row_id: str, changes: Mapping[str, Any]) -> Row:
        """Set the fields in ``changes`` on the row with ``row_id`` (a shallow merge)."""
        with self._lock:
            current = self._rows.get(table, {}).get(row_id)
            if current is None:
                raise KeyError(f"{table} has no record {row_id}")
            return self.update(table, row_id, {**current, **changes})

    def delete(self, table: str, row_id: str) -> bool:
        """Delete one row; ``False`` if it did not exist. Its id is never drawn again."""
        with self._lock:
            if row_id not in self._rows.get(table, {}):
                return False
            with self._transaction():
                self._conn.execute(
                    "DELETE FROM store_rows WHERE seq = ?", (self._seqs[table].pop(row_id),)
                )
            del self._rows[table][row_id]
            self._version += 1
            return True

    @contextmanager
    def together(self) -> Iterator[None]:
        """Commit the writes made inside the block in one transaction at its end (blocks may
        nest; each commits what is pending when it ends). Holds the store's lock throughout.

        A commit with a rollback journal creates and deletes a file; doing it once per Batch
        API call instead of once per sub-request keeps a large apply from spending most of
        the emulator's time on it. A write that fails still leaves the others in place.
        """
        with self._lock:
            self._together += 1
            try:
                yield
            finally:
                self._together -= 1
                self._conn.commit()

    def _transaction(self) -> AbstractContextManager[object]:
        """One write's transaction: committed at once, or by the enclosing :meth:`together`."""
        return _PENDING if self._together else self._conn

    def reset(self) -> None:
        """Delete every table, row and id counter; re-create the pre-created tables; seed."""
        with self._lock:
            with self._conn:
                self._conn.execute("DELETE FROM store_rows")
                self._conn.execute("DELETE FROM store_tables")
                self._conn.execute("DELETE FROM store_meta")
            self._load()
            self._version += 1
            self._seed_once()

    def _set_next(self, table: str, value: int) -> None:
        self._next[table] = value
        with self._transaction():
            self._conn.execute("UPDATE store_tables SET next_id = ? WHERE name = ?", (value, table))

    def _learn_columns(self, table: str, row: Row) -> None:
        known = self._columns[table]
        if row.keys() <= known.keys():  # the usual case, checked without a loop in Python
            return
        new = [name for name in row if name not in known]
        if new:
            known.update(dict.fromkeys(new))
            self._conn.execute(
                "UPDATE store_tables SET columns = ? WHERE name = ?",
                (_dumps(list(known)), table),
            )
