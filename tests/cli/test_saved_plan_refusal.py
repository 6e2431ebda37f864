"""A saved plan that no longer fits is refused, and the refusal names the records whose
planned change differs now, so a reviewer sees what moved under the approved plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_plan_apply_cli import Workspace


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, flow=False)


def test_a_record_made_in_the_tool_since_is_named(ws: Workspace) -> None:
    assert ws.run("plan", "tiny.yaml", "--out", "plan.json").exit_code == 0
    ws.insert("cmdb_ci_service_business", name="E-mail")
    result = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: the live instance (or the lock file) has changed since the plan was made; "
        "plan again. 1 planned change(s) differ now: cmdb_ci_service_business[E-mail] "
        "(create → adopt)\n"
    )


def test_an_edit_of_the_blueprint_names_the_records_it_changes(ws: Workspace) -> None:
    assert ws.run("apply", "tiny.yaml", "--auto-approve").exit_code == 0
    text = ws.blueprint.read_text(encoding="utf-8").replace("Mail and calendars.", "Mail.")
    ws.blueprint.write_text(text, encoding="utf-8")
    assert ws.run("plan", "tiny.yaml", "--out", "plan.json").exit_code == 0
    ws.blueprint.write_text(text.replace("Mail.", "Mail, calendars."), encoding="utf-8")
    result = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: the blueprint has changed since the plan was made; plan again. 1 planned "
        "change(s) differ now: cmdb_ci_service_business[E-mail]\n"
    )


def test_many_differences_are_cut_to_the_first_five(ws: Workspace) -> None:
    assert ws.run("plan", "tiny.yaml", "--out", "plan.json").exit_code == 0
    assert ws.run("apply", "tiny.yaml", "--auto-approve").exit_code == 0
    result = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert result.exit_code == 1
    message = result.stderr
    assert "planned change(s) differ now: " in message
    assert message.count("(create → nothing)") == 5
    assert message.rstrip().endswith(" more")


def test_a_change_elsewhere_in_the_tool_says_no_planned_change_differs(ws: Workspace) -> None:
    assert ws.run("plan", "tiny.yaml", "--out", "plan.json").exit_code == 0
    # The priority lookup is the one table a plan reads whole.
    ws.insert("dl_u_priority", impact="9", urgency="9", priority="5")
    result = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert result.exit_code == 1
    assert "(no planned change differs now: records the plan does not touch changed)" in (
        result.stderr
    )


def test_a_row_no_blueprint_names_in_a_scoped_table_leaves_the_saved_plan_standing(
    ws: Workspace,
) -> None:
    """The plan read companies only by the blueprint's names: another team's new vendor is
    not part of what it was made from, so the reviewed plan is applied."""
    assert ws.run("plan", "tiny.yaml", "--out", "plan.json").exit_code == 0
    ws.insert("core_company", name="Another team's vendor")
    result = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert result.exit_code == 0, result.output
    assert "Converged" in result.stdout
