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
)
from usm_config.api import failed, load_result, make_context
from usm_config.blueprint.loader import LoadResult
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
from usm_config.http import HttpError, MissingCredentialError
from usm_config.runner import (
    Context,
    NoSandbox,
    PlanMismatch,
    check_state_files,
)
from usm_config.targets import DEFAULT_TARGET, ResolvedTarget, resolve_target

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


def load_or_fail(
    path: Path, *, strict: bool, target: ResolvedTarget | None = None
) -> tuple[Blueprint, LoadResult]:
    """Load a blueprint (with ``target``'s overlays laid over it), print its diagnostics, and
    fail (exit 1) on any error."""
    result = load_result(path, target, strict=strict)
    print_diagnostics(result.diagnostics)
    if failed(result):
        overlays = f" with the overlays of target '{target.name}'" if target else ""
        raise Failure(f"{display_path(path)}{overlays} is not a valid blueprint")
    assert result.blueprint is not None
    return result.blueprint, result


PATH_ARG = click.argument("path", type=click.Path(path_type=Path, file_okay=True, dir_okay=True))
STRICT_OPT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


TARGET_OPTS = [
    click.option(
        "--target",
        "-t",
        "target_name",
        default=DEFAULT_TARGET,
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


def overlay_options(func: Any) -> Any:
    """Add an optional --target (whose overlays are laid over the blueprint) and --targets."""
    return click.option(
        "--target",
        "-t",
        "target_name",
        help="Lay this target's overlays (see targets.yaml) over the blueprint first.",
    )(TARGET_OPTS[1](func))


def target_for(target_name: str | None, targets_file: Path) -> ResolvedTarget | None:
    """The named target, or None; a bad targets file or name fails with its diagnostics."""
    if target_name is None:
        return None
    with handled_errors():
        return resolve_target(targets_file, target_name)


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
        PlanMismatch,
        ApplyError,
        ApplyLocked,
        NoSandbox,
    ) as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        # A file the command writes (a saved plan, artifacts, the lock) cannot be written.
        where = f"{display_path(exc.filename)}: " if exc.filename else ""
        raise Failure(f"{where}{_os_problem(exc)}") from None


def _os_problem(exc: OSError) -> str:
    """What is wrong with a path the command could not write, and what to do."""
    if isinstance(exc, FileExistsError) and exc.filename and Path(exc.filename).is_file():
        # Making the folders of an output path met a file where a folder belongs.
        return "is a file where a folder is needed; choose another path or move the file aside"
    if isinstance(exc, NotADirectoryError):
        return (
            "a part of the path before the file name is a file, not a folder; choose another "
            "path or move that file aside"
        )
    return (
        f"{exc.strerror or exc}; check that the path names a file in a folder this user can write"
    )


def context_for(path: Path, target_name: str, targets_file: Path, strict: bool) -> Context:
    target = resolve_target(targets_file, target_name)
    _, result = load_or_fail(path, strict=strict, target=target)
    context = make_context(result, path, target)
    # A damaged lock file or journal is refused before the target is opened.
    check_state_files(context)
    return context
