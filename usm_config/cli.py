"""The ``usm-config`` command line: the only place that turns problems into exit codes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from usm_config import __version__
from usm_config.adapter import (
    AdapterNotFound,
    SupportsArtifacts,
    SupportsSandbox,
    installed_adapters,
    load_adapter,
)
from usm_config.blueprint.loader import LoadResult, load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.schema import blueprint_schema_text
from usm_config.diagnostics import (
    Diagnostic,
    DiagnosticError,
    Severity,
    display_path,
    sorted_diagnostics,
)
from usm_config.engine.apply import ApplyError
from usm_config.engine.lock import LockError, write_atomic
from usm_config.engine.plan import Action, Plan
from usm_config.http import HttpError, MissingCredentialError
from usm_config.render.blueprint_text import render_text
from usm_config.render.plan import render_json as render_plan_json
from usm_config.render.plan import render_markdown
from usm_config.render.plan import render_text as render_plan_text
from usm_config.render.progress import progress_bar
from usm_config.runner import (
    Context,
    PlanMismatch,
    Snapshot,
    apply_changes,
    check_overrides,
    guard,
    make_plan,
    open_client,
    read_snapshot,
    verify_saved_plan,
)
from usm_config.targets import resolve_target

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class Failure(click.ClickException):
    """A handled failure: message printed to stderr, exit code 1."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in sorted_diagnostics(diagnostics):
        colour = "red" if diagnostic.severity == Severity.ERROR else "yellow"
        first, *rest = diagnostic.render().split("\n")
        click.secho(first, fg=colour, err=True)
        for line in rest:
            click.echo(line, err=True)
    errors = sum(d.severity == Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    if diagnostics:
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)


def load_or_fail(path: Path, *, strict: bool) -> tuple[Blueprint, LoadResult]:
    """Load a blueprint, print its diagnostics, and fail (exit 1) on any error."""
    result = load_blueprint(path)
    diagnostics = [
        d.as_warning_error() if strict and d.severity == Severity.WARNING else d
        for d in result.diagnostics
    ]
    _print_diagnostics(diagnostics)
    if result.blueprint is None or any(d.severity == Severity.ERROR for d in diagnostics):
        raise Failure(f"{display_path(path)} is not a valid blueprint")
    return result.blueprint, result


