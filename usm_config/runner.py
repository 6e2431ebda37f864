"""Plan and apply for one blueprint and one target: the glue between engine, adapter and HTTP.

Nothing here decides what to change (that is :mod:`usm_config.engine.diff`) or how a tool
stores it (that is the adapter); this module opens the connection, reads, plans, checks saved
plans against the current state, applies, and proves convergence with a second plan.

:class:`Session` is that sequence, written once; the command line, the conformance suite
(:mod:`usm_config.testing`), the scenarios and the benchmark all run it::

    async with Session.open(context) as session:
        outcome = await session.run(prune=False, limit=0.5)
    assert outcome.converged, outcome.remaining
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from usm_config import __version__
from usm_config.adapter import (
    Adapter,
    ReadScope,
    SupportsOverrideCheck,
    SupportsSandbox,
    SupportsScopedRead,
    configured,
)
from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.validation_errors import format_path
from usm_config.collector import paused_gc
from usm_config.diagnostics import Diagnostic, Severity, SourceIndex, display_path, locate
from usm_config.engine import records as record_module
from usm_config.engine.apply import Applier, ApplyResult
from usm_config.engine.apply_lock import apply_lock, default_command
from usm_config.engine.diff import (
    GuardViolation,
    compute_changes,
    mass_change_violations,
)
from usm_config.engine.interrupt import StopRequest
from usm_config.engine.journal import Journal, recover
from usm_config.engine.lock import Lock
from usm_config.engine.ownership import blueprint_owner, other_claims
from usm_config.engine.plan import PLAN_FORMAT, Action, Change, Plan
from usm_config.engine.records import (
    LongList,
    LongText,
    Record,
    fingerprint,
    streamed_fingerprint,
)
from usm_config.engine.references import resolve_live_references
from usm_config.http import AuthConfig, HttpClient, RequestStats, RetryPolicy, build_auth
from usm_config.sandbox.embedded import EmbeddedTransport
from usm_config.sandbox.store import DamagedState
from usm_config.targets import ResolvedTarget

SANDBOX_BASE_URL = "http://sandbox.usm-config.invalid"


class PlanMismatch(Exception):
    """A saved plan no longer fits the blueprint, target or live records."""


class PlanTampered(PlanMismatch):
    """A saved plan was edited, or comes from another format or adapter.

    ``at`` is the place in the plan's JSON it is about, ``code`` the diagnostic code for it.
    """

    def __init__(self, message: str, at: tuple[str | int, ...], code: str) -> None:
        super().__init__(message)
        self.at = at
        self.code = code


class NoSandbox(Exception):
    """A ``sandbox:`` target names an adapter that ships no emulator, or its state cannot be
    opened."""


@dataclass
class Context:
    """Everything a plan or apply needs for one blueprint and one target."""

    blueprint: Blueprint
    blueprint_path: Path
    target: ResolvedTarget
    adapter: Adapter
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _fingerprinted: Blueprint | None = field(default=None, init=False, repr=False, compare=False)
    _blueprint_fingerprint: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The target's adapter options (``options`` in targets.yaml) shape the adapter.
        self.adapter = configured(self.adapter, self.target.config.options)

    @property
    def state_dir(self) -> Path:
        """Folder holding the lock, the journal and sandbox state."""
        return self.target.state_dir(self.blueprint_path)

    @property
    def lock_path(self) -> Path:
        """The lock file of this blueprint and target."""
        stem = (
            self.blueprint_path.stem if self.blueprint_path.is_file() else self.blueprint_path.name
        )
        return self.state_dir / f"{stem}.{self.target.name}.lock.json"

    @property
    def journal_path(self) -> Path:
        """The apply journal of this blueprint and target."""
        return self.lock_path.with_suffix(".journal.jsonl")

    def hold_apply_lock(self, command: str | None = None) -> AbstractContextManager[Path]:
        """Hold this blueprint and target's apply lock (see :mod:`usm_config.engine.apply_lock`;
        :class:`~usm_config.engine.apply_lock.ApplyLocked` when another process holds it)."""
        return apply_lock(
            self.lock_path,
            blueprint=str(self.blueprint_path),
            target=self.target.name,
            command=command or default_command(),
        )

    @property
    def sandbox_state(self) -> Path:
        """SQLite file of the embedded sandbox."""
        return self.target.base_dir / ".usm-sandbox" / f"{self.target.name}.sqlite3"

    def target_fingerprint(self) -> str:
        """Identity of the target (not its credentials)."""
        config = self.target.config
        return fingerprint({"name": self.target.name, "adapter": config.adapter, "url": config.url})

    def blueprint_fingerprint(self) -> str:
        """Identity of the normalised blueprint (worked out once per blueprint: a plan and the
        re-plan after an apply both need it): the fingerprint of its JSON dump, with long
        lists (the services of a large blueprint) dumped an element at a time."""
        if self._fingerprinted is not self.blueprint:
            self._blueprint_fingerprint = streamed_fingerprint(dump_streamed(self.blueprint))
            self._fingerprinted = self.blueprint
        return self._blueprint_fingerprint


def dump_streamed(model: BaseModel) -> dict[str, Any]:
    """``model.model_dump(mode="json", by_alias=True)`` with each top-level list of
    :data:`~usm_config.engine.records.STREAMED` elements or more as a
    :class:`~usm_config.engine.records.LongList` of the elements' dumps, made as they are
    fingerprinted (the dump of 5,000 services is never held whole)."""
    long = {
        name: value
        for name, value in model
        if isinstance(value, tuple | list)
        and len(value) >= record_module.STREAMED
        and all(isinstance(item, BaseModel) for item in value)
    }
    data = model.model_dump(mode="json", by_alias=True, exclude=set(long))
    for name, value in long.items():
        alias = type(model).model_fields[name].alias or name
        data[alias] = LongList(functools.partial(map, _dumped, value))
    return data


def _dumped(item: BaseModel) -> dict[str, Any]:
    return item.model_dump(mode="json", by_alias=True)


def check_overrides(context: Context, index: SourceIndex) -> list[Diagnostic]:
    """The adapter's verdict on the blueprint's ``x-<adapter>`` settings, located."""
    if not isinstance(context.adapter, SupportsOverrideCheck):
        return []
    with paused_gc():  # the check compiles the blueprint
        problems = context.adapter.check_overrides(context.blueprint)
    return [
        Diagnostic(
            Severity.ERROR,
            "ADP001",
            problem.message,
            locate(index, problem.path),
            format_path(problem.path),
            problem.hint,
        )
        for problem in problems
    ]


@asynccontextmanager
async def open_client(
    context: Context, *, sleep: Callable[[float], Awaitable[None]] | None = None
) -> AsyncIterator[HttpClient]:
    """Connect to the target: over HTTP, or to the embedded sandbox for ``sandbox:``.

    A ``sandbox:`` target without auth logs in with the adapter's
    :meth:`~usm_config.adapter.SupportsSandbox.sandbox_credentials`. ``sleep`` waits out
    retry back-offs (tests pass a faster one; the faults met do not depend on it).
    """
    config = context.target.config
    environ: Mapping[str, str] = context.environ
    auth_config: AuthConfig = config.auth
    transport = None
    base_url = config.url
    if config.is_sandbox:
        adapter = context.adapter
        if not isinstance(adapter, SupportsSandbox):
            raise NoSandbox(
                f"target '{context.target.name}': adapter '{config.adapter}' has no sandbox; "
                "give the target a real URL"
            )
        context.sandbox_state.parent.mkdir(parents=True, exist_ok=True)
        knobs = config.sandbox.model_dump()
        try:
            app = adapter.sandbox_app(context.sandbox_state, **knobs)
        except DamagedState as exc:
            raise NoSandbox(
                f"the state of sandbox target '{context.target.name}': {exc}; it is damaged or "
                f"not a sandbox's: start the sandbox afresh with 'usm-config sandbox reset "
                f"{display_path(context.blueprint_path)} --target {context.target.name}'"
            ) from None
        transport = EmbeddedTransport(app)
        base_url = SANDBOX_BASE_URL
        if config.auth.type == "none":
            login = adapter.sandbox_credentials()
            environ = {**login.environ, **environ}
            auth_config = login.auth
    auth, secrets = build_auth(auth_config, environ)
    verify: bool | str = (
        str(context.target.base_dir / config.ca_bundle) if config.ca_bundle else True
    )
    async with HttpClient(
        base_url,
        auth=auth,
        transport=transport,
        verify=verify,
        timeout=config.timeout,
        retry=RetryPolicy(max_attempts=config.retries),
        secrets=secrets,
        sleep=sleep or asyncio.sleep,
        parallelism=config.parallelism,
    ) as client:
        yield client


@dataclass
class Snapshot:
    """Live records and the lock as read at one moment.

    ``resumed`` are the uids of writes a previous apply's journal began without confirming,
    ``confirmed`` how many writes it confirmed (folded into ``lock``), and ``claims`` the
    records other blueprints' lock files manage (:mod:`usm_config.engine.ownership`).
    """

    live: list[Record]
    lock: Lock
    resumed: list[str]
    confirmed: int = 0
    claims: dict[tuple[str, str], Path] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Identity of the live state the plan is based on."""
        return streamed_fingerprint(
            {
                "live": sorted(
                    [[r.kind, r.target_id or "", r.fields] for r in self.live],
                    key=lambda row: (row[0], row[1]),
                ),
                "lock": LongText(self.lock.json_pieces),
                "claims": sorted([k, i, str(p)] for (k, i), p in self.claims.items()),
            }
        )

    def resuming(self) -> str | None:
        """What the journal of an interrupted apply held, as announced to people; ``None``
        when there was none."""
        if not self.confirmed and not self.resumed:
            return None
        text = f"resuming: {self.confirmed} writes of a previous apply were confirmed"
        if self.resumed:
            text += f"; {len(self.resumed)} were begun without an answer and are looked up by key"
        return text


