"""The adapter conformance suite: what every usm-config adapter with a sandbox must do.

Written in the style of dbt's adapter tests: a base class holds every test, and an adapter's
test module subclasses it, naming the adapter and (optionally) the blueprint::

    class TestServiceNowConformance(AdapterConformance):
        adapter_name = "servicenow"

Every test drives :mod:`usm_config.runner` (``Context``, ``open_client``, ``read_snapshot``,
``make_plan``, ``apply_changes``, ``verify_saved_plan``, ``guard``) against the adapter's own
emulator on a ``sandbox:`` target whose state, lock and journal live in the test's
``tmp_path``. Nothing in here knows a ServiceNow table: records are compared by kind and
natural key, and edits are made to the loaded blueprint (``model_copy``).

Set ``spec_path`` to an API description the emulator checks every request against (the
adapter's ``sandbox_app`` must accept ``spec_path``); when the file is missing, the spec test
is skipped and the others run unchecked. The fault test shortens the HTTP layer's retry
back-off (``runner.RetryPolicy``), which costs only time: which request meets which fault does
not depend on it.

This module is not collected by itself (its name does not start with ``test_``); adapters'
test folders put ``tests/conformance`` on ``sys.path`` in their ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import shutil
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest

from usm_config import runner
from usm_config.adapter import Adapter, load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.engine.apply import ApplyResult
from usm_config.engine.plan import Action, Change, Plan
from usm_config.engine.records import Op, Record, ref_target
from usm_config.http import HttpClient, RetryPolicy
from usm_config.runner import (
    Context,
    PlanMismatch,
    Snapshot,
    apply_changes,
    guard,
    make_plan,
    open_client,
    read_snapshot,
    verify_saved_plan,
)
from usm_config.targets import ResolvedTarget, SandboxKnobs, Target

REPO = Path(__file__).resolve().parents[2]
#: The largest example blueprint: the default for every adapter.
LARGEST_EXAMPLE = REPO / "blueprints" / "examples" / "municipality"

#: The README's sandbox-flaky target: 20% 429s, 10% 503s, 10% of responses lost after commits.
FLAKY = SandboxKnobs(
    rate_429=0.2, rate_5xx=0.1, drop_after_commit=0.1, retry_after_s=0.001, seed=20260301
)
#: Retry back-off for fault tests: milliseconds instead of seconds.
FAST_BACKOFF = {"backoff_base": 0.002, "backoff_max": 0.02}

T = TypeVar("T")


def counts(plan: Plan) -> dict[str, int]:
    """Number of changes per action, by action name (only actions that occur)."""
    return {str(action): n for action, n in sorted(plan.counts().items())}


def writes(plan: Plan) -> list[Change]:
    """The changes of ``plan`` other than manual steps."""
    return [c for c in plan.changes if c.action != Action.MANUAL]


def duplicates(records: Sequence[Record]) -> dict[str, int]:
    """``kind[key]`` → number of live records, for every natural key held more than once."""
    seen = Counter(r.address for r in records)
    return {address: n for address, n in sorted(seen.items()) if n > 1}


def with_team_renamed(blueprint: Blueprint, index: int, name: str) -> Blueprint:
    """``blueprint`` with team number ``index`` called ``name``."""
    teams = list(blueprint.teams)
    teams[index] = teams[index].model_copy(update={"name": name})
    return blueprint.model_copy(update={"teams": tuple(teams)})


def without_services(blueprint: Blueprint, *service_ids: str) -> Blueprint:
    """``blueprint`` without the given services (all of them when none are given)."""
    kept = tuple(s for s in blueprint.services if service_ids and s.id not in service_ids)
    return blueprint.model_copy(update={"services": kept})


class Harness:
    """One adapter, one blueprint and one ``sandbox:`` target whose files live in ``base_dir``.

    Every call opens the target with :func:`usm_config.runner.open_client`, exactly as the
    command line does. When ``spec_path`` is given, the emulator checks every request
    against it (the adapter's ``sandbox_app`` must accept ``spec_path``), and the
    violations of every emulator opened are collected in :attr:`spec_violations`.
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
        checked = copy.copy(adapter)
        original = adapter.sandbox_app

        def sandbox_app(state_file: Path | None, **knobs: Any) -> Any:
            app = original(state_file, spec_path=spec_path, **knobs)
            self._violations.append(app.state.spec_violations)
            self.spec_checked_apps += 1
            return app

        setattr(checked, "sandbox_app", sandbox_app)  # noqa: B010 (shadows the method)
        return checked

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
        body: Callable[[Context, HttpClient], Awaitable[T]],
        *,
        blueprint: Blueprint | None = None,
        adapter: Adapter | None = None,
    ) -> T:
        """Open the target and run ``body(context, client)``."""
        context = self.context(blueprint, adapter)

        async def main() -> T:
            async with open_client(context) as client:
                return await body(context, client)

        return asyncio.run(main())

    def plan(self, *, blueprint: Blueprint | None = None, prune: bool = False) -> Plan:
        """Read the target and plan."""
        return self.plan_and_snapshot(blueprint=blueprint, prune=prune)[0]

    def plan_and_snapshot(
        self, *, blueprint: Blueprint | None = None, prune: bool = False
    ) -> tuple[Plan, Snapshot]:
        """Read the target and plan; also return what was read."""

        async def body(context: Context, client: HttpClient) -> tuple[Plan, Snapshot]:
            snapshot = await read_snapshot(context, client)
            return make_plan(context, snapshot, prune=prune), snapshot

        return self.session(body, blueprint=blueprint)

    def apply(
        self,
        *,
        blueprint: Blueprint | None = None,
        prune: bool = False,
        adapter: Adapter | None = None,
        saved: Plan | None = None,
    ) -> tuple[Plan, ApplyResult]:
        """Plan (or check ``saved``) and apply, as ``usm-config apply`` does."""

        async def body(context: Context, client: HttpClient) -> tuple[Plan, ApplyResult]:
            snapshot = await read_snapshot(context, client)
            if saved is not None:
                verify_saved_plan(context, saved, snapshot)
            plan = saved or make_plan(context, snapshot, prune=prune)
            result = await apply_changes(
                context, client, plan, snapshot, parallelism=self.parallelism
            )
            return plan, result

        return self.session(body, blueprint=blueprint, adapter=adapter)

    def converge(self, *, blueprint: Blueprint | None = None, prune: bool = False) -> Plan:
        """Apply and check the result: no failures, no duplicates, nothing left to write."""
        plan, result = self.apply(blueprint=blueprint, prune=prune)
        assert result.failed == [], f"failed changes: {result.failed[:3]}"
        self.assert_no_duplicates()
        self.assert_converged(blueprint=blueprint, prune=prune)
        return plan

    def live(self) -> list[Record]:
        """Every live record, references resolved to natural keys."""

        async def body(context: Context, client: HttpClient) -> list[Record]:
            return (await read_snapshot(context, client)).live

        return self.session(body)

    def create(self, kind: str, fields: dict[str, Any]) -> Record:
        """Write a record straight through the adapter, behind the tool's back."""

        async def body(context: Context, client: HttpClient) -> Record:
            return await context.adapter.create(client, kind, fields)

        return self.session(body)

    def update(self, kind: str, target_id: str, fields: dict[str, Any]) -> Record:
        """Change a record straight through the adapter, behind the tool's back."""

        async def body(context: Context, client: HttpClient) -> Record:
            return await context.adapter.update(client, kind, target_id, fields)

        return self.session(body)

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
        """A fresh plan has nothing left to write (manual steps may remain)."""
        left = writes(self.plan(blueprint=blueprint, prune=prune))
        assert [f"{c.action} {c.address}: {c.reason}" for c in left] == []

    @property
    def journal_path(self) -> Path:
        """The apply journal of the harness's blueprint and target."""
        return self.context().journal_path

    @property
    def lock_path(self) -> Path:
        """The lock file of the harness's blueprint and target."""
        return self.context().lock_path


