"""Run the numbered plan-and-apply scenarios of each adapter, in order, against one sandbox.

Each folder here (``servicenow/``, ``jsm/``) holds one adapter's ``NN_name.yaml`` files. A file
names a blueprint (relative to the repository root), optional edits of it, requests to the
emulator's control endpoints (an administrator doing a manual step in the tool's UI), the
settings of the ``sandbox:`` target (faults included), whether to prune, and the plan it
expects before applying and after. The scenarios of a folder build on each other: they share
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
    sandbox_requests:               # sent to the emulator before planning (no auth, no faults)
      - {method: POST, path: /_sandbox/ui/servicedesk/projectKey:ICT/queue, json: {name: Q}}
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

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator
from ruamel.yaml import YAML

from usm_config.adapter import SupportsSandbox, load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.engine.plan import Plan
from usm_config.runner import Context, RunOutcome, Session
from usm_config.targets import ResolvedTarget, Target
from usm_config.testing.edits import with_renamed, without_services
from usm_config.testing.harness import duplicates, quick_sleep, steps

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FOLDERS = sorted(p for p in HERE.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
SCENARIOS = [path for folder in FOLDERS for path in sorted(folder.glob("[0-9][0-9]_*.yaml"))]
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


class SandboxRequest(_Strict):
    """A request to the emulator's control endpoints, e.g. its UI simulator."""

    method: str
    path: str
    json_body: dict[str, Any] | None = Field(None, alias="json")


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
    adapter: str
    blueprint: str
    edits: tuple[Edit, ...] = ()
    sandbox_requests: tuple[SandboxRequest, ...] = ()
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
        """Run the scenarios of ``path``'s folder up to and including it that have not run."""
        own = [p for p in SCENARIOS if p.parent == path.parent]
        for earlier in own[: own.index(path) + 1]:
            if earlier.name not in self.done:
                self.done[earlier.name] = self._run_one(load_scenario(earlier))
        return self.done[path.name]

    def _send(self, context: Context, requests: tuple[SandboxRequest, ...]) -> None:
        """Send ``requests`` to the target's emulator, each expected to succeed."""
        adapter = context.adapter
        assert isinstance(adapter, SupportsSandbox)
        app = adapter.sandbox_app(context.sandbox_state)

        async def send() -> None:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
                for request in requests:
                    response = await http.request(
                        request.method, request.path, json=request.json_body
                    )
                    assert response.is_success, (request.path, response.text)

        asyncio.run(send())

    def _run_one(self, scenario: Scenario) -> Outcome:
        context = self.context(scenario)
        if scenario.sandbox_requests:
            self._send(context, scenario.sandbox_requests)

        async def main() -> RunOutcome:
            async with Session.open(context, sleep=quick_sleep) as session:
                return await session.run(prune=scenario.prune)

        outcome = asyncio.run(main())
        return Outcome(outcome, context.journal_path.exists())


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, World]:
    """One sandbox per folder of scenarios."""
    return {folder: World(tmp_path_factory.mktemp(folder.name)) for folder in FOLDERS}


def test_the_scenarios_are_numbered_in_order() -> None:
    assert {folder.name for folder in FOLDERS} >= {"servicenow", "jsm"}
    for folder in FOLDERS:
        own = [p for p in SCENARIOS if p.parent == folder]
        assert len(own) >= 4, folder
        assert [int(path.name[:2]) for path in own] == list(range(len(own)))
        for path in own:
            scenario = load_scenario(path)
            assert scenario.adapter == folder.name, path
            assert (REPO / scenario.blueprint).exists(), f"{path.name}: no {scenario.blueprint}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[f"{p.parent.name}/{p.stem}" for p in SCENARIOS])
def test_scenario(worlds: dict[Path, World], path: Path) -> None:
    scenario = load_scenario(path)
    outcome = worlds[path.parent].run(path)
    run = outcome.run
    assert counts(run.plan) == scenario.expect.plan, f"{scenario.description}: {counts(run.plan)}"
    assert run.result.failed == []
    assert len(run.result.done) == len(steps(run.plan))
    assert not outcome.journal_left
    # A plan of manual steps only is not applied; it is then also the plan after.
    after = run.after if run.applied else run.planned
    assert after is not None
    assert duplicates(after.snapshot.live) == {}
    assert counts(after.plan) == scenario.expect.second_plan, [
        f"{c.action} {c.address}: {c.reason}" for c in after.plan.changes
    ]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v", "-p", "no:cacheprovider"]))
