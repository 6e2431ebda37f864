"""Two machines, two lock directories, one target: what the lock cannot prevent, plans show.

Each "machine" is a targets file naming the same sandbox (``sandbox`` beside it) with its own
``lock_dir``, as two CI runners with two checkouts would.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from test_plan_apply_cli import TARGETS, Workspace

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.engine.plan import Action
from usm_config.runner import Context, Planned, Session
from usm_config.targets import resolve_target
from usm_config.testing import quick_sleep


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, flow=False)


def machine(ws: Workspace, name: str) -> Path:
    """A targets file for one machine: same sandbox, its own lock directory."""
    path = ws.folder / f"{name}.targets.yaml"
    path.write_text(TARGETS.replace("lock_dir: .usm-sandbox", f"lock_dir: {name}"), "utf-8")
    return path


def context(ws: Workspace, targets: Path) -> Context:
    loaded = load_blueprint(ws.blueprint)
    assert loaded.blueprint is not None
    target = resolve_target(targets, "sandbox")
    adapter = load_adapter("servicenow")
    return Context(loaded.blueprint, ws.blueprint, target, adapter, environ={})


def plan(ctx: Context) -> Planned:
    async def main() -> Planned:
        async with Session.open(ctx, sleep=quick_sleep) as session:
            return await session.plan()

    return asyncio.run(main())


def apply(ctx: Context, planned: Planned) -> None:
    async def main() -> None:
        async with Session.open(ctx, sleep=quick_sleep) as session:
            result = await session.apply(planned)
            assert not result.failed

    asyncio.run(main())


def test_one_after_the_other_the_second_machine_adopts_everything(ws: Workspace) -> None:
    a, b = context(ws, machine(ws, "a")), context(ws, machine(ws, "b"))
    apply(a, plan(a))
    second = plan(b).plan
    assert {c.action for c in second.changes} == {Action.ADOPT}
    assert not second.duplicates
    apply(b, plan(b))
    assert not plan(a).plan.changes and not plan(b).plan.changes


def test_at_the_same_time_the_duplicates_are_shown_in_every_format(ws: Workspace) -> None:
    a_file, b_file = machine(ws, "a"), machine(ws, "b")
    a, b = context(ws, a_file), context(ws, b_file)
    first, second = plan(a), plan(b)  # both plan before either applies
    creates = [c for c in first.plan.changes if c.action == Action.CREATE]
    assert creates and [c.action for c in second.plan.changes] == [
        c.action for c in first.plan.changes
    ]
    apply(a, first)
    apply(b, second)

    after = plan(a).plan
    assert {(d.kind, d.key) for d in after.duplicates} == {(c.kind, c.key) for c in creates}
    assert all(len(d.target_ids) == 2 for d in after.duplicates)
    assert not after.changes, "each key still matches the record its lock names"
    for ctx in (a, b):  # each machine matches, and keeps, the records its own lock names
        planned = plan(ctx)
        managed = planned.snapshot.lock.managed_ids()
        assert all((d.kind, d.target_ids[0]) in managed for d in planned.plan.duplicates)
        assert not any((d.kind, d.target_ids[1]) in managed for d in planned.plan.duplicates)

    one = creates[0]
    address = f"{one.kind}[{'/'.join(one.key)}]"
    count = len(creates)
    for output in ("text", "summary", "markdown"):
        shown = ws.run("plan", "tiny.yaml", "-o", output, "--detailed-exitcode", targets=a_file)
        assert shown.exit_code == 2, shown.output
        assert f"{count} duplicated" in shown.stdout
        assert f"DUPLICATES: {count} key(s) are shared by several live records" in shown.stdout
        assert re.search(rf"{re.escape(address)}: 2 records \(\w+, \w+\)", shown.stdout)
        assert "another apply ran at the same time" in shown.stdout
        assert "keep the first id, the one this plan matches" in shown.stdout
        assert "No changes to apply, but the target holds duplicates" in shown.stdout
    data = json.loads(ws.run("plan", "tiny.yaml", "-o", "json", targets=b_file).stdout)
    assert len(data["duplicates"]) == count
    assert {tuple(d["key"]) for d in data["duplicates"]} == {c.key for c in creates}
