"""Run the numbered plan-and-apply scenarios in this folder, in order, against one sandbox.

Each ``NN_name.yaml`` file names a blueprint (relative to the repository root), optional edits
of it, the settings of the ``sandbox:`` target (faults included), whether to prune, and the
plan it expects before applying and after. The scenarios build on each other: they share
one sandbox, one lock file and one journal in a temporary folder, so ``01`` renames what
``00`` created. Running one scenario alone runs the ones before it first.

Keys of a scenario file::

    description: what the scenario proves
    adapter: servicenow
    blueprint: blueprints/examples/municipality
    edits:                          # applied to the loaded blueprint, in order
      - rename_team: {id: servicedesk, name: New name}
      - rename_service: {id: website, name: New name}
      - remove_service: woo-publicatie
    target: {retries: 12, parallelism: 8, sandbox: {rate_429: 0.2, seed: 7}}
    prune: false
    expect:
      plan: {create: 0, update: 3, delete: 0, manual: 1}    # before apply (adopt: too)
      second_plan: {manual: 1}                              # after apply: only manual steps

Besides the plan counts, every scenario checks that the apply had no failures, that no two
live records of a kind share a natural key, and that the journal is gone.

Run them by hand with ``.venv/bin/pytest tests/scenarios -v`` (or
``.venv/bin/python tests/scenarios/test_scenarios.py``).
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator
from ruamel.yaml import YAML

from usm_config import runner
from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.engine.apply import ApplyResult
from usm_config.engine.plan import Action, Plan
from usm_config.http import RetryPolicy
from usm_config.runner import Context, apply_changes, make_plan, open_client, read_snapshot
from usm_config.targets import ResolvedTarget, Target

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCENARIOS = sorted(HERE.glob("[0-9][0-9]_*.yaml"))
TARGET_NAME = "scenarios"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rename(_Strict):
    id: str
    name: str


class Edit(_Strict):
    """One change to the loaded blueprint; exactly one key is set."""

    rename_team: Rename | None = None
    rename_service: Rename | None = None
    remove_service: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Edit:
        if len(self.model_fields_set) != 1:
            raise ValueError(
                "an edit has exactly one of rename_team, rename_service, remove_service"
            )
        return self


class Counts(_Strict):
    create: int = 0
    update: int = 0
    delete: int = 0
    manual: int = 0
    adopt: int = 0


class Expect(_Strict):
    plan: Counts
    second_plan: Counts = Field(default_factory=Counts)


class Scenario(_Strict):
    description: str
    adapter: str = "servicenow"
    blueprint: str
    edits: tuple[Edit, ...] = ()
    target: dict[str, Any] = Field(default_factory=dict)
    prune: bool = False
    expect: Expect


def load_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file."""
    return Scenario.model_validate(YAML(typ="safe").load(path.read_text(encoding="utf-8")))


def _replace(items: tuple[Any, ...], element_id: str, what: str, **update: Any) -> tuple[Any, ...]:
    ids = [item.id for item in items]
    if element_id not in ids:
        raise ValueError(f"the blueprint has no {what} '{element_id}' (it has: {', '.join(ids)})")
    return tuple(
        item.model_copy(update=update) if item.id == element_id else item for item in items
    )


def edited(blueprint: Blueprint, edits: tuple[Edit, ...]) -> Blueprint:
    """``blueprint`` with ``edits`` applied in order."""
    for edit in edits:
        if edit.rename_team is not None:
            teams = _replace(
                blueprint.teams, edit.rename_team.id, "team", name=edit.rename_team.name
            )
            blueprint = blueprint.model_copy(update={"teams": teams})
        elif edit.rename_service is not None:
            rename = edit.rename_service
            services = _replace(blueprint.services, rename.id, "service", name=rename.name)
            blueprint = blueprint.model_copy(update={"services": services})
        elif edit.remove_service is not None:
            _replace(blueprint.services, edit.remove_service, "service")
            services = tuple(s for s in blueprint.services if s.id != edit.remove_service)
            blueprint = blueprint.model_copy(update={"services": services})
    return blueprint


def counts(plan: Plan) -> Counts:
    """The plan's number of changes per action."""
    found = Counter(str(change.action) for change in plan.changes)
    return Counts(**found)


@dataclass
class Outcome:
    """What running one scenario produced."""

    plan: Plan
    result: ApplyResult
    second: Plan
    duplicates: dict[str, int]
    journal_left: bool


@dataclass
class World:
    """One sandbox that the scenarios change in order."""

    folder: Path
    done: dict[str, Outcome] = field(default_factory=dict)

    def context(self, scenario: Scenario) -> Context:
        path = REPO / scenario.blueprint
        loaded = load_blueprint(path)
        assert loaded.blueprint is not None, [d.render() for d in loaded.diagnostics]
        config = Target(adapter=scenario.adapter, url="sandbox:", lock_dir=".", **scenario.target)
        target = ResolvedTarget(name=TARGET_NAME, config=config, base_dir=self.folder)
        blueprint = edited(loaded.blueprint, scenario.edits)
        return Context(blueprint, path, target, load_adapter(scenario.adapter), environ={})

    def run(self, path: Path) -> Outcome:
        """Run the scenarios up to and including ``path`` that have not run yet."""
        for earlier in SCENARIOS[: SCENARIOS.index(path) + 1]:
            if earlier.name not in self.done:
                self.done[earlier.name] = self._run_one(load_scenario(earlier))
        return self.done[path.name]

    def _run_one(self, scenario: Scenario) -> Outcome:
        context = self.context(scenario)
        parallelism = context.target.config.parallelism

        async def main() -> Outcome:
            async with open_client(context) as client:
                snapshot = await read_snapshot(context, client)
                plan = make_plan(context, snapshot, prune=scenario.prune)
                result = await apply_changes(
                    context, client, plan, snapshot, parallelism=parallelism
                )
                after = await read_snapshot(context, client)
                second = make_plan(context, after, prune=scenario.prune)
                seen = Counter(record.address for record in after.live)
                duplicates = {address: n for address, n in seen.items() if n > 1}
                return Outcome(plan, result, second, duplicates, context.journal_path.exists())

        return asyncio.run(main())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("scenarios"))


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry back-off in milliseconds: it only costs time, the faults do not depend on it."""
    fast = functools.partial(RetryPolicy, backoff_base=0.002, backoff_max=0.02)
    monkeypatch.setattr(runner, "RetryPolicy", fast)


def test_the_scenarios_are_numbered_in_order() -> None:
    assert len(SCENARIOS) >= 4
    numbers = [int(path.name[:2]) for path in SCENARIOS]
    assert numbers == list(range(len(SCENARIOS)))
    for path in SCENARIOS:
        scenario = load_scenario(path)
        assert (REPO / scenario.blueprint).exists(), f"{path.name}: no {scenario.blueprint}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(world: World, path: Path) -> None:
    scenario = load_scenario(path)
    outcome = world.run(path)
    assert counts(outcome.plan) == scenario.expect.plan, scenario.description
    assert outcome.result.failed == []
    assert len(outcome.result.done) == sum(c.action != Action.MANUAL for c in outcome.plan.changes)
    assert outcome.duplicates == {}
    assert not outcome.journal_left
    assert counts(outcome.second) == scenario.expect.second_plan, [
        f"{c.action} {c.address}: {c.reason}" for c in outcome.second.changes
    ]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v", "-p", "no:cacheprovider"]))
