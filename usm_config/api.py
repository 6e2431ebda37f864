"""usm-config as a Python library: what the command line does, without click.

Each function is synchronous (it runs the asyncio work inside) and returns the typed objects
the command line renders, so a script or a notebook can drive usm-config and look at the
result as data::

    from usm_config import api

    diagnostics = api.validate("blueprints/examples/municipality", target="sandbox-test")
    plan = api.plan("blueprints/examples/municipality", "sandbox-test")
    print(plan.summary(), [c.address for c in plan.changes][:3])
    outcome = api.apply("blueprints/examples/municipality", "sandbox-test", plan=plan)
    assert outcome.converged

Paths are relative to the working directory, as on the command line; ``targets_file``
defaults to ``targets.yaml`` there. A target's ``overlays`` are laid over the blueprint
whenever a target is named.

Bad input raises :class:`~usm_config.diagnostics.DiagnosticError`, whose ``diagnostics`` are
the located problems the command line prints (:func:`validate` returns them instead). Other
failures raise what the command line reports with exit code 1:
:class:`~usm_config.http.HttpError`, :class:`~usm_config.http.MissingCredentialError`,
:class:`~usm_config.runner.PlanMismatch` (a saved plan that no longer fits),
:class:`~usm_config.runner.MassChangeRefused`,
:class:`~usm_config.engine.apply_lock.ApplyLocked` (another apply holds the target).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import JsonValue

from usm_config import aio
from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import LoadResult, load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.collector import library_call
from usm_config.diagnostics import Diagnostic, DiagnosticError, Severity
from usm_config.engine.plan import Plan
from usm_config.runner import Context, RunOutcome, Session, check_overrides, check_saved_plan
from usm_config.targets import ResolvedTarget, resolve_target

__all__ = [
    "Blueprint",
    "Diagnostic",
    "DiagnosticError",
    "Plan",
    "RunOutcome",
    "apply",
    "load",
    "plan",
    "show",
    "validate",
]

DEFAULT_TARGETS = Path("targets.yaml")


def load_result(
    path: Path | str, target: ResolvedTarget | None = None, *, strict: bool = False
) -> LoadResult:
    """Load the blueprint at ``path`` with ``target``'s overlays laid over it; with
    ``strict``, warnings count as errors. Never raises on bad input: see the diagnostics."""
    result = load_blueprint(Path(path), target.overlay_paths if target else ())
    if strict:
        result.diagnostics = [
            d.as_warning_error() if d.severity == Severity.WARNING else d
            for d in result.diagnostics
        ]
    return result


def failed(result: LoadResult) -> bool:
    """True when the blueprint cannot be used."""
    return result.blueprint is None or any(d.severity == Severity.ERROR for d in result.diagnostics)


def make_context(result: LoadResult, path: Path | str, target: ResolvedTarget) -> Context:
    """The :class:`Context` of a loaded blueprint and a target; the adapter's verdict on the
    blueprint's ``x-<adapter>`` settings raises :class:`DiagnosticError`."""
    assert result.blueprint is not None
    context = Context(result.blueprint, Path(path), target, load_adapter(target.config.adapter))
    problems = check_overrides(context, result.index)
    if problems:
        raise DiagnosticError(problems)
    return context


def _target(name: str | None, targets_file: Path | str) -> ResolvedTarget | None:
    return None if name is None else resolve_target(Path(targets_file), name)


@library_call()
def validate(
    path: Path | str,
    *,
    target: str | None = None,
    targets_file: Path | str = DEFAULT_TARGETS,
    strict: bool = False,
) -> list[Diagnostic]:
    """Every problem of the blueprint at ``path`` (with ``target``'s overlays laid over it),
    located; an empty list when it is valid. A broken targets file or an unknown target is
    reported the same way. ``usm-config validate`` prints these."""
    try:
        resolved = _target(target, targets_file)
    except DiagnosticError as exc:
        return list(exc.diagnostics)
    result = load_result(path, resolved, strict=strict)
    if resolved is not None and not failed(result):
        try:
            make_context(result, path, resolved)
        except DiagnosticError as exc:
            result.diagnostics.extend(exc.diagnostics)
    return result.diagnostics