def check_state_files(context: Context) -> None:
    """Read the lock file and the journal without connecting: a damaged one is refused
    (:class:`~usm_config.diagnostics.DiagnosticError`, located) before the target is opened."""
    adapter = context.adapter
    with paused_gc():
        lock = Lock.load(context.lock_path, context.target.name, adapter.name, adapter.kinds)
    recover(context.journal_path, lock, adapter.kinds)


async def read_snapshot(context: Context, client: HttpClient, *, scoped: bool = False) -> Snapshot:
    """Read every kind the adapter manages, the lock (with any journal folded in) and the
    claims of the other blueprints' lock files beside it. ``scoped`` (a plan's read) lets an
    adapter read some kinds only as far as the blueprint and the lock file reach
    (:class:`~usm_config.engine.contract.SupportsScopedRead`)."""
    adapter = context.adapter
    # The lock and the journal first: a damaged one stops before the target is read.
    lock = Lock.load(context.lock_path, context.target.name, adapter.name, adapter.kinds)
    recovered = recover(context.journal_path, lock, adapter.kinds)
    kinds = list(adapter.kinds)
    if scoped and isinstance(adapter, SupportsScopedRead):
        scope = ReadScope.of(
            adapter.compile(context.blueprint).records,
            ((e.kind, e.key, e.target_id) for e in lock.entries.values()),
            adapter.kinds,
        )
        reading = adapter.read_for(client, kinds, scope)
    else:
        reading = adapter.read(client, kinds)
    # The raw records go straight in: resolve_live_references lets each go once resolved,
    # which a name kept here would prevent (15 MB more at the peak of 50,000 records).
    live = resolve_live_references(await reading, adapter.kinds)
    return Snapshot(
        live,
        lock,
        [u.uid for u in recovered.unconfirmed if u.uid],
        recovered.confirmed,
        other_claims(lock),
    )


