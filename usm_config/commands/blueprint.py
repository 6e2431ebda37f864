"""validate, show and schema: commands that need only a blueprint."""

from __future__ import annotations

import json
from pathlib import Path

import click

from usm_config.api import make_context, normalised
from usm_config.blueprint.schema import blueprint_schema_text
from usm_config.blueprint.schema_check import check_files
from usm_config.commands.common import (
    PATH_ARG,
    STRICT_OPT,
    Failure,
    handled_errors,
    load_or_fail,
    overlay_options,
    print_diagnostics,
    target_for,
)
from usm_config.diagnostics import Severity, display_path
from usm_config.render.blueprint_text import render_text
from usm_config.render.diagram import (
    layout_flow,
    render_dot,
    render_mermaid,
    render_svg,
    workflow_flow,
)

DIAGRAMS = ("mermaid", "dot", "svg")


@click.command()
@PATH_ARG
@overlay_options
@STRICT_OPT
def validate(path: Path, target_name: str | None, targets_file: Path, strict: bool) -> None:
    """Check a blueprint file or directory; exit 0 when valid, 1 when not.

    Every problem is reported with file:line:column, what is wrong and how to fix it. With
    --target, the target's overlays are laid over the blueprint and the merged result is
    checked, including the target adapter's x-<adapter> settings.

    \b
    Example:
      usm-config validate blueprints/examples/municipality --strict
      usm-config validate blueprints/examples/municipality --target sandbox-prod
    """
    target = target_for(target_name, targets_file)
    blueprint, result = load_or_fail(path, strict=strict, target=target)
    if target is not None:
        with handled_errors():
            make_context(result, path, target)
    overlays = f" with the overlays of target '{target.name}'" if target else ""
    click.echo(
        f"{display_path(path)}{overlays}: valid ({len(blueprint.services)} services, "
        f"{len(blueprint.workflows)} workflows, {len(result.files)} file(s))"
    )


@click.command()
@PATH_ARG
@overlay_options
@STRICT_OPT
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json", *DIAGRAMS]),
    default="text",
    show_default=True,
    help="Readable summary, the normalised blueprint as JSON, or one workflow's diagram "
    "(with --workflow) as Mermaid, Graphviz DOT or SVG.",
)
@click.option(
    "--workflow",
    "-w",
    "number",
    type=int,
    help="The number (1-8) of the workflow to draw with --output mermaid, dot or svg.",
)
def show(
    path: Path,
    target_name: str | None,
    targets_file: Path,
    strict: bool,
    output: str,
    number: int | None,
) -> None:
    """Show a blueprint: services, and workflows with their expanded step sequences.

    The JSON output is the normalised blueprint (all 'extends' resolved, sequences filled
    in); it validates against 'usm-config schema' and can be loaded again. With --workflow N,
    --output mermaid, dot or svg draws that workflow (process lanes, steps in order, forks,
    statuses and SLA clocks) in the blueprint's language, to paste into a wiki or a pull
    request (GitHub renders Mermaid).

    \b
    Example:
      usm-config show blueprints/usm-reference.yaml --output json > reference.json
      usm-config show blueprints/examples/municipality --workflow 3 --output mermaid
      usm-config show blueprints/examples/municipality --target sandbox-test
    """
    if (number is None) != (output not in DIAGRAMS):
        raise Failure(
            f"--output {output} needs --workflow N"
            if number is None
            else f"--workflow selects the workflow to draw; use it with --output "
            f"{', '.join(DIAGRAMS[:-1])} or {DIAGRAMS[-1]}"
        )
    target = target_for(target_name, targets_file)
    blueprint, result = load_or_fail(path, strict=strict, target=target)
    if number is not None:
        workflow = next((wf for wf in blueprint.workflows if wf.number == number), None)
        if workflow is None:
            numbers = ", ".join(str(wf.number) for wf in blueprint.workflows) or "none"
            raise Failure(
                f"{result.location(('workflows',))}: the blueprint has no workflow {number}; "
                f"its workflows are {numbers}"
            )
        flow = workflow_flow(blueprint, workflow)
        if output == "mermaid":
            click.echo(render_mermaid(flow), nl=False)
        elif output == "dot":
            click.echo(render_dot(flow), nl=False)
        else:
            click.echo(render_svg(layout_flow(flow), ident=f"wf{number}"), nl=False)
    elif output == "json":
        click.echo(json.dumps(normalised(blueprint), indent=2, ensure_ascii=False))
    else:
        overlays = [display_path(p) for p in target.overlay_paths] if target else []
        label = display_path(path) + (f" with overlay(s) {', '.join(overlays)}" if overlays else "")
        click.echo(render_text(blueprint, label), nl=False)


@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the schema to this file instead of standard output.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Check each FILE on its own against the schema instead (as editors do); exit 1 on "
    "any problem.",
)
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def schema(out: Path | None, check: bool, files: tuple[Path, ...]) -> None:
    """Print the blueprint's JSON Schema (draft 2020-12) for editors and CI.

    Editors with the YAML language server pick it up from a first line such as
    '# yaml-language-server: $schema=../schema/usm-blueprint.schema.json'. With --check,
    each FILE (a blueprint file, a file of a blueprint directory, an overlay) is checked on
    its own against the schema, every problem located (the pre-commit hook does this).

    \b
    Example:
      usm-config schema --out schema/usm-blueprint.schema.json
      usm-config schema --check blueprints/examples/university.yaml
    """
    if check:
        if out is not None:
            raise Failure("--check and --out do not go together")
        _check_schema(files)
        return
    if files:
        raise Failure("FILES are checked only with --check")
    text = blueprint_schema_text()
    if out is None:
        click.echo(text, nl=False)
    else:
        with handled_errors():
            out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {display_path(out)}")


def _check_schema(files: tuple[Path, ...]) -> None:
    diagnostics = check_files(files)
    print_diagnostics(diagnostics)
    if any(d.severity == Severity.ERROR for d in diagnostics):
        raise Failure(
            f"{len({d.location.file for d in diagnostics})} file(s) do not match the schema"
        )
    click.echo(f"{len(files)} file(s) match the schema")
