"""The lock file's text is the sorted, one-space-indented JSON of its content, written out by
:meth:`Lock.to_json` without the pure-Python indenting encoder; it reads back as it was."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from usm_config.diagnostics import DiagnosticError
from usm_config.engine import lock as lock_module
from usm_config.engine.lock import LOCK_FORMAT, Lock, LockEntry

# Any text, including quotes, backslashes, control characters and non-ASCII letters.
_TEXT = st.text(max_size=12)
_ENTRY = st.builds(
    LockEntry,
    kind=_TEXT,
    target_id=_TEXT,
    key=st.lists(_TEXT, max_size=3).map(tuple),
    adopted=st.booleans(),
    applied=st.none() | _TEXT,
)


def _reference(lock: Lock) -> str:
    """What ``json`` gives for the same content."""
    data = {
        "format": LOCK_FORMAT,
        "target": lock.target,
        "adapter": lock.adapter,
        "records": {
            uid: {
                "kind": e.kind,
                "id": e.target_id,
                "key": list(e.key),
                **({"adopted": True} if e.adopted else {}),
                **({"applied": e.applied} if e.applied else {}),
            }
            for uid, e in lock.entries.items()
        },
    }
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


@given(target=_TEXT, adapter=_TEXT, entries=st.dictionaries(_TEXT, _ENTRY, max_size=4))
def test_lock_text_is_the_sorted_indented_json_of_its_content(
    target: str, adapter: str, entries: dict[str, LockEntry]
) -> None:
    lock = Lock(Path("unused.lock.json"), target, adapter, entries)
    assert lock.to_json() == _reference(lock)


def test_a_saved_lock_reads_back_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "b.t.lock.json"
    entries = {
        "service:a": LockEntry("service", "1", ('A "quoted" Ünïcode\\',), applied="sha256:x"),
        "sla:b": LockEntry("sla", "2", ("B", "incident"), adopted=True),
        "group:c": LockEntry("group", "3", ()),
    }
    Lock(path, "t", "servicenow", entries).save()
    assert Lock.load(path, "t", "servicenow").entries == entries
    assert path.read_text(encoding="utf-8").splitlines()[:4] == [
        "{",
        ' "adapter": "servicenow",',
        ' "format": 1,',
        ' "records": {',
    ]


# Values a lock file's JSON could hold where an entry's fields are: right, wrong or missing.
_ANY = st.none() | st.booleans() | st.integers() | _TEXT | st.lists(_TEXT, max_size=2)
_ENTRY_JSON = st.dictionaries(
    st.sampled_from(["kind", "id", "key", "adopted", "applied", "extra"]), _ANY, max_size=6
)
_FILE_JSON = st.fixed_dictionaries(
    {"records": st.dictionaries(_TEXT, _ENTRY_JSON | _ANY, max_size=3)},
    optional={"format": _ANY, "target": _ANY, "adapter": _ANY, "other": _ANY},
)


def _checked(data: object) -> tuple[str, str, dict[str, LockEntry]]:
    """What pydantic's validation of ``data`` gives, as the quick reading gives it."""
    parsed = lock_module.LockFile.model_validate(data)
    entries = {
        uid: LockEntry(e.kind, e.id, e.key, e.adopted, e.applied)
        for uid, e in parsed.records.items()
    }
    return parsed.target, parsed.adapter, entries


@given(_FILE_JSON)
def test_the_quick_reading_of_a_lock_file_agrees_with_pydantic(data: dict[str, object]) -> None:
    quick = lock_module._plain_lock_file(data)
    try:
        checked = _checked(data)
    except ValidationError:
        assert quick is None
    else:
        assert quick is None or quick == checked


@given(target=_TEXT, adapter=_TEXT, entries=st.dictionaries(_TEXT, _ENTRY, max_size=4))
def test_every_lock_file_usm_config_writes_is_read_the_quick_way(
    target: str, adapter: str, entries: dict[str, LockEntry]
) -> None:
    data = json.loads(Lock(Path("unused.lock.json"), target, adapter, entries).to_json())
    quick = lock_module._plain_lock_file(data)
    assert quick is not None and quick == _checked(data)


def test_a_lock_file_read_again_unchanged_is_not_parsed_again(tmp_path: Path) -> None:
    path = tmp_path / "b.t.lock.json"
    Lock(path, "t", "a", {"x:1": LockEntry("x", "1", ("one",))}).save()
    first = Lock.load(path, "t", "a", {"x"})
    first.set("x:2", "x", "2", ("two",))  # the caller's copy, not what was read
    with patch.object(lock_module, "load_json", side_effect=AssertionError("parsed again")):
        again = Lock.load(path, "t", "a", {"x"})
    assert again.entries == {"x:1": LockEntry("x", "1", ("one",))}
    Lock(path, "t", "a", {"x:1": LockEntry("x", "9", ("one",))}).save()
    assert Lock.load(path, "t", "a", {"x"}).entries["x:1"].target_id == "9"


@given(entries=st.dictionaries(_TEXT, _ENTRY, max_size=4))
def test_a_lock_read_right_after_it_was_saved_is_what_its_text_says(
    tmp_path_factory: pytest.TempPathFactory, entries: dict[str, LockEntry]
) -> None:
    path = tmp_path_factory.mktemp("saved") / "b.t.lock.json"
    saved = Lock(path, "t", "a", entries)
    saved.save()
    saved.entries.clear()  # the saver's copy, not what was written
    remembered = Lock.load(path, "t", "a").entries
    lock_module._LAST_READ.clear()
    assert remembered == Lock.load(path, "t", "a").entries


def test_a_saved_lock_is_not_parsed_again_unless_a_kind_is_not_known(tmp_path: Path) -> None:
    path = tmp_path / "b.t.lock.json"
    Lock(path, "t", "a", {"x:1": LockEntry("x", "1", ("one",), applied="sha256:1")}).save()
    with patch.object(lock_module, "load_json", side_effect=AssertionError("parsed again")):
        assert Lock.load(path, "t", "a", {"x", "y"}).entries["x:1"].target_id == "1"
    with pytest.raises(DiagnosticError) as refused:
        Lock.load(path, "t", "a", {"y"})
    assert "'x'" in str(refused.value)
