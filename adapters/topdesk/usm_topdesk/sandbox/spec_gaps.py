"""The reconstructed TOPdesk specs, loaded for request checks, with their known gaps filled.

The saved OpenAPI documents (``../shared/specs/topdesk/reconstructed``, see its SOURCE.txt)
lost some ``$ref`` targets: the knowledge base's ``#/components/parameters/*`` and
``#/components/requestBodies/*``, and ten supporting-files request bodies
(``UpdateOperatorGroupDto``, ``ArchivingReasonIdentifiableDto``, ...). Left dangling, a check
would call every knowledge-base query parameter undeclared and every such body undeclared.
:func:`load_specs` fills them:

* a dangling parameter becomes the parameter its reference names (``start``, ``page_size``,
  ``fields``, ``query``, ``language`` in the query; identifiers in the path);
* the knowledge-item create body gets the schema topdesk.md §3.9 documents (``parent`` and
  ``translation`` required);
* any other dangling body becomes "a JSON object", so its presence is checked but not its
  fields (the emulator's handlers still validate them).

The documents also lost responses: :data:`UNDOCUMENTED_STATUSES` names what TOPdesk answers
beyond them.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from usm_config.sandbox.openapi_check import OpenApiRequestChecker

__all__ = ["SPEC_FILES", "checker_for", "load_specs"]

#: The modules the emulator serves, as files of the reconstructed spec folder.
SPEC_FILES = (
    "general-1.2.0.openapi.json",
    "incident-4.2.6.openapi.json",
    "supporting-files-2.7.11.openapi.json",
    "services-1.3.7.openapi.json",
    "knowledge-base-after-explorer-migration.openapi.json",
    "change-1.4.0.openapi.json",
    "operations-management-1.10.0.openapi.json",
)

_PARAMETERS: Mapping[str, tuple[str, str]] = {
    "start": ("start", "query"),
    "page_size": ("page_size", "query"),
    "fields": ("fields", "query"),
    "folder_fields": ("fields", "query"),
    "query": ("query", "query"),
    "folder_query": ("query", "query"),
    "language_query": ("language", "query"),
    "folder_language_query": ("language", "query"),
    "identifier": ("identifier", "path"),
    "folderIdentifier": ("identifier", "path"),
    "language": ("language", "path"),
    "attachmentIdentifier": ("attachmentIdentifier", "path"),
    "fileName": ("imageName", "path"),
}

_REFERENCE = {"type": "object", "properties": {"id": {"type": "string"}, "number": {}}}
_CREATE_KNOWLEDGE_ITEM: Mapping[str, Any] = {
    "type": "object",
    "required": ["parent", "translation"],
    "properties": {
        "parent": _REFERENCE,
        "translation": {
            "type": "object",
            "required": ["language", "content"],
            "properties": {
                "language": {"type": "string"},
                "content": {
                    "type": "object",
                    "required": ["title"],
                    "properties": {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "content": {"type": "string"},
                        "commentsForOperators": {"type": "string"},
                        "keywords": {"type": "string"},
                    },
                },
            },
        },
        "visibility": {"type": "object"},
        "status": _REFERENCE,
        "manager": _REFERENCE,
        "externalLink": {"type": "object"},
    },
}


def _body(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": dict(schema)}}}


def _fill(document: dict[str, Any]) -> dict[str, Any]:
    components = document.get("components", {})
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            params = operation.get("parameters", [])
            for index, param in enumerate(params):
                ref = param.get("$ref", "") if isinstance(param, dict) else ""
                name = ref.rsplit("/", 1)[-1]
                dangling = ref.startswith("#/components/parameters/") and name not in (
                    components.get("parameters") or {}
                )
                if dangling and name in _PARAMETERS:
                    real, where = _PARAMETERS[name]
                    params[index] = {
                        "name": real,
                        "in": where,
                        "required": where == "path",
                        "schema": {"type": "string"},
                    }
            body = operation.get("requestBody")
            ref = body.get("$ref", "") if isinstance(body, dict) else ""
            name = ref.rsplit("/", 1)[-1]
            if ref.startswith("#/components/requestBodies/") and name not in (
                components.get("requestBodies") or {}
            ):
                schema = (
                    _CREATE_KNOWLEDGE_ITEM
                    if name == "CreateKnowledgeItemRequest"
                    else {"type": ["object", "array"]}
                )
                operation["requestBody"] = _body(schema)
    return document


@functools.cache
def _load(path: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return _fill(document)


def load_specs(spec_dir: Path) -> list[dict[str, Any]]:
    """The served modules' documents from ``spec_dir``, gaps filled (copies)."""
    return [copy.deepcopy(_load(str((spec_dir / name).resolve()))) for name in SPEC_FILES]


#: Statuses TOPdesk answers that the reconstructed documents lost: a knowledge-base list with
#: nothing (more) to show answers 204, as the other ``start``/``page_size`` lists do
#: (topdesk.md §2.4).
UNDOCUMENTED_STATUSES: Mapping[str, frozenset[int]] = {
    f"GET /services/knowledge-base-v1/{name}": frozenset({204})
    for name in ("knowledgeItems", "folders")
}


@functools.cache
def _checker(spec_dir: str) -> OpenApiRequestChecker:
    return OpenApiRequestChecker(load_specs(Path(spec_dir)), extra_statuses=UNDOCUMENTED_STATUSES)


def checker_for(spec_dir: Path) -> OpenApiRequestChecker:
    """One checker per spec folder and process (building it indexes about 1.5 MB of JSON)."""
    return _checker(str(spec_dir.resolve()))
