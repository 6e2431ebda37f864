"""``export --onto``: a change made in the tool is pulled into the blueprint as a small diff.

The university example is applied to the JSM sandbox; an administrator then edits a service's
description and adds a group and a customer organization in Jira. Pulling the site into a copy
of the blueprint changes exactly those lines, keeps every comment and the file's style, and the
updated blueprint plans clean against the site.
"""

from __future__ import annotations

import asyncio
import difflib
from pathlib import Path

from jsm_workspace import run, workspace

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.runner import Context, Session
from usm_config.targets import resolve_target

__all__ = ["workspace"]  # the fixture the tests use

REPO = Path(__file__).resolve().parents[2]
SERVICE = "Parking and Travel"


def edit_in_jsm(blueprint: Path) -> None:
    """What an administrator does in Jira's UI, done through the same REST API."""
    loaded = load_blueprint(blueprint).blueprint
    assert loaded is not None
    target = resolve_target(Path("targets.yaml"), "jsm")
    context = Context(loaded, blueprint, target, load_adapter("jsm"))

    async def main() -> None:
        async with Session.open(context) as session:
            snapshot = await session.read()
            adapter = context.adapter
            component = next(
                r for r in snapshot.live if r.kind == "component" and r.key[-1] == SERVICE
            )
            text = str(component.fields["description"]).replace(
                "cycle storage and the permits", "cycle storage, lockers and the permits"
            )
            assert text != component.fields["description"]
            assert component.target_id is not None
            await adapter.update(
                session.client, "component", component.target_id, {"description": text}
            )
            await adapter.create(session.client, "group", {"name": "Night Porters"})
            await adapter.create(session.client, "organization", {"name": "Alumni"})

    asyncio.run(main())


def test_a_ui_change_is_pulled_as_a_small_diff(workspace: Path) -> None:
    blueprint = workspace / "blueprints" / "examples" / "university.yaml"
    before = blueprint.read_text(encoding="utf-8")
    assert run("apply", str(blueprint), "-t", "jsm", "--auto-approve").exit_code == 0
    edit_in_jsm(blueprint)

    pulled = run("export", "-t", "jsm", "--onto", str(blueprint))
    assert pulled.exit_code == 0, pulled.output
    assert "1 element(s) changed, 2 added" in pulled.output
    after = blueprint.read_text(encoding="utf-8")

    diff = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    removed = [line for line in diff if line.startswith("-")]
    added = [line for line in diff if line.startswith("+")]
    assert len(removed) == 1 and "cycle storage and the permits" in removed[0], diff
    assert any("cycle storage, lockers and the permits" in line for line in added), diff
    assert any("name: Night Porters" in line for line in added), diff
    assert any("name: Alumni" in line for line in added), diff
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments == [line for line in after.splitlines() if line.lstrip().startswith("#")]

    plan = run("plan", str(blueprint), "-t", "jsm", "-o", "summary")
    assert plan.exit_code == 0, plan.output
    assert "0 to create, 0 to update, 0 to delete" in plan.output


def test_pulling_an_unchanged_site_writes_nothing(workspace: Path) -> None:
    blueprint = workspace / "blueprints" / "examples" / "municipality"
    before = {p.name: p.read_bytes() for p in blueprint.iterdir()}
    assert run("apply", str(blueprint), "-t", "jsm", "--auto-approve").exit_code == 0
    pulled = run("export", "-t", "jsm", "--onto", str(blueprint))
    assert pulled.exit_code == 0, pulled.output
    assert "0 element(s) changed, 0 added, 0 in the blueprint but not in the tool" in pulled.output
    assert before == {p.name: p.read_bytes() for p in blueprint.iterdir()}


def test_out_and_onto_are_one_or_the_other(workspace: Path) -> None:
    neither = run("export", "-t", "jsm")
    both = run("export", "-t", "jsm", "--out", "x", "--onto", "blueprints/usm-reference.yaml")
    assert "either --out DIR or --onto BLUEPRINT" in neither.output
    assert "either --out DIR or --onto BLUEPRINT" in both.output
