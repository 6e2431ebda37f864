"""engine.records.immutable: frozen for the type checker, a plain slotted dataclass at run time."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from mypy import api

from usm_config.engine.lock import LockEntry
from usm_config.engine.records import Record


def test_the_type_checker_refuses_an_assignment_to_a_record_or_a_lock_entry(
    tmp_path: Path,
) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        "from usm_config.engine.lock import LockEntry\n"
        "from usm_config.engine.records import Record\n"
        "\n"
        'Record("service", ("Mail",)).fields = {}\n'
        'LockEntry("service", "1", ("Mail",)).applied = "x"\n',
        encoding="utf-8",
    )
    report, _, status = api.run(
        ["--strict", "--no-incremental", "--follow-imports=silent", str(snippet)]
    )
    assert status == 1
    assert 'snippet.py:4: error: Property "fields" defined in "Record" is read-only' in report
    assert 'snippet.py:5: error: Property "applied" defined in "LockEntry" is read-only' in report


def test_equal_lock_entries_hash_alike_as_frozen_ones_do() -> None:
    entry = LockEntry("service", "1", ("Mail",), applied="a")
    assert entry == LockEntry("service", "1", ("Mail",), applied="a")
    assert hash(entry) == hash(LockEntry("service", "1", ("Mail",), applied="a"))
    assert len({entry, replace(entry, applied="b")}) == 2


def test_a_record_compares_by_value_and_holds_no_instance_dict() -> None:
    record = Record("service", ("Mail",), {"name": "Mail"}, uid="service:mail")
    assert record == Record("service", ("Mail",), {"name": "Mail"}, uid="service:mail")
    assert replace(record, target_id="1").target_id == "1"
    assert not hasattr(record, "__dict__")
    with pytest.raises(TypeError, match="unhashable"):
        hash(record)  # its fields are a dict, as with a frozen dataclass
