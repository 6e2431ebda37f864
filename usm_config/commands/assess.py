"""assess: how far a target's configuration is from USM, without writing anything."""

from __future__ import annotations

from pathlib import Path

import click

from usm_config.commands.common import handled_errors, load_or_fail, target_options
from usm_config.commands.export import (
    emit_report,
    read_source,
    reference_option,
    report_options,
    write_export,
)
from usm_config.diagnostics import display_path
from usm_config.export.assess import Evidence
from usm_config.export.assess import assess as assess_target
from usm_config.export.assess_render import RENDERERS
from usm_config.export.model import FindingKind


@click.command()
@target_options
@report_options(RENDERERS, "assessment")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write the suggested blueprint to start from (the export) to this folder.",
)
@reference_option("The USM reference to measure against.")
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
      usm-config assess --target sandbox -o json
    """
    with handled_errors():
        reference, _ = load_or_fail(base, strict=False)
        source = read_source(
            reference,
            out or base,
            targets_file,
            target_name,
            "export, so it cannot be assessed yet",
        )
        exported = source.exporter.export(source.live, reference)
        findings = [f"{f.render()}" for f in exported.findings if f.kind == FindingKind.LEFT_OUT]
        assessment = assess_target(
            reference,
            exported.evidence or Evidence(),
            f"target '{source.target.name}' ({source.adapter.name})",
            findings=findings,
            locale=exported.document.get("organisation", {}).get("locale"),
        )
        emit_report(RENDERERS[output](assessment), report)
        if out is not None:
            write_export(exported, out, base, source.origin)
            click.echo(f"wrote the suggested blueprint to {display_path(out)}", err=True)
