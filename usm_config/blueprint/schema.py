"""The published JSON Schema of the blueprint (draft 2020-12)."""

from __future__ import annotations

import json
from typing import Any

from usm_config.blueprint.model import BLUEPRINT_FORMAT, Blueprint

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"urn:usm-config:blueprint:{BLUEPRINT_FORMAT}"


def blueprint_schema() -> dict[str, Any]:
    """Return the JSON Schema that every blueprint file (and ``show`` JSON) satisfies."""
    schema = Blueprint.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema}


def blueprint_schema_text() -> str:
    """The schema as stable, indented JSON text."""
    return json.dumps(blueprint_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
