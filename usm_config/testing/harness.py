"""A harness that drives one adapter's emulator through :class:`usm_config.runner.Session`.

One adapter, one blueprint and one ``sandbox:`` target whose state, lock file and journal live
in a folder of the test's. Every call opens the target exactly as the command line does. Nothing
here knows a tool: records are compared by kind and natural key.
"""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from usm_config import aio
from usm_config.adapter import Adapter
from usm_config.blueprint.model import Blueprint
from usm_config.engine.plan import Action, Change, Plan
from usm_config.engine.records import Op, Record
from usm_config.runner import Context, Planned, RunOutcome, Session, make_plan
from usm_config.targets import ResolvedTarget, SandboxKnobs, Target

T = TypeVar("T")

#: Back-off delays are divided by this in tests: waiting only costs time, and which request
#: meets which fault does not depend on it.
BACKOFF_SPEEDUP = 1000.0


async def quick_sleep(delay: float) -> None:
    """``asyncio.sleep`` for a thousandth of ``delay``: back-off for tests."""
    await asyncio.sleep(delay / BACKOFF_SPEEDUP)


def counts(plan: Plan) -> dict[str, int]:
    """Number of changes per action, by action name (only actions that occur)."""
    return {str(action): n for action, n in sorted(plan.counts().items())}


def steps(plan: Plan) -> list[Change]:
    """The changes of ``plan`` that apply carries out: everything but manual steps."""
    return [c for c in plan.changes if c.action != Action.MANUAL]


def described(plan: Plan) -> list[tuple[str, str, str]]:
    """Each change of ``plan`` as (action, address, reason), in plan order: what two plans
    must agree on to be the same plan."""
    return [(str(c.action), c.address, c.reason) for c in plan.changes]


def duplicates(records: Sequence[Record]) -> dict[str, int]:
    """``kind[key]`` → number of live records, for every natural key held more than once."""
    seen = Counter(r.address for r in records)
    return {address: n for address, n in sorted(seen.items()) if n > 1}


def with_emulator(adapter: Adapter, wrap: Callable[[Any], Any], **added: Any) -> Adapter:
    """A copy of ``adapter`` whose every emulator app is ``wrap(app)``: an ASGI middleware
    around it, or the app itself once noted. ``added`` knobs are given to every emulator made
    (``spec_path``)."""
    wrapped = copy.copy(adapter)
    original = getattr(adapter, "sandbox_app")  # noqa: B009 (an optional capability)

    def sandbox_app(state_file: Path | None, **knobs: Any) -> Any:
        return wrap(original(state_file, **knobs, **added))

    setattr(wrapped, "sandbox_app", sandbox_app)  # noqa: B010 (shadows the method)
    return wrapped


