"""The published JSON Schema of the blueprint (draft 2020-12)."""

from __future__ import annotations

import json
from typing import Any

from usm_config.blueprint.model import BLUEPRINT_FORMAT, Blueprint

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"urn:usm-config:blueprint:{BLUEPRINT_FORMAT}"


def _without_required(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node


def blueprint_schema() -> dict[str, Any]:
    """Return the JSON Schema that every blueprint file (and ``show`` JSON) satisfies.

    It lists every key with its type and description but requires none: a file of a blueprint
    directory, or a tailoring that repeats an element's id with only the keys it changes, is
    valid on its own. Which keys are required is decided after the files are merged, by
    ``usm-config validate``.
    """
    schema = _without_required(Blueprint.model_json_schema(by_alias=True, mode="validation"))
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema}


def blueprint_schema_text() -> str:
    """The schema as stable, indented JSON text."""
    return json.dumps(blueprint_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
