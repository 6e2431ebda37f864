"""The ``usm-config`` command line: the only place that turns problems into exit codes."""

from __future__ import annotations

import difflib
import functools
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

import click

from usm_config import __version__

# httpx imports its own command line, and with it rich's console and pygments' lexers,
# whenever they are installed (`from ._main import main` in httpx/__init__.py). usm-config
# never runs it, and importing it took a seventh of this command line's start-up; marked
# absent before httpx is first imported, it leaves httpx its stand-in `main`.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from usm_config.commands.common import EXIT_ERROR, EXIT_OK  # noqa: E402

VERBOSE_FLAGS = ("-v", "--verbose")
DETAILED_EXITCODE = "--detailed-exitcode"


def _asks_for_detailed_exit_codes(args: Sequence[str]) -> bool:
    """True when ``--detailed-exitcode`` (or a misspelling of it) is among ``args``."""
    return any(
        difflib.get_close_matches(arg.split("=", 1)[0], [DETAILED_EXITCODE], cutoff=0.8)
        for arg in args
        if arg.startswith("--")
    )


class UsmGroup(click.Group):
    """The command group.

    ``-v/--verbose`` is taken before or after the command's name (``usm-config plan ... -v``
    as well as ``usm-config -v plan ...``). Under ``--detailed-exitcode`` a usage error exits
    1, not 2: there exit code 2 means "the plan has changes", and a nightly drift check must not
    read a misspelt option or a missing path as drift.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return command(cmd_name) if cmd_name in COMMANDS else None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[DETAILED_EXITCODE] = _asks_for_detailed_exit_codes(args)
        end = args.index("--") if "--" in args else len(args)
        if any(arg in VERBOSE_FLAGS for arg in args[:end]):
            args = [a for a in args[:end] if a not in VERBOSE_FLAGS] + args[end:]
            args.insert(0, "--verbose")
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


class _StderrHandler(logging.Handler):
    """Writes each record to ``sys.stderr`` as it is when the record is logged, not as it was
    when logging was set up: while a terminal shows a status line (a read's requests), stderr
    is redirected so that lines land above it instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # logging must never stop a command
            self.handleError(record)


@click.group(
    cls=UsmGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="usm-config")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Log one line per HTTP request, and the engine's decisions, to stderr "
    "(before or after the command).",
)
def cli(verbose: bool) -> None:
    """Describe USM service management once; plan and apply it to ITSM tools.

    \b
    Example:
      usm-config validate blueprints/usm-reference.yaml
      usm-config show blueprints/examples/municipality
    """
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler])
    if verbose:
        # usm_config.http logs each request once, masked, with its timing and attempt; httpx's
        # own line would repeat it, httpcore's trace prints raw headers no redactor sees (a
        # server may echo credentials there), and asyncio's debug lines say nothing of ours.
        ctx = click.get_current_context()
        for noisy in map(logging.getLogger, ("httpx", "httpcore", "asyncio")):
            ctx.call_on_close(functools.partial(noisy.setLevel, noisy.level))
            noisy.setLevel(logging.WARNING)


#: Each command and the module that defines it, imported when the command is run (a command
#: line that plans does not pay for the modules of docs, export or assess).
COMMANDS = {
    "validate": "usm_config.commands.blueprint",
    "show": "usm_config.commands.blueprint",
    "schema": "usm_config.commands.blueprint",
    "docs": "usm_config.commands.docs",
    "plan": "usm_config.commands.target",
    "apply": "usm_config.commands.target",
    "export": "usm_config.commands.export",
    "migrate": "usm_config.commands.migrate",
    "assess": "usm_config.commands.assess",
    "adapters": "usm_config.commands.tools",
    "sandbox": "usm_config.commands.tools",
}


def command(name: str) -> click.Command:
    """The command ``name`` of :data:`COMMANDS`, its module imported."""
    found = getattr(importlib.import_module(COMMANDS[name]), name)
    assert isinstance(found, click.Command)
    return found


def _never_fail_to_print() -> None:
    """A character the terminal's encoding lacks (a console in cp1252, a latin-1 locale) is
    written as an escape such as ``\u2192``, instead of ending the command half way."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and stream.errors == "strict":
            reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console entry point: never lets a traceback reach the user unless --verbose."""
    _never_fail_to_print()
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if any(arg in VERBOSE_FLAGS for arg in sys.argv):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("run again with --verbose for details, and please report it", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()
