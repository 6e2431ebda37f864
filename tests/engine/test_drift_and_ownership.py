"""Drift (the tool changed) against blueprint changes, ownership between blueprints' lock files,
and how the plan counts them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from memory_harness import Harness
from memory_tool import MemoryAdapter, group, item

from usm_config.engine.diff import applied_fingerprint, compute_changes
from usm_config.engine.journal import JOURNAL_FORMAT
from usm_config.engine.lock import Lock
from usm_config.engine.ownership import other_claims
from usm_config.engine.plan import Action, Change, Origin, Plan
from usm_config.engine.records import Op, Record
from usm_config.http import HttpClient
from usm_config.runner import plan_differences

DESK = group("desk", "desk@x.org", uid="g:desk")


def plan(harness: Harness, desired: list[Record], **options: object) -> tuple[Change, ...]:
    result = compute_changes(
        desired,
        harness.live(),
        MemoryAdapter.kinds,
        harness.lock(),
        **options,  # type: ignore[arg-type]
    )
    return result.changes


def edit_in_the_tool(harness: Harness, kind: str, **fields: str) -> None:
    (row,) = harness.tool.tables[kind].values()
    row.update(fields)


def test_apply_records_the_fingerprint_of_what_it_wrote(harness: Harness) -> None:
    harness.apply([DESK])
    entry = harness.lock().entries["g:desk"]
    assert entry.applied == applied_fingerprint(DESK)
    data = json.loads(harness.lock_path.read_text(encoding="utf-8"))
    assert data["records"]["g:desk"]["applied"] == entry.applied


def test_a_record_edited_in_the_tool_is_drift(harness: Harness) -> None:
    harness.apply([DESK])
    edit_in_the_tool(harness, "group", email="someone@else.org")
    (change,) = plan(harness, [DESK])
    assert change.action == Action.UPDATE
    assert change.origin == Origin.DRIFT and change.is_drift
    assert change.reason.startswith("changed in the tool since the last apply")
    assert [(d.field, d.before, d.after) for d in change.diff] == [
        ("email", "someone@else.org", "desk@x.org")
    ]


def test_a_record_edited_in_the_blueprint_is_not_drift(harness: Harness) -> None:
    harness.apply([DESK])
    (change,) = plan(harness, [group("desk", "new@x.org", uid="g:desk")])
    assert change.action == Action.UPDATE
    assert change.origin == Origin.BLUEPRINT
    assert change.reason == "fields differ"


def test_a_managed_record_removed_in_the_tool_is_drift(harness: Harness) -> None:
    harness.apply([DESK])
    harness.tool.tables["group"].clear()
    (change,) = plan(harness, [DESK])
    assert change.action == Action.CREATE and change.is_drift


def test_a_lock_entry_without_a_fingerprint_is_never_called_drift(harness: Harness) -> None:
    """Lock files written before fingerprints existed: differences count as the blueprint's."""
    harness.apply([DESK])
    data = json.loads(harness.lock_path.read_text(encoding="utf-8"))
    del data["records"]["g:desk"]["applied"]
    harness.lock_path.write_text(json.dumps(data), encoding="utf-8")
    assert harness.lock().entries["g:desk"].applied is None
    assert compute_changes([DESK], harness.live(), MemoryAdapter.kinds, harness.lock()).in_line == {
        "g:desk": applied_fingerprint(DESK)
    }, "a record in line with the blueprint is learnt"
    edit_in_the_tool(harness, "group", email="someone@else.org")
    (change,) = plan(harness, [DESK])
    assert change.origin == Origin.BLUEPRINT


def test_learn_sets_the_fingerprint_only_where_it_changes(tmp_path: Path) -> None:
    lock = Lock(tmp_path / "a.t.lock.json", "t", "memory")
    lock.set("g:desk", "group", "group-0001", ("desk",))
    assert lock.learn({"g:desk": "f1", "g:gone": "f2"})
    assert lock.entries["g:desk"].applied == "f1"
    assert not lock.learn({"g:desk": "f1"})
    lock.set("g:desk", "group", "group-0001", ("desk",))
    assert lock.entries["g:desk"].applied == "f1", "a write without a fingerprint keeps it"


