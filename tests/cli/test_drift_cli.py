"""Drift on the embedded ServiceNow sandbox: a record edited behind the tool's back is drift,
an edit of the blueprint is not; ``plan --drift`` shows only drift with its own exit code, and
long texts show as line diffs (golden files)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from support import assert_golden
from test_plan_apply_cli import Workspace

from usm_config.commands.common import context_for
from usm_config.commands.target import EXIT_DRIFT
from usm_config.runner import Session

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "plan"
ARTICLE = "USM workflow 1: Changes to agreements"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    workspace = Workspace(tmp_path, flow=False)
    applied = workspace.run("apply", "tiny.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    return workspace


def edit_in_the_tool(ws: Workspace, table: str, name_field: str, name: str, **fields: str) -> None:
    """Change a record in the sandbox the way someone in the tool's UI would."""
    store = ws.sandbox_store()
    try:
        (row,) = [r for r in store.records(table) if r.get(name_field) == name]
        store.merge(table, row["sys_id"], fields)
    finally:
        store.close()


def article_text(ws: Workspace) -> str:
    store = ws.sandbox_store()
    try:
        (row,) = [r for r in store.records("kb_knowledge") if r["short_description"] == ARTICLE]
        return str(row["text"])
    finally:
        store.close()


def test_a_freshly_applied_target_has_no_drift(ws: Workspace) -> None:
    result = ws.run("plan", "tiny.yaml", "--drift")
    assert result.exit_code == 0, result.output
    assert "No drift. The target's managed records hold what was last applied." in result.stdout
    assert result.stdout.startswith("Drift for target 'sandbox' (servicenow) from tiny.yaml")


def test_an_edit_in_the_tool_is_drift_and_plan_drift_exits_3(ws: Workspace) -> None:
    edit_in_the_tool(ws, "sys_user_group", "name", "Service Desk", email="someone@else.example")
    plan = ws.run("plan", "tiny.yaml")
    assert plan.exit_code == 0, plan.output
    assert (
        "  ~ sys_user_group[Service Desk]  update [drift]: changed in the tool since the last "
        "apply; the blueprint's values go back" in plan.stdout
    )
    assert "      email: 'someone@else.example' → 'desk@tiny.example'" in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete, 0 manual; 1 of them drift." in plan.stdout

    drift = ws.run("plan", "tiny.yaml", "--drift")
    assert drift.exit_code == EXIT_DRIFT == 3
    assert drift.stdout == (
        "Drift for target 'sandbox' (servicenow) from tiny.yaml\n\n"
        "  ~ sys_user_group[Service Desk]  update [drift]: changed in the tool since the last "
        # The sandbox has a "Service Desk" group out of the box: the tiny blueprint adopted it.
        "apply; the blueprint's values go back; an adopted record usm-config did not create\n"
        "      email: 'someone@else.example' → 'desk@tiny.example'\n\n"
        "Drift: 0 to create, 1 to update, 0 to delete, 0 manual; 1 of them drift.\n"
    )

    markdown = ws.run("plan", "tiny.yaml", "-o", "markdown")
    assert "**[drift] 1 change(s) come from the tool, not from the blueprint:**" in markdown.stdout
    assert "| `sys_user_group[Service Desk]` | **[drift]** changed in the tool" in markdown.stdout

    data = json.loads(ws.run("plan", "tiny.yaml", "-o", "json").stdout)
    (change,) = data["changes"]
    assert change["origin"] == "drift"

    summary = ws.run("plan", "tiny.yaml", "-o", "summary")
    assert "  drift, changed in the tool since the last apply (see 'plan --drift'):" in (
        summary.stdout
    )
    assert "    ~ sys_user_group[Service Desk]" in summary.stdout

    # apply puts the blueprint's values back; the drift is gone
    assert ws.run("apply", "tiny.yaml", "--auto-approve").exit_code == 0
    assert ws.run("plan", "tiny.yaml", "--drift").exit_code == 0


def test_an_edit_of_the_blueprint_is_a_change_not_drift(ws: Workspace) -> None:
    text = ws.blueprint.read_text(encoding="utf-8")
    ws.blueprint.write_text(text.replace("desk@tiny.example", "help@tiny.example"), "utf-8")
    plan = ws.run("plan", "tiny.yaml", "--detailed-exitcode")
    assert plan.exit_code == 2
    assert "  ~ sys_user_group[Service Desk]  update: fields differ" in plan.stdout
    assert "drift" not in plan.stdout
    drift = ws.run("plan", "tiny.yaml", "--drift")
    assert drift.exit_code == 0, drift.output
    assert "No drift." in drift.stdout


def test_a_managed_record_deleted_in_the_tool_is_drift(ws: Workspace) -> None:
    store = ws.sandbox_store()
    try:
        (row,) = [r for r in store.records("sys_user_group") if r["name"] == "Service Desk"]
        store.delete("sys_user_group", row["sys_id"])
    finally:
        store.close()
    drift = ws.run("plan", "tiny.yaml", "--drift")
    assert drift.exit_code == EXIT_DRIFT
    assert (
        "  + sys_user_group[Service Desk]  create [drift]: managed record is gone from the target"
        in drift.stdout
    )


