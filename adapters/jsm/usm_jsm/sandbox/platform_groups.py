"""Groups: create, delete, the paged bulk read and the group picker.

A group row is ``GroupDetails`` ``{groupId, name}`` keyed by ``groupId``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from usm_jsm.sandbox.errors import JiraApiError
from usm_jsm.sandbox.paging import page_bean
from usm_jsm.sandbox.platform_common import V3, json_object, ok, query_list, rest_url, string_field
from usm_jsm.sandbox.site import GROUP, Endpoint, Row, Site

__all__ = ["ENDPOINTS"]


def _details(row: Row) -> dict[str, Any]:
    return {"name": row["name"], "groupId": row["groupId"]}


async def create_group(request: Request, site: Site) -> Response:
    body = await json_object(request)
    name = string_field(body, "name", required=True, max_length=255)
    assert name is not None
    if site.find(GROUP, name=name) is not None:
        raise JiraApiError(400, ["A group with that name already exists."])
    group_id = site.new_uuid()
    row = site.insert(GROUP, {"groupId": group_id, "name": name}, group_id)
    users = {"size": 0, "items": [], "max-results": 50, "start-index": 0, "end-index": 0}
    return ok(
        {
            "name": row["name"],
            "groupId": group_id,
            "self": rest_url(request, f"group?groupId={group_id}"),
            "users": users,
            "expand": "users",
        },
        status=201,
    )


async def delete_group(request: Request, site: Site) -> Response:
    group_id = request.query_params.get("groupId")
    name = request.query_params.get("groupname")
    if group_id is None and name is None:
        raise JiraApiError(400, ["Either groupname or groupId must be given."])
    row = site.get(GROUP, group_id) if group_id else site.find(GROUP, name=name)
    if row is None:
        raise JiraApiError(404, [f"Group '{group_id or name}' does not exist."])
    site.delete(GROUP, row["groupId"])
    return Response(status_code=200)


async def bulk_groups(request: Request, site: Site) -> Response:
    ids = query_list(request, "groupId")
    names = {n.casefold() for n in query_list(request, "groupName")}
    rows = [
        _details(row)
        for row in site.rows(GROUP)
        if (not ids or row["groupId"] in ids) and (not names or row["name"].casefold() in names)
    ]
    return ok(page_bean(request, rows, "GET /group/bulk"))


async def group_picker(request: Request, site: Site) -> Response:
    query = (request.query_params.get("query") or "").casefold()
    limit = int(request.query_params.get("maxResults") or 20)
    matches = [row for row in site.rows(GROUP) if query in row["name"].casefold()]
    shown = matches[:limit]
    return ok(
        {
            "header": f"Showing {len(shown)} of {len(matches)} matching groups",
            "total": len(matches),
            "groups": [
                {
                    "name": row["name"],
                    "html": quote(row["name"], safe=" "),
                    "labels": [],
                    "groupId": row["groupId"],
                }
                for row in shown
            ],
        }
    )


ENDPOINTS = [
    Endpoint(f"{V3}/group", ("POST",), create_group),
    Endpoint(f"{V3}/group", ("DELETE",), delete_group),
    Endpoint(f"{V3}/group/bulk", ("GET",), bulk_groups),
    Endpoint(f"{V3}/groups/picker", ("GET",), group_picker),
]
