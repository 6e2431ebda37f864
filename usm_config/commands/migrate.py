"""migrate: export one target, plan (and apply) the result on another, with a fidelity report."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from usm_config import aio
from usm_config.adapter import Adapter, SupportsLandings, load_adapter
from usm_config.blueprint.model import Blueprint
from usm_config.commands.common import (
    EXIT_CHANGES,
    Failure,
    handled_errors,
    load_or_fail,
)
from usm_config.commands.export import (
    emit_report,
    load_export,
    read_source,
    reference_option,
    report_options,
    write_export,
)
from usm_config.commands.target import apply as apply_command
from usm_config.diagnostics import display_path
from usm_config.engine.plan import Plan
from usm_config.export.fidelity import FidelityReport, land
from usm_config.export.fidelity_render import RENDERERS
from usm_config.export.model import Exported
from usm_config.render.progress import request_status
from usm_config.runner import Context, Session
from usm_config.targets import ResolvedTarget, resolve_target


@click.command()
@click.option("--from", "source_name", required=True, help="Target to export from.")
@click.option("--to", "target_name", required=True, help="Target to plan (and apply) on.")
@click.option(
    "--targets",
    "targets_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("targets.yaml"),
    show_default=True,
    help="The targets file.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Keep the exported blueprint in this folder (by default it is discarded, unless "
    "--apply needs it).",
)
@reference_option("The USM library the export builds on.")
@report_options(RENDERERS, "fidelity report")
@click.option(
    "--apply",
    "do_apply",
    is_flag=True,
    help="Apply the exported blueprint to the --to target (needs --out), with apply's "
    "confirmation.",
)
@click.option("--auto-approve", is_flag=True, help="With --apply: apply without asking.")
def migrate(
    source_name: str,
    target_name: str,
    targets_file: Path,
    out: Path | None,
    base: Path,
    output: str,
    report: Path | None,
    do_apply: bool,
    auto_approve: bool,
) -> None:
    """Carry one tool's configuration to another: export, plan, and report the fidelity.

    Reads the --from target back into a blueprint (as export does), compiles it for the --to
    target's adapter and plans it there. The fidelity report says, element by element, how it
    lands: as an API record, a manual step, an artifact, or not at all (and why), after what
    the export could not read. Exits 2 when anything is lost, 0 when everything arrives.

    To review before writing: keep the blueprint with --out, then 'plan DIR --out plan.json'
    and 'apply DIR --plan plan.json' on the --to target, as with any blueprint.

    \b
    Example:
      usm-config migrate --from sandbox-jsm --to sandbox
      usm-config migrate --from sandbox-jsm --to sandbox --out migrated/ -o markdown
      usm-config migrate --from sandbox --to sandbox-topdesk
    """
    with handled_errors():
        reference, _ = load_or_fail(base, strict=False)
        target = resolve_target(targets_file, target_name)
        target_adapter = load_adapter(target.config.adapter)
        if do_apply and out is None:
            raise Failure("--apply applies the exported blueprint: keep it with --out DIR")
        source = read_source(reference, base, targets_file, source_name)
        exported = source.exporter.export(source.live, reference)
        origin = f"target '{source.target.name}' ({source.adapter.name})"
        with _folder(out) as folder:
            write_export(exported, folder, base, origin)
            blueprint = load_export(folder)
            context = Context(blueprint, folder, target, target_adapter)
            plan = aio.run(_plan(context))
            fidelity = _report(source.target, target, context.adapter, blueprint, exported, plan)
            emit_report(RENDERERS[output](fidelity), report)
            if out is not None:
                click.echo(f"the exported blueprint is in {display_path(out)}", err=True)
        if do_apply:
            click.get_current_context().invoke(
                apply_command,
                path=out,
                target_name=target_name,
                targets_file=targets_file,
                strict=False,
                plan_file=None,
                auto_approve=auto_approve,
                output="summary",
                prune=False,
                parallelism=None,
                mass_change_limit=None,
            )
    if fidelity.lost:
        sys.exit(EXIT_CHANGES)


@contextmanager
def _folder(out: Path | None) -> Iterator[Path]:
    if out is not None:
        yield out
        return
    with tempfile.TemporaryDirectory(prefix="usm-migrate-") as tmp:
        yield Path(tmp) / "exported"


async def _plan(context: Context) -> Plan:
    async with Session.open(context, status=request_status) as session:
        planned = await session.plan()
    return planned.plan


def _report(
    source: ResolvedTarget,
    target: ResolvedTarget,
    adapter: Adapter,
    blueprint: Blueprint,
    exported: Exported,
    plan: Plan,
) -> FidelityReport:
    desired = adapter.compile(blueprint)
    landings = land(
        blueprint,
        desired.records,
        adapter.kinds,
        explained=adapter.landings(blueprint) if isinstance(adapter, SupportsLandings) else None,
    )
    return FidelityReport(
        source=f"'{source.name}' ({source.config.adapter})",
        target=f"'{target.name}' ({target.config.adapter})",
        lost_on_export=tuple(f for f in exported.findings if f.kind.lost),
        elements=tuple(landings),
        plan_summary=plan.summary(),
        notes=desired.notes,
    )
