"""The diff: matching by lock and natural key, owned fields only, prune, manual steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from memory_harness import Harness
from memory_tool import group, item, parse_created

from usm_config.engine.diff import GONE_REASON, PLACED_AGAIN, compute_changes
from usm_config.engine.lock import Lock
from usm_config.engine.plan import Action
from usm_config.engine.records import KindSpec, Record, ref


def actions(result: object) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.action.value, c.kind, c.key) for c in result.changes]  # type: ignore[attr-defined]


def test_empty_target_plans_creates_in_dependency_order(harness: Harness) -> None:
    """It plans every desired record as a create, parents before children."""
    desired = [item("laptop", "desk", uid="i:laptop"), group("desk", uid="g:desk")]
    assert actions(harness.plan(desired)) == [
        ("create", "group", ("desk",)),
        ("create", "item", ("laptop",)),
    ]


def test_converged_target_plans_nothing(harness: Harness) -> None:
    """It plans no changes when live matches desired."""
    desired = [group("desk", "d@x.org", uid="g:desk"), item("laptop", "desk", uid="i:laptop")]
    harness.apply(desired)
    assert harness.plan(desired).changes == ()


def test_changed_field_is_an_update_with_before_and_after(harness: Harness) -> None:
    """It reports an update with the field-level before and after."""
    harness.apply([group("desk", "old@x.org", uid="g:desk")])
    result = harness.plan([group("desk", "new@x.org", uid="g:desk")])
    (change,) = result.changes
    assert change.action == Action.UPDATE
    assert [(d.field, d.before, d.after) for d in change.diff] == [
        ("email", "old@x.org", "new@x.org")
    ]


def test_rename_is_an_update_not_delete_and_create(harness: Harness) -> None:
    """A renamed element keeps its uid, so the lock turns the rename into an update."""
    harness.apply([group("desk", uid="g:desk")])
    result = harness.plan([group("service desk", uid="g:desk")], prune=True)
    (change,) = result.changes
    assert change.action == Action.UPDATE
    assert change.reason == "renamed in the blueprint"


def test_unmanaged_record_with_same_key_is_adopted(harness: Harness) -> None:
    """It adopts an existing unmanaged record instead of creating a duplicate."""
    harness.tool.insert("group", {"name": "desk", "email": "x@x.org"})
    (change,) = harness.plan([group("desk", "x@x.org", uid="g:desk")]).changes
    assert change.action == Action.ADOPT
    harness.apply([group("desk", "x@x.org", uid="g:desk")])
    assert len(harness.tool.tables["group"]) == 1
    assert harness.plan([group("desk", "x@x.org", uid="g:desk")]).changes == ()


def test_changes_to_an_adopted_record_say_usm_config_did_not_create_it(
    harness: Harness,
) -> None:
    """The lock remembers an adoption, so every later update or prune says whose record it
    is: an out-of-box record stays recognisable after it was taken over."""
    harness.tool.insert("group", {"name": "desk", "email": "x@x.org"})
    harness.apply([group("desk", "y@x.org", uid="g:desk"), group("ops", uid="g:ops")])
    assert harness.lock().entries["g:desk"].adopted
    assert not harness.lock().entries["g:ops"].adopted
    assert '"adopted": true' in harness.lock().to_json()
    (update,) = harness.plan([group("desk", "z@x.org", uid="g:desk")]).changes
    assert update.action == Action.UPDATE
    assert update.reason == "fields differ; an adopted record usm-config did not create"
    harness.apply([group("desk", "z@x.org", uid="g:desk"), group("ops", uid="g:ops")])
    assert harness.lock().entries["g:desk"].adopted  # an update keeps the mark
    (prune,) = harness.plan([group("ops", uid="g:ops")], prune=True).changes
    assert (prune.action, prune.key) == (Action.DELETE, ("desk",))
    assert prune.reason.endswith("; an adopted record usm-config did not create")


def test_prune_deletes_only_managed_records(harness: Harness) -> None:
    """Without --prune nothing is deleted; with it only lock-listed records go."""
    harness.tool.insert("group", {"name": "foreign", "email": ""})
    harness.apply([group("desk", uid="g:desk"), group("ops", uid="g:ops")])
    kept = harness.plan([group("desk", uid="g:desk")])
    assert kept.changes == ()
    assert "--prune" in kept.notes[0]
    pruned = harness.plan([group("desk", uid="g:desk")], prune=True)
    assert actions(pruned) == [("delete", "group", ("ops",))]
    harness.apply([group("desk", uid="g:desk")], prune=True)
    names = sorted(r["name"] for r in harness.tool.tables["group"].values())
    assert names == ["desk", "foreign"]


def test_deletes_run_children_first(harness: Harness) -> None:
    """Deletes are ordered in reverse dependency order."""
    harness.apply([group("desk", uid="g:desk"), item("laptop", "desk", uid="i:laptop")])
    assert actions(harness.plan([], prune=True)) == [
        ("delete", "item", ("laptop",)),
        ("delete", "group", ("desk",)),
    ]


def test_read_only_kind_becomes_a_manual_step_until_done(harness: Harness) -> None:
    """A record of a kind the API cannot write is a manual step; the next plan verifies it."""
    from usm_config.engine.records import Record

    flow = Record(kind="flow", key=("notify",), fields={"name": "notify"}, uid="f:notify")
    (change,) = harness.plan([flow]).changes
    assert change.action == Action.MANUAL
    assert change.instructions == "build it"
    harness.tool.insert("flow", {"name": "notify"})
    assert harness.plan([flow]).changes == ()


def test_record_deleted_behind_our_back_is_created_again(harness: Harness) -> None:
    """A managed record that vanished from the target is planned as a create again."""
    harness.apply([group("desk", uid="g:desk")])
    harness.tool.tables["group"].clear()
    (change,) = harness.plan([group("desk", uid="g:desk")]).changes
    assert change.action == Action.CREATE
    assert "gone" in change.reason


def test_a_managed_record_a_listing_missed_is_looked_up_not_created_twice(
    harness: Harness,
) -> None:
    """A listing can leave out a row (an offset-paged list that shifted while it was read, a
    search index behind its writes): the plan says the record is gone, and the apply looks
    it up by key before it creates it."""
    desired = [group("desk", uid="g:desk"), group("ops", uid="g:ops")]
    harness.apply(desired)
    (missed,) = [i for i, row in harness.tool.tables["group"].items() if row["name"] == "desk"]
    harness.tool.missed_by_listings = {missed}
    (change,) = harness.plan(desired).changes
    assert (change.action, change.reason) == (Action.CREATE, GONE_REASON)
    writes = harness.tool.writes
    result = harness.apply(desired)
    assert (result.failed, result.recovered_creates) == ([], 1)
    assert harness.tool.writes == writes  # found: nothing written
    assert len(harness.tool.tables["group"]) == 2
    harness.tool.missed_by_listings = set()
    assert harness.plan(desired).changes == ()


def test_lost_create_response_does_not_duplicate(harness: Harness) -> None:
    """After a lost response the engine finds the record by key instead of creating again."""
    harness.tool.lose_next_create_responses = 2
    result = harness.apply([group("a", uid="g:a"), group("b", uid="g:b"), group("c", uid="g:c")])
    assert result.recovered_creates == 2
    assert len(harness.tool.tables["group"]) == 3
    assert (
        harness.plan([group("a", uid="g:a"), group("b", uid="g:b"), group("c", uid="g:c")]).changes
        == ()
    )


def test_a_record_found_after_a_lost_create_gets_what_the_create_left_unwritten(
    harness: Harness,
) -> None:
    """The tool made the record but not the steps after it (a Jira project's schemes): the
    engine finds it by key and writes what differs, so the next plan shows no drift."""
    harness.tool.lose_next_create_responses = 1
    harness.tool.unwritten_on_lost_create = ("email",)
    desired = [group("a", email="a@example.org", uid="g:a")]
    result = harness.apply(desired)
    assert result.recovered_creates == 1
    (row,) = harness.tool.tables["group"].values()
    assert row["email"] == "a@example.org"
    assert harness.plan(desired).changes == ()


def test_a_create_whose_answer_cannot_be_read_is_found_not_sent_again(harness: Harness) -> None:
    """The tool answered (a proxy's JSON, another API version), so the create may have
    happened: the engine looks the record up by its key instead of creating a second one."""
    harness.tool.unreadable_create_answers = [True]
    desired = [group("a", uid="g:a"), group("b", uid="g:b")]
    result = harness.apply(desired)
    assert (result.failed, result.recovered_creates) == ([], 1)
    assert sorted(row["name"] for row in harness.tool.tables["group"].values()) == ["a", "b"]
    assert harness.plan(desired).changes == ()


def test_a_create_whose_answer_cannot_be_read_and_made_nothing_fails_saying_why(
    harness: Harness,
) -> None:
    harness.tool.unreadable_create_answers = [False]
    result = harness.apply([group("a", uid="g:a")])
    ((change, message),) = result.failed
    assert change.address == "group[a]"
    assert message.startswith(
        "group[a]: the create failed: a value lacks 'id' (at engine/memory_tool.py:"
    )
    assert "; the tool holds no record of this key, so nothing was created;" in message
    assert harness.tool.tables["group"] == {}
    assert harness.tool.writes == 1


def test_an_update_whose_answer_cannot_be_read_fails_saying_what_and_where(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.apply([group("a", uid="g:a")])

    async def unreadable(*args: Any) -> Record:
        return parse_created({"result": 7})

    monkeypatch.setattr(harness.adapter, "update", unreadable)
    result = harness.apply([group("a", email="a@example.org", uid="g:a")])
    ((change, message),) = result.failed
    assert change.address == "group[a]"
    assert message.startswith("a value lacks 'id' (at engine/memory_tool.py:")
    assert message.endswith(
        "parse_created); where the tool's answer is not shaped as its API documents, check "
        "that the target's URL reaches the tool itself (not a proxy)"
    )


def test_records_sharing_a_key_are_reported_and_matched_stably(harness: Harness) -> None:
    """Two unmanaged records with the key of a desired one: the smaller id is adopted, and
    both are reported as a duplicate, that id first."""
    first = harness.tool.insert("group", {"name": "desk", "email": ""})
    second = harness.tool.insert("group", {"name": "desk", "email": ""})
    result = harness.plan([group("desk", uid="g:desk")])
    (change,) = result.changes
    assert change.target_id == first
    (duplicate,) = result.duplicates
    assert (duplicate.kind, duplicate.key) == ("group", ("desk",))
    assert duplicate.target_ids == tuple(sorted([first, second]))
    assert not any("share the key" in note for note in result.notes)


def test_a_duplicate_lists_the_managed_id_first(harness: Harness) -> None:
    """The lock's record is the one a plan matches, whatever its id."""
    harness.apply([group("desk", uid="g:desk")])
    managed = harness.tool.tables["group"]
    (kept,) = list(managed)
    smaller = "group-0000"  # sorts before the managed id
    assert smaller < kept
    harness.tool.tables["group"][smaller] = {"name": "desk", "email": ""}
    harness.tool.insert("group", {"name": "desk", "email": ""})
    result = harness.plan([group("desk", uid="g:desk")])
    assert result.changes == ()
    (duplicate,) = result.duplicates
    assert duplicate.target_ids[0] == kept and len(duplicate.target_ids) == 3


def test_records_sharing_a_key_nobody_manages_are_only_noted(harness: Harness) -> None:
    """Keys that neither the blueprint nor the lock hold are the tool's own business."""
    harness.tool.insert("group", {"name": "other", "email": ""})
    harness.tool.insert("group", {"name": "other", "email": ""})
    result = harness.plan([group("desk", uid="g:desk")])
    assert result.duplicates == ()
    assert any("2 group records share the key other" in note for note in result.notes)


#: Options a tool lists in their order; each names the one before it.
OPTION = KindSpec(
    "option", "option", ("name",), ("name", "after"), {"after": "option"}, placed_by="after"
)


def _chain(names: str, *, live: bool) -> list[Record]:
    """Options named by the letters of ``names``, in that order (live ones with an id, desired
    ones with a uid)."""
    out, before = [], ""
    for name in names:
        after: Any = ref("option", (before,)) if before else ""
        fields = {"name": name, "after": after}
        uid = None if live else f"option:{name}"
        out.append(Record("option", (name,), fields, uid, name if live else None))
        before = name
    return out


@pytest.mark.parametrize(
    ("now", "wanted", "placed"),
    [
        # Moving H first displaces S (which stood after H) and C displaces F: all four move.
        ("CFHS", "HSCF", ["C", "F", "H", "S"]),
        # C goes after A (it stood after B), which displaces D from after C, and B goes last.
        ("ABCD", "ACDB", ["B", "C", "D"]),
        ("ABC", "ABC", []),
    ],
)
def test_a_record_placed_after_one_that_moves_is_placed_again(
    now: str, wanted: str, placed: list[str]
) -> None:
    """A tool's order held as "after the one before" (``KindSpec.placed_by``): applying only
    the changed links would leave a record after one that moved away."""
    result = compute_changes(
        _chain(wanted, live=False),
        _chain(now, live=True),
        {"option": OPTION},
        Lock(Path("unused.lock.json"), "test", "memory"),
    )
    # Nothing manages them yet: each is adopted, with the fields that place it where it moves.
    assert sorted(c.key[0] for c in result.changes if c.diff) == placed
    assert all([d.field for d in c.diff] == ["after"] for c in result.changes if c.diff)


def test_a_managed_record_placed_again_says_why() -> None:
    """The blueprint moves B to the end: D, still after C as the blueprint has it, is written
    because C moves from after B to after A."""
    lock = Lock(Path("unused.lock.json"), "test", "memory")
    for name in "ABCD":
        lock.set(f"option:{name}", "option", name, (name,), "applied before")
    result = compute_changes(
        _chain("ACDB", live=False), _chain("ABCD", live=True), {"option": OPTION}, lock
    )
    reasons = {c.key[0]: c.reason for c in result.changes}
    assert reasons == {"B": "fields differ", "C": "fields differ", "D": PLACED_AGAIN}
