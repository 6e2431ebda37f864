"""The raw answers of the TOPdesk emulator (status, media type, body) for one scripted
session, compared with a golden transcript: every error envelope, the paging statuses and the
list shapes in one reviewable file. Ids the emulator draws are shown as ``<id-N>``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from support import assert_golden
from topdesk_sandbox_support import BRANCH, Api
from usm_topdesk.sandbox import create_app
from usm_topdesk.sandbox.baseline import baseline

GOLDEN = Path(__file__).parent / "golden" / "envelopes.txt"
REASON = baseline()["tables"]["archiving_reason"][0]["id"]
KB = "/services/knowledge-base-v1"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _script(group_id: str) -> list[tuple[str, str, Any, dict[str, str]]]:
    """(method, path, body, headers-or-query) of the session after two groups exist."""
    return [
        ("GET", "version", None, {}),
        ("GET", "productVersion", None, {}),
        ("GET", "incidents/impacts", None, {}),
        ("GET", "incidents/priorities", None, {}),
        ("GET", "incidents/statuses", None, {}),
        ("POST", "incidents/impacts", {"name": "Everyone"}, {}),
        ("GET", "incidents/impacts", None, {"Accept": "application/xml"}),
        ("GET", "operatorgroups", None, {"page_size": "1"}),
        ("GET", "operatorgroups", None, {"start": "1", "page_size": "1"}),
        ("GET", "operatorgroups", None, {"start": "2", "page_size": "1"}),
        ("GET", "operatorgroups", None, {"page_size": "500"}),
        ("GET", "operatorgroups", None, {"query": "branch.name==x"}),
        (
            "POST",
            "operatorgroups",
            {"groupName": "Desk", "branch": {"id": BRANCH}, "problemManager": True},
            {},
        ),
        ("PUT", f"operatorgroups/id/{group_id}/archive", None, {}),
        ("PUT", f"operatorgroups/id/{group_id}/archive", {"id": REASON}, {}),
        ("GET", "operatorgroups/id/not-a-uuid", None, {}),
        ("POST", "departments", {"name": "IT"}, {}),
        ("POST", "departments", {"name": "IT"}, {}),
        ("POST", "operators/free_fields/1/searchlists/1", {"name": "Laptop"}, {}),
        ("POST", "operators/free_fields/1/searchlists/1", {"name": "laptop"}, {}),
        ("POST", "services", {"name": ""}, {}),
        (
            "POST",
            f"{KB}/knowledgeItems",
            {"translation": {"language": "en", "content": {"title": "x"}}},
            {},
        ),
        ("GET", "problems", None, {}),
    ]


def _render(index: int, method: str, path: str, response: Any) -> str:
    body = response.content.decode()
    if body:
        body = json.dumps(json.loads(body), indent=1, sort_keys=True)
    media = response.headers.get("content-type", "-")
    allow = f" allow={response.headers['allow']}" if "allow" in response.headers else ""
    return f"## {index:02d} {method} {path}\n{response.status_code} {media}{allow}\n{body}\n"


def test_the_raw_answers_match_the_golden_transcript() -> None:
    clock = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    api = Api(create_app(now=lambda: clock))
    first = api.ok(
        "POST", "operatorgroups", {"groupName": "Service desk", "branch": {"id": BRANCH}}
    )
    api.ok("POST", "operatorgroups", {"groupName": "Network", "branch": {"id": BRANCH}})
    parts = []
    for index, (method, path, body, extra) in enumerate(_script(first["id"]), 1):
        headers = {k: v for k, v in extra.items() if k[0].isupper()}
        query = {k: v for k, v in extra.items() if not k[0].isupper()}
        response = api.call(method, path, body, headers=headers, **query)
        shown = f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else path
        parts.append(_render(index, method, shown, response))
    known = {row["id"] for rows in baseline()["tables"].values() for row in rows}
    drawn: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        if match.group() in known:
            return match.group()
        return drawn.setdefault(match.group(), f"<id-{len(drawn) + 1}>")

    assert_golden(GOLDEN, _UUID.sub(placeholder, "\n".join(parts)))