@library_call()
def load(
    path: Path | str,
    *,
    target: str | None = None,
    targets_file: Path | str = DEFAULT_TARGETS,
    strict: bool = False,
) -> Blueprint:
    """The validated, merged blueprint at ``path`` (``extends`` resolved, ``target``'s overlays
    laid over it, workflow sequences expanded). Raises :class:`DiagnosticError` with every
    located problem when it is not valid."""
    result = load_result(path, _target(target, targets_file), strict=strict)
    if failed(result):
        raise DiagnosticError(result.diagnostics)
    assert result.blueprint is not None
    return result.blueprint


def show(
    path: Path | str,
    *,
    target: str | None = None,
    targets_file: Path | str = DEFAULT_TARGETS,
) -> dict[str, JsonValue]:
    """The normalised blueprint as plain data, as ``usm-config show --output json`` prints it:
    valid against the JSON Schema and loadable again."""
    return normalised(load(path, target=target, targets_file=targets_file))


def normalised(blueprint: Blueprint) -> dict[str, JsonValue]:
    """A blueprint as JSON data with everything resolved (no ``extends``)."""
    data: dict[str, JsonValue] = blueprint.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("extends", None)
    return data


@library_call()
def context(
    path: Path | str,
    target: str,
    *,
    targets_file: Path | str = DEFAULT_TARGETS,
    strict: bool = False,
) -> Context:
    """Everything a plan or apply of ``path`` on ``target`` needs (see :class:`Context`), for
    driving :class:`~usm_config.runner.Session` directly."""
    resolved = resolve_target(Path(targets_file), target)
    result = load_result(path, resolved, strict=strict)
    if failed(result):
        raise DiagnosticError(result.diagnostics)
    return make_context(result, path, resolved)


@library_call()
def plan(
    path: Path | str,
    target: str,
    *,
    targets_file: Path | str = DEFAULT_TARGETS,
    prune: bool = False,
) -> Plan:
    """Read ``target`` and return what apply would change (``usm-config plan``); changes
    nothing. ``Plan.changes`` are the steps, ``Plan.has_changes`` what ``--detailed-exitcode``
    tests, and ``plan.model_dump_json()`` what ``plan --out`` saves."""
    ctx = context(path, target, targets_file=targets_file)

    async def run() -> Plan:
        async with Session.open(ctx) as session:
            return (await session.plan(prune=prune)).plan

    return aio.run(run())


@library_call()
def apply(
    path: Path | str,
    target: str,
    *,
    targets_file: Path | str = DEFAULT_TARGETS,
    plan: Plan | Path | str | None = None,
    prune: bool = False,
    parallelism: int | None = None,
    mass_change_limit: float | None = None,
) -> RunOutcome:
    """Apply the blueprint to ``target`` without asking (``usm-config apply --auto-approve``):
    plan, refuse a mass change, apply, and re-plan to prove convergence.

    With ``plan`` (a :class:`Plan`, or the path of a file saved by ``plan --out``), apply
    exactly that plan, and raise :class:`~usm_config.runner.PlanMismatch` when it was edited or
    the blueprint, the target or the live records changed since it was made. The outcome's
    ``converged`` is true when a fresh plan holds nothing but manual steps; ``remaining`` and
    ``result.failed`` say what did not work.
    """
    ctx = context(path, target, targets_file=targets_file)
    saved = plan
    if isinstance(saved, Path | str):
        saved = Plan.model_validate_json(Path(saved).read_bytes())
    if saved is not None:
        check_saved_plan(ctx, saved)
    config = ctx.target.config

    async def run() -> RunOutcome:
        async with Session.open(ctx) as session:
            return await session.run(
                prune=prune,
                saved=saved,
                limit=mass_change_limit or config.mass_change_limit,
                parallelism=parallelism or config.parallelism,
            )

    return aio.run(run())
