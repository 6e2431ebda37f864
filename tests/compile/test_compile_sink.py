"""The record sink: keys from key fields (references by their target's key), clashes, the final
sorted Desired, counts."""

from __future__ import annotations

import re

import pytest

from usm_config.compile.sink import Fields, Path, RecordSink, record_counts
from usm_config.engine.records import KindSpec, ref

KINDS = {
    "group": KindSpec(
        name="group", label="group", key_fields=("name",), owned_fields=("name", "email")
    ),
    "schedule": KindSpec(
        name="schedule", label="schedule", key_fields=("name",), owned_fields=("name",)
    ),
    "queue": KindSpec(
        name="queue",
        label="queue",
        key_fields=("name",),
        owned_fields=("name",),
        keys_ignore_case=True,
    ),
    "span": KindSpec(
        name="span",
        label="schedule entry",
        key_fields=("schedule", "name"),
        owned_fields=("schedule", "name", "days"),
        references={"schedule": "schedule"},
    ),
}

#: (kind, fields, uid, path) as a mapping would add them.
ADDED: list[tuple[str, Fields, str, Path]] = [
    (
        "span",
        {"schedule": ref("schedule", ("Office",)), "name": "Mon-Fri"},
        "span:1",
        ("s", 0, "spans", 0),
    ),
    ("group", {"name": "Desk", "email": "desk@example.org"}, "team:desk", ("teams", 0)),
    ("schedule", {"name": "Office"}, "schedule:office", ("schedules", 0)),
    ("group", {"name": "Apps"}, "team:apps", ("teams", 1)),
]


def _sink(added: list[tuple[str, Fields, str, Path]]) -> RecordSink:
    sink = RecordSink(KINDS, "Tool")
    for kind, fields, uid, path in added:
        sink.add(kind, fields, uid, path)
    return sink


def test_keys_sources_and_sorted_desired() -> None:
    sink = _sink(ADDED)
    assert [(r.kind, r.key, r.uid, r.source) for r, _ in sink.items] == [
        ("span", ("Office", "Mon-Fri"), "span:1", "s[0].spans[0]"),
        ("group", ("Desk",), "team:desk", "teams[0]"),
        ("schedule", ("Office",), "schedule:office", "schedules[0]"),
        ("group", ("Apps",), "team:apps", "teams[1]"),
    ]
    assert [path for _, path in sink.items] == [path for *_, path in ADDED]
    desired = sink.desired(["a note"])
    assert [(r.kind, r.key) for r in desired.records] == [
        ("group", ("Apps",)),
        ("group", ("Desk",)),
        ("schedule", ("Office",)),
        ("span", ("Office", "Mon-Fri")),
    ]
    assert desired.notes == ("a note",)
    assert sink.clashes() == []


def test_counts_follow_kind_order() -> None:
    sink = _sink(ADDED)
    assert list(sink.counts().items()) == [("group", 2), ("schedule", 1), ("span", 1)]
    assert record_counts(sink.desired().records, ["span", "group", "nothing"]) == {
        "span": 1,
        "group": 2,
    }


#: (what is added after ADDED, expected clash paths, expected message, expected hint)
CLASH_CASES = [
    (
        [("group", {"name": "Desk"}, "team:twin", ("teams", 2))],
        [("teams", 2)],
        "teams[2] and teams[0] both become the Tool group 'Desk'",
        "give them different names: Tool identifies each group by name",
    ),
    (
        # A tool that ignores the case of queue names holds one queue for both.
        [
            ("queue", {"name": "Ops Desk"}, "queue:a", ("queues", 0)),
            ("queue", {"name": "OPS desk"}, "queue:b", ("queues", 1)),
            ("group", {"name": "DESK"}, "team:upper", ("teams", 2)),
        ],
        [("queues", 1)],
        "queues[1] and queues[0] both become the Tool queue 'OPS desk'",
        "give them different names: Tool identifies each queue by name regardless of case",
    ),
    (
        [("span", {"schedule": ref("schedule", ("Office",)), "name": "Mon-Fri"}, "x", ("s", 1))],
        [("s", 1)],
        "s[1] and s[0].spans[0] both become the Tool schedule entry 'Office/Mon-Fri'",
        "give them different names: Tool identifies each schedule entry by schedule, name",
    ),
]


@pytest.mark.parametrize(("extra", "paths", "message", "hint"), CLASH_CASES)
def test_clashes(
    extra: list[tuple[str, Fields, str, Path]], paths: list[Path], message: str, hint: str
) -> None:
    sink = _sink([*ADDED, *extra])
    clashes = sink.clashes()
    assert [c.path for c in clashes] == paths
    assert [c.message for c in clashes] == [message]
    assert [c.hint for c in clashes] == [hint]
    with pytest.raises(ValueError, match=re.escape(message)):
        sink.desired()


def test_same_name_in_two_kinds_is_no_clash() -> None:
    sink = _sink([("group", {"name": "Office"}, "g", ("teams", 0)), *ADDED[2:3]])
    assert sink.clashes() == []


@pytest.mark.parametrize(
    ("kind", "fields", "error"),
    [
        ("group", {"name": "Desk", "type": "itil"}, "group does not own ['type']"),
        ("span", {"name": "Mon-Fri"}, "span needs its key fields ['schedule']"),
    ],
)
def test_programming_errors_are_assertions(kind: str, fields: Fields, error: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(error)):
        RecordSink(KINDS, "Tool").add(kind, fields, "uid", ())


@pytest.mark.parametrize(
    ("kind", "fields", "error"),
    [
        ("group", {"type": "itil", "name": "Desk"}, "group does not own ['type']"),
        ("span", {"name": "Mon-Fri"}, "span needs its key fields ['schedule']"),
    ],
)
def test_a_record_is_checked_after_others_of_its_kind_were_right(
    kind: str, fields: Fields, error: str
) -> None:
    # The sink remembers the field names it found right per kind; other names are checked.
    sink = _sink(ADDED)
    with pytest.raises(AssertionError, match=re.escape(error)):
        sink.add(kind, fields, "uid", ())


def test_a_record_keeps_its_own_fields() -> None:
    fields: Fields = {"name": "Desk"}
    record = RecordSink(KINDS, "Tool").add("group", fields, "team:desk", ("teams", 0))
    fields["name"] = "Changed afterwards"
    assert record.fields == {"name": "Desk"}


def test_names_too_long_for_the_tool_are_problems_at_their_element() -> None:
    sink = _sink([*ADDED, ("group", {"name": "D" * 31}, "team:long", ("teams", 2))])
    limits = {("group", "name"): 30, ("span", "name"): 7}
    (problem,) = sink.too_long(limits, "Tool", {"group": " (or set x-tool.group)"})
    assert problem.path == ("teams", 2)
    assert problem.message == (
        f"'{'D' * 31}' becomes a Tool group name of 31 characters; Tool accepts at most 30"
    )
    assert problem.hint == "shorten the name to 30 characters or fewer (or set x-tool.group)"
    assert sink.too_long({("group", "name"): 31}, "Tool") == []
