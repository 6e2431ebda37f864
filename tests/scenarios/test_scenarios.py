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
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator
from ruamel.yaml import YAML

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.engine.plan import Plan
from usm_config.runner import Context, RunOutcome, Session
from usm_config.targets import ResolvedTarget, Target
from usm_config.testing.edits import with_renamed, without_services
from usm_config.testing.harness import duplicates, quick_sleep, steps

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


def edited(blueprint: Blueprint, edits: tuple[Edit, ...]) -> Blueprint:
    """``blueprint`` with ``edits`` applied in order."""
    for edit in edits:
        if edit.rename_team is not None:
            rename = edit.rename_team
            blueprint = with_renamed(blueprint, "teams", rename.id, rename.name)
        elif edit.rename_service is not None:
            rename = edit.rename_service
            blueprint = with_renamed(blueprint, "services", rename.id, rename.name)
        elif edit.remove_service is not None:
            blueprint = without_services(blueprint, edit.remove_service)
    return blueprint


def counts(plan: Plan) -> Counts:
    """The plan's number of changes per action."""
    found = Counter(str(change.action) for change in plan.changes)
    return Counts(**found)


@dataclass
class Outcome:
    """What running one scenario produced."""

    run: RunOutcome
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

        async def main() -> RunOutcome:
            async with Session.open(context, sleep=quick_sleep) as session:
                return await session.run(prune=scenario.prune)

        outcome = asyncio.run(main())
        return Outcome(outcome, context.journal_path.exists())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("scenarios"))


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
    run = outcome.run
    assert counts(run.plan) == scenario.expect.plan, scenario.description
    assert run.result.failed == []
    assert len(run.result.done) == len(steps(run.plan))
    assert not outcome.journal_left
    assert run.after is not None
    assert duplicates(run.after.snapshot.live) == {}
    assert counts(run.after.plan) == scenario.expect.second_plan, [
        f"{c.action} {c.address}: {c.reason}" for c in run.after.plan.changes
    ]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v", "-p", "no:cacheprovider"]))