def test_plan_drift_refuses_out_and_detailed_exitcode(ws: Workspace) -> None:
    result = ws.run("plan", "tiny.yaml", "--drift", "--out", "plan.json")
    assert result.exit_code == 1
    assert "--drift shows drift only" in result.stderr
    assert not Path("plan.json").exists()


def test_a_long_text_changed_in_the_tool_shows_as_a_line_diff(ws: Workspace) -> None:
    """Golden: the text and Markdown plans of a drifted knowledge article (a long HTML text)
    next to a blueprint change of a short field."""
    text = article_text(ws)
    edited = text.replace("Classify", "Classify and prioritise", 1)
    assert edited != text
    edit_in_the_tool(ws, "kb_knowledge", "short_description", ARTICLE, text=edited)
    blueprint = ws.blueprint.read_text(encoding="utf-8")
    ws.blueprint.write_text(blueprint.replace("Mail and calendars.", "Mail, calendars."), "utf-8")

    plain = ws.run("plan", "tiny.yaml")
    assert plain.exit_code == 0, plain.output
    assert_golden(GOLDEN / "drift-long-text.txt", plain.stdout)
    assert "        -    <tr><td>2</td><td>Agree 2</td>" in plain.stdout
    assert "…" not in plain.stdout, "nothing of the article is cut"

    markdown = ws.run("plan", "tiny.yaml", "-o", "markdown")
    assert_golden(GOLDEN / "drift-long-text.md", markdown.stdout)
    assert "text: line diff below" in markdown.stdout
    assert re.search(r"^```diff\n@@ ", markdown.stdout, re.MULTILINE)


def test_an_interrupted_apply_is_announced_when_it_is_resumed(ws: Workspace) -> None:
    """An apply stopped half-way (here by an exception from its progress callback, as a
    Ctrl-C would) leaves its journal; the next plan and apply say what it confirmed, once."""
    teams = "".join(f"  - {{id: {t}, name: Team {t}, kind: internal}}\n" for t in "abc")
    text = ws.blueprint.read_text(encoding="utf-8").replace("teams:\n", "teams:\n" + teams)
    ws.blueprint.write_text(text, encoding="utf-8")

    class Interrupted(BaseException):
        pass

    context = context_for(Path("tiny.yaml"), "sandbox", ws.targets, False)

    def progress(change: object) -> None:
        raise Interrupted

    async def interrupted_apply() -> None:
        async with Session.open(context) as session:
            planned = await session.plan()
            await session.apply(planned, parallelism=1, on_progress=progress)

    with pytest.raises(Interrupted):
        asyncio.run(interrupted_apply())
    journal = context.journal_path
    events = [json.loads(line)["event"] for line in journal.read_text().splitlines()]
    done = events.count("done")
    assert done >= 1
    message = f"resuming: {done} writes of a previous apply were confirmed"

    plan = ws.run("plan", "tiny.yaml")
    assert plan.exit_code == 0, plan.output
    assert plan.stderr.count(message) == 1, plan.stderr
    unconfirmed = events.count("begin") - done
    if unconfirmed:
        assert f"; {unconfirmed} were begun without an answer and are looked up by key" in (
            plan.stderr
        )
        assert "created by an interrupted apply; taking it over" in plan.stdout
    applied = ws.run("apply", "tiny.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert applied.stderr.count("resuming:") == 1 and message in applied.stderr
    assert "Converged" in applied.stdout
    assert not journal.exists()
    assert "resuming" not in ws.run("plan", "tiny.yaml").stderr


def test_a_journal_is_settled_when_nothing_is_left_to_apply(ws: Workspace) -> None:
    """An apply stopped after its last write leaves its journal and nothing to do: the next
    apply folds the journal into the lock file and removes it, so it is announced once."""
    text = ws.blueprint.read_text(encoding="utf-8")
    ws.blueprint.write_text(text.replace("Mail and calendars.", "Mail, calendars."), "utf-8")
    context = context_for(Path("tiny.yaml"), "sandbox", ws.targets, False)

    class Interrupted(BaseException):
        pass

    def progress(change: object) -> None:
        raise Interrupted

    async def interrupted_apply() -> None:
        async with Session.open(context) as session:
            planned = await session.plan()
            assert len(planned.steps) == 1
            await session.apply(planned, on_progress=progress)

    with pytest.raises(Interrupted):
        asyncio.run(interrupted_apply())
    assert context.journal_path.exists()
    applied = ws.run("apply", "tiny.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "resuming: 1 writes of a previous apply were confirmed" in applied.stderr
    assert applied.stdout.endswith("Nothing to apply.\n")
    assert not context.journal_path.exists()
    assert "resuming" not in ws.run("apply", "tiny.yaml", "--auto-approve").stderr
