"""RecordStore: JSON rows, persistence, id counters that never repeat, seeding once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from usm_config.sandbox.store import DamagedState, DuplicateRecord, RecordStore


def test_rows_hold_any_json_in_insertion_order_and_update_merge_delete() -> None:
    store = RecordStore(tables=["projects"])
    assert store.tables() == ["projects"]
    assert store.rows("projects") == []
    first = store.insert("projects", {"key": "ITSM", "lead": {"accountId": "a1"}, "n": 3})
    second = store.insert("projects", {"key": "HR", "archived": False, "tags": ["x", None]})
    assert first == {"id": "10000", "key": "ITSM", "lead": {"accountId": "a1"}, "n": 3}
    assert second["id"] == "10001"
    assert [r["key"] for r in store.rows("projects")] == ["ITSM", "HR"]
    assert store.update("projects", "10000", {"key": "OPS"}) == {"id": "10000", "key": "OPS"}
    assert store.merge("projects", "10001", {"archived": True})["tags"] == ["x", None]
    assert store.columns("projects") == ["id", "key", "lead", "n", "archived", "tags"]
    assert store.delete("projects", "10000") is True
    assert store.delete("projects", "10000") is False
    assert store.get("projects", "10000") is None
    with pytest.raises(KeyError):
        store.update("projects", "10000", {})
    store.close()


def test_explicit_ids_from_the_row_or_the_argument() -> None:
    store = RecordStore(id_field="sys_id")
    store.insert("groups", {"sys_id": "a" * 32, "name": "A"})
    store.insert("groups", {"name": "B"}, id="b" * 32)
    assert [r["sys_id"] for r in store.rows("groups")] == ["a" * 32, "b" * 32]
    assert store.locate("b" * 32) == ("groups", {"sys_id": "b" * 32, "name": "B"})
    assert store.locate("c" * 32) is None
    with pytest.raises(DuplicateRecord):
        store.insert("groups", {"sys_id": "a" * 32})
    with pytest.raises(ValueError, match="is not the id"):
        store.insert("groups", {"sys_id": "d" * 32}, id="e" * 32)
    store.close()


def test_a_sys_id_of_digits_only_is_an_id_not_a_counter_value(tmp_path: Path) -> None:
    """uuid4().hex is all digits about once in 2.3 million: stored as it is, and the table's
    counter (what SQLite's INTEGER holds) stays where it was."""
    store = RecordStore(tmp_path / "state.sqlite3", id_field="sys_id")
    digits = "35572443043844308977842979102426"
    store.insert("contract_sla", {"sys_id": digits, "name": "A"})
    assert store.locate(digits) == ("contract_sla", {"sys_id": digits, "name": "A"})
    assert store.next_id("contract_sla") == "10000"
    store.close()


def test_ids_never_repeat_after_a_delete_or_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    store = RecordStore(db)
    assert [store.insert("issues", {"n": n})["id"] for n in range(3)] == ["10000", "10001", "10002"]
    store.delete("issues", "10002")
    assert store.next_id("issues") == "10003"
    store.insert("issues", {"n": 9}, id="10050")
    store.close()

    reopened = RecordStore(db)
    assert [r["n"] for r in reopened.rows("issues")] == [0, 1, 9]
    assert reopened.insert("issues", {"n": 10})["id"] == "10051"
    assert reopened.next_id("other") == "10000"  # counters are per table
    reopened.reset()
    assert reopened.tables() == []
    assert reopened.next_id("issues") == "10000"  # a reset starts afresh
    reopened.close()


def test_seed_runs_on_a_new_database_and_after_reset_but_not_on_restart(tmp_path: Path) -> None:
    runs: list[int] = []

    def baseline(store: RecordStore) -> None:
        runs.append(1)
        store.insert("issuetype", {"name": "Incident"})
        store.insert("issuetype", {"name": "Problem"})

    db = tmp_path / "state.sqlite3"
    store = RecordStore(db, tables=["issue"], seed=baseline)
    store.insert("issuetype", {"name": "Custom"})
    store.close()
    reopened = RecordStore(db, tables=["issue"], seed=baseline)
    assert [r["name"] for r in reopened.rows("issuetype")] == ["Incident", "Problem", "Custom"]
    assert len(runs) == 1
    reopened.reset()
    assert [r["name"] for r in reopened.rows("issuetype")] == ["Incident", "Problem"]
    assert reopened.rows("issue") == []
    assert len(runs) == 2
    reopened.close()


def test_concurrent_inserts_draw_distinct_ids() -> None:
    store = RecordStore()

    def work() -> None:
        for _ in range(50):
            store.insert("t", {})

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [row["id"] for row in store.rows("t")]
    assert sorted(ids) == [str(n) for n in range(10000, 10200)]
    store.close()


def _on_disk(db: Path) -> list[str]:
    """The row ids another connection sees in the state file (what is committed)."""
    with sqlite3.connect(db) as other:
        return [row_id for (row_id,) in other.execute("SELECT id FROM store_rows ORDER BY seq")]


def test_writes_together_are_committed_at_the_end_of_the_block_and_stand_alone(
    tmp_path: Path,
) -> None:
    db = tmp_path / "state.sqlite3"
    store = RecordStore(db)
    store.insert("t", {"n": 0})
    assert _on_disk(db) == ["10000"]  # alone: committed at once
    with store.together():
        store.insert("t", {"n": 1})
        store.merge("t", "10000", {"n": 5})
        assert _on_disk(db) == ["10000"]  # not committed yet
        with pytest.raises(DuplicateRecord):
            store.insert("t", {"n": 2}, id="10001")
        with store.together():  # nested: commits what is pending when it ends
            store.insert("t", {"n": 3})
        store.delete("t", "10002")
        store.insert("t", {"n": 4})
        assert store.get("t", "10003") == {"id": "10003", "n": 4}  # read at once
    assert _on_disk(db) == ["10000", "10001", "10003"]
    store.close()
    reopened = RecordStore(db)
    assert [r["n"] for r in reopened.rows("t")] == [5, 1, 4]
    assert reopened.next_id("t") == "10004"
    reopened.close()


def test_the_version_changes_with_every_write_and_only_then() -> None:
    store = RecordStore()
    seen = [store.version]

    def changed() -> bool:
        seen.append(store.version)
        return seen[-1] != seen[-2]

    store.insert("t", {"n": 1})
    assert changed()
    store.rows("t")
    store.get("t", "10000")
    assert not changed()
    store.merge("t", "10000", {"n": 2})
    assert changed()
    store.delete("t", "10000")
    assert changed()
    assert store.delete("t", "10000") is False
    assert not changed()
    store.ensure_table("u")
    assert changed()
    store.reset()
    assert changed()
    store.close()


def test_rows_are_written_by_their_place_so_updates_and_deletes_last_across_restarts(
    tmp_path: Path,
) -> None:
    """The store finds a row in the file by its place (seq), which it remembers from the
    insert or from loading: the same table and id written, deleted and written again."""
    db = tmp_path / "state.sqlite3"
    store = RecordStore(db, id_field="sys_id")
    for name in "abc":
        store.insert("groups", {"sys_id": name * 32, "name": name})
    store.insert("users", {"sys_id": "d" * 32})
    store.close()
    store = RecordStore(db, id_field="sys_id")
    store.merge("groups", "b" * 32, {"name": "B"})
    store.delete("groups", "a" * 32)
    store.insert("groups", {"sys_id": "a" * 32, "name": "again"})
    store.delete("users", "d" * 32)
    store.close()
    store = RecordStore(db, id_field="sys_id")
    assert [(r["sys_id"][0], r["name"]) for r in store.rows("groups")] == [
        ("b", "B"),
        ("c", "c"),
        ("a", "again"),
    ]
    assert store.rows("users") == []
    store.close()


def test_a_state_file_with_the_former_unique_index_still_works(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    with sqlite3.connect(db) as old:
        old.executescript(
            """
            CREATE TABLE store_tables (
                name TEXT PRIMARY KEY, columns TEXT NOT NULL DEFAULT '[]', next_id INTEGER NOT NULL
            );
            CREATE TABLE store_rows (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, id TEXT NOT NULL,
                data TEXT NOT NULL, UNIQUE (tbl, id)
            );
            CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO store_tables VALUES ('t', '["id", "n"]', 10002);
            INSERT INTO store_rows (tbl, id, data) VALUES ('t', '10000', '{"id": "10000", "n": 0}');
            INSERT INTO store_rows (tbl, id, data) VALUES ('t', '10001', '{"id": "10001", "n": 1}');
            INSERT INTO store_meta VALUES ('seeded', '1');
            """
        )
    store = RecordStore(db)
    store.merge("t", "10001", {"n": 5})
    store.delete("t", "10000")
    store.insert("t", {"n": 2})
    store.close()
    reopened = RecordStore(db)
    assert [(r["id"], r["n"]) for r in reopened.rows("t")] == [("10001", 5), ("10002", 2)]
    reopened.close()


def _another_database(path: Path) -> None:
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE store_rows (x)")


def _rows_not_json(path: Path) -> None:
    RecordStore(path, tables=["t"]).insert("t", {"a": 1})
    with sqlite3.connect(path) as damaged:
        damaged.execute("UPDATE store_rows SET data = '{cut'")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda path: path.write_bytes(b"not a database at all\n" * 100),
        lambda path: path.mkdir(),
        _another_database,
        _rows_not_json,
    ],
    ids=["garbage", "a-folder", "another-database", "rows-not-json"],
)
def test_a_state_file_that_is_not_a_sandbox_s_is_refused_naming_it(
    tmp_path: Path, spoil: Callable[[Path], None]
) -> None:
    path = tmp_path / "state.sqlite3"
    spoil(path)
    with pytest.raises(DamagedState, match=r"state\.sqlite3 cannot be (opened|read) \("):
        RecordStore(path, tables=["t"])
