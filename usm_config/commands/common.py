"""What every command shares: failures, diagnostics output, common options."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from usm_config.adapter import (
    AdapterNotFound,
    AdapterOptionError,
    load_adapter,
)
from usm_config.blueprint.loader import LoadResult, load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.diagnostics import (
    Diagnostic,
    DiagnosticError,
    Severity,
    display_path,
    sorted_diagnostics,
)
from usm_config.engine.apply import ApplyError
from usm_config.engine.apply_lock import ApplyLocked
from usm_config.engine.lock import LockError
from usm_config.http import HttpError, MissingCredentialError
from usm_config.runner import (
    Context,
    NoSandbox,
    PlanMismatch,
    check_overrides,
)
from usm_config.targets import resolve_target

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class Failure(click.ClickException):
    """A handled failure: message printed to stderr, exit code 1."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
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
    print_diagnostics(diagnostics)
    if result.blueprint is None or any(d.severity == Severity.ERROR for d in diagnostics):
        raise Failure(f"{display_path(path)} is not a valid blueprint")
    return result.blueprint, result


PATH_ARG = click.argument("path", type=click.Path(path_type=Path, file_okay=True, dir_okay=True))
STRICT_OPT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


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
        print_diagnostics(exc.diagnostics)
        raise Failure("the input is not valid") from None
    except (
        HttpError,
        MissingCredentialError,
        AdapterNotFound,
        AdapterOptionError,
        LockError,
        PlanMismatch,
        ApplyError,
        ApplyLocked,
        NoSandbox,
    ) as exc:
        raise Failure(str(exc)) from None


def context_for(path: Path, target_name: str, targets_file: Path, strict: bool) -> Context:
    blueprint, result = load_or_fail(path, strict=strict)
    target = resolve_target(targets_file, target_name)
    adapter = load_adapter(target.config.adapter)
    context = Context(blueprint, path, target, adapter)
    problems = check_overrides(context, result.index)
    if problems:
        raise DiagnosticError(problems)
    return context