def test_another_blueprints_record_is_owned_not_adopted(harness: Harness) -> None:
    desk_id = harness.tool.insert("group", {"name": "desk", "email": "theirs@x.org"})
    other = Path("other.t.lock.json")
    (change,) = plan(harness, [DESK], claims={("group", desk_id): other})
    assert change.action == Action.OWNED
    assert not change.action.is_step and not change.writes
    assert change.owner == "other.t.lock.json"
    assert "managed by another blueprint's lock file other.t.lock.json" in change.reason
    assert "--take-over" in change.reason
    assert [d.field for d in change.diff] == ["email"], "the plan shows what differs"


def test_take_over_adopts_and_names_the_previous_owner(harness: Harness) -> None:
    desk_id = harness.tool.insert("group", {"name": "desk", "email": "theirs@x.org"})
    claims = {("group", desk_id): Path("other.t.lock.json")}
    (change,) = plan(harness, [DESK], claims=claims, take_over=True)
    assert change.action == Action.ADOPT
    assert change.owner == "other.t.lock.json"
    assert "taking it over" in change.reason and "other.t.lock.json" in change.reason


def test_a_record_of_this_lock_is_never_owned_by_another(harness: Harness) -> None:
    harness.apply([DESK])
    desk_id = harness.lock().entries["g:desk"].target_id
    result = compute_changes(
        [group("desk", "new@x.org", uid="g:desk")],
        harness.live(),
        MemoryAdapter.kinds,
        harness.lock(),
        claims={("group", desk_id): Path("other.t.lock.json")},
    )
    (change,) = result.changes
    assert change.action == Action.UPDATE
    (note,) = result.notes
    assert "also in other.t.lock.json (first: group[desk])" in note


def test_other_claims_reads_the_other_lock_files_of_the_same_target(tmp_path: Path) -> None:
    mine = Lock(tmp_path / "mine.prod.lock.json", "prod", "memory")
    mine.set("g:a", "group", "1", ("a",))
    mine.save()
    theirs = Lock(tmp_path / "theirs.prod.lock.json", "prod", "memory")
    theirs.set("g:b", "group", "2", ("b",))
    theirs.save()
    elsewhere = Lock(tmp_path / "theirs.test.prod.lock.json", "test.prod", "memory")
    elsewhere.set("g:c", "group", "3", ("c",))
    elsewhere.save()
    (tmp_path / "theirs.stage.lock.json").write_text("{}", encoding="utf-8")
    assert other_claims(mine) == {("group", "2"): tmp_path / "theirs.prod.lock.json"}


def test_what_another_blueprints_journal_confirmed_is_claimed_too(tmp_path: Path) -> None:
    """An interrupted apply of another blueprint owns what it created."""
    mine = Lock(tmp_path / "mine.prod.lock.json", "prod", "memory")
    theirs = tmp_path / "theirs.prod.lock.json"
    Lock(theirs, "prod", "memory").save()
    journal = tmp_path / "theirs.prod.lock.journal.jsonl"
    begin = {"event": "begin", "change": "c", "action": "create", "uid": "g:b"}
    done = {"event": "done", "change": "c", "target_id": "7"}
    start = {"event": "start", "format": JOURNAL_FORMAT, "target": "prod", "adapter": "memory"}
    lines = [start, {**begin, "kind": "group", "key": ["b"]}, done]
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert other_claims(mine) == {("group", "7"): theirs}
    assert json.loads(theirs.read_text(encoding="utf-8"))["records"] == {}, "nothing written"


def test_summary_counts_an_adoption_that_changes_fields_as_an_update(harness: Harness) -> None:
    harness.tool.insert("group", {"name": "desk", "email": "old@x.org"})
    harness.tool.insert("group", {"name": "ops", "email": "ops@x.org"})
    desired = [DESK, group("ops", "ops@x.org", uid="g:ops"), group("new", uid="g:new")]
    changes = plan(harness, desired)
    summary = Plan(
        tool_version="0",
        target="t",
        adapter="memory",
        blueprint="b",
        blueprint_fingerprint="",
        target_fingerprint="",
        live_fingerprint="",
        changes=changes,
    ).summary()
    assert summary == (
        "1 to create, 1 to update, 0 to delete, 0 manual, 2 to adopt (1 of them updated)"
    )


def test_the_mass_change_guard_counts_adoptions_that_rewrite(harness: Harness) -> None:
    from usm_config.engine.diff import mass_change_violations

    for n in range(5):
        harness.tool.insert("group", {"name": f"g{n}", "email": "old@x.org"})
    desired = [group(f"g{n}", "new@x.org", uid=f"g:{n}") for n in range(5)]
    (violation,) = mass_change_violations(plan(harness, desired), harness.live(), 0.5)
    assert (violation.kind, violation.changed, violation.existing) == ("group", 5, 5)