def make_plan(
    context: Context,
    snapshot: Snapshot,
    *,
    prune: bool,
    take_over: bool = False,
    saveable: bool = True,
) -> Planned:
    """Compile the blueprint and diff it against the snapshot. Pure.

    Without ``saveable`` the plan is for this process alone (an apply's plan and re-plan, a
    plan shown as text): its fingerprints stay empty, since only a saved plan is checked
    against them, and a plan of 50,000 creates takes seconds to fingerprint.
    """
    desired = context.adapter.compile(context.blueprint)
    result = compute_changes(
        desired.records,
        snapshot.live,
        context.adapter.kinds,
        snapshot.lock,
        prune=prune,
        resumed=snapshot.resumed,
        claims=snapshot.claims,
        take_over=take_over,
        owner_marker=blueprint_owner(context.blueprint),
    )
    plan = Plan(
        tool_version=__version__,
        target=context.target.name,
        adapter=context.adapter.name,
        blueprint=str(context.blueprint_path),
        overlays=tuple(display_path(path) for path in context.target.overlay_paths),
        blueprint_fingerprint=context.blueprint_fingerprint() if saveable else "",
        target_fingerprint=context.target_fingerprint(),
        live_fingerprint=snapshot.fingerprint() if saveable else "",
        changes=result.changes,
        notes=(*desired.notes, *result.notes),
        duplicates=result.duplicates,
    )
    return Planned(plan.sealed() if saveable else plan, snapshot, result.in_line)


