"""runner.Session: the one plan → apply → re-plan sequence, its hooks and its phases."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import pytest

from usm_config import runner
from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.engine.plan import Action, Change, Plan
from usm_config.engine.records import Record
from usm_config.runner import Context, MassChangeRefused, Session
from usm_config.targets import ResolvedTarget, Target
from usm_config.testing import quick_sleep, without_services

BLUEPRINT = Path(__file__).resolve().parents[2] / "blueprints" / "examples" / "municipality"
T = TypeVar("T")


@pytest.fixture
def context(tmp_path: Path) -> Context:
    loaded = load_blueprint(BLUEPRINT)
    assert loaded.blueprint is not None
    config = Target(adapter="servicenow", url="sandbox:", lock_dir=".")
    target = ResolvedTarget(name="session", config=config, base_dir=tmp_path)
    return Context(loaded.blueprint, BLUEPRINT, target, load_adapter("servicenow"), environ={})


def in_session(context: Context, body: Callable[[Session], Awaitable[T]]) -> T:
    async def main() -> T:
        async with Session.open(context, sleep=quick_sleep) as session:
            return await body(session)

    return asyncio.run(main())


def test_run_applies_re_plans_and_measures_each_phase(context: Context) -> None:
    seen: list[str] = []
    advanced: list[int] = []

    def progress(total: int) -> AbstractContextManager[Callable[[Change], None]]:
        seen.append(f"progress {total}")
        return nullcontext(lambda change: advanced.append(1))

    outcome = in_session(
        context,
        lambda s: s.run(
            on_plan=lambda plan: seen.append(f"plan {len(plan.changes)}"),
            approve=lambda plan: seen.append("approve") is None,
            progress=progress,
            on_applied=lambda result: seen.append(f"applied {len(result.done)}"),
        ),
    )
    steps = [c for c in outcome.plan.changes if c.action != Action.MANUAL]
    assert steps
    assert seen == [
        f"plan {len(outcome.plan.changes)}",
        "approve",
        f"progress {len(steps)}",
        f"applied {len(steps)}",
    ]
    assert len(advanced) == len(steps)
    assert outcome.applied and outcome.converged and outcome.remaining == []
    assert [p.name for p in outcome.phases] == ["plan", "apply", "re-plan"]
    assert all(p.requests > 0 and p.seconds > 0 for p in outcome.phases)
    assert outcome.after is not None
    assert len(outcome.after.snapshot.live) > len(outcome.planned.snapshot.live)

    again = in_session(context, lambda s: s.run())
    assert not again.applied and again.after is None
    assert [p.name for p in again.phases] == ["plan"]


def test_a_refused_approval_writes_nothing(context: Context) -> None:
    outcome = in_session(context, lambda s: s.run(approve=lambda plan: False))
    assert not outcome.applied
    assert outcome.result.done == []
    assert in_session(context, lambda s: s.read(scoped=True)).live == outcome.planned.snapshot.live


def test_the_guard_refuses_before_anything_is_written(context: Context) -> None:
    assert in_session(context, lambda s: s.run()).converged
    smaller = Context(
        without_services(context.blueprint),
        context.blueprint_path,
        context.target,
        context.adapter,
        environ={},
    )
    shown: list[Plan] = []
    with pytest.raises(MassChangeRefused) as refused:
        in_session(smaller, lambda s: s.run(prune=True, limit=0.5, on_plan=shown.append))
    assert shown, "the plan is shown before the refusal"
    assert refused.value.violations
    assert str(refused.value).startswith("mass-change guard: ")
    after = in_session(context, lambda s: s.plan()).plan
    assert [c.action for c in after.changes] == [Action.MANUAL], "nothing was deleted"


def test_a_saved_plan_is_applied_as_saved(context: Context) -> None:
    saved = in_session(context, lambda s: s.plan()).plan
    outcome = in_session(context, lambda s: s.run(saved=saved))
    assert outcome.plan is saved
    assert outcome.converged


def test_the_raw_records_of_a_read_are_not_kept_beside_their_resolved_copies(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``resolve_live_references`` lets each raw record go once resolved; a name the reader
    kept for the raw list would hold all of them to the end (15 MB more at the peak of a
    50,000-record plan). The list reaches it with no more references than a temporary has."""
    real = runner.resolve_live_references
    counted: list[int] = []

    def counting(records: list[Record], kinds: Any) -> list[Record]:
        counted.append(sys.getrefcount(records))
        return real(records, kinds)

    def temporary() -> list[Record]:
        return []

    counting(temporary(), {})
    monkeypatch.setattr(runner, "resolve_live_references", counting)
    in_session(context, lambda s: s.read(scoped=True))
    in_session(context, lambda s: s.read())
    assert counted[1:] == [counted[0]] * 2
