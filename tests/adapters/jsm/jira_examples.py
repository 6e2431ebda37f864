"""The vendor's example answers, read at test time from Atlassian's OpenAPI documents in
``../shared/specs/jira`` (never copied into the project)."""

from __future__ import annotations

import functools
import json
from typing import Any

from support import SPECS

JIRA_SPECS = SPECS / "jira"
PLATFORM = "jira-platform-swagger-v3.v3.json"
SERVICE_DESK = "jsm-servicedesk-swagger.v3.json"


@functools.cache
def _spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((JIRA_SPECS / name).read_text(encoding="utf-8"))
    return spec


def example(spec: str, path: str) -> Any:
    """The vendor's example 200 response of ``GET path`` in the document ``spec``, decoded."""
    content = _spec(spec)["paths"][path]["get"]["responses"]["200"]["content"]
    raw = content["application/json"]["example"]
    return json.loads(raw) if isinstance(raw, str) else raw