class Harness:
    """One adapter, one blueprint and one ``sandbox:`` target whose files live in ``base_dir``.

    When ``spec_path`` is given, the emulator checks every request against it (the adapter's
    ``sandbox_app`` must accept ``spec_path`` and return an app whose
    ``state.spec_violations`` lists the requests it refused); the violations of every emulator
    opened are collected in :attr:`spec_violations`.
    """

    target_name = "conformance"

    def __init__(
        self,
        adapter: Adapter,
        blueprint: Blueprint,
        blueprint_path: Path,
        base_dir: Path,
        *,
        spec_path: Path | None = None,
        knobs: SandboxKnobs | None = None,
        retries: int = 6,
        parallelism: int = 4,
    ) -> None:
        self.blueprint = blueprint
        self.blueprint_path = blueprint_path
        self.base_dir = base_dir
        self.knobs = knobs or SandboxKnobs()
        self.retries = retries
        self.parallelism = parallelism
        self.spec_checked_apps = 0
        self._violations: list[list[str]] = []
        self.adapter = self._instrumented(adapter, spec_path)

    def _instrumented(self, adapter: Adapter, spec_path: Path | None) -> Adapter:
        """A copy of ``adapter`` whose emulator checks requests against ``spec_path``."""
        if spec_path is None:
            return adapter

        def noted(app: Any) -> Any:
            self._violations.append(app.state.spec_violations)
            self.spec_checked_apps += 1
            return app

        return with_emulator(adapter, noted, spec_path=spec_path)

    @property
    def spec_violations(self) -> list[str]:
        """Every request any emulator opened so far refused for breaking the spec."""
        return [v for violations in self._violations for v in violations]

    # ------------------------------------------------------------------ runner wiring

    def target(self) -> ResolvedTarget:
        """The sandbox target: state in ``base_dir/.usm-sandbox``, lock in ``base_dir``."""
        config = Target(
            adapter=self.adapter.name,
            url="sandbox:",
            lock_dir=".",
            retries=self.retries,
            parallelism=self.parallelism,
            sandbox=self.knobs,
        )
        return ResolvedTarget(name=self.target_name, config=config, base_dir=self.base_dir)

    def context(
        self, blueprint: Blueprint | None = None, adapter: Adapter | None = None
    ) -> Context:
        """A runner context; the empty environment makes it use the sandbox's own login."""
        return Context(
            blueprint or self.blueprint,
            self.blueprint_path,
            self.target(),
            adapter or self.adapter,
            environ={},
        )

    def session(
        self,
        body: Callable[[Session], Awaitable[T]],
        *,
        blueprint: Blueprint | None = None,
        adapter: Adapter | None = None,
    ) -> T:
        """Open the target and run ``body(session)``."""
        context = self.context(blueprint, adapter)

        async def main() -> T:
            async with Session.open(context, sleep=quick_sleep) as session:
                return await body(session)

        return aio.run(main())

    def plan(self, *, blueprint: Blueprint | None = None, prune: bool = False) -> Plan:
        """Read the target and plan."""
        return self.planned(blueprint=blueprint, prune=prune).plan

    def planned(self, *, blueprint: Blueprint | None = None, prune: bool = False) -> Planned:
        """Read the target and plan; also what was read."""
        return self.session(lambda s: s.plan(prune=prune), blueprint=blueprint)

    def whole_plan(self, *, blueprint: Blueprint | None = None, prune: bool = False) -> Plan:
        """The plan made from a read of every kind whole (as an export reads), where
        :meth:`plan` reads as a plan does (see
        :class:`~usm_config.engine.contract.SupportsScopedRead`)."""
        snapshot = self.session(lambda s: s.read(), blueprint=blueprint)
        return make_plan(self.context(blueprint), snapshot, prune=prune).plan

    def apply(
        self,
        *,
        blueprint: Blueprint | None = None,
        prune: bool = False,
        adapter: Adapter | None = None,
        saved: Plan | None = None,
    ) -> RunOutcome:
        """Plan (or check ``saved``), apply and re-plan, as ``usm-config apply`` does."""
        return self.session(
            lambda s: s.run(prune=prune, saved=saved), blueprint=blueprint, adapter=adapter
        )

    def converge(self, *, blueprint: Blueprint | None = None, prune: bool = False) -> RunOutcome:
        """Apply and check the result: no failures, no duplicates, nothing left to apply
        (manual steps may remain)."""
        outcome = self.apply(blueprint=blueprint, prune=prune)
        assert outcome.result.failed == [], f"failed changes: {outcome.result.failed[:3]}"
        if outcome.after is not None:
            assert duplicates(outcome.after.snapshot.live) == {}
            assert [f"{c.action} {c.address}: {c.reason}" for c in outcome.remaining] == []
        return outcome

    def live(self) -> list[Record]:
        """Every live record, references resolved to natural keys."""
        return self.session(lambda s: s.read()).live

    def create(self, kind: str, fields: dict[str, Any]) -> Record:
        """Write a record straight through the adapter, behind the tool's back."""
        return self.session(lambda s: s.context.adapter.create(s.client, kind, fields))

    def update(self, kind: str, target_id: str, fields: dict[str, Any]) -> Record:
        """Change a record straight through the adapter, behind the tool's back."""
        return self.session(lambda s: s.context.adapter.update(s.client, kind, target_id, fields))

    # ------------------------------------------------------------------ checks

    def desired(self, blueprint: Blueprint | None = None) -> tuple[Record, ...]:
        """What the adapter compiles the blueprint into."""
        return self.adapter.compile(blueprint or self.blueprint).records

    def creatable(self, blueprint: Blueprint | None = None) -> list[Record]:
        """Desired records of kinds the API can create (the rest are manual steps)."""
        kinds = self.adapter.kinds
        return [r for r in self.desired(blueprint) if Op.CREATE in kinds[r.kind].operations]

    def assert_no_duplicates(self) -> None:
        """No two live records of one kind share a natural key."""
        assert duplicates(self.live()) == {}

    def assert_converged(self, *, blueprint: Blueprint | None = None, prune: bool = False) -> None:
        """A fresh plan has nothing left to apply (manual steps may remain)."""
        left = steps(self.plan(blueprint=blueprint, prune=prune))
        assert [f"{c.action} {c.address}: {c.reason}" for c in left] == []

    @property
    def journal_path(self) -> Path:
        """The apply journal of the harness's blueprint and target."""
        return self.context().journal_path

    @property
    def lock_path(self) -> Path:
        """The lock file of the harness's blueprint and target."""
        return self.context().lock_path
