"""assess: how far a target's configuration is from USM, without writing anything."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from usm_config.adapter import SupportsExport, load_adapter
from usm_config.commands.common import Failure, handled_errors, load_or_fail, target_options
from usm_config.commands.export import read_live
from usm_config.diagnostics import display_path
from usm_config.engine.lock import write_atomic
from usm_config.export.assess import Evidence
from usm_config.export.assess import assess as assess_target
from usm_config.export.assess_render import RENDERERS
from usm_config.export.model import FindingKind
from usm_config.export.writer import ExportTargetError, write_directory
from usm_config.runner import Context
from usm_config.targets import resolve_target


@click.command()
@target_options
@click.option(
    "--output",
    "-o",
    type=click.Choice(sorted(RENDERERS)),
    default="text",
    show_default=True,
    help="Format of the assessment.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the assessment to this file (in the --output format).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write the suggested blueprint to start from (the export) to this folder.",
)
@click.option(
    "--extends",
    "base",
    type=click.Path(exists=True, path_type=Path),
    default=Path("blueprints/usm-reference.yaml"),
    show_default=True,
    help="The USM reference to measure against.",
)
def assess(
    target_name: str,
    targets_file: Path,
    output: str,
    report: Path | None,
    out: Path | None,
    base: Path,
) -> None:
    """Score how far a target's configuration is from USM, per process and per workflow.

    Reads the target as export does, without writing to it, and says for each of the five
    processes whether the tool carries it and how many of USM's steps have a state, and for
    each of the eight workflows whether the tool can support it (its processes and hand-overs),
    with the reasons and what cannot be assessed.

    \b
    Example:
      usm-config assess --target sandbox-jsm
      usm-config assess --target sandbox-jsm -o markdown --out suggested/
    """
    with handled_errors():
        reference, _ = load_or_fail(base, strict=False)
        target = resolve_target(targets_file, target_name)
        adapter = load_adapter(target.config.adapter)
        if not isinstance(adapter, SupportsExport):
            raise Failure(f"adapter '{adapter.name}' cannot export, so it cannot be assessed yet")
        live = asyncio.run(read_live(Context(reference, out or base, target, adapter)))
        exported = adapter.export(live, reference)
        findings = [f"{f.render()}" for f in exported.findings if f.kind == FindingKind.LEFT_OUT]
        assessment = assess_target(
            reference,
            exported.evidence or Evidence(),
            f"target '{target.name}' ({adapter.name})",
            findings=findings,
        )
        text = RENDERERS[output](assessment)
        click.echo(text, nl=False)
        if report is not None:
            write_atomic(report, text)
            click.echo(f"wrote {display_path(report)}", err=True)
        if out is not None:
            origin = f"target '{target.name}' ({adapter.name}, {target.config.url})"
            try:
                write_directory(exported, out, extends=base, origin=origin)
            except ExportTargetError as exc:
                raise Failure(str(exc)) from None
            click.echo(f"wrote the suggested blueprint to {display_path(out)}", err=True)
