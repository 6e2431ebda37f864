"""export: read a live target back into a blueprint directory."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from usm_config import aio
from usm_config.adapter import Adapter, SupportsExport, load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.commands.common import (
    Failure,
    handled_errors,
    load_or_fail,
    print_diagnostics,
    target_options,
)
from usm_config.diagnostics import Severity, display_path
from usm_config.engine.lock import Lock, write_atomic
from usm_config.engine.records import Record
from usm_config.export.model import Exported
from usm_config.export.onto import pull
from usm_config.export.report import render_export_report
from usm_config.export.verify import Fidelity, adopt, check_export
from usm_config.export.writer import ExportTargetError, write_directory
from usm_config.render.progress import request_status
from usm_config.runner import Context, Session, check_overrides
from usm_config.targets import ResolvedTarget, resolve_target

F = TypeVar("F", bound=Callable[..., Any])

REPORT = "export-report.md"


def reference_option(help: str) -> Callable[[F], F]:
    """``--extends``: the USM library an export builds on, or an assessment measures against."""
    return click.option(
        "--extends",
        "base",
        type=click.Path(exists=True, path_type=Path),
        default=Path("blueprints/usm-reference.yaml"),
        show_default=True,
        help=help,
    )


def report_options(choices: Iterable[str], what: str) -> Callable[[F], F]:
    """``--output`` and ``--report`` of a command that prints a report."""

    def decorate(func: F) -> F:
        func = click.option(
            "--report",
            type=click.Path(dir_okay=False, path_type=Path),
            help=f"Also save the {what} to this file (in the --output format).",
        )(func)
        return click.option(
            "--output",
            "-o",
            type=click.Choice(sorted(choices)),
            default="text",
            show_default=True,
            help=f"Format of the {what}.",
        )(func)

    return decorate


def emit_report(text: str, report: Path | None) -> None:
    """Print a report, and save it to ``report`` when given."""
    click.echo(text, nl=False)
    if report is not None:
        write_atomic(report, text)
        click.echo(f"wrote {display_path(report)}", err=True)


@dataclass(frozen=True)
class Source:
    """A target an export reads: its adapter, which can export, and its live records."""

    target: ResolvedTarget
    adapter: Adapter
    exporter: SupportsExport
    live: list[Record]

    @property
    def origin(self) -> str:
        """Where an export comes from, as its files say."""
        config = self.target.config
        return f"target '{self.target.name}' ({self.adapter.name}, {config.url})"


def read_source(
    reference: Blueprint, at: Path, targets_file: Path, name: str, cannot: str = "export yet"
) -> Source:
    """Read target ``name`` as plan does (``at`` is the blueprint path its lock belongs to);
    a :class:`Failure` saying the adapter "cannot <cannot>" when it cannot export."""
    target = resolve_target(targets_file, name)
    adapter = load_adapter(target.config.adapter)
    if not isinstance(adapter, SupportsExport):
        raise Failure(f"adapter '{adapter.name}' cannot {cannot}")
    context = Context(reference, at, target, adapter)
    live = aio.run(read_live(context))
    return Source(target, context.adapter, adapter, live)


def write_export(exported: Exported, out: Path, base: Path, origin: str) -> list[Path]:
    """Write the export as a blueprint directory; a :class:`Failure` when ``out`` cannot take
    it."""
    try:
        return write_directory(exported, out, extends=base, origin=origin)
    except ExportTargetError as exc:
        raise Failure(str(exc)) from None


@click.command()
@target_options
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write the blueprint directory to (created; an earlier export is replaced).",
)
@click.option(
    "--onto",
    type=click.Path(exists=True, path_type=Path),
    help="Instead of --out: update this existing blueprint (file or folder) in place, keeping "
    "its comments, key order and files; review the change with 'git diff'.",
)
@reference_option("The USM library the export builds on; only what differs from it is written.")
@click.option(
    "--adopt",
    "adopt_records",
    is_flag=True,
    help="Also write the exported blueprint's lock file, so it manages the records it "
    "describes from now on (its first plan then shows no adoptions); records another "
    "blueprint's lock file manages stay with it.",
)
def export(
    target_name: str,
    targets_file: Path,
    out: Path | None,
    onto: Path | None,
    base: Path,
    adopt_records: bool,
) -> None:
    """Read a target's live configuration back into a USM blueprint directory.

    The blueprint extends the USM reference and holds what the tool has: the organisation,
    customers, teams, services with their request items, and the tailored call types, process
    steps and classification. What the tool's API cannot read, or what is not USM's, is listed
    with the record it came from in export-report.md, next to how exactly the export compiles
    back onto the live records.

    With --onto, a change made in the tool's UI is pulled into an existing blueprint instead:
    only values that differ change, new elements are appended to the file holding their
    section, and elements the tool no longer has are kept and listed.

    \b
    Example:
      usm-config export --target sandbox-jsm --out exported/
      usm-config plan exported/ --target sandbox-jsm
      usm-config export --target sandbox-jsm --onto exported/
      usm-config export --target sandbox --out exported-servicenow/
    """
    if (out is None) == (onto is None):
        raise click.UsageError("give either --out DIR or --onto BLUEPRINT")
    with handled_errors():
        reference, _ = load_or_fail(base, strict=False)
        source = read_source(reference, out or onto or base, targets_file, target_name)
        live, adapter, target = source.live, source.adapter, source.target
        if onto is not None:
            existing, _ = load_or_fail(onto, strict=False)
            exported = source.exporter.export(live, reference, scope=existing)
            _pull(exported, onto, live, Context(existing, onto, target, adapter))
            return
        exported = source.exporter.export(live, reference)
        assert out is not None
        written = write_export(exported, out, base, source.origin)
        blueprint = load_export(out)
        fidelity = check_export(adapter, blueprint, live)
        write_atomic(out / REPORT, render_export_report(exported, fidelity, source.origin))
        for path in written:
            click.echo(f"wrote {display_path(path)}", err=True)
        click.echo(f"wrote {display_path(out / REPORT)}", err=True)
        _summarise(exported, fidelity)
        if adopt_records:
            exported_context = Context(blueprint, out, target, adapter)
            lock = Lock.load(exported_context.lock_path, target.name, adapter.name)
            count, left = adopt(exported_context.adapter, blueprint, live, lock)
            lock.save()
            click.echo(f"adopted {count} record(s) in {display_path(lock.path)}")
            for owner, number in sorted(left.items()):
                click.echo(
                    f"{number} record(s) stay with another blueprint's lock file "
                    f"{display_path(owner)}; plan --take-over adopts them"
                )


async def read_live(context: Context) -> list[Record]:
    """The live records of the context's target, as plan reads them."""
    async with Session.open(context, status=request_status) as session:
        snapshot = await session.read()
    return snapshot.live


