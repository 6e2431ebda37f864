"""validate, show and schema: commands that need only a blueprint."""

from __future__ import annotations

import json
from pathlib import Path

import click

from usm_config.blueprint.schema import blueprint_schema_text
from usm_config.commands.common import (
    PATH_ARG,
    STRICT_OPT,
    Failure,
    load_or_fail,
)
from usm_config.diagnostics import display_path
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
@STRICT_OPT
def validate(path: Path, strict: bool) -> None:
    """Check a blueprint file or directory; exit 0 when valid, 1 when not.

    Every problem is reported with file:line:column, what is wrong and how to fix it.

    \b
    Example:
      usm-config validate blueprints/examples/municipality --strict
    """
    blueprint, result = load_or_fail(path, strict=strict)
    click.echo(
        f"{display_path(path)}: valid ({len(blueprint.services)} services, "
        f"{len(blueprint.workflows)} workflows, {len(result.files)} file(s))"
    )


@click.command()
@PATH_ARG
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
def show(path: Path, strict: bool, output: str, number: int | None) -> None:
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
    """
    if (number is None) != (output not in DIAGRAMS):
        raise Failure(
            f"--output {output} needs --workflow N"
            if number is None
            else f"--workflow selects the workflow to draw; use it with --output "
            f"{', '.join(DIAGRAMS[:-1])} or {DIAGRAMS[-1]}"
        )
    blueprint, result = load_or_fail(path, strict=strict)
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
        data = blueprint.model_dump(mode="json", by_alias=True, exclude_none=True)
        data.pop("extends", None)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(blueprint, display_path(path)), nl=False)


@click.command()
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
