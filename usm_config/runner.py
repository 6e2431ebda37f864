"""Plan and apply for one blueprint and one target: the glue between engine, adapter and HTTP.

Nothing here decides what to change (that is :mod:`usm_config.engine.diff`) or how a tool
stores it (that is the adapter); this module opens the connection, reads, plans, checks saved
plans against the current state, applies, and proves convergence with a second plan.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from usm_config import __version__
from usm_config.adapter import Adapter, SupportsOverrideCheck, SupportsSandbox
from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.validation_errors import format_path
from usm_config.diagnostics import Diagnostic, Severity, SourceIndex, locate
from usm_config.engine.apply import Applier, ApplyResult
from usm_config.engine.diff import (
    GuardViolation,
    compute_changes,
    mass_change_violations,
)
from usm_config.engine.journal import Journal, recover
from usm_config.engine.lock import Lock
from usm_config.engine.plan import Change, Plan
from usm_config.engine.records import Record, fingerprint
from usm_config.engine.references import resolve_live_references
from usm_config.http import AuthConfig, HttpClient, RetryPolicy, build_auth
from usm_config.sandbox.embedded import EmbeddedTransport
from usm_config.targets import ResolvedTarget

SANDBOX_BASE_URL = "http://sandbox.usm-config.invalid"


class PlanMismatch(Exception):
    """A saved plan no longer fits the blueprint, target or live records."""


class NoSandbox(Exception):
    """A ``sandbox:`` target names an adapter that ships no emulator."""


@dataclass
class Context:
    """Everything a plan or apply needs for one blueprint and one target."""

    blueprint: Blueprint
    blueprint_path: Path
    target: ResolvedTarget
    adapter: Adapter
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

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

    @property
    def sandbox_state(self) -> Path:
        """SQLite file of the embedded sandbox."""
        return self.target.base_dir / ".usm-sandbox" / f"{self.target.name}.sqlite3"

    def target_fingerprint(self) -> str:
        """Identity of the target (not its credentials)."""
        config = self.target.config
        return fingerprint({"name": self.target.name, "adapter": config.adapter, "url": config.url})

    def blueprint_fingerprint(self) -> str:
        """Identity of the normalised blueprint."""
        return fingerprint(self.blueprint.model_dump(mode="json", by_alias=True))


def check_overrides(context: Context, index: SourceIndex) -> list[Diagnostic]:
    """The adapter's verdict on the blueprint's ``x-<adapter>`` settings, located."""
    if not isinstance(context.adapter, SupportsOverrideCheck):
        return []
    return [
        Diagnostic(
            Severity.ERROR,
            "ADP001",
            problem.message,
            locate(index, problem.path),
            format_path(problem.path),
            problem.hint,
        )
        for problem in context.adapter.check_overrides(context.blueprint)
    ]


@asynccontextmanager
async def open_client(context: Context) -> AsyncIterator[HttpClient]:
    """Connect to the target: over HTTP, or to the embedded sandbox for ``sandbox:``."""
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
        app = adapter.sandbox_app(context.sandbox_state, **knobs)
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
    ) as client:
        yield client


@dataclass
class Snapshot:
    """Live records and the lock as read at one moment."""

    live: list[Record]
    lock: Lock
    resumed: list[str]

    def fingerprint(self) -> str:
        """Identity of the live state the plan is based on."""
        return fingerprint(
            {
                "live": sorted(
                    [[r.kind, r.target_id or "", r.fields] for r in self.live],
                    key=lambda row: (row[0], row[1]),
                ),
                "lock": self.lock.to_json(),
            }
        )


async def read_snapshot(context: Context, client: HttpClient) -> Snapshot:
    """Read every kind the adapter manages, and the lock (with any journal folded in)."""
    adapter = context.adapter
    raw = await adapter.read(client, list(adapter.kinds))
    live = resolve_live_references(raw, adapter.kinds)
    lock = Lock.load(context.lock_path, context.target.name, adapter.name)
    unconfirmed = recover(context.journal_path, lock)
    return Snapshot(live, lock, [u.uid for u in unconfirmed if u.uid])


def make_plan(context: Context, snapshot: Snapshot, *, prune: bool) -> Plan:
    """Compile the blueprint and diff it against the snapshot. Pure."""
    desired = context.adapter.compile(context.blueprint)
    result = compute_changes(
        desired.records,
        snapshot.live,
        context.adapter.kinds,
        snapshot.lock,
        prune=prune,
        resumed=snapshot.resumed,
    )
    return Plan(
        tool_version=__version__,
        target=context.target.name,
        adapter=context.adapter.name,
        blueprint=str(context.blueprint_path),
        blueprint_fingerprint=context.blueprint_fingerprint(),
        target_fingerprint=context.target_fingerprint(),
        live_fingerprint=snapshot.fingerprint(),
        changes=result.changes,
        notes=(*desired.notes, *result.notes),
    )


def guard(plan: Plan, snapshot: Snapshot, limit: float) -> list[GuardViolation]:
    """Mass-change violations of ``plan`` (empty when the plan is within ``limit``)."""
    return mass_change_violations(plan.changes, snapshot.live, limit)


def verify_saved_plan(context: Context, saved: Plan, snapshot: Snapshot) -> None:
    """Refuse a saved plan whose blueprint, target or live state has changed."""
    if saved.target_fingerprint != context.target_fingerprint():
        raise PlanMismatch(
            f"the plan was made for target '{saved.target}', not for '{context.target.name}'"
        )
    if saved.blueprint_fingerprint != context.blueprint_fingerprint():
        raise PlanMismatch("the blueprint has changed since the plan was made; plan again")
    if saved.live_fingerprint != snapshot.fingerprint():
        raise PlanMismatch(
            "the live instance (or the lock file) has changed since the plan was made; plan again"
        )


async def apply_changes(
    context: Context,
    client: HttpClient,
    plan: Plan,
    snapshot: Snapshot,
    *,
    parallelism: int,
    on_progress: Callable[[Change], None] | None = None,
) -> ApplyResult:
    """Apply ``plan``; the lock is saved and the journal cleared even when a change fails."""
    lock = snapshot.lock
    with Journal(context.journal_path) as journal:
        applier = Applier(
            context.adapter,
            client,
            lock,
            journal,
            snapshot.live,
            parallelism=parallelism,
            on_progress=on_progress,
        )
        try:
            result = await applier.run(plan.changes)
        finally:
            lock.save()
        journal.clear()
    return result
