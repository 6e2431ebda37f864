"""The adapter conformance suite: what every usm-config adapter with a sandbox must do.

A base class holds every test; an adapter's test module subclasses it and names the adapter
and the blueprint to apply (``pip install usm-config`` is all it takes, plus pytest)::

    # tests/test_conformance.py of the usm-mytool distribution
    from pathlib import Path

    from usm_config.testing import AdapterConformance

    class TestMyToolConformance(AdapterConformance):
        adapter_name = "mytool"                      # its entry point in usm_config.adapters
        blueprint = Path(__file__).parent / "blueprints" / "acme"
        spec_path = Path(__file__).parent / "openapi.json"   # optional, see below

and, so that pytest explains failing assertions of the suite, the folder's ``conftest.py``::

    import pytest

    pytest.register_assert_rewrite("usm_config.testing")

Class attributes a subclass sets:

``adapter_name`` (required)
    The adapter under test. It must ship an emulator (``SupportsSandbox``): every test runs
    :class:`usm_config.runner.Session` against a ``sandbox:`` target whose state, lock file and
    journal live in the test's ``tmp_path``.
``blueprint`` (required)
    The blueprint file or folder every test applies; the larger, the better. The suite edits
    it in memory: renames its first team or service, removes services.
``spec_path``
    An API description (a file, or a folder of them) the emulator checks every request
    against: it is passed as
    ``sandbox_app(state_file, spec_path=..., **knobs)`` and the app must list refused requests
    in ``app.state.spec_violations``. ``None`` (the default) skips the spec test; a path to a
    missing file skips it with a message and runs the others unchecked.
``target_options``
    The adapter's target ``options`` every test runs with (see ``SupportsOptions``); empty by
    default.
``reference``
    The USM library the blueprint builds on (``blueprints/usm-reference.yaml``). For an adapter
    that can export (``SupportsExport``), the suite applies the blueprint, exports the sandbox
    over this reference and checks that the export compiles back onto exactly what was
    applied. ``None`` (the default) skips that test.
``flaky_knobs``, ``flaky_retries``, ``flaky_batch_size``
    The fault test's sandbox settings (:class:`usm_config.targets.SandboxKnobs`: 429s, 503s,
    responses lost after the commit, seed), the target's ``retries``, and the batch size used
    for adapters with batch writes (small, so that many write requests meet faults). With
    ``drop_after_commit`` above 0 the test insists that a lost create response was recovered.

Nothing here assumes a tool. Kinds are taken as the adapter declares them: a kind without
``create`` yields manual steps that stay in a converged plan, a kind without ``delete`` turns
prune into manual steps, records a fresh emulator already holds are adopted rather than
created, kinds with an owner marker (``KindSpec.marker``) must read back the marker they
were created with, and a record of a kind the tool names without regard to case
(``KindSpec.keys_ignore_case``) that differs from the blueprint's only in case is adopted. A
plan one of whose answers holds a number in place of a row (:mod:`usm_config.testing.mangle`)
must end in an ``HttpError`` (the adapter's reads go through
:func:`usm_config.http.read_shaped`) or be the plan it would have been: a row left out would be
created a second time. A write answered with nulls where its answer names the record
(``MangledAnswers(writes=True)``) may fail its apply, but never makes a record twice: the next
apply converges without duplicates.
Back-off delays are shortened (:func:`usm_config.testing.harness.quick_sleep`),
which costs only time: which request meets which fault does not depend on it.

This module imports pytest; nothing else in usm-config does, so only test suites import it.
"""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import JsonValue

from usm_config.adapter import (
    Adapter,
    SupportsBatchWrites,
    SupportsExport,
    SupportsScopedRead,
    configured,
    load_adapter,
)
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.engine.lock import Lock
from usm_config.engine.ownership import blueprint_owner
from usm_config.engine.plan import Action, Change
from usm_config.engine.records import Address, Op, Record, record_key
from usm_config.engine.references import References
from usm_config.export.verify import check_export
from usm_config.export.writer import write_directory
from usm_config.http import HttpClient, HttpError
from usm_config.runner import PlanMismatch, RunOutcome, verify_saved_plan
from usm_config.targets import SandboxKnobs
from usm_config.testing.edits import Renameable, with_renamed, without_services
from usm_config.testing.harness import (
    Harness,
    counts,
    described,
    duplicates,
    steps,
    with_emulator,
)
from usm_config.testing.mangle import MangledAnswers

