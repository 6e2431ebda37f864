"""A kind whose update cannot change its name (no ``Op.RENAME``: Jira's workflows): a rename,
in the blueprint or in the tool, is a manual step with the kind's hint, never an update that
writes nothing of it; its other fields still update while the name stays."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest
from memory_harness import Harness
from memory_tool import KINDS, MemoryAdapter, group, item

from usm_config.engine.diff import UNMANAGED
from usm_config.engine.plan import Action
from usm_config.engine.records import ALL_OPS, KindSpec, Op


class NoRename(MemoryAdapter):
    """Groups an update cannot rename, named without regard to case."""

    kinds: Mapping[str, KindSpec] = {
        **KINDS,
        "group": dataclasses.replace(
            KINDS["group"],
            operations=ALL_OPS - {Op.RENAME},
            manual_hint="rename it in the tool",
            keys_ignore_case=True,
        ),
    }


@pytest.fixture
def tool(tmp_path: Path) -> Harness:
    return Harness(tmp_path, NoRename)


DESK = group("Desk", "desk@x.org", uid="g:desk")


def test_a_rename_in_the_blueprint_is_a_manual_step(tool: Harness) -> None:
    tool.apply([DESK])
    renamed = group("Service Desk", "desk@x.org", uid="g:desk")
    (change,) = tool.plan([renamed]).changes
    assert change.action == Action.MANUAL
    assert change.reason == "the API cannot rename group records"
    assert change.instructions == "rename it in the tool"
    assert [(d.field, d.before, d.after) for d in change.diff] == [("name", "Desk", "Service Desk")]
    assert not tool.apply([renamed]).failed and tool.tool.writes == 1  # the first create only


def test_a_rename_in_the_tool_is_a_manual_step_and_other_fields_update(tool: Harness) -> None:
    tool.apply([DESK])
    (row,) = tool.tool.tables["group"].values()
    row["name"] = "Old Desk"
    (change,) = tool.plan([DESK]).changes
    assert (change.action, change.is_drift) == (Action.MANUAL, True)
    assert change.reason == (
        "changed in the tool since the last apply; the API cannot rename group records"
    )
    row["name"] = "Desk"  # renamed back by hand, as the step says
    mailed = group("Desk", "servicedesk@x.org", uid="g:desk")
    (change,) = tool.plan([mailed]).changes
    assert change.action == Action.UPDATE
    assert not tool.apply([mailed]).failed and row["email"] == "servicedesk@x.org"


def test_a_record_in_another_case_is_not_adopted_by_a_rename(tool: Harness) -> None:
    tool.tool.insert("group", {"name": "DESK", "email": "desk@x.org"})
    (change,) = tool.plan([DESK]).changes
    assert change.action == Action.MANUAL
    assert change.reason == f"the API cannot rename group records; {UNMANAGED}"


def test_what_refers_to_a_pending_rename_points_at_the_record(tool: Harness) -> None:
    """A new record refers to the blueprint's name of a record whose rename is a manual step:
    it is written pointing at that record, which the tool still holds under its old name."""
    tool.apply([DESK])
    (desk_id,) = tool.tool.tables["group"]
    renamed = group("Service Desk", "desk@x.org", uid="g:desk")
    laptop = item("laptop", "Service Desk", uid="i:laptop", watchers=["Service Desk"])
    changes = tool.plan([renamed, laptop]).changes
    assert [(c.action, c.address) for c in changes] == [
        (Action.MANUAL, "group[Service Desk]"),
        (Action.CREATE, "item[laptop]"),
    ]
    result = tool.apply([renamed, laptop])
    assert not result.failed
    (row,) = tool.tool.tables["item"].values()
    assert row["group"] == desk_id and row["watchers"] == [desk_id]
