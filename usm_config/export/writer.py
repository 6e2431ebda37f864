"""Write an exported blueprint layer as a blueprint directory.

The layout is the one of ``blueprints/examples/municipality/``: ``organisation.yaml`` holds
``usm``, ``extends``, the organisation and its customers; ``teams.yaml``, ``services.yaml`` and
``workflows.yaml`` (call types, processes, workflows and classification) the rest. A file is
written only when it holds something. Every file starts with the schema line editors use and
says where it was exported from.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from usm_config.engine.lock import write_atomic
from usm_config.export.model import Exported

#: File name → the sections it holds, in the municipality example's layout.
LAYOUT: Mapping[str, tuple[str, ...]] = {
    "organisation.yaml": ("usm", "extends", "organisation", "profiles", "customers"),
    "teams.yaml": ("teams",),
    "schedules.yaml": ("schedules",),
    "services.yaml": ("services",),
    "workflows.yaml": ("call_types", "processes", "workflows", "classification"),
}

#: The line every exported file carries in its header (see :func:`render_files`).
EXPORTED_BY = "# Exported by usm-config from "

#: The published JSON Schema, where a checkout of usm-config keeps it (relative to the folder
#: the command runs in); the files get the editors' schema line when it is there.
SCHEMA = Path("schema") / "usm-blueprint.schema.json"


class ExportTargetError(Exception):
    """The output folder cannot take an export (a file, or a folder holding other files)."""


def _yaml() -> YAML:
    yaml = YAML()
    yaml.default_flow_style = False
    # Long texts stay on one line: a folded plain scalar leaves trailing blanks, and a pulled
    # change (--onto) should show as one changed line.
    yaml.width = 1_000_000
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    return yaml


def _relative(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()


def render_files(exported: Exported, out: Path, *, extends: Path, origin: str) -> dict[str, str]:
    """The files of the blueprint directory ``out``: name → YAML text. Pure but for resolving
    paths: ``extends`` is written relative to ``out``."""
    document: dict[str, Any] = {"usm": 1, "extends": _relative(extends, out), **exported.document}
    files: dict[str, str] = {}
    for name, sections in LAYOUT.items():
        part = {key: document[key] for key in sections if document.get(key)}
        if not part or (set(part) <= {"usm", "extends"} and name != "organisation.yaml"):
            continue
        header = []
        if SCHEMA.exists():
            header.append(f"# yaml-language-server: $schema={_relative(SCHEMA, out)}")
        header.append(f"{EXPORTED_BY}{origin}.")
        stream = io.StringIO()
        _yaml().dump(part, stream)
        files[name] = "\n".join(header) + "\n" + stream.getvalue()
    return files


def _exported(path: Path) -> bool:
    """Whether ``path`` is a file a previous export wrote: its header says so. A file of the
    same name written by hand is not replaced or removed."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            head = [handle.readline() for _ in range(3)]
    except OSError:
        return False
    return any(line.startswith(EXPORTED_BY) for line in head)


def write_directory(exported: Exported, out: Path, *, extends: Path, origin: str) -> list[Path]:
    """Write the blueprint directory ``out`` (created if missing; an existing one may hold
    only a previous export's files, which are replaced). Returns the files written."""
    if out.exists() and not out.is_dir():
        raise ExportTargetError(f"{out} is a file; give --out a folder")
    files = render_files(exported, out, extends=extends, origin=origin)
    if out.is_dir():
        strangers = sorted(
            p.name
            for p in out.iterdir()
            if p.suffix in (".yaml", ".yml") and (p.name not in LAYOUT or not _exported(p))
        )
        if strangers:
            raise ExportTargetError(
                f"{out} already holds blueprint files that are not a previous export's "
                f"({', '.join(strangers)}); export into an empty folder, or update that "
                "blueprint with --onto"
            )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in LAYOUT:
        path = out / name
        if name in files:
            write_atomic(path, files[name])
            written.append(path)
        elif path.exists():
            path.unlink()
    return written