def check_saved_plan(context: Context, saved: Plan) -> None:
    """Refuse a saved plan this tool did not write as it is: another ``format_version``, another
    adapter, kinds the adapter does not have, or content that no longer matches its
    ``plan_fingerprint``. Needs no connection; :class:`PlanTampered` says why."""
    if saved.format_version != PLAN_FORMAT:
        raise PlanTampered(
            f"the plan is in format version {saved.format_version}; this usm-config applies "
            f"format version {PLAN_FORMAT} only",
            ("format_version",),
            "PLAN002",
        )
    if saved.adapter != context.adapter.name:
        raise PlanTampered(
            f"the plan is for adapter '{saved.adapter}', target '{context.target.name}' uses "
            f"'{context.adapter.name}'",
            ("adapter",),
            "PLAN003",
        )
    unknown = sorted({c.kind for c in saved.changes} - set(context.adapter.kinds))
    if unknown:
        first = next(i for i, c in enumerate(saved.changes) if c.kind in unknown)
        raise PlanTampered(
            f"the plan holds kinds adapter '{context.adapter.name}' does not have: "
            + ", ".join(unknown),
            ("changes", first, "kind"),
            "PLAN004",
        )
    if not saved.intact:
        raise PlanTampered(
            "the plan's content does not match its fingerprint: it was edited after it was saved",
            ("plan_fingerprint",),
            "PLAN005",
        )


#: How many records a refused saved plan names.
NAMED_DIFFERENCES = 5


def plan_differences(saved: Plan, now: Plan) -> list[str]:
    """The records whose change differs between ``saved`` and ``now``, as ``kind[key]``
    followed by what each plan does with it (``create → nothing`` when it is no longer needed)."""

    def by_record(plan: Plan) -> dict[tuple[str, tuple[str, ...]], Change]:
        return {(c.kind, c.key): c for c in plan.changes}

    before, after = by_record(saved), by_record(now)
    lines = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old is not None and new is not None and old == new:
            continue
        change = new or old
        assert change is not None
        was = old.action.value if old else "nothing"
        becomes = new.action.value if new else "nothing"
        lines.append(f"{change.address} ({was} → {becomes})" if was != becomes else change.address)
    return lines


def _saved_options(saved: Plan) -> tuple[bool, bool]:
    """The ``prune`` and ``take_over`` a saved plan was made with, as its changes show."""
    prune = any(c.action == Action.DELETE for c in saved.changes)
    take_over = any(c.action == Action.ADOPT and c.owner for c in saved.changes)
    return prune, take_over


def _what_changed(context: Context, saved: Plan, snapshot: Snapshot) -> str:
    """The records a plan made now would treat differently from ``saved``."""
    prune, take_over = _saved_options(saved)
    now = make_plan(context, snapshot, prune=prune, take_over=take_over, saveable=False).plan
    differences = plan_differences(saved, now)
    if not differences:
        return " (no planned change differs now: records the plan does not touch changed)"
    shown = ", ".join(differences[:NAMED_DIFFERENCES])
    more = len(differences) - NAMED_DIFFERENCES
    return f". {len(differences)} planned change(s) differ now: {shown}" + (
        f" and {more} more" if more > 0 else ""
    )


def verify_saved_plan(context: Context, saved: Plan, snapshot: Snapshot) -> None:
    """Refuse a saved plan that was edited (:func:`check_saved_plan`) or whose blueprint,
    target or live state has changed; the refusal names the records whose change differs."""
    check_saved_plan(context, saved)
    if saved.target_fingerprint != context.target_fingerprint():
        raise PlanMismatch(
            f"the plan was made for target '{saved.target}', not for '{context.target.name}'"
        )
    if saved.blueprint_fingerprint != context.blueprint_fingerprint():
        raise PlanMismatch(
            "the blueprint has changed since the plan was made; plan again"
            + _what_changed(context, saved, snapshot)
        )
    if saved.live_fingerprint != snapshot.fingerprint():
        raise PlanMismatch(
            "the live instance (or the lock file) has changed since the plan was made; "
            "plan again" + _what_changed(context, saved, snapshot)
        )