def resolved_fields(record: Record, ids: dict[tuple[str, tuple[str, ...]], str]) -> dict[str, Any]:
    """``record``'s fields with references turned into the tool's ids (dropped if unknown)."""
    out: dict[str, Any] = {}
    for name, value in record.fields.items():
        target = ref_target(value)
        if target is None:
            out[name] = value
        elif target in ids:
            out[name] = ids[target]
    return out


class AdapterConformance:
    """Base class of an adapter's conformance tests; subclasses set :attr:`adapter_name`."""

    #: Name of the adapter under test (its entry point in ``usm_config.adapters``).
    adapter_name: ClassVar[str]
    #: The blueprint every test applies; by default the largest example.
    blueprint: ClassVar[Path] = LARGEST_EXAMPLE
    #: An OpenAPI description the emulator checks every request against, passed to the
    #: adapter's ``sandbox_app(spec_path=...)``; ``None`` skips the spec checks.
    spec_path: ClassVar[Path | None] = None

    # ------------------------------------------------------------------ fixtures

    @pytest.fixture(scope="class")
    @classmethod
    def loaded(cls) -> tuple[Adapter, Blueprint]:
        """The adapter and the blueprint, loaded once per class."""
        result = load_blueprint(cls.blueprint)
        assert result.blueprint is not None, [d.render() for d in result.diagnostics]
        return load_adapter(cls.adapter_name), result.blueprint

    @classmethod
    def _spec(cls) -> Path | None:
        return cls.spec_path if cls.spec_path is not None and cls.spec_path.is_file() else None

    @classmethod
    def _harness(cls, loaded: tuple[Adapter, Blueprint], base_dir: Path, **kw: Any) -> Harness:
        adapter, blueprint = loaded
        return Harness(adapter, blueprint, cls.blueprint, base_dir, spec_path=cls._spec(), **kw)

    @pytest.fixture
    def empty(self, loaded: tuple[Adapter, Blueprint], tmp_path: Path) -> Iterator[Harness]:
        """A harness on an empty sandbox."""
        harness = self._harness(loaded, tmp_path)
        yield harness
        assert harness.spec_violations == []

    @pytest.fixture(scope="class")
    @classmethod
    def applied_once(
        cls, loaded: tuple[Adapter, Blueprint], tmp_path_factory: pytest.TempPathFactory
    ) -> tuple[Path, Plan, ApplyResult]:
        """A sandbox with the blueprint applied once (shared, copied by :meth:`applied`)."""
        folder = tmp_path_factory.mktemp(f"{cls.adapter_name}-applied")
        harness = cls._harness(loaded, folder)
        plan, result = harness.apply()
        assert harness.spec_violations == []
        return folder, plan, result

    @pytest.fixture
    def applied(
        self,
        loaded: tuple[Adapter, Blueprint],
        applied_once: tuple[Path, Plan, ApplyResult],
        tmp_path: Path,
    ) -> Iterator[Harness]:
        """A harness on a private copy of a sandbox the blueprint was applied to."""
        shutil.copytree(applied_once[0], tmp_path, dirs_exist_ok=True)
        harness = self._harness(loaded, tmp_path)
        yield harness
        assert harness.spec_violations == []

    # ------------------------------------------------------------------ plan and apply

    def test_plan_on_an_empty_sandbox_is_all_creates(self, empty: Harness) -> None:
        plan = empty.plan()
        kinds = empty.adapter.kinds
        desired = empty.desired()
        creatable = empty.creatable()
        assert creatable, "the blueprint compiles to nothing the API can create"
        assert counts(plan) == {
            k: n
            for k, n in (
                ("create", len(creatable)),
                ("manual", len(desired) - len(creatable)),
            )
            if n
        }
        created = {(c.kind, c.key) for c in plan.changes if c.action == Action.CREATE}
        assert created == {(r.kind, r.key) for r in creatable}
        for change in plan.changes:
            if change.action == Action.MANUAL:
                assert Op.CREATE not in kinds[change.kind].operations, change.address
                assert change.instructions, f"{change.address}: a manual step says what to do"

    def test_apply_then_plan_is_empty_except_manual_steps(
        self, applied_once: tuple[Path, Plan, ApplyResult], applied: Harness
    ) -> None:
        _, plan, result = applied_once
        assert result.failed == []
        assert len(result.done) == len(writes(plan))
        assert result.manual == [c for c in plan.changes if c.action == Action.MANUAL]
        applied.assert_no_duplicates()
        applied.assert_converged()
        applied.assert_converged(prune=True)
        # Idempotence: a second apply writes nothing.
        again, second = applied.apply()
        assert writes(again) == []
        assert second.done == [] and second.failed == []

    def test_every_desired_record_is_present_with_its_owned_fields(self, applied: Harness) -> None:
        kinds = applied.adapter.kinds
        live = {(r.kind, r.key): r for r in applied.live()}
        problems = []
        for record in applied.desired():
            owned = set(kinds[record.kind].owned_fields)
            assert set(record.fields) <= owned, f"{record.address} sets fields it does not own"
            found = live.get((record.kind, record.key))
            if found is None:
                if Op.CREATE in kinds[record.kind].operations:
                    problems.append(f"{record.address}: missing")
                continue
            problems += [
                f"{record.address}.{name}: {found.fields.get(name)!r} != {value!r}"
                for name, value in record.fields.items()
                if found.fields.get(name) != value
            ]
        assert problems == []

    def test_a_rename_is_an_update_not_a_delete_and_create(self, applied: Harness) -> None:
        if not applied.blueprint.teams:
            pytest.skip("the blueprint has no teams to rename")
        team = applied.blueprint.teams[0]
        renamed = with_team_renamed(applied.blueprint, 0, f"{team.name} (renamed)")
        before = {r.uid: r.key for r in applied.desired() if r.uid}
        moved = {r.uid for r in applied.desired(renamed) if r.uid and before.get(r.uid) != r.key}
        assert moved, "renaming a team changes no natural key"

        plan = applied.plan(blueprint=renamed, prune=True)
        assert counts(plan).keys() <= {"update", "manual"}, counts(plan)
        updated = {c.uid for c in plan.changes if c.action == Action.UPDATE}
        assert moved <= updated
        for change in plan.changes:
            if change.uid in moved:
                assert change.reason == "renamed in the blueprint"

        ids_before = {r.target_id for r in applied.live()}
        applied.converge(blueprint=renamed, prune=True)
        live = applied.live()
        assert {r.target_id for r in live} == ids_before, "a rename keeps every record's id"
        keys = {(r.kind, r.key) for r in live}
        for record in applied.desired(renamed):
            if record.uid in moved:
                assert (record.kind, before[record.uid]) not in keys, "the old name is gone"

    def test_removing_an_element_deletes_only_with_prune_and_never_unmanaged(
        self, applied: Harness
    ) -> None:
        if not applied.blueprint.services:
            pytest.skip("the blueprint has no services to remove")
        smaller = without_services(applied.blueprint, applied.blueprint.services[-1].id)
        kinds = applied.adapter.kinds
        gone = {(r.kind, r.key) for r in applied.desired()} - {
            (r.kind, r.key) for r in applied.desired(smaller)
        }
        deletable = {k for k in gone if Op.DELETE in kinds[k[0]].operations}
        assert deletable, "removing a service removes no record the API can delete"

        kept = applied.plan(blueprint=smaller)
        assert "delete" not in counts(kept)
        assert any("--prune" in note for note in kept.notes)

        # A record of a kind that prune deletes, written behind the tool's back.
        kind, key = sorted(deletable)[0]
        spec = kinds[kind]
        template = next(r for r in applied.desired() if (r.kind, r.key) == (kind, key))
        ids = {(r.kind, r.key): r.target_id for r in applied.live() if r.target_id}
        fields = resolved_fields(template, ids)
        plain_keys = [f for f in spec.key_fields if f not in spec.references]
        assert plain_keys, f"{kind} has no plain key field to tell a foreign record apart"
        for name in plain_keys:
            fields[name] = f"zz unmanaged {fields.get(name, '')}"
        foreign = applied.create(kind, fields)
        assert foreign.target_id

        plan, snapshot = applied.plan_and_snapshot(blueprint=smaller, prune=True)
        deletes = [c for c in plan.changes if c.action == Action.DELETE]
        assert {(c.kind, c.key) for c in deletes} == deletable
        managed = snapshot.lock.managed_ids()
        assert all((c.kind, c.target_id) in managed for c in deletes)
        assert foreign.target_id not in {c.target_id for c in plan.changes}

        applied.converge(blueprint=smaller, prune=True)
        live = applied.live()
        assert foreign.target_id in {r.target_id for r in live}, "prune deleted a foreign record"
        assert deletable.isdisjoint((r.kind, r.key) for r in live)

    def test_an_unmanaged_record_with_a_desired_key_is_adopted(self, empty: Harness) -> None:
        kinds = empty.adapter.kinds
        plain = [r for r in empty.creatable() if not kinds[r.kind].references]
        assert plain, "no desired record without references to write by hand"
        exact = plain[0]
        first = empty.create(exact.kind, dict(exact.fields))
        # A second one with the same key but an owned field that differs, when there is one.
        differing = next(
            (
                (r, name)
                for r in plain[1:]
                if Op.UPDATE in kinds[r.kind].operations
                for name, value in sorted(r.fields.items())
                if name not in kinds[r.kind].key_fields and isinstance(value, str)
            ),
            None,
        )
        adopted = {exact.uid: first.target_id}
        if differing is not None:
            record, name = differing
            fields = {**record.fields, name: f"{record.fields[name]} (written by hand)"}
            adopted[record.uid] = empty.create(record.kind, fields).target_id

        plan = empty.plan()
        by_uid = {c.uid: c for c in plan.changes}
        for uid, target_id in adopted.items():
            change = by_uid[uid]
            assert change.action == Action.ADOPT, change
            assert change.target_id == target_id
        if differing is not None:
            assert by_uid[differing[0].uid].writes, "adopting a differing record updates it"
        assert "create" in counts(plan)

        empty.converge()
        lock = json.loads(empty.lock_path.read_text(encoding="utf-8"))["records"]
        for uid, target_id in adopted.items():
            assert lock[uid]["id"] == target_id

    # ------------------------------------------------------------------ saved plans

    def test_a_saved_plan_refuses_after_the_live_instance_changed(self, applied: Harness) -> None:
        if not applied.blueprint.teams:
            pytest.skip("the blueprint has no teams to rename")
        renamed = with_team_renamed(applied.blueprint, 0, "Saved-plan team")
        plan, snapshot = applied.plan_and_snapshot(blueprint=renamed)
        saved = Plan.model_validate_json(plan.model_dump_json())
        assert saved == plan
        verify_saved_plan(applied.context(renamed), saved, snapshot)

        kinds = applied.adapter.kinds
        live = {(r.kind, r.key): r for r in applied.live()}
        kind, target_id, name, value = next(
            (r.kind, live[(r.kind, r.key)].target_id, name, value)
            for r in applied.desired()
            if Op.UPDATE in kinds[r.kind].operations and (r.kind, r.key) in live
            for name, value in sorted(r.fields.items())
            if name not in kinds[r.kind].key_fields
            and name not in kinds[r.kind].references
            and isinstance(value, str)
        )
        assert target_id is not None
        applied.update(kind, target_id, {name: f"{value} (changed by hand)"})

        _, after = applied.plan_and_snapshot(blueprint=renamed)
        with pytest.raises(PlanMismatch, match="live instance"):
            verify_saved_plan(applied.context(renamed), saved, after)
        with pytest.raises(PlanMismatch, match="live instance"):
            applied.apply(blueprint=renamed, saved=saved)

    def test_a_saved_plan_refuses_after_the_blueprint_changed(self, applied: Harness) -> None:
        if not applied.blueprint.teams:
            pytest.skip("the blueprint has no teams to rename")
        renamed = with_team_renamed(applied.blueprint, 0, "Saved-plan team")
        plan, snapshot = applied.plan_and_snapshot(blueprint=renamed)
        saved = Plan.model_validate_json(plan.model_dump_json())
        other = with_team_renamed(applied.blueprint, 0, "Another name")
        with pytest.raises(PlanMismatch, match="blueprint"):
            verify_saved_plan(applied.context(other), saved, snapshot)
        with pytest.raises(PlanMismatch, match="blueprint"):
            applied.apply(blueprint=other, saved=saved)
        # Unchanged, the saved plan applies exactly as planned and converges.
        _, result = applied.apply(blueprint=renamed, saved=saved)
        assert result.failed == []
        assert len(result.done) == len(writes(saved))
        applied.assert_converged(blueprint=renamed)

    # ------------------------------------------------------------------ interruptions and faults

    def test_a_killed_apply_leaves_a_journal_and_resumes_without_duplicates(
        self, empty: Harness
    ) -> None:
        creatable = len(empty.creatable())
        limit = max(1, creatable // 3)
        sent = 0

        def interrupting(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            async def call(client: HttpClient, *args: Any) -> Any:
                nonlocal sent
                result = await method(client, *args)
                # create(client, kind, fields) writes one record, a batch several.
                batch = args[0] if len(args) == 1 else None
                sent += 1 if batch is None else len(batch)
                if sent > limit:
                    raise KeyboardInterrupt  # a BaseException: nothing in the engine catches it
                return result

            return call

        killed = copy.copy(empty.adapter)
        for name in ("create", "write_batch"):
            if callable(getattr(killed, name, None)):
                setattr(killed, name, interrupting(getattr(empty.adapter, name)))

        with pytest.raises(KeyboardInterrupt):
            empty.apply(adapter=killed)
        assert limit < sent < creatable, "the apply was not interrupted midway"

        entries = [
            json.loads(line)
            for line in empty.journal_path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        begun = {e["change"] for e in entries if e.get("event") == "begin"}
        done = {e["change"] for e in entries if e.get("event") == "done"}
        assert begun - done, "the journal shows the writes that were under way"

        plan = empty.plan()
        written = {(r.kind, r.key) for r in empty.live()}
        assert 0 < len(written) < creatable
        assert not any(
            c.action == Action.CREATE and (c.kind, c.key) in written for c in writes(plan)
        )
        assert any(
            c.reason == "created by an interrupted apply; taking it over" for c in plan.changes
        )

        empty.converge()
        assert not empty.journal_path.exists()
        assert len(empty.live()) >= creatable

    def test_apply_converges_through_network_faults(
        self,
        loaded: tuple[Adapter, Blueprint],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Back-off only costs time here: the faults and their order do not depend on it.
        monkeypatch.setattr(runner, "RetryPolicy", functools.partial(RetryPolicy, **FAST_BACKOFF))
        flaky = self._harness(loaded, tmp_path, knobs=FLAKY, retries=16, parallelism=8)
        if isinstance(getattr(flaky.adapter, "batch_size", None), int):
            # Small batches: many write requests, so some of their responses are surely lost.
            flaky.adapter = copy.copy(flaky.adapter)
            setattr(flaky.adapter, "batch_size", 5)  # noqa: B010 (shadows the class attribute)
        creatable = flaky.creatable()
        plan, result = flaky.apply()
        assert result.failed == []
        assert len(result.done) == len(creatable) == len(writes(plan))
        assert result.recovered_creates > 0, "no lost response was recovered"
        flaky.assert_no_duplicates()
        flaky.assert_converged()
        flaky.assert_converged(prune=True)
        assert flaky.spec_violations == []

    # ------------------------------------------------------------------ safety

    def test_the_mass_change_guard_trips(self, applied: Harness) -> None:
        if not applied.blueprint.services:
            pytest.skip("the blueprint has no services to remove")
        plan, snapshot = applied.plan_and_snapshot(
            blueprint=without_services(applied.blueprint), prune=True
        )
        deleted = Counter(c.kind for c in plan.changes if c.action == Action.DELETE)
        existing = Counter(r.kind for r in snapshot.live)
        violations = guard(plan, snapshot, 0.5)
        assert violations, f"deleting {dict(deleted)} of {dict(existing)} did not trip the guard"
        for violation in violations:
            assert violation.changed / violation.existing > 0.5
            assert violation.existing == existing[violation.kind]
        assert guard(plan, snapshot, 1.0) == []
        assert guard(applied.plan(prune=True), snapshot, 0.5) == []

    def test_requests_conform_to_the_published_api_spec(self, empty: Harness) -> None:
        if self.spec_path is None:
            pytest.skip(f"no API description is known for adapter '{self.adapter_name}'")
        if self._spec() is None:
            pytest.skip(
                f"{self.spec_path} is missing; in CI the shared/ folder sits beside the checkout"
            )
        empty.plan()
        empty.converge()
        if empty.blueprint.teams:
            empty.converge(blueprint=with_team_renamed(empty.blueprint, 0, "Spec-checked team"))
        if empty.blueprint.services:
            smaller = without_services(empty.blueprint, empty.blueprint.services[0].id)
            empty.converge(blueprint=smaller, prune=True)
        assert empty.spec_checked_apps > 0
        assert empty.spec_violations == []
