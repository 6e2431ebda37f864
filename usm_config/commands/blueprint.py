"""validate, show and schema: commands that need only a blueprint."""

from __future__ import annotations

import json
from pathlib import Path

import click

from usm_config.blueprint.schema import blueprint_schema_text
from usm_config.commands.common import (
    PATH_ARG,
    STRICT_OPT,
    load_or_fail,
)
from usm_config.diagnostics import display_path
from usm_config.render.blueprint_text import render_text


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