@dataclass(frozen=True)
class Phase:
    """What one step of a session cost: requests put on the wire (retries and token requests
    included), back-off retries, wall time, and peak memory when ``tracemalloc`` is tracing."""

    name: str
    requests: int
    retries: int
    seconds: float
    peak_bytes: int | None = None


class MassChangeRefused(Exception):
    """A plan deletes or rewrites more of a kind than the mass-change limit allows."""

    def __init__(self, violations: Sequence[GuardViolation], limit: float) -> None:
        details = "; ".join(str(v) for v in violations)
        super().__init__(f"mass-change guard: {details}. The limit is {limit:.0%} of a kind")
        self.violations = tuple(violations)
        self.limit = limit


@dataclass(frozen=True)
class Planned:
    """A plan and the snapshot it was computed from (or, for a saved plan, checked against).

    ``in_line`` maps managed records that already match the blueprint to the ``applied``
    fingerprint their lock entry should hold (empty for a saved plan)."""

    plan: Plan
    snapshot: Snapshot
    in_line: Mapping[str, str] = field(default_factory=dict)

    def violations(self, limit: float) -> list[GuardViolation]:
        """Mass-change violations of the plan (empty when it is within ``limit``, 0–1)."""
        return mass_change_violations(self.plan.changes, self.snapshot.live, limit)

    def check(self, limit: float) -> None:
        """Raise :class:`MassChangeRefused` when the plan exceeds ``limit``."""
        violations = self.violations(limit)
        if violations:
            raise MassChangeRefused(violations, limit)

    @property
    def steps(self) -> list[Change]:
        """The changes apply carries out: neither manual steps nor other blueprints' records."""
        return [c for c in self.plan.changes if c.action.is_step]

    def settle(self, journal: Path) -> None:
        """Save what this plan found out in the lock file, when it holds nothing to apply: the
        ``applied`` fingerprints of the records in line with the blueprint (drift on them shows
        from the next plan on) and a previous apply's journal (which is then removed)."""
        lock = self.snapshot.lock
        resumed = self.snapshot.confirmed or self.snapshot.resumed
        if lock.learn(self.in_line) or resumed:
            lock.save()
        if resumed:
            journal.unlink(missing_ok=True)


@dataclass(frozen=True)
class RunOutcome:
    """What :meth:`Session.run` did.

    ``applied`` is false when the plan held nothing to apply (manual steps at most); then
    ``result`` lists only those manual steps and nothing was re-planned. ``after`` is the plan
    made from a fresh read after a successful apply, ``None`` when a change failed.
    """

    planned: Planned
    result: ApplyResult
    applied: bool
    after: Planned | None
    phases: tuple[Phase, ...]

    @property
    def plan(self) -> Plan:
        """The plan that was applied."""
        return self.planned.plan

    @property
    def remaining(self) -> list[Change]:
        """Changes other than manual steps in the plan after apply; empty once converged.

        A converged target may still show manual steps: records of kinds the API cannot
        create or change stay pending until someone makes them by hand.
        """
        return [] if self.after is None else self.after.steps

    @property
    def converged(self) -> bool:
        """True when apply succeeded and a fresh plan has nothing left to apply."""
        return self.after is not None and not self.result.failed and not self.remaining


Progress = Callable[[int], AbstractContextManager[Callable[[Change], None]]]
#: Shown while a read runs: ``status(what is read, the client's counters)``.
ReadStatus = Callable[[str, RequestStats], AbstractContextManager[None]]


def release_taken_over(context: Context, done: Sequence[Change]) -> None:
    """Remove the records this apply took over (``--take-over``) from their previous owners'
    lock files, holding each one's apply lock while it is rewritten, so that the other
    blueprint sees them as owned from now on instead of writing them back."""
    taken: dict[str, set[tuple[str, str]]] = {}
    for change in done:
        if change.action == Action.ADOPT and change.owner and change.target_id:
            taken.setdefault(change.owner, set()).add((change.kind, change.target_id))
    for owner, records in sorted(taken.items()):
        path = Path(owner)
        if (
            not path.name.endswith(f".{context.target.name}.lock.json")
            or path.parent.resolve() != context.lock_path.parent.resolve()
        ):
            continue  # an owner marked in the tool, or a lock file not beside this one

        with apply_lock(
            path,
            blueprint=str(context.blueprint_path),
            target=context.target.name,
            command=default_command(),
        ):
            other = Lock.load(path, context.target.name, context.adapter.name)
            for uid, entry in list(other.entries.items()):
                if (entry.kind, entry.target_id) in records:
                    other.remove(uid)
            other.save()


