"""The field changes of a create (a diff against no record, shared where equal) and the
``applied`` fingerprints of records diffed again."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from memory_harness import Harness
from memory_tool import group, item

from usm_config.engine import diff
from usm_config.engine.diff import _field_diff, _new_fields, _Shared
from usm_config.engine.records import Record

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, -0.0, 2.5]),
    st.text(max_size=3),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=2), scalars, max_size=2),
)
records = st.dictionaries(st.sampled_from(["a", "b", "name", "n"]), values, max_size=4).map(
    lambda fields: Record(kind="k", key=("x",), fields=fields)
)


def described(record: Record, shared: _Shared) -> list[tuple[str, object, object, str]]:
    return [
        (c.field, c.before, repr(c.after), type(c.after).__name__)
        for c in _new_fields(record, shared)
    ]


@given(st.lists(records, min_size=1, max_size=6))
def test_the_field_changes_of_a_create_are_its_diff_against_no_record(batch: list[Record]) -> None:
    shared: _Shared = {}
    for record in batch:
        expected = [
            (c.field, c.before, repr(c.after), type(c.after).__name__)
            for c in _field_diff(record, None)
        ]
        assert described(record, shared) == expected


def test_equal_scalars_share_one_field_change_and_true_is_not_one_nor_zero_minus_zero() -> None:
    shared: _Shared = {}
    first = _new_fields(Record(kind="k", key=("1",), fields={"n": 1, "s": "x"}), shared)
    second = _new_fields(Record(kind="k", key=("2",), fields={"n": True, "s": "x"}), shared)
    assert first[1] is second[1]
    assert (first[0].after, second[0].after) == (1, True)
    assert type(second[0].after) is bool
    zeros = [_new_fields(Record(kind="k", key=(), fields={"f": z}), shared) for z in (0.0, -0.0)]
    assert [repr(d[0].after) for d in zeros] == ["0.0", "-0.0"]


def test_the_same_compiled_records_are_fingerprinted_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An apply's re-plan diffs the very records its plan did (compiled once): the ``applied``
    fingerprints are not worked out again; equal records made anew are fingerprinted."""
    desired = (group("desk", "d@x.org", uid="g:desk"), item("laptop", "desk", uid="i:laptop"))
    first = harness.plan(desired)
    worked_out: list[Record] = []
    monkeypatch.setattr(diff, "applied_fingerprint", lambda r: worked_out.append(r) or "x")
    assert harness.plan(desired) == first
    assert harness.plan(list(desired)) == first  # the same records in another sequence
    assert worked_out == []
    anew = (group("desk", "d@x.org", uid="g:desk"), item("laptop", "desk", uid="i:laptop"))
    assert [c.applied for c in harness.plan(anew).changes] == ["x", "x"]
    assert worked_out == list(anew)
