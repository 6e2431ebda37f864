"""The ``usm-config`` command line: the only place that turns problems into exit codes."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from usm_config import __version__
from usm_config.blueprint.loader import LoadResult, load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.schema import blueprint_schema_text
from usm_config.diagnostics import Diagnostic, Severity, display_path, sorted_diagnostics
from usm_config.render.blueprint_text import render_text

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
      usm-config show blueprints/examples/municipality.yaml
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
      usm-config validate blueprints/examples/municipality.yaml --strict
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
