"""Kinds a tool names without regard to case (Jira's groups, statuses, components…): a live
record whose key differs from the blueprint's only in case is the record the blueprint means.
It is adopted (renamed to the blueprint's case where the API can), never created beside it, and
references to it resolve through it. Kinds that keep case apart are matched exactly."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest
from memory_harness import Harness
from memory_tool import KINDS, CaselessAdapter, group, item

from usm_config.engine.diff import ADOPTED_IN_ANOTHER_CASE, UNMANAGED
from usm_config.engine.plan import Action, Change
from usm_config.engine.records import KindSpec, Op, Record, kind_table
from usm_config.engine.references import References
from usm_config.http import HttpClient


class CaselessNoRename(CaselessAdapter):
    """Groups that the API can create and delete, not rename (Jira's)."""

    kinds: Mapping[str, KindSpec] = {
        **CaselessAdapter.kinds,
        "group": dataclasses.replace(
            CaselessAdapter.kinds["group"],
            operations=frozenset({Op.CREATE, Op.DELETE}),
            manual_hint="rename it by hand",
        ),
    }


@pytest.fixture
def caseless(tmp_path: Path) -> Harness:
    return Harness(tmp_path, CaselessAdapter)


DESK = group("Service Desk", "desk@x.org", uid="g:desk")
LAPTOP = item("laptop", "Service Desk", uid="i:laptop", watchers=["Service Desk"])


def _planned(harness: Harness, name: str, action: Action) -> tuple[str, Change]:
    """Plan DESK and LAPTOP beside a group ``name`` of the tool's own: the group's change is
    ``action``, the item a create. The tool's group id and the group's change."""
    theirs = harness.tool.insert("group", {"name": name, "email": "desk@x.org"})
    changes = harness.plan([DESK, LAPTOP]).changes
    assert [(c.action, c.address) for c in changes] == [
        (action, "group[Service Desk]"),
        (Action.CREATE, "item[laptop]"),
    ]
    return theirs, changes[0]


def test_a_key_differing_only_in_case_is_adopted_and_renamed(caseless: Harness) -> None:
    theirs, adopt = _planned(caseless, "SERVICE DESK", Action.ADOPT)
    assert adopt.reason == ADOPTED_IN_ANOTHER_CASE and adopt.target_id == theirs
    assert [(d.field, d.before, d.after) for d in adopt.diff] == [
        ("name", "SERVICE DESK", "Service Desk")
    ]

    result = caseless.apply([DESK, LAPTOP])
    assert not result.failed
    assert list(caseless.tool.tables["group"]) == [theirs]
    assert caseless.tool.tables["group"][theirs]["name"] == "Service Desk"
    (laptop,) = caseless.tool.tables["item"].values()
    assert laptop["group"] == theirs and laptop["watchers"] == [theirs]
    assert caseless.lock().entries["g:desk"].adopted
    assert caseless.plan([DESK, LAPTOP]).changes == ()


def test_without_a_rename_the_case_is_a_manual_step_and_references_resolve(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path, CaselessNoRename)
    theirs, manual = _planned(harness, "service desk", Action.MANUAL)
    assert manual.reason == f"the API cannot update group records; {UNMANAGED}"
    assert manual.target_id == theirs and manual.instructions == "rename it by hand"

    result = harness.apply([DESK, LAPTOP])
    assert not result.failed and len(harness.tool.tables["group"]) == 1
    (laptop,) = harness.tool.tables["item"].values()
    assert laptop["group"] == theirs

    # Renamed by hand as the step says: the next plan adopts it and has nothing to write.
    harness.tool.tables["group"][theirs]["name"] = "Service Desk"
    assert [(c.action, c.diff) for c in harness.plan([DESK, LAPTOP]).changes] == [
        (Action.ADOPT, ())
    ]


def test_a_kind_that_keeps_case_apart_creates_the_other_case(harness: Harness) -> None:
    harness.tool.insert("group", {"name": "SERVICE DESK", "email": "desk@x.org"})
    changes = harness.plan([DESK]).changes
    assert [(c.action, c.address) for c in changes] == [(Action.CREATE, "group[Service Desk]")]


def test_renamed_in_the_tool_to_another_case_goes_back(caseless: Harness) -> None:
    caseless.apply([DESK, LAPTOP])
    (row,) = caseless.tool.tables["group"].values()
    row["name"] = "SERVICE DESK"
    (change,) = caseless.plan([DESK, LAPTOP]).changes
    assert change.action == Action.UPDATE and change.is_drift
    assert [(d.field, d.before, d.after) for d in change.diff] == [
        ("name", "SERVICE DESK", "Service Desk")
    ]


def test_live_records_differing_only_in_case_are_duplicates(caseless: Harness) -> None:
    first = caseless.tool.insert("group", {"name": "Service Desk", "email": ""})
    second = caseless.tool.insert("group", {"name": "service DESK", "email": ""})
    result = caseless.plan([DESK])
    (duplicate,) = result.duplicates
    assert duplicate.key == ("Service Desk",)
    assert duplicate.target_ids == (first, second)


def test_references_of_a_caseless_kind_resolve_in_any_case() -> None:
    live = [Record(kind="group", key=("Service Desk",), fields={}, target_id="g1")]
    index = References.of(live, CaselessAdapter.kinds)
    assert index.target_id("group", ("SERVICE desk",)) == "g1"
    assert References.of(live, KINDS).target_id("group", ("SERVICE desk",)) is None


def test_a_lost_create_finds_the_record_in_another_case(caseless: Harness) -> None:
    """The tool may store a name in its own case; the look-up after a lost answer still
    recognises it, so the retry does not create a second one."""
    caseless.tool.lose_next_create_responses = 1
    original = caseless.adapter.create

    async def shouting(client: HttpClient, kind: str, fields: dict[str, object]) -> Record:
        return await original(client, kind, {**fields, "name": str(fields["name"]).upper()})

    caseless.adapter.create = shouting  # type: ignore[method-assign]
    result = caseless.apply([DESK])
    assert not result.failed and result.recovered_creates == 1
    assert len(caseless.tool.tables["group"]) == 1


def test_kind_table_marks_the_kinds_named_and_refuses_a_name_no_kind_has() -> None:
    table = kind_table(KINDS.values(), keys_ignore_case={"group"})
    assert list(table) == list(KINDS)
    assert [name for name, spec in table.items() if spec.keys_ignore_case] == ["group"]
    assert table["item"] is KINDS["item"]
    with pytest.raises(ValueError, match="keys_ignore_case names no kind of the table: grup"):
        kind_table(KINDS.values(), keys_ignore_case={"grup"})