PATH_ARG = click.argument(
    "path", type=click.Path(exists=True, path_type=Path, file_okay=True, dir_okay=True)
)
STRICT_OPT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="usm-config")
@click.option("-v", "--verbose", is_flag=True, help="Log HTTP requests and decisions to stderr.")
def cli(verbose: bool) -> None:
    """Describe USM service management once; plan and apply it to ITSM tools.

    \b
    Example:
      usm-config validate blueprints/usm-reference.yaml
      usm-config show blueprints/examples/municipality
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@cli.command()
@PATH_ARG
@STRICT_OPT
def validate(path: Path, strict: bool) -> None:
    """Check a blueprint file or directory; exit 0 when valid, 1 when not.

    Every problem is reported with file:line:column, what is wrong and how to fix it.

    \b
    Example:
      usm-config validate blueprints/examples/municipality --strict
    """
    blueprint, result = load_or_fail(path, strict=strict)
    click.echo(
        f"{display_path(path)}: valid ({len(blueprint.services)} services, "
        f"{len(blueprint.workflows)} workflows, {len(result.files)} file(s))"
    )


@cli.command()
@PATH_ARG
@STRICT_OPT
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Readable summary, or the normalised blueprint as JSON.",
)
def show(path: Path, strict: bool, output: str) -> None:
    """Show a blueprint: services, and workflows with their expanded step sequences.

    The JSON output is the normalised blueprint (all 'extends' resolved, sequences filled
    in); it validates against 'usm-config schema' and can be loaded again.

    \b
    Example:
      usm-config show blueprints/usm-reference.yaml --output json > reference.json
    """
    blueprint, _ = load_or_fail(path, strict=strict)
    if output == "json":
        data = blueprint.model_dump(mode="json", by_alias=True, exclude_none=True)
        data.pop("extends", None)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(blueprint, display_path(path)), nl=False)


@cli.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the schema to this file instead of standard output.",
)
def schema(out: Path | None) -> None:
    """Print the blueprint's JSON Schema (draft 2020-12) for editors and CI.

    Editors with the YAML language server pick it up from a first line such as
    '# yaml-language-server: $schema=../schema/usm-blueprint.schema.json'.

    \b
    Example:
      usm-config schema --out schema/usm-blueprint.schema.json
    """
    text = blueprint_schema_text()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {display_path(out)}")


TARGET_OPTS = [
    click.option(
        "--target",
        "-t",
        "target_name",
        default="sandbox",
        show_default=True,
        help="Target name in the targets file.",
    ),
    click.option(
        "--targets",
        "targets_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path("targets.yaml"),
        show_default=True,
        help="The targets file.",
    ),
]


def target_options(func: Any) -> Any:
    """Add --target and --targets to a command."""
    for option in reversed(TARGET_OPTS):
        func = option(func)
    return func


@contextlib.contextmanager
def handled_errors() -> Iterator[None]:
    """Turn every expected failure into a clear message and exit code 1."""
    try:
        yield
    except DiagnosticError as exc:
        _print_diagnostics(exc.diagnostics)
        raise Failure("the input is not valid") from None
    except (
        HttpError,
        MissingCredentialError,
        AdapterNotFound,
        LockError,
        PlanMismatch,
        ApplyError,
    ) as exc:
        raise Failure(str(exc)) from None


def _context(path: Path, target_name: str, targets_file: Path, strict: bool) -> Context:
    blueprint, result = load_or_fail(path, strict=strict)
    target = resolve_target(targets_file, target_name)
    adapter = load_adapter(target.config.adapter)
    context = Context(blueprint, path, target, adapter)
    problems = check_overrides(context, result.index)
    if problems:
        raise DiagnosticError(problems)
    return context


def _emit_plan(plan: Plan, output: str, out: Path | None) -> None:
    if out is not None:
        write_atomic(out, render_plan_json(plan))
        click.echo(f"saved the plan to {display_path(out)}", err=True)
    if output == "json":
        click.echo(render_plan_json(plan), nl=False)
    elif output == "markdown":
        click.echo(render_markdown(plan), nl=False)
    else:
        click.echo(render_plan_text(plan, colour=sys.stdout.isatty()), nl=False)


def _write_artifacts(context: Context, plan: Plan, snapshot: Snapshot, folder: Path) -> None:
    adapter = context.adapter
    if not isinstance(adapter, SupportsArtifacts):
        raise Failure(f"adapter '{adapter.name}' writes no offline artifacts")
    ids = {(r.kind, r.key): r.target_id for r in snapshot.live if r.target_id}
    desired = adapter.compile(context.blueprint).records
    files = adapter.artifacts(
        plan.changes, desired, ids, f"usm-config {context.blueprint.organisation.name}"
    )
    for name, content in sorted(files.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        click.echo(f"wrote {display_path(path)}", err=True)


def _guard_or_fail(plan: Plan, snapshot: Snapshot, limit: float) -> None:
    violations = guard(plan, snapshot, limit)
    if violations:
        details = "; ".join(str(v) for v in violations)
        raise Failure(
            f"mass-change guard: {details}. The limit is {limit:.0%} of a kind; if this is "
            "intended, raise it with --mass-change-limit"
        )


@cli.command()
@PATH_ARG
@target_options
@STRICT_OPT
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Plan format.",
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
    "--mass-change-limit",
    type=click.FloatRange(0, 1, min_open=True),
    help="Largest share of a kind the plan may delete or rewrite (default: the target's).",
)
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
    mass_change_limit: float | None,
) -> None:
    """Show what apply would change in the target, without changing anything.

    \b
    Example:
      usm-config plan blueprints/usm-reference.yaml --target sandbox
      usm-config plan blueprints/examples/municipality --target prod --out plan.json
      usm-config plan blueprints/examples/university.yaml -o markdown --detailed-exitcode
    """
    with handled_errors():
        context = _context(path, target_name, targets_file, strict)

        async def run() -> tuple[Plan, Snapshot]:
            async with open_client(context) as client:
                snapshot = await read_snapshot(context, client)
                return make_plan(context, snapshot, prune=prune), snapshot

        the_plan, snapshot = asyncio.run(run())
        _emit_plan(the_plan, output, out)
        if artifacts is not None:
            _write_artifacts(context, the_plan, snapshot, artifacts)
        _guard_or_fail(
            the_plan, snapshot, mass_change_limit or context.target.config.mass_change_limit
        )
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(EXIT_CHANGES)


@cli.command()
@PATH_ARG
@target_options
@STRICT_OPT
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Apply this saved plan (from 'plan --out') instead of planning now.",
)
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@click.option("--prune", is_flag=True, help="Delete managed records that left the blueprint.")
@click.option(
    "--parallelism",
    type=click.IntRange(1, 32),
    help="Concurrent writes within a level (default: the target's).",
)
@click.option(
    "--mass-change-limit",
    type=click.FloatRange(0, 1, min_open=True),
    help="Largest share of a kind one apply may delete or rewrite (default: the target's).",
)
def apply(
    path: Path,
    target_name: str,
    targets_file: Path,
    strict: bool,
    plan_file: Path | None,
    auto_approve: bool,
    prune: bool,
    parallelism: int | None,
    mass_change_limit: float | None,
) -> None:
    """Apply the blueprint to the target: plan, confirm, write, and prove convergence.

    With --plan, applies exactly a saved plan, and refuses when the blueprint, the target or
    the live records have changed since it was made.

    \b
    Example:
      usm-config apply blueprints/usm-reference.yaml --target sandbox --auto-approve
      usm-config apply blueprints/examples/municipality --target prod --plan plan.json
    """
    with handled_errors():
        context = _context(path, target_name, targets_file, strict)
        config = context.target.config
        limit = mass_change_limit or config.mass_change_limit
        saved = _load_saved_plan(plan_file) if plan_file else None
        if saved is not None:
            prune = any(c.action == Action.DELETE for c in saved.changes)
        asyncio.run(
            _apply(context, saved, prune, auto_approve, parallelism or config.parallelism, limit)
        )


def _load_saved_plan(path: Path) -> Plan:
    try:
        return Plan.model_validate_json(path.read_bytes())
    except ValueError as exc:
        raise Failure(f"{display_path(path)} is not a saved usm-config plan ({exc})") from None


async def _apply(
    context: Context,
    saved: Plan | None,
    prune: bool,
    auto_approve: bool,
    parallelism: int,
    limit: float,
) -> None:
    async with open_client(context) as client:
        snapshot = await read_snapshot(context, client)
        if saved is not None:
            verify_saved_plan(context, saved, snapshot)
            the_plan = saved
        else:
            the_plan = make_plan(context, snapshot, prune=prune)
        click.echo(render_plan_text(the_plan, colour=sys.stdout.isatty()), nl=False)
        _guard_or_fail(the_plan, snapshot, limit)
        if all(c.action == Action.MANUAL for c in the_plan.changes):
            click.echo("Nothing to apply.")
            return
        if saved is None and not auto_approve:
            if not sys.stdin.isatty():
                raise Failure("refusing to apply without confirmation; pass --auto-approve")
            click.confirm("Apply these changes?", abort=True)
        writes = sum(c.action != Action.MANUAL for c in the_plan.changes)
        with progress_bar(writes, "applying") as advance:
            result = await apply_changes(
                context, client, the_plan, snapshot, parallelism=parallelism, on_progress=advance
            )
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
        if result.failed:
            raise Failure(f"{len(result.failed)} change(s) failed; fix the cause and apply again")
        after = make_plan(context, await read_snapshot(context, client), prune=prune)
        pending = [c for c in after.changes if c.action != Action.MANUAL]
        if pending:
            raise Failure(
                f"the target did not converge: {len(pending)} change(s) remain after apply "
                f"(first: {pending[0].address}: {pending[0].reason})"
            )
        click.echo(
            "Converged: a fresh plan shows no changes"
            + (f" other than {len(after.changes)} manual step(s)." if after.changes else ".")
        )


@cli.command()
def adapters() -> None:
    """List the installed adapters (entry-point group usm_config.adapters).

    \b
    Example:
      usm-config adapters
    """
    found = installed_adapters()
    if not found:
        click.echo("no adapters installed")
    for name, entry in sorted(found.items()):
        try:
            adapter = load_adapter(name)
            sandbox = ", sandbox" if isinstance(adapter, SupportsSandbox) else ""
            click.echo(f"{name:<12} {adapter.description} ({entry.value}{sandbox})")
        except Exception as exc:  # a broken third-party plug-in must not hide the others
            click.echo(f"{name:<12} cannot be loaded: {type(exc).__name__}: {exc}")


@cli.group()
def sandbox() -> None:
    """Run or reset an adapter's local emulator.

    \b
    Example:
      usm-config sandbox serve servicenow --port 8080
      usm-config sandbox reset --target sandbox
    """


@sandbox.command("serve")
@click.argument("adapter_name", metavar="ADAPTER")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".usm-sandbox/served.sqlite3"),
    show_default=True,
    help="SQLite file holding the emulator's records.",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False),
    help="PEM certificate: serve HTTPS (some clients, e.g. pysnc, accept only https).",
)
@click.option(
    "--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM key of --tls-cert."
)
def sandbox_serve(
    adapter_name: str, port: int, state: Path, tls_cert: str | None, tls_key: str | None
) -> None:
    """Serve an adapter's emulator on 127.0.0.1 for real clients.

    The ServiceNow emulator accepts basic auth admin/admin and OAuth client
    usm-config / sandbox-secret.

    \b
    Example:
      usm-config sandbox serve servicenow --port 8080
      usm-config sandbox serve servicenow --port 8443 --tls-cert cert.pem --tls-key key.pem
    """
    from usm_config.sandbox.serve import serve  # noqa: PLC0415 (uvicorn loads only when serving)

    if bool(tls_cert) != bool(tls_key):
        raise Failure("--tls-cert and --tls-key go together")
    with handled_errors():
        adapter = load_adapter(adapter_name)
        if not isinstance(adapter, SupportsSandbox):
            raise Failure(f"adapter '{adapter_name}' has no sandbox")
        state.parent.mkdir(parents=True, exist_ok=True)
        scheme = "https" if tls_cert else "http"
        click.echo(
            f"serving the {adapter_name} sandbox on {scheme}://127.0.0.1:{port} (Ctrl+C stops)"
        )
        serve(
            adapter.sandbox_app(state),
            host="127.0.0.1",
            port=port,
            certfile=tls_cert,
            keyfile=tls_key,
        )


@sandbox.command("reset")
@PATH_ARG
@target_options
def sandbox_reset(path: Path, target_name: str, targets_file: Path) -> None:
    """Empty a sandbox target and forget what the blueprint's lock file says about it.

    \b
    Example:
      usm-config sandbox reset blueprints/usm-reference.yaml --target sandbox
    """
    with handled_errors():
        target = resolve_target(targets_file, target_name)
        if not target.config.is_sandbox:
            raise Failure(f"target '{target_name}' is not a sandbox; refusing to reset it")
        blueprint, _ = load_or_fail(path, strict=False)
        context = Context(blueprint, path, target, load_adapter(target.config.adapter))
        for stale in (context.sandbox_state, context.lock_path, context.journal_path):
            stale.unlink(missing_ok=True)
        click.echo(f"reset sandbox target '{target_name}'")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console entry point: never lets a traceback reach the user unless --verbose."""
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if "--verbose" in sys.argv or "-v" in sys.argv:
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("run again with --verbose for details, and please report it", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()
