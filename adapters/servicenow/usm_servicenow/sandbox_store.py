"""The ServiceNow emulator's state: the kit's record store with records keyed by ``sys_id``.

Values are stored as the instance stores them, as strings (the emulator converts on write).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from usm_config.sandbox import store

__all__ = ["DuplicateRecord", "RecordStore", "Row"]

DuplicateRecord = store.DuplicateRecord
Row = store.Row


class RecordStore(store.RecordStore):
    """Tables of records keyed by their 32-hex ``sys_id``, persisted in SQLite.

    ``db_path=None`` keeps everything in memory; ``tables`` exist (empty) from the start and
    after a reset; ``seed`` fills a fresh store with out-of-box records. Insert a record with
    its ``sys_id`` set; :meth:`locate` finds the table of any sys_id, which is unique across
    the instance.
    """

    def __init__(
        self,
        db_path: str | Path | None = None,
        *,
        tables: Iterable[str] = (),
        seed: store.Seed | None = None,
    ) -> None:
        super().__init__(db_path, tables=tables, id_field="sys_id", seed=seed)

    def records(self, table: str) -> list[Row]:
        """The records of ``table`` in insertion order (the Table API's word for rows)."""
        return self.rows(table)