class Session:
    """One blueprint and one open target: the plan → apply → re-plan sequence.

    Open it with ``async with Session.open(context) as session``; then :meth:`run` does the
    whole sequence (what ``usm-config apply`` does), or :meth:`plan` and :meth:`apply` do its
    steps. Every step is measured in :attr:`phases`. :meth:`run` and :meth:`apply` hold the
    apply lock (:meth:`Context.hold_apply_lock`) from before the first read to the end; a
    plan alone does not take it.
    """

    def __init__(
        self, context: Context, client: HttpClient, status: ReadStatus | None = None
    ) -> None:
        self.context = context
        self.client = client
        self.status = status
        self.phases: list[Phase] = []
        self._exclusive = False

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        context: Context,
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        status: ReadStatus | None = None,
    ) -> AsyncIterator[Session]:
        """Connect to the target (see :func:`open_client`; ``sleep`` waits out back-offs).
        ``status`` is shown while each read of the target runs (a large one takes thousands
        of requests)."""
        async with open_client(context, sleep=sleep) as client:
            yield cls(context, client, status)

    @contextmanager
    def _measured(self, name: str) -> Iterator[None]:
        stats = self.client.stats
        requests, retries = stats.requests_sent, stats.retries
        tracing = tracemalloc.is_tracing()
        if tracing:
            tracemalloc.reset_peak()
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases.append(
                Phase(
                    name,
                    stats.requests_sent - requests,
                    stats.retries - retries,
                    time.perf_counter() - start,
                    tracemalloc.get_traced_memory()[1] if tracing else None,
                )
            )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self._exclusive:  # run() holds it around apply()
            yield
            return
        with self.context.hold_apply_lock():
            self._exclusive = True
            try:
                yield
            finally:
                self._exclusive = False

    async def read(self, *, scoped: bool = False) -> Snapshot:
        """Read the live records and the lock (see :func:`read_snapshot`; the plans made here
        read ``scoped``)."""
        what = f"reading target '{self.context.target.name}'"
        with self.status(what, self.client.stats) if self.status else nullcontext():
            return await read_snapshot(self.context, self.client, scoped=scoped)

    async def plan(
        self,
        *,
        prune: bool = False,
        saved: Plan | None = None,
        take_over: bool = False,
        saveable: bool = True,
    ) -> Planned:
        """Read the target and plan; with ``saved``, check that plan against what was read
        instead (:class:`PlanMismatch` when it no longer fits). ``take_over`` adopts records
        other blueprints' lock files manage; ``saveable`` see :func:`make_plan`."""
        with self._measured("plan"), paused_gc():
            snapshot = await self.read(scoped=True)
            if saved is not None:
                verify_saved_plan(self.context, saved, snapshot)
                return Planned(saved, snapshot)
            return make_plan(
                self.context, snapshot, prune=prune, take_over=take_over, saveable=saveable
            )

    async def apply(
        self,
        planned: Planned,
        *,
        parallelism: int | None = None,
        on_progress: Callable[[Change], None] | None = None,
        stop: StopRequest | None = None,
    ) -> ApplyResult:
        """Apply exactly ``planned.plan``; the lock is saved and the journal cleared even
        when a change fails. ``parallelism`` defaults to the target's.

        With ``stop``, SIGINT and SIGTERM ask the apply to stop while it writes (see
        :mod:`usm_config.engine.interrupt`): the writes in flight finish and are journaled,
        and the result says ``stopped``."""
        with (
            stop.on_signals() if stop is not None else nullcontext(),
            self._locked(),
            self._measured("apply"),
            Journal(
                self.context.journal_path,
                target=self.context.target.name,
                adapter=self.context.adapter.name,
            ) as journal,
        ):
            lock = planned.snapshot.lock
            applier = Applier(
                self.context.adapter,
                self.client,
                lock,
                journal,
                planned.snapshot.live,
                parallelism=parallelism or self.context.target.config.parallelism,
                on_progress=on_progress,
                stop=stop,
            )
            try:
                result = await applier.run(planned.plan.changes)
            finally:
                lock.save()
            journal.clear()
            release_taken_over(self.context, result.done)
        return result

    async def run(
        self,
        *,
        prune: bool = False,
        saved: Plan | None = None,
        limit: float | None = None,
        parallelism: int | None = None,
        on_plan: Callable[[Plan], None] | None = None,
        approve: Callable[[Plan], bool] | None = None,
        progress: Progress | None = None,
        on_applied: Callable[[ApplyResult], None] | None = None,
        take_over: bool = False,
        on_resume: Callable[[str], None] | None = None,
        stop: StopRequest | None = None,
    ) -> RunOutcome:
        """Plan (or check ``saved``), guard, apply, and re-plan to prove convergence.

        In order: read and plan (``take_over`` adopts records other blueprints manage);
        ``on_resume(message)`` when the read folded in the journal of an interrupted apply
        (:meth:`Snapshot.resuming`); ``on_plan(plan)``; refuse with :class:`MassChangeRefused`
        when ``limit`` is given and exceeded; stop when nothing is to be applied; stop unless
        ``approve(plan)`` (when given) says yes; apply, advancing the callback that
        ``progress(number_of_steps)`` yields per change done; ``on_applied(result)``; and,
        when no change failed, read and plan again (phase ``re-plan``). ``prune`` and
        ``take_over`` also apply to the re-plan; for a saved plan they are taken from the plan.
        The ``applied`` fingerprints of managed records found in line with the blueprint (by
        the re-plan, or by the plan when there is nothing to apply) go into the lock file.
        With ``stop`` (see :meth:`apply`), an apply stopped by a signal ends the run there:
        no ``on_applied``, no re-plan. The plans made here are not saveable (see
        :func:`make_plan`): they carry no fingerprints.
        """
        with self._locked():
            return await self._run(
                _RunOptions(prune, take_over, limit, parallelism, stop),
                saved,
                _Callbacks(on_plan, approve, progress, on_applied, on_resume),
            )

    async def _run(
        self, options: _RunOptions, saved: Plan | None, callbacks: _Callbacks
    ) -> RunOutcome:
        first = len(self.phases)
        prune, take_over = options.prune, options.take_over
        if options.parallelism:
            self.client.parallelism = options.parallelism
        if saved is not None:
            prune, take_over = _saved_options(saved)
        planned = await self.plan(prune=prune, saved=saved, take_over=take_over, saveable=False)
        message = planned.snapshot.resuming()
        if message and callbacks.on_resume is not None:
            callbacks.on_resume(message)
        if callbacks.on_plan is not None:
            callbacks.on_plan(planned.plan)
        if options.limit is not None:
            planned.check(options.limit)
        manual = [c for c in planned.plan.changes if c.action == Action.MANUAL]
        if not planned.steps:
            planned.settle(self.context.journal_path)
        if not planned.steps or (
            callbacks.approve is not None and not callbacks.approve(planned.plan)
        ):
            phases = tuple(self.phases[first:])
            return RunOutcome(planned, ApplyResult(manual=manual), False, None, phases)
        progress = callbacks.progress
        with progress(len(planned.steps)) if progress else nullcontext(None) as advance:
            result = await self.apply(
                planned, parallelism=options.parallelism, on_progress=advance, stop=options.stop
            )
        if result.stopped:
            return RunOutcome(planned, result, True, None, tuple(self.phases[first:]))
        if callbacks.on_applied is not None:
            callbacks.on_applied(result)
        after = None
        if not result.failed:
            with self._measured("re-plan"), paused_gc():
                snapshot = await self.read(scoped=True)
                after = make_plan(
                    self.context, snapshot, prune=prune, take_over=take_over, saveable=False
                )
            after.settle(self.context.journal_path)
        return RunOutcome(planned, result, True, after, tuple(self.phases[first:]))


@dataclass(frozen=True)
class _RunOptions:
    prune: bool
    take_over: bool
    limit: float | None
    parallelism: int | None
    stop: StopRequest | None


@dataclass(frozen=True)
class _Callbacks:
    on_plan: Callable[[Plan], None] | None
    approve: Callable[[Plan], bool] | None
    progress: Progress | None
    on_applied: Callable[[ApplyResult], None] | None
    on_resume: Callable[[str], None] | None
