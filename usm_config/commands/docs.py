"""docs: write a blueprint's catalogue, a static HTML site for everyone who reads it."""

from __future__ import annotations

from pathlib import Path

import click

from usm_config.adapter import installed_adapters, load_adapter
from usm_config.commands.common import PATH_ARG, STRICT_OPT, Failure, handled_errors, load_or_fail
from usm_config.diagnostics import display_path
from usm_config.render.site.build import build_site
from usm_config.render.site.folder import SiteFolderError


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise Failure(
            f"{display_path(out)}: --out is a file, not a directory; "
            "choose a directory (it is created when missing)"
        )


@click.command()
@PATH_ARG
@STRICT_OPT
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=True, dir_okay=True),
    help="Directory to write the site into (created when missing; a previous run's pages there "
    "are replaced, other files are left alone).",
)
def docs(path: Path, strict: bool, out: Path) -> None:
    """Write the blueprint as a static HTML catalogue, in the blueprint's language.

    An overview with the process model, a page per workflow (its diagram, step sequence,
    SLA clocks, activities, RACI tables and work instructions), a page per service, teams,
    customers, schedules, classification, and where each element lands in every installed
    adapter. Every page links the blueprint file and line it comes from. The site needs no
    JavaScript: open index.html from disk or serve the directory.

    \b
    Example:
      usm-config docs blueprints/examples/municipality --out site/
    """
    _check_out(out)
    _, result = load_or_fail(path, strict=strict)
    with handled_errors():
        adapters = [load_adapter(name) for name in sorted(installed_adapters())]
    try:
        written = build_site(result, display_path(path), out, adapters)
    except SiteFolderError as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(
            f"{display_path(out)}: cannot write the site: {exc.strerror or exc}; "
            "check the directory and its permissions"
        ) from None
    click.echo(f"wrote {len(written)} files to {display_path(out)} (open index.html)")
