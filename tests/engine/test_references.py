"""Keys and references: computed once, for both sides, single references and lists."""

from __future__ import annotations

import pytest
from memory_harness import Harness
from memory_tool import KINDS, folder, group, item

from usm_config.engine.order import write_levels
from usm_config.engine.plan import Action
from usm_config.engine.records import KindSpec, Record, key_part, record_key, ref
from usm_config.engine.references import MissingReference, References, resolve_live_references

SPAN = KindSpec(
    "span", "span", ("schedule", "day"), ("schedule", "day", "start"), {"schedule": "schedule"}
)
SCHEDULE = KindSpec("schedule", "schedule", ("name",), ("name",))
BOTH = {"span": SPAN, "schedule": SCHEDULE}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Service Desk", "Service Desk"),
        (None, ""),
        (3, "3"),
        (ref("schedule", ("Office", "Europe/Amsterdam")), "Office/Europe/Amsterdam"),
    ],
)
def test_key_part_reads_values_and_references(value: object, text: str) -> None:
    assert key_part(value) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [[], ["a"], [ref("group", ("desk",))]])
def test_a_list_cannot_be_part_of_a_key(value: list[object]) -> None:
    with pytest.raises(ValueError, match="a list cannot be part of a natural key"):
        key_part(value)  # type: ignore[arg-type]
    spec = KindSpec("context", "context", ("name", "types"), ("name", "types"))
    with pytest.raises(ValueError, match=r"^context\.types: a list"):
        record_key(spec, {"name": "x", "types": value})  # type: ignore[dict-item]


def test_record_key_follows_the_key_fields_in_order() -> None:
    fields = {"start": "08:00", "day": "mon", "schedule": ref("schedule", ("Office",))}
    assert record_key(SPAN, fields) == ("Office", "mon")
    assert record_key(SPAN, {"day": "tue"}) == ("", "tue")


def test_live_ids_become_references_and_keys_in_dependency_order() -> None:
    raw = [
        Record(kind="span", key=(), fields={"schedule": "s1", "day": "mon"}, target_id="x1"),
        Record(kind="span", key=(), fields={"schedule": "zz", "day": "tue"}, target_id="x2"),
        Record(kind="schedule", key=(), fields={"name": "Office"}, target_id="s1"),
    ]
    live = {r.target_id: r for r in resolve_live_references(raw, BOTH)}
    assert live["s1"].key == ("Office",)
    assert live["x1"].fields["schedule"] == ref("schedule", ("Office",))
    assert live["x1"].key == ("Office", "mon")
    assert live["x2"].fields["schedule"] == "zz", "an unknown id stays as it is"
    assert live["x2"].key == ("zz", "tue")


def test_ids_are_looked_up_per_kind() -> None:
    """Two kinds may use the same id (Jira's numeric ids); a reference names its kind."""
    raw = [
        Record(kind="flow", key=(), fields={"name": "notify"}, target_id="10"),
        Record(kind="group", key=(), fields={"name": "desk"}, target_id="10"),
        Record(kind="item", key=(), fields={"name": "i", "group": "10"}, target_id="11"),
    ]
    (resolved,) = [r for r in resolve_live_references(raw, KINDS) if r.kind == "item"]
    assert resolved.fields["group"] == ref("group", ("desk",))


def test_a_list_of_ids_is_resolved_element_by_element_as_a_set() -> None:
    raw = [
        Record(kind="group", key=(), fields={"name": "desk"}, target_id="g1"),
        Record(kind="group", key=(), fields={"name": "ops"}, target_id="g2"),
        Record(
            kind="item",
            key=(),
            fields={"name": "laptop", "group": "g1", "watchers": ["g2", "gone", "g1"]},
            target_id="i1",
        ),
    ]
    (laptop,) = [r for r in resolve_live_references(raw, KINDS) if r.kind == "item"]
    # A list of references is a set: by the referenced key, ids pointing nowhere last.
    assert laptop.fields["watchers"] == [ref("group", ("desk",)), ref("group", ("ops",)), "gone"]


def test_references_become_ids_also_inside_lists() -> None:
    index = References()
    index.learn("group", ("desk",), "g1")
    index.learn("group", ("ops",), "g2")
    fields = item("laptop", "desk", watchers=["ops", "desk"]).fields
    assert index.to_ids(fields) == {
        "name": "laptop",
        "group": "g1",
        "order": "1",
        "watchers": ["g2", "g1"],
    }
    index.forget("group", ("ops",))
    with pytest.raises(MissingReference, match=r"field 'watchers' refers to group\[ops\]"):
        index.to_ids(fields)


def test_of_matches_the_smallest_id_of_records_sharing_a_key() -> None:
    live = [
        Record(kind="group", key=("desk",), fields={}, target_id="g2"),
        Record(kind="group", key=("desk",), fields={}, target_id="g1"),
    ]
    assert References.of(live, KINDS).target_id("group", ("desk",)) == "g1"


