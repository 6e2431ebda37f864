"""Priorities (jira.md §7.2, §7.4): an unpaged list, a paged search, create, update, a move
that reorders them, and a delete that answers 303 with the ``Location`` of the async task doing
it. Lists come in the priorities' order, which sorts issues by priority; a new priority comes
last."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_jsm.sandbox.errors import JiraApiError
from usm_jsm.sandbox.paging import page_bean
from usm_jsm.sandbox.platform_common import (
    V3,
    json_object,
    moved,
    no_content,
    ok,
    placement,
    query_list,
    rest_url,
    string_field,
)
from usm_jsm.sandbox.site import PRIORITY, Endpoint, Row, Site, public, require

__all__ = ["ENDPOINTS"]


def _priority_json(request: Request, row: Row) -> dict[str, Any]:
    body = {"self": rest_url(request, f"priority/{row['id']}"), **public(row)}
    if str(row.get("iconUrl", "")).startswith("/"):
        body["iconUrl"] = str(request.base_url).rstrip("/") + row["iconUrl"]
    return body


def _priority(site: Site, request: Request) -> Row:
    priority_id = request.path_params["id"]
    return require(site.get(PRIORITY, priority_id), f"Priority with ID {priority_id} not found.")


def _check_name(site: Site, name: str, other_than: str | None) -> None:
    if site.name_taken(PRIORITY, name, other_than):
        raise JiraApiError(400, [], {"name": f"The priority name '{name}' is already used."})


def _ordered(site: Site) -> list[Row]:
    """The priorities in their order: as moved last, the ones created since after them."""
    return sorted(site.rows(PRIORITY), key=lambda row: row.get("_position", int(row["id"])))


async def list_priorities(request: Request, site: Site) -> Response:
    return ok([_priority_json(request, row) for row in _ordered(site)])


async def get_priority(request: Request, site: Site) -> Response:
    return ok(_priority_json(request, _priority(site, request)))


async def search_priorities(request: Request, site: Site) -> Response:
    wanted = query_list(request, "id")
    name = (request.query_params.get("priorityName") or "").casefold()
    only_default = request.query_params.get("onlyDefault", "").lower() == "true"
    rows = [
        _priority_json(request, row)
        for row in _ordered(site)
        if (not wanted or row["id"] in wanted)
        and name in row["name"].casefold()
        and (not only_default or row.get("isDefault"))
    ]
    return ok(page_bean(request, rows, "GET /priority/search"))


async def create_priority(request: Request, site: Site) -> Response:
    body = await json_object(request)
    name = string_field(body, "name", required=True, max_length=60)
    color = string_field(body, "statusColor", required=True)
    assert name is not None
    _check_name(site, name, None)
    row = site.insert(
        PRIORITY,
        {
            "name": name,
            "statusColor": color,
            "description": body.get("description") or "",
            "iconUrl": body.get("iconUrl") or "/images/icons/priorities/medium.svg",
            "isDefault": False,
        },
    )
    return ok({"id": row["id"]}, status=201)


async def update_priority(request: Request, site: Site) -> Response:
    row = _priority(site, request)
    body = await json_object(request)
    fields = ("name", "statusColor", "description", "iconUrl")
    changes: dict[str, Any] = {k: body[k] for k in fields if k in body}
    if "name" in changes:
        _check_name(site, str(changes["name"]), row["id"])
    site.replace(PRIORITY, {**row, **changes})
    return no_content()


async def move_priorities(request: Request, site: Site) -> Response:
    """``PUT /priority/move`` (``ReorderIssuePriorities``): ``ids`` in their order, placed
    after the priority ``after`` or at ``position`` First or Last."""
    body = await json_object(request)
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise JiraApiError(400, [], {"ids": "The list of priority IDs to move is required."})
    if len(set(ids)) != len(ids) or body.get("after") in ids:
        raise JiraApiError(400, ["The list of IDs can't contain duplicates or the after ID."])
    after, position = placement(body)
    order = [row["id"] for row in _ordered(site)]
    for wanted in [*ids, *([after] if after is not None else [])]:
        if wanted not in order:
            raise JiraApiError(404, [f"Priority with ID {wanted} not found."])
    for index, priority_id in enumerate(moved(order, ids, after, position)):
        row = site.get(PRIORITY, priority_id)
        assert row is not None
        site.replace(PRIORITY, {**row, "_position": index})
    return no_content()


async def delete_priority(request: Request, site: Site) -> Response:
    row = _priority(site, request)
    if row.get("isDefault"):
        raise JiraApiError(400, ["The default priority can't be deleted."])
    site.delete(PRIORITY, row["id"])
    task = site.start_task(f"Deleting priority {row['name']}")
    location = rest_url(request, f"task/{task['id']}")
    return ok({"self": location, **public(task)}, status=303, headers={"Location": location})


ENDPOINTS = [
    Endpoint(f"{V3}/priority", ("GET",), list_priorities),
    Endpoint(f"{V3}/priority", ("POST",), create_priority),
    Endpoint(f"{V3}/priority/search", ("GET",), search_priorities),
    Endpoint(f"{V3}/priority/move", ("PUT",), move_priorities),
    Endpoint(f"{V3}/priority/{{id}}", ("GET",), get_priority),
    Endpoint(f"{V3}/priority/{{id}}", ("PUT",), update_priority),
    Endpoint(f"{V3}/priority/{{id}}", ("DELETE",), delete_priority),
]
