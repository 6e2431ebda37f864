"""The lock file's text is the sorted, one-space-indented JSON of its content, written out by
:meth:`Lock.to_json` without the pure-Python indenting encoder; it reads back as it was."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

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