def test_apply_writes_lists_of_ids_and_converges(harness: Harness) -> None:
    desired = [
        group("desk", uid="g:desk"),
        group("ops", uid="g:ops"),
        item("laptop", "desk", uid="i:laptop", watchers=["ops", "desk"]),
    ]
    assert not harness.apply(desired).failed
    ids = {row["name"]: target_id for target_id, row in harness.tool.tables["group"].items()}
    (row,) = harness.tool.tables["item"].values()
    assert row["watchers"] == [ids["desk"], ids["ops"]]
    assert harness.plan(desired).changes == ()


def test_a_list_of_references_is_a_set(harness: Harness) -> None:
    groups = [group("desk", uid="g:desk"), group("ops", uid="g:ops")]
    harness.apply([*groups, item("laptop", "desk", uid="i:laptop", watchers=["ops", "desk"])])
    reordered = item("laptop", "desk", uid="i:laptop", watchers=["desk", "ops"])
    assert harness.plan([*groups, reordered]).changes == ()
    fewer = item("laptop", "desk", uid="i:laptop", watchers=["ops"])
    (change,) = harness.plan([*groups, fewer]).changes
    assert change.action == Action.UPDATE
    assert [(d.field, d.after) for d in change.diff] == [("watchers", fewer.fields["watchers"])]


def test_a_list_element_pointing_nowhere_fails_that_change(harness: Harness) -> None:
    desired = [group("desk", uid="g:desk"), item("laptop", "desk", watchers=["nowhere"])]
    result = harness.apply(desired)
    ((change, message),) = result.failed
    assert change.address == "item[laptop]"
    assert message == (
        "item[laptop]: field 'watchers' refers to group[nowhere], which does not exist in the "
        "target"
    )


def test_a_record_listed_twice_is_kept_once() -> None:
    """An offset-paged list that shifted while it was read serves a row on two pages: one
    record, not a duplicate key."""
    desk = Record(kind="group", key=(), fields={"name": "desk", "email": ""}, target_id="g1")
    other = Record(kind="group", key=(), fields={"name": "ops", "email": ""}, target_id="g2")
    live = resolve_live_references([desk, other, desk], KINDS)
    assert [(r.target_id, r.key) for r in live] == [("g1", ("desk",)), ("g2", ("ops",))]


def test_records_that_refer_to_their_own_kind_are_written_after_what_they_refer_to(
    harness: Harness,
) -> None:
    """A folder in a folder in a folder, all new: each is written a level after its parent
    (at once they would point at folders not yet there), and kinds above move up with them."""
    desired = [
        folder("leaf", "mid", uid="f:leaf"),
        folder("mid", "root", uid="f:mid"),
        folder("root", uid="f:root"),
        group("desk", uid="g:desk"),
        item("laptop", "desk", uid="i:laptop"),
    ]
    levels = {c.address: c.level for c in harness.plan(desired).changes}
    assert levels == {
        "folder[root]": 0,
        "group[desk]": 0,
        "folder[mid]": 1,
        "folder[leaf]": 2,
        "item[laptop]": 3,
    }
    result = harness.apply(desired, parallelism=8)
    assert not result.failed, result.failed
    assert harness.plan(desired).changes == ()
    parents = {row["name"]: row["parent"] for row in harness.tool.tables["folder"].values()}
    ids = {row["name"]: target_id for target_id, row in harness.tool.tables["folder"].items()}
    assert parents == {"root": "", "mid": ids["root"], "leaf": ids["mid"]}


def test_a_reference_to_a_record_of_the_same_kind_read_after_it_is_resolved() -> None:
    raw = [
        Record(kind="folder", key=(), fields={"name": "leaf", "parent": "f2"}, target_id="f1"),
        Record(kind="folder", key=(), fields={"name": "root", "parent": ""}, target_id="f2"),
    ]
    live = {r.target_id: r for r in resolve_live_references(raw, KINDS)}
    assert live["f1"].fields["parent"] == ref("folder", ("root",))
    assert live["f2"].fields["parent"] == ""


def test_a_circle_of_references_within_a_kind_ends() -> None:
    desired = [folder("a", "b"), folder("b", "a")]
    levels = write_levels(KINDS, desired)
    assert {levels.of("folder", ("a",)), levels.of("folder", ("b",))} == {0, 1}


def test_a_long_chain_within_a_kind_gets_its_levels_without_recursion() -> None:
    """Each record of a chain of 3,000 is a level after the one it refers to (Python's
    recursion limit is 1,000)."""
    chain = [folder("f0")] + [folder(f"f{n}", f"f{n - 1}") for n in range(1, 3000)]
    levels = write_levels(KINDS, reversed(chain))
    assert levels.of("folder", ("f2999",)) == 2999
    assert levels.kinds["item"] == 1 + 2999
