"""Check YAML files one by one against the published JSON Schema, as editors do.

``usm-config validate`` checks a merged blueprint; this checks each file on its own (a file of
a blueprint directory, a tailoring, an overlay) against ``usm-config schema``, the same check
the YAML language server makes while typing, so a pre-commit hook or a CI step can make it on
every changed file. Problems are located diagnostics like the loader's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from usm_config.blueprint.schema import blueprint_schema
from usm_config.diagnostics import (
    Diagnostic,
    Location,
    Severity,
    did_you_mean,
    display_path,
    locate,
)
from usm_config.yamlsource import parse_file, to_plain, walk

SCHEMA_FILE = "schema/usm-blueprint.schema.json"


@cache
def _validator() -> Any:
    return Draft202012Validator(blueprint_schema())


def _path_text(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _hint(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"remove it or fix its spelling; allowed keys here: {allowed}"
    if error.validator == "enum":
        return "use one of: " + ", ".join(str(v) for v in error.validator_value)
    return f"see the description of this key in {SCHEMA_FILE} ('usm-config schema')"


def _deepest(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf, the alternative that got furthest explains the problem best."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def check_file(path: Path) -> list[Diagnostic]:
    """Every place where the YAML file at ``path`` does not satisfy the blueprint schema."""
    tree, diagnostics = parse_file(path)
    if tree is None or any(d.severity == Severity.ERROR for d in diagnostics):
        return diagnostics or [
            Diagnostic(
                Severity.ERROR,
                "LOAD003",
                "the file is empty",
                Location(display_path(path), 1, 1),
                "",
                "remove it, or start it with a blueprint key such as 'usm: 1'",
            )
        ]
    index = dict(walk(tree))
    for error in sorted(_validator().iter_errors(to_plain(tree)), key=lambda e: e.json_path):
        shown = _deepest(error)
        where = tuple(shown.absolute_path)
        problems = [(where, shown.message)]
        if shown.validator == "additionalProperties" and isinstance(shown.instance, dict):
            allowed = shown.schema.get("properties", {})
            problems = [
                ((*where, key), f"unknown key '{key}'{did_you_mean(key, allowed)}")
                for key in _unknown_keys(shown.instance, shown.schema)
            ]
        diagnostics.extend(
            Diagnostic(
                Severity.ERROR,
                "JSONSCHEMA",
                message,
                locate(index, at),
                _path_text(at),
                _hint(shown),
            )
            for at, message in problems
        )
    return diagnostics


def _unknown_keys(instance: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return [
        key
        for key in instance
        if key not in schema.get("properties", {}) and not any(p.search(key) for p in patterns)
    ]


def check_files(paths: Iterable[Path]) -> list[Diagnostic]:
    """:func:`check_file` for each path, in order."""
    return [d for path in paths for d in check_file(path)]