#: The README's sandbox-flaky target: 20% 429s, 10% 503s, 10% of responses lost after commits.
FLAKY = SandboxKnobs(
    rate_429=0.2, rate_5xx=0.1, drop_after_commit=0.1, retry_after_s=0.001, seed=20260301
)
RENAMED_REASON = "renamed in the blueprint"
PRUNE_REASON = "managed, no longer in the blueprint"
RESUMED_REASON = "created by an interrupted apply; taking it over"

#: Plans :meth:`AdapterConformance.test_an_answer_of_another_shape_is_refused_never_misread`
#: makes, each with another of the plan's answers mangled, spread over them.
MANGLED_PLANS = 12
#: Applies the test of a write answer of another shape makes, each with another answer mangled.
MANGLED_APPLIES = 3


def address(record: Record | Change) -> Address:
    """``(kind, key)`` of a record or change."""
    return record.kind, record.key


def _spread(answers: int, most: int) -> list[int]:
    """Up to ``most`` of the numbers 1 to ``answers``, spread evenly over them."""
    return sorted({1 + i * answers // most for i in range(most)})


def renamed_blueprint(harness: Harness, name: str) -> Blueprint:
    """The harness's blueprint with its first team (or else service) renamed to ``name``."""
    element: Renameable
    for element in ("teams", "services"):
        items = getattr(harness.blueprint, element)
        if items:
            return with_renamed(harness.blueprint, element, items[0].id, name)
    pytest.skip("the blueprint has neither teams nor services to rename")


class AdapterConformance:
    """Base class of an adapter's conformance tests; see the module docstring."""

    adapter_name: ClassVar[str]
    blueprint: ClassVar[Path]
    spec_path: ClassVar[Path | None] = None
    flaky_knobs: ClassVar[SandboxKnobs] = FLAKY
    flaky_retries: ClassVar[int] = 16
    flaky_batch_size: ClassVar[int] = 5
    target_options: ClassVar[dict[str, JsonValue]] = {}
    reference: ClassVar[Path | None] = None

    # ------------------------------------------------------------------ fixtures

    @pytest.fixture(scope="class")
    @classmethod
    def loaded(cls) -> tuple[Adapter, Blueprint]:
        """The adapter and the blueprint, loaded once per class."""
        result = load_blueprint(cls.blueprint)
        assert result.blueprint is not None, [d.render() for d in result.diagnostics]
        adapter = configured(load_adapter(cls.adapter_name), cls.target_options)
        return adapter, result.blueprint

    @classmethod
    def _spec(cls) -> Path | None:
        return cls.spec_path if cls.spec_path is not None and cls.spec_path.exists() else None

    @classmethod
    def _harness(cls, loaded: tuple[Adapter, Blueprint], base_dir: Path, **kw: Any) -> Harness:
        adapter, blueprint = loaded
        return Harness(adapter, blueprint, cls.blueprint, base_dir, spec_path=cls._spec(), **kw)

    @pytest.fixture
    def empty(self, loaded: tuple[Adapter, Blueprint], tmp_path: Path) -> Iterator[Harness]:
        """A harness on a fresh sandbox."""
        harness = self._harness(loaded, tmp_path)
        yield harness
        assert harness.spec_violations == []

    @pytest.fixture(scope="class")
    @classmethod
    def applied_once(
        cls, loaded: tuple[Adapter, Blueprint], tmp_path_factory: pytest.TempPathFactory
    ) -> tuple[Path, RunOutcome]:
        """A sandbox with the blueprint applied once (shared, copied by :meth:`applied`)."""
        folder = tmp_path_factory.mktemp(f"{cls.adapter_name}-applied")
        harness = cls._harness(loaded, folder)
        outcome = harness.apply()
        assert harness.spec_violations == []
        return folder, outcome

    @pytest.fixture
    def applied(
        self,
        loaded: tuple[Adapter, Blueprint],
        applied_once: tuple[Path, RunOutcome],
        tmp_path: Path,
    ) -> Iterator[Harness]:
        """A harness on a private copy of a sandbox the blueprint was applied to."""
        shutil.copytree(applied_once[0], tmp_path, dirs_exist_ok=True)
        harness = self._harness(loaded, tmp_path)
        yield harness
        assert harness.spec_violations == []

    # ------------------------------------------------------------------ the adapter's declarations

    def test_kinds_and_compiled_records_agree(self, empty: Harness) -> None:
        kinds = empty.adapter.kinds
        problems = []
        for name, spec in sorted(kinds.items()):
            owned = set(spec.owned_fields)
            problems += [
                f"{name}: key field {f} is not owned" for f in spec.key_fields if f not in owned
            ]
            problems += [
                f"{name}.{field}: refers to undeclared kind {target}"
                for field, target in spec.references.items()
                if target not in kinds
            ]
            if Op.CREATE not in spec.operations and not spec.manual_hint:
                problems.append(f"{name}: records it cannot create need a manual_hint")
        desired = empty.desired()
        assert desired, "the blueprint compiles to nothing"
        for record in desired:
            spec = kinds[record.kind]
            if not set(record.fields) <= set(spec.owned_fields):
                problems.append(f"{record.address} sets fields its kind does not own")
            if record.key != record_key(spec, record.fields):
                problems.append(f"{record.address}: key is not record_key() of its fields")
        seen = Counter(address(r) for r in desired)
        problems += [
            f"{k}[{'/'.join(key)}] compiled {n} times" for (k, key), n in seen.items() if n > 1
        ]
        assert problems == []

    # ------------------------------------------------------------------ plan and apply

    def test_plan_on_a_fresh_sandbox_creates_what_is_missing(self, empty: Harness) -> None:
        planned = empty.planned()
        kinds = empty.adapter.kinds
        assert empty.creatable(), "the blueprint compiles to nothing the API can create"
        present = {address(r) for r in planned.snapshot.live}
        changes = {address(c): c for c in planned.plan.changes}
        assert len(changes) == len(planned.plan.changes), "one change per record"
        problems = []
        for record in empty.desired():
            spec = kinds[record.kind]
            change = changes.pop(address(record), None)
            action = change.action if change else None
            expected: Action | None
            if address(record) not in present:
                expected = Action.CREATE if Op.CREATE in spec.operations else Action.MANUAL
            elif action == Action.MANUAL and Op.UPDATE not in spec.operations:
                expected = Action.MANUAL  # already there, differs, and cannot be changed
            else:
                expected = Action.ADOPT if action == Action.ADOPT else None
            if action != expected:
                problems.append(f"{record.address}: {action} instead of {expected}")
            if change is not None and change.action == Action.MANUAL and not change.instructions:
                problems.append(f"{record.address}: a manual step says what to do")
        assert problems == []
        assert changes == {}, "changes for records the blueprint does not hold"

    def test_apply_then_plan_is_empty_except_manual_steps(
        self, applied_once: tuple[Path, RunOutcome], applied: Harness
    ) -> None:
        _, outcome = applied_once
        assert outcome.result.failed == []
        assert len(outcome.result.done) == len(steps(outcome.plan))
        manual = [c for c in outcome.plan.changes if c.action == Action.MANUAL]
        assert outcome.result.manual == manual
        assert outcome.converged, outcome.remaining[:3]
        assert outcome.after is not None
        kinds = applied.adapter.kinds
        for change in outcome.after.plan.changes:
            operations = kinds[change.kind].operations
            assert Op.CREATE not in operations or Op.UPDATE not in operations, change.address
        applied.assert_no_duplicates()
        applied.assert_converged()
        applied.assert_converged(prune=True)
        again = applied.apply()
        assert steps(again.plan) == [], "a second apply has nothing to do"
        assert not again.applied

    def test_every_desired_record_is_present_with_its_owned_fields(self, applied: Harness) -> None:
        planned = applied.planned()
        pending = {address(c) for c in planned.plan.changes if c.action == Action.MANUAL}
        live = {address(r): r for r in planned.snapshot.live}
        problems = []
        for record in applied.desired():
            if address(record) in pending:
                continue
            found = live.get(address(record))
            if found is None:
                problems.append(f"{record.address}: missing")
                continue
            problems += [
                f"{record.address}.{name}: {found.fields.get(name)!r} != {value!r}"
                for name, value in record.fields.items()
                if found.fields.get(name) != value
            ]
        assert problems == []

    def test_an_export_compiles_back_onto_what_was_applied(
        self, applied: Harness, tmp_path: Path
    ) -> None:
        adapter = applied.adapter
        if not isinstance(adapter, SupportsExport) or self.reference is None:
            pytest.skip("the adapter cannot export, or the suite names no USM reference")
        reference = load_blueprint(self.reference).blueprint
        assert reference is not None
        live = applied.live()
        exported = adapter.export(live, reference)
        out = tmp_path / "exported"
        write_directory(exported, out, extends=self.reference, origin="the sandbox")
        result = load_blueprint(out)
        assert result.blueprint is not None, [d.render() for d in result.diagnostics]
        fidelity = check_export(adapter, result.blueprint, live)
        wrong = [(c.address, c.diff) for c in (*fidelity.differs, *fidelity.invented)]
        assert fidelity.exact, wrong[:5]
        assert fidelity.matched, "the export reproduced nothing"

    def _a_rename(self, harness: Harness) -> tuple[Blueprint, dict[str, Record]]:
        """A blueprint whose first team (or service) is renamed, and the live records whose
        natural key that changes, by uid; skips when no rename changes a key."""
        live = {address(r): r for r in harness.live()}
        before = {r.uid: r for r in harness.desired() if r.uid and address(r) in live}
        element: Renameable
        for element in ("teams", "services"):
            items = getattr(harness.blueprint, element)
            if not items:
                continue
            renamed = with_renamed(harness.blueprint, element, items[0].id, f"{items[0].name} 2")
            moved = {
                r.uid: live[address(before[r.uid])]
                for r in harness.desired(renamed)
                if r.uid in before and before[r.uid].key != r.key
            }
            if moved:
                return renamed, moved
        pytest.skip("renaming the first team or service changes no natural key")

    def test_a_rename_is_an_update_not_a_delete_and_create(self, applied: Harness) -> None:
        renamed, moved = self._a_rename(applied)
        kinds = applied.adapter.kinds
        plan = applied.plan(blueprint=renamed, prune=True)
        assert counts(plan).keys() <= {"update", "manual"}, counts(plan)
        by_uid = {c.uid: c for c in plan.changes}
        for uid, old in moved.items():
            change = by_uid[uid]
            if Op.UPDATE in kinds[old.kind].operations:
                assert (change.action, change.reason) == (Action.UPDATE, RENAMED_REASON)
                assert change.target_id == old.target_id
            else:
                assert change.action == Action.MANUAL, change

        ids_before = {(r.kind, r.target_id) for r in applied.live()}
        applied.converge(blueprint=renamed, prune=True)
        live = applied.live()
        assert {(r.kind, r.target_id) for r in live} == ids_before, "a rename keeps every id"
        keys = {address(r) for r in live}
        for old in moved.values():
            if Op.UPDATE in kinds[old.kind].operations:
                assert address(old) not in keys, f"{old.address}: the old name is gone"

    def _foreign_candidate(self, harness: Harness, gone: set[Address]) -> Record | None:
        """A desired record of a kind the API creates and deletes, with a plain key field."""
        kinds = harness.adapter.kinds
        for record in sorted(harness.desired(), key=address):
            spec = kinds[record.kind]
            plain = [f for f in spec.key_fields if f not in spec.references]
            if address(record) in gone and {Op.CREATE, Op.DELETE} <= spec.operations and plain:
                return record
        return None

    def test_a_scoped_read_plans_what_a_whole_read_plans(self, applied: Harness) -> None:
        """An adapter that reads some kinds only as far as the blueprint and the lock file
        reach (``SupportsScopedRead``) plans what a read of everything plans: for the applied
        blueprint, and, pruned, for one without its last service (whose managed records the
        lock file still names)."""
        if not isinstance(applied.adapter, SupportsScopedRead):
            pytest.skip("the adapter reads every kind whole for a plan")
        blueprints = [applied.blueprint]
        if applied.blueprint.services:
            last = applied.blueprint.services[-1].id
            blueprints.append(without_services(applied.blueprint, last))
        for blueprint in blueprints:
            scoped = applied.plan(blueprint=blueprint, prune=True)
            whole = applied.whole_plan(blueprint=blueprint, prune=True)
            assert described(scoped) == described(whole)

    def test_removing_an_element_deletes_only_with_prune_and_never_unmanaged(
        self, applied: Harness
    ) -> None:
        if not applied.blueprint.services:
            pytest.skip("the blueprint has no services to remove")
        smaller = without_services(applied.blueprint, applied.blueprint.services[-1].id)
        kinds = applied.adapter.kinds
        before = applied.planned()
        managed_ids = before.snapshot.lock.managed_ids()
        managed = {address(r) for r in before.snapshot.live if (r.kind, r.target_id) in managed_ids}
        gone = {address(r) for r in applied.desired()} - {
            address(r) for r in applied.desired(smaller)
        }
        deletable = {a for a in gone & managed if Op.DELETE in kinds[a[0]].operations}
        by_hand = {a for a in gone & managed if Op.DELETE not in kinds[a[0]].operations}
        assert deletable | by_hand, "removing a service removes no managed record"

        kept = applied.plan(blueprint=smaller)
        assert "delete" not in counts(kept)
        assert all(not c.reason.startswith(PRUNE_REASON) for c in kept.changes)
        assert any("--prune" in note for note in kept.notes)

        template = self._foreign_candidate(applied, gone)
        foreign = None
        if template is not None:
            spec = kinds[template.kind]
            fields = References.of(before.snapshot.live, kinds).to_ids(template.fields)
            for name in spec.key_fields:
                if name not in spec.references:
                    fields[name] = f"zz unmanaged {fields.get(name) or ''}"
            foreign = applied.create(template.kind, fields)
            assert foreign.target_id

        planned = applied.planned(blueprint=smaller, prune=True)
        pruned = [c for c in planned.plan.changes if c.reason.startswith(PRUNE_REASON)]
        assert {address(c) for c in pruned if c.action == Action.DELETE} == deletable
        assert {address(c) for c in pruned if c.action == Action.MANUAL} == by_hand
        assert all((c.kind, c.target_id) in managed_ids for c in pruned)
        if foreign is not None:
            assert (foreign.kind, foreign.target_id) not in {
                (c.kind, c.target_id) for c in planned.plan.changes
            }

        applied.converge(blueprint=smaller, prune=True)
        live = applied.live()
        if foreign is not None:
            kept_ids = {(r.kind, r.target_id) for r in live}
            assert (foreign.kind, foreign.target_id) in kept_ids, "prune deleted a foreign one"
        assert deletable.isdisjoint(address(r) for r in live)

    def test_created_records_carry_the_owner_marker_and_a_foreign_one_is_left_alone(
        self, applied: Harness
    ) -> None:
        """Where the tool holds an owner marker (``KindSpec.marker``), every record the apply
        created reads back marked with the blueprint's owner. Where an update can write it, a
        record marked by another owner behind the tool's back reads back so, and the next plan
        leaves it alone as owned by that owner."""
        kinds = applied.adapter.kinds
        if not any(spec.marker for spec in kinds.values()):
            pytest.skip("the adapter's kinds hold no owner marker: lock files only")
        lock = Lock.load(applied.lock_path, applied.target_name, applied.adapter.name)
        created = sorted(
            (e.kind, e.target_id)
            for e in lock.entries.values()
            if kinds[e.kind].marker and not e.adopted
        )
        assert created, "the blueprint creates no record of a kind with a marker"
        owner = blueprint_owner(applied.blueprint)
        live = {(r.kind, r.target_id): r for r in applied.live()}
        marks = {key: live[key].fields.get(kinds[key[0]].marker) for key in created}
        assert marks == dict.fromkeys(created, owner)
        writable = [
            (kind, target_id)
            for kind, target_id in created
            if kinds[kind].marker_updatable and Op.UPDATE in kinds[kind].operations
        ]
        if not writable:
            return
        kind, target_id = writable[0]
        other = f"{owner}-other"
        applied.update(kind, target_id, {kinds[kind].marker: other})
        owned = [c for c in applied.plan().changes if c.target_id == target_id and c.kind == kind]
        assert [(c.action, c.owner) for c in owned] == [(Action.OWNED, other)]

    def test_an_unmanaged_record_with_a_desired_key_is_adopted(self, empty: Harness) -> None:
        kinds = empty.adapter.kinds
        present = {address(r) for r in empty.live()}
        plain = [
            r
            for r in empty.creatable()
            if not kinds[r.kind].references and address(r) not in present
        ]
        assert plain, "no desired record without references to write by hand"
        exact = plain[0]
        adopted = {exact.uid: empty.create(exact.kind, dict(exact.fields)).target_id}
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

        empty.converge()
        lock = json.loads(empty.lock_path.read_text(encoding="utf-8"))["records"]
        for uid, target_id in adopted.items():
            assert lock[uid]["id"] == target_id
            assert lock[uid].get("adopted") is True, "the lock remembers whose record it was"

    def test_a_record_whose_key_differs_only_in_case_is_adopted(self, empty: Harness) -> None:
        """Where the tool names a kind without regard to case, a record of the blueprint's key
        in another case is the one the blueprint means: adopted and renamed, never created
        beside it (the tool would refuse that create)."""
        kinds = empty.adapter.kinds
        present = {address(r) for r in empty.live()}
        candidates = [
            r
            for r in empty.creatable()
            if kinds[r.kind].keys_ignore_case
            and not kinds[r.kind].references
            and Op.UPDATE in kinds[r.kind].operations
            and address(r) not in present
        ]
        if not candidates:
            pytest.skip("the adapter has no creatable kind named without regard to case")
        record = candidates[0]
        spec = kinds[record.kind]
        fields = dict(record.fields)
        for name in spec.key_fields:
            text = str(fields[name])
            fields[name] = text.upper() if text != text.upper() else text.lower()
        theirs = empty.create(record.kind, fields).target_id

        change = next(c for c in empty.plan().changes if c.uid == record.uid)
        assert change.action == Action.ADOPT, change
        assert change.target_id == theirs
        assert {d.field for d in change.diff} >= set(spec.key_fields), "renamed to the blueprint's"

        empty.converge()
        same = [
            r
            for r in empty.live()
            if r.kind == record.kind and spec.match_key(r.key) == spec.match_key(record.key)
        ]
        assert [(r.target_id, r.key) for r in same] == [(theirs, record.key)]

    # ------------------------------------------------------------------ saved plans

    def test_a_saved_plan_refuses_after_the_live_instance_changed(self, applied: Harness) -> None:
        renamed = renamed_blueprint(applied, "Saved-plan name")
        planned = applied.planned(blueprint=renamed)
        saved = type(planned.plan).model_validate_json(planned.plan.model_dump_json())
        assert saved == planned.plan
        verify_saved_plan(applied.context(renamed), saved, planned.snapshot)

        kinds = applied.adapter.kinds
        live = {address(r): r for r in planned.snapshot.live}
        edit = next(
            (
                (r.kind, live[address(r)].target_id, name, value)
                for r in applied.desired()
                if Op.UPDATE in kinds[r.kind].operations and address(r) in live
                for name, value in sorted(r.fields.items())
                if name not in kinds[r.kind].key_fields
                and name not in kinds[r.kind].references
                and isinstance(value, str)
            ),
            None,
        )
        if edit is None:
            pytest.skip("no live record has a plain text field the API can change")
        kind, target_id, name, value = edit
        assert target_id is not None
        applied.update(kind, target_id, {name: f"{value} (changed by hand)"})

        after = applied.planned(blueprint=renamed)
        with pytest.raises(PlanMismatch, match="live instance"):
            verify_saved_plan(applied.context(renamed), saved, after.snapshot)
        with pytest.raises(PlanMismatch, match="live instance"):
            applied.apply(blueprint=renamed, saved=saved)

    def test_a_saved_plan_refuses_after_the_blueprint_changed(self, applied: Harness) -> None:
        renamed = renamed_blueprint(applied, "Saved-plan name")
        planned = applied.planned(blueprint=renamed)
        saved = type(planned.plan).model_validate_json(planned.plan.model_dump_json())
        other = renamed_blueprint(applied, "Another name")
        with pytest.raises(PlanMismatch, match="blueprint"):
            verify_saved_plan(applied.context(other), saved, planned.snapshot)
        with pytest.raises(PlanMismatch, match="blueprint"):
            applied.apply(blueprint=other, saved=saved)
        # Unchanged, the saved plan applies exactly as planned and converges.
        outcome = applied.apply(blueprint=renamed, saved=saved)
        assert outcome.result.failed == []
        assert len(outcome.result.done) == len(steps(saved))
        assert outcome.remaining == []

    # ------------------------------------------------------------------ interruptions and faults

    def test_a_killed_apply_leaves_a_journal_and_resumes_without_duplicates(
        self, empty: Harness
    ) -> None:
        first = empty.plan()
        requests = sum(c.writes for c in first.changes)
        limit = max(1, requests // 3)
        sent = 0

        def interrupting(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            async def call(client: HttpClient, *args: Any) -> Any:
                nonlocal sent
                result = await method(client, *args)
                # write_batch(client, writes) writes several records, the others one.
                sent += len(args[0]) if len(args) == 1 else 1
                if sent > limit:
                    raise KeyboardInterrupt  # a BaseException: nothing in the engine catches it
                return result

            return call

        killed = copy.copy(empty.adapter)
        for name in ("create", "update", "delete", "write_batch"):
            if callable(getattr(killed, name, None)):
                setattr(killed, name, interrupting(getattr(empty.adapter, name)))

        with pytest.raises(KeyboardInterrupt):
            empty.apply(adapter=killed)
        assert limit < sent < requests, "the apply was not interrupted midway"

        entries = [
            json.loads(line)
            for line in empty.journal_path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        begun = {e["change"] for e in entries if e.get("event") == "begin"}
        done = {e["change"] for e in entries if e.get("event") == "done"}
        assert begun - done, "the journal shows the writes that were under way"

        planned = empty.planned()
        live = {address(r) for r in planned.snapshot.live}
        created = [c for c in planned.plan.changes if c.action == Action.CREATE]
        assert created, "the interrupted apply left creates to do"
        assert not [c.address for c in created if address(c) in live], "creates a duplicate"
        assert any(c.reason == RESUMED_REASON for c in planned.plan.changes)

        empty.converge()
        assert not empty.journal_path.exists()
        live = {address(r) for r in empty.live()}
        assert [r.address for r in empty.creatable() if address(r) not in live] == []

    def test_apply_converges_through_network_faults(
        self, loaded: tuple[Adapter, Blueprint], tmp_path: Path
    ) -> None:
        flaky = self._harness(
            loaded, tmp_path, knobs=self.flaky_knobs, retries=self.flaky_retries, parallelism=8
        )
        if isinstance(flaky.adapter, SupportsBatchWrites):
            flaky.adapter = copy.copy(flaky.adapter)
            setattr(flaky.adapter, "batch_size", self.flaky_batch_size)  # noqa: B010
        outcome = flaky.converge()
        assert len(outcome.result.done) == len(steps(outcome.plan))
        if self.flaky_knobs.drop_after_commit > 0:
            assert outcome.result.recovered_creates > 0, "no lost response was recovered"
        live = {address(r) for r in flaky.live()}
        assert [r.address for r in flaky.creatable() if address(r) not in live] == []
        flaky.assert_converged(prune=True)
        assert flaky.spec_violations == []

    def test_an_answer_of_another_shape_is_refused_never_misread(self, applied: Harness) -> None:
        """A list of rows where one row is a number (a proxy's JSON, another API version)
        ends the plan with an HTTP-layer error that says so, or changes nothing the plan
        shows: never an internal error, and never a row left out and planned as missing.
        A plan only reads, so any of its answers may be the one."""
        baseline = described(applied.plan())
        wrapped: list[MangledAnswers] = []

        def mangling(nth: int) -> Adapter:
            def wrap(app: Any) -> MangledAnswers:
                wrapped.append(MangledAnswers(app, nth))
                return wrapped[-1]

            return with_emulator(applied.adapter, wrap)

        def plan_with(nth: int) -> list[tuple[str, str, str]] | HttpError:
            try:
                return described(applied.session(lambda s: s.plan(), adapter=mangling(nth)).plan)
            except HttpError as exc:
                return exc

        assert plan_with(0) == baseline
        answers = sum(app.seen for app in wrapped)
        if not answers:
            pytest.skip("no answer of a plan holds a list of objects")
        refused = 0
        for nth in _spread(answers, MANGLED_PLANS):
            outcome = plan_with(nth)
            where = wrapped[-1].mangled
            if isinstance(outcome, HttpError):
                refused += 1
                assert str(outcome), f"{where}: an error without a message"
            else:
                assert outcome == baseline, f"{where}: a row that is a number was left out"
        assert refused, "no mangled answer was refused"

    def test_a_write_answer_of_another_shape_never_makes_a_second_record(
        self, loaded: tuple[Adapter, Blueprint], tmp_path: Path
    ) -> None:
        """A write carried out but answered with nulls where the answer names the record
        (a proxy's JSON, another API version): that apply may fail, saying why, but no record
        is made twice, and the next apply converges. Spread over a fresh apply's writes."""
        wrapped: list[MangledAnswers] = []

        def fresh_and_mangling(nth: int) -> tuple[Harness, Adapter]:
            """A harness on a fresh sandbox, and its adapter with the ``nth`` answer mangled."""
            fresh = self._harness(loaded, tmp_path / str(nth))

            def wrap(app: Any) -> MangledAnswers:
                wrapped.append(MangledAnswers(app, nth, writes=True))
                return wrapped[-1]

            return fresh, with_emulator(fresh.adapter, wrap)

        fresh, mangling = fresh_and_mangling(0)
        fresh.apply(adapter=mangling)
        answers = sum(app.seen for app in wrapped)
        if not answers:
            pytest.skip("no write answer names a record")
        for nth in _spread(answers, MANGLED_APPLIES):
            fresh, mangling = fresh_and_mangling(nth)
            with contextlib.suppress(HttpError):  # said, with exit 1, on the command line
                fresh.apply(adapter=mangling)
            where = next((app.mangled for app in wrapped if app.mangled), None)
            wrapped.clear()
            outcome = fresh.converge()
            last = outcome.after or outcome.planned
            assert duplicates(last.snapshot.live) == {}, where

    # ------------------------------------------------------------------ safety

    def test_the_mass_change_guard_trips(self, applied: Harness) -> None:
        if not applied.blueprint.services:
            pytest.skip("the blueprint has no services to remove")
        planned = applied.planned(blueprint=without_services(applied.blueprint), prune=True)
        deleted = Counter(c.kind for c in planned.plan.changes if c.action == Action.DELETE)
        existing = Counter(r.kind for r in planned.snapshot.live)
        violations = planned.violations(0.5)
        assert violations, f"deleting {dict(deleted)} of {dict(existing)} did not trip the guard"
        for violation in violations:
            assert violation.changed / violation.existing > 0.5
            assert violation.existing == existing[violation.kind]
        assert planned.violations(1.0) == []
        assert applied.planned(prune=True).violations(0.5) == []

    def test_requests_conform_to_the_published_api_spec(self, empty: Harness) -> None:
        if self.spec_path is None:
            pytest.skip(f"no API description is known for adapter '{self.adapter_name}'")
        if self._spec() is None:
            pytest.skip(f"{self.spec_path} is missing; the other tests ran unchecked")
        empty.plan()
        empty.converge()
        empty.converge(blueprint=renamed_blueprint(empty, "Spec-checked name"))
        if empty.blueprint.services:
            smaller = without_services(empty.blueprint, empty.blueprint.services[0].id)
            empty.converge(blueprint=smaller, prune=True)
        assert empty.spec_checked_apps > 0
        assert empty.spec_violations == []
