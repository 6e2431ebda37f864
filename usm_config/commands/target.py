"""plan and apply: commands that talk to a target."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from usm_config import aio
from usm_config.adapter import SupportsArtifacts
from usm_config.commands.common import (
    EXIT_CHANGES,
    PATH_ARG,
    STRICT_OPT,
    Failure,
    context_for,
    handled_errors,
    target_options,
)
from usm_config.diagnostics import display_path
from usm_config.engine.apply import ApplyResult
from usm_config.engine.apply_lock import running_apply
from usm_config.engine.interrupt import StopRequest
from usm_config.engine.lock import write_atomic
from usm_config.engine.plan import PLAN_FIX, Action, Plan, read_plan
from usm_config.jsonsource import located
from usm_config.render.plan import render_json as render_plan_json
from usm_config.render.plan import render_markdown, render_summary
from usm_config.render.plan import render_text as render_plan_text
from usm_config.render.progress import progress_bar, request_status
from usm_config.runner import (
    Context,
    MassChangeRefused,
    Planned,
    PlanTampered,
    RunOutcome,
    Session,
    check_saved_plan,
)

#: ``plan --drift`` exit code when the tool drifted from what was applied.
EXIT_DRIFT = 3

TAKE_OVER_OPT = click.option(
    "--take-over",
    is_flag=True,
    help="Adopt records another blueprint's lock file manages (apply moves them to this "
    "blueprint's lock file).",
)

MASS_CHANGE_OPT = click.option(
    "--mass-change-limit",
    type=click.FloatRange(0, 1, min_open=True),
    help="Largest share of a kind one plan may delete or rewrite (default: the target's).",
)


def _emit_plan(plan: Plan, output: str, out: Path | None) -> None:
    if out is not None:
        write_atomic(out, render_plan_json(plan))
        click.echo(f"saved the plan to {display_path(out)}", err=True)
    if output == "json":
        click.echo(render_plan_json(plan), nl=False)
    elif output == "markdown":
        click.echo(render_markdown(plan), nl=False)
    elif output == "summary":
        click.echo(render_summary(plan, colour=sys.stdout.isatty()), nl=False)
    else:
        click.echo(render_plan_text(plan, colour=sys.stdout.isatty()), nl=False)


def _write_artifacts(context: Context, planned: Planned, folder: Path) -> None:
    adapter = context.adapter
    if not isinstance(adapter, SupportsArtifacts):
        raise Failure(f"adapter '{adapter.name}' writes no offline artifacts")
    ids = {(r.kind, r.key): r.target_id for r in planned.snapshot.live if r.target_id}
    files = adapter.artifacts(context.blueprint, planned.plan.changes, ids)
    for name, content in sorted(files.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        click.echo(f"wrote {display_path(path)}", err=True)


@contextlib.contextmanager
def _guarded() -> Iterator[None]:
    """A refused mass change says how to allow it."""
    try:
        yield
    except MassChangeRefused as exc:
        raise Failure(f"{exc}; if this is intended, raise it with --mass-change-limit") from None


@click.command()
@PATH_ARG
@target_options
@STRICT_OPT
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "summary", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Plan format; 'summary' counts the changes per kind on one screen.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan as JSON, for 'apply --plan'.",
)
@click.option("--prune", is_flag=True, help="Plan deletes of managed records not in the blueprint.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on errors.",
)
@click.option(
    "--artifacts",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the plan as offline files (e.g. ServiceNow update-set XML) here.",
)
@click.option(
    "--drift",
    is_flag=True,
    help=f"Show only drift (records changed in the tool since the last apply); exit 0 "
    f"without drift, {EXIT_DRIFT} with drift, 1 on errors.",
)
@TAKE_OVER_OPT
@MASS_CHANGE_OPT
def plan(
    path: Path,
    target_name: str,
    targets_file: Path,
    strict: bool,
    output: str,
    out: Path | None,
    prune: bool,
    detailed_exitcode: bool,
    artifacts: Path | None,
    drift: bool,
    take_over: bool,
    mass_change_limit: float | None,
) -> None:
    """Show what apply would change in the target, without changing anything.

    \b
    Example:
      usm-config plan blueprints/usm-reference.yaml --target sandbox
      usm-config plan blueprints/examples/municipality --target sandbox-prod --out plan.json
      usm-config plan blueprints/examples/university.yaml -o markdown --detailed-exitcode
      usm-config plan blueprints/examples/municipality --target sandbox-prod --drift
    """
    with handled_errors():
        if drift and (out or artifacts or detailed_exitcode):
            raise Failure(
                "--drift shows drift only and has its own exit code; it cannot be combined "
                "with --out, --artifacts or --detailed-exitcode"
            )
        context = context_for(path, target_name, targets_file, strict)

        # Only a plan that is saved or printed as JSON shows its fingerprints.
        saveable = out is not None or output == "json"

        async def run() -> Planned:
            async with Session.open(context, status=request_status) as session:
                return await session.plan(prune=prune, take_over=take_over, saveable=saveable)

        planned = aio.run(run())
        _announce_resume(context, planned)
        if drift:
            _emit_plan(planned.plan.only_drift(), output, None)
            sys.exit(EXIT_DRIFT if planned.plan.has_drift else 0)
        _emit_plan(planned.plan, output, out)
        if artifacts is not None:
            _write_artifacts(context, planned, artifacts)
        with _guarded():
            planned.check(mass_change_limit or context.target.config.mass_change_limit)
    if detailed_exitcode and planned.plan.has_changes:
        sys.exit(EXIT_CHANGES)


def _announce_resume(context: Context, planned: Planned) -> None:
    running = running_apply(context.lock_path)
    if running is not None:
        # The journal is that apply's, not one to resume: what it holds is said as such.
        click.echo(
            f"an apply of this blueprint to target '{context.target.name}' is running "
            f"({running}): this plan sees the target part way through it",
            err=True,
        )
        return
    message = planned.snapshot.resuming()
    if message:
        click.echo(message, err=True)


@click.command()
@click.argument(
    "path", required=False, type=click.Path(path_type=Path, file_okay=True, dir_okay=True)
)
@target_options
@STRICT_OPT
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, path_type=Path),
    help="Apply this saved plan (from 'plan --out') instead of planning now.",
)
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "summary"]),
    default="text",
    show_default=True,
    help="How the plan is shown before it is applied.",
)
@click.option("--prune", is_flag=True, help="Delete managed records that left the blueprint.")
@click.option(
    "--parallelism",
    type=click.IntRange(1, 32),
    help="Requests in flight at once: writes, and reads made one per record (default: the "
    "target's).",
)
@TAKE_OVER_OPT
@MASS_CHANGE_OPT
def apply(
    path: Path | None,
    target_name: str,
    targets_file: Path,
    strict: bool,
    plan_file: Path | None,
    auto_approve: bool,
    output: str,
    prune: bool,
    parallelism: int | None,
    take_over: bool,
    mass_change_limit: float | None,
) -> None:
    """Apply the blueprint to the target: plan, confirm, write, and prove convergence.

    With --plan, applies exactly a saved plan, and refuses when the blueprint, the target or
    the live records have changed since it was made; PATH and --target default to the
    blueprint and target it was made for.

    \b
    Example:
      usm-config apply blueprints/usm-reference.yaml --target sandbox --auto-approve
      usm-config apply --plan plan.json
    """
    with handled_errors():
        read = (plan_file, read_plan(plan_file)) if plan_file is not None else None
        if read is not None:
            path, target_name = _made_for(read, path, target_name)
        elif path is None:
            raise click.UsageError("Missing argument 'PATH'.")
        context = context_for(path, target_name, targets_file, strict)
        config = context.target.config
        limit = mass_change_limit or config.mass_change_limit
        saved = _checked(read, context) if read is not None else None
        stop = StopRequest(on_request=_stopping)
        with _guarded():
            outcome = aio.run(
                _apply(
                    context,
                    saved,
                    prune,
                    auto_approve,
                    output,
                    parallelism or config.parallelism,
                    limit,
                    take_over,
                    stop,
                )
            )
        _report(outcome, stop)


#: A saved plan's file, and the plan with its text (for locating problems).
_Read = tuple[Path, tuple[Plan, str]]


def _made_for(read: _Read, path: Path | None, target_name: str) -> tuple[Path, str]:
    """The blueprint and target to apply a saved plan with: those given, else the ones it was
    made for (its blueprint's path as given to 'plan', from the folder it ran in)."""
    plan_file, (saved, text) = read
    source = click.get_current_context().get_parameter_source("target_name")
    if source is click.core.ParameterSource.DEFAULT:
        target_name = saved.target
    if path is not None:
        return path, target_name
    path = Path(saved.blueprint)
    if not path.exists():
        raise located(
            plan_file,
            text,
            ("blueprint",),
            "PLAN007",
            f"the blueprint this plan was made from is not at {saved.blueprint} (a path from "
            "the folder 'plan' ran in)",
            f"run apply in that folder, or name the blueprint: usm-config apply BLUEPRINT "
            f"--plan {display_path(plan_file)}",
        )
    return path, target_name


def _checked(read: _Read, context: Context) -> Plan:
    """The saved plan, refused located before connecting unless it is intact."""
    path, (saved, text) = read
    try:
        check_saved_plan(context, saved)
    except PlanTampered as exc:
        raise located(path, text, exc.at, exc.code, str(exc), PLAN_FIX) from None
    return saved


def _confirm(plan: Plan) -> bool:
    if not sys.stdin.isatty():
        raise Failure("refusing to apply without confirmation; pass --auto-approve")
    return click.confirm("Apply these changes?", abort=True)


def _show_applied(result: ApplyResult) -> None:
    for change, message in result.failed:
        click.secho(f"  failed: {change.address}: {message}", fg="red", err=True)
    click.echo(
        f"Applied {len(result.done)} change(s); {len(result.manual)} manual step(s) pending"
        + (
            f"; {result.recovered_creates} lost response(s) recovered"
            if result.recovered_creates
            else ""
        )
        + "."
    )


async def _apply(
    context: Context,
    saved: Plan | None,
    prune: bool,
    auto_approve: bool,
    output: str,
    parallelism: int,
    limit: float,
    take_over: bool,
    stop: StopRequest,
) -> RunOutcome:
    render = render_summary if output == "summary" else render_plan_text
    async with Session.open(context, status=request_status) as session:
        return await session.run(
            prune=prune,
            saved=saved,
            limit=limit,
            parallelism=parallelism,
            on_plan=lambda plan: click.echo(render(plan, colour=sys.stdout.isatty()), nl=False),
            approve=None if saved is not None or auto_approve else _confirm,
            progress=lambda steps: progress_bar(steps, "applying"),
            on_applied=_show_applied,
            take_over=take_over,
            on_resume=lambda message: click.echo(message, err=True),
            stop=stop,
        )


def _stopping(signum: int) -> None:
    click.echo(
        f"{signal.Signals(signum).name}: stopping once the writes in flight are done "
        "(send it again to stop at once)",
        err=True,
    )


def _report(outcome: RunOutcome, stop: StopRequest) -> None:
    if outcome.result.stopped:
        click.echo(
            f"stopped: {len(outcome.result.done)} of {len(outcome.planned.steps)} changes "
            "applied and journaled; run apply again to resume",
            err=True,
        )
        sys.exit(stop.exit_code)
    if not outcome.applied:
        click.echo("Nothing to apply.")
        return
    failed = outcome.result.failed
    if failed:
        raise Failure(f"{len(failed)} change(s) failed; fix the cause and apply again")
    pending = outcome.remaining
    if pending:
        raise Failure(
            f"the target did not converge: {len(pending)} change(s) remain after apply "
            f"(first: {pending[0].address}: {pending[0].reason})"
        )
    assert outcome.after is not None
    after = outcome.after.plan.counts()
    left = [
        f"{after[Action.MANUAL]} manual step(s)" if after[Action.MANUAL] else "",
        f"{after[Action.OWNED]} record(s) another blueprint owns" if after[Action.OWNED] else "",
    ]
    others = " and ".join(part for part in left if part)
    click.echo(
        "Converged: a fresh plan shows no changes" + (f" other than {others}." if others else ".")
    )