def load_export(out: Path) -> Blueprint:
    """Load an exported blueprint; a diagnostic error here is a defect of the export."""
    result = load_blueprint(out)
    errors = [d for d in result.diagnostics if d.severity == Severity.ERROR]
    if result.blueprint is None or errors:
        print_diagnostics(result.diagnostics)
        raise Failure(
            f"the export in {display_path(out)} is not a valid blueprint; this is a defect of "
            "the adapter's export, please report it with the files"
        )
    return result.blueprint


def _pull(exported: Exported, onto: Path, live: list[Record], context: Context) -> None:
    load_or_fail(onto, strict=False)
    result = pull(exported, onto, exported.assumed)
    for path in result.files:
        click.echo(f"updated {display_path(path)}", err=True)
    for label in result.missing:
        click.echo(f"  not in the tool (kept): {label}", err=True)
    blueprint, loaded = load_or_fail(onto, strict=False)
    # What the tool cannot hold apart (two elements pulled onto one record) is the adapter's
    # to say, located in the files just written, before anything compiles.
    pulled = Context(blueprint, onto, context.target, context.adapter)
    problems = check_overrides(pulled, loaded.index)
    if problems:
        print_diagnostics(problems)
        raise Failure(
            f"{display_path(onto)} now holds what {context.adapter.name} cannot hold apart; "
            "the files were updated (see git diff): fix the places named above"
        )
    fidelity = check_export(context.adapter, blueprint, live)
    click.echo(f"Pulled into {display_path(onto)}: {result.summary()}.")
    click.echo(f"Compiled back onto the target: {fidelity.summary()}.")


def _summarise(exported: Exported, fidelity: Fidelity) -> None:
    click.echo(
        f"Exported {', '.join(exported.sections())}; {len(exported.findings)} finding(s) in "
        f"{REPORT}."
    )
    click.echo(f"Compiled back onto the target: {fidelity.summary()}.")