def test_plan_differences_name_the_records_whose_change_differs(harness: Harness) -> None:
    desired = [DESK, item("laptop", "desk", uid="i:laptop")]
    before = plan(harness, desired)
    harness.tool.insert("group", {"name": "desk", "email": "desk@x.org"})
    after = plan(harness, desired)

    def as_plan(changes: tuple[Change, ...]) -> Plan:
        return Plan(
            tool_version="0",
            target="t",
            adapter="memory",
            blueprint="b",
            blueprint_fingerprint="",
            target_fingerprint="",
            live_fingerprint="",
            changes=changes,
        )

    assert plan_differences(as_plan(before), as_plan(after)) == ["group[desk] (create → adopt)"]


def test_drift_on_a_kind_the_api_cannot_update_is_a_manual_step_marked_drift(
    harness: Harness,
) -> None:
    harness.apply([DESK])
    edit_in_the_tool(harness, "group", email="someone@else.org")
    kinds = {**MemoryAdapter.kinds}
    kinds["group"] = replace(kinds["group"], operations=frozenset({Op.CREATE}))
    (change,) = compute_changes([DESK], harness.live(), kinds, harness.lock()).changes
    assert change.action == Action.MANUAL and change.is_drift
    assert change.reason == (
        "changed in the tool since the last apply; the API cannot update group records"
    )


def _group_row(harness: Harness, name: str) -> dict[str, object]:
    (row,) = (r for r in harness.tool.tables["group"].values() if r["name"] == name)
    return row


def test_a_referenced_record_renamed_in_the_tool_changes_only_itself(harness: Harness) -> None:
    """Its referrers point at it by id, which the rename back does not change: they are not
    planned (a workflow scheme's mapping, say, which Jira writes with its workflow)."""
    desired = [
        DESK,
        group("ops", uid="g:ops"),
        item("laptop", "desk", uid="i:laptop", watchers=["desk", "ops"]),
    ]
    harness.apply(desired)
    _group_row(harness, "desk")["name"] = "Desk (old)"

    (change,) = plan(harness, desired)

    assert (change.kind, change.action, change.origin) == ("group", Action.UPDATE, Origin.DRIFT)
    assert [(d.field, d.before, d.after) for d in change.diff] == [("name", "Desk (old)", "desk")]


def test_a_referenced_record_renamed_in_the_blueprint_changes_only_itself(harness: Harness) -> None:
    harness.apply([DESK, item("laptop", "desk", uid="i:laptop", watchers=["desk"])])
    renamed = [
        group("service desk", "desk@x.org", uid="g:desk"),
        item("laptop", "service desk", uid="i:laptop", watchers=["service desk"]),
    ]

    (change,) = plan(harness, renamed)

    assert (change.kind, change.action) == ("group", Action.UPDATE)
    assert [(d.field, d.after) for d in change.diff] == [("name", "service desk")]


def test_a_reference_to_another_record_is_still_a_change(harness: Harness) -> None:
    desired = [
        DESK,
        group("ops", uid="g:ops"),
        item("laptop", "desk", uid="i:laptop", watchers=["desk"]),
    ]
    harness.apply(desired)
    moved = [*desired[:2], item("laptop", "ops", uid="i:laptop", watchers=["desk", "ops"])]

    (change,) = plan(harness, moved)

    assert (change.kind, change.action) == ("item", Action.UPDATE)
    assert [d.field for d in change.diff] == ["group", "watchers"]


class _RekeyingAdapter(MemoryAdapter):
    """A tool whose ids hold a field: an update of that field gives the record a new id."""

    async def update(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        stored = await super().update(client, kind, target_id, fields)
        if "email" not in fields:
            return stored
        moved = f"{kind}-{fields['email']}"
        self.tool.tables[kind][moved] = self.tool.tables[kind].pop(target_id)
        return replace(stored, target_id=moved)


def test_an_update_that_gives_the_record_a_new_id_moves_the_lock_entry(tmp_path: Path) -> None:
    harness = Harness(tmp_path, _RekeyingAdapter)
    harness.apply([DESK])
    changed = group("desk", "new@x.org", uid="g:desk")

    harness.apply([changed])

    assert harness.lock().entries["g:desk"].target_id == "group-new@x.org"
    assert plan(harness, [changed]) == ()
