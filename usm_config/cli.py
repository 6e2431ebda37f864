"""The ``usm-config`` command line: the only place that turns problems into exit codes."""

from __future__ import annotations

import difflib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

import click

from usm_config import __version__
from usm_config.commands.blueprint import schema, show, validate
from usm_config.commands.common import EXIT_ERROR, EXIT_OK
from usm_config.commands.target import apply, plan
from usm_config.commands.tools import adapters, sandbox

DETAILED_EXITCODE = "--detailed-exitcode"


def _asks_for_detailed_exit_codes(args: Sequence[str]) -> bool:
    """True when ``--detailed-exitcode`` (or a misspelling of it) is among ``args``."""
    return any(
        difflib.get_close_matches(arg.split("=", 1)[0], [DETAILED_EXITCODE], cutoff=0.8)
        for arg in args
        if arg.startswith("--")
    )


class UsmGroup(click.Group):
    """The command group; under ``--detailed-exitcode`` a usage error exits 1, not 2.

    There exit code 2 means "the plan has changes": a nightly drift check must not read a
    misspelt option or a missing path as drift.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[DETAILED_EXITCODE] = _asks_for_detailed_exit_codes(args)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            self._not_two(ctx, exc)
            raise

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            self._not_two(ctx, exc)
            raise

    @staticmethod
    def _not_two(ctx: click.Context, exc: click.UsageError) -> None:
        if ctx.meta.get(DETAILED_EXITCODE):
            # click declares exit_code on the class; this one error exits 1.
            vars(exc)["exit_code"] = EXIT_ERROR


@click.group(
    cls=UsmGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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
    if verbose:
        # httpcore's DEBUG trace prints raw response headers, which no redactor sees (a server
        # may echo credentials there); usm_config.http already logs every request, masked.
        logging.getLogger("httpcore").setLevel(logging.INFO)


for command in (validate, show, schema, plan, apply, adapters, sandbox):
    cli.add_command(command)


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
