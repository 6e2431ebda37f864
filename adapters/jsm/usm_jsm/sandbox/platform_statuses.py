"""Statuses: the bulk ``/statuses`` API, the legacy ``/status`` reads and ``/statuscategory``.

A status row is a ``JiraStatus``: ``{id, name, description, statusCategory, scope}`` with
``statusCategory`` one of ``TODO``, ``IN_PROGRESS``, ``DONE`` (jira.md §1.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_jsm.sandbox.errors import JiraApiError
from usm_jsm.sandbox.paging import page_bean
from usm_jsm.sandbox.platform_common import (
    V3,
    as_list,
    json_object,
    no_content,
    ok,
    query_list,
    rest_url,
)
from usm_jsm.sandbox.site import STATUS, STATUS_CATEGORY, WORKFLOW, Endpoint, Row, Site, public

__all__ = [
    "CATEGORY_IDS",
    "ENDPOINTS",
    "check_category",
    "save_status",
    "status_in_use",
]

#: The bulk API's category names → the ids of the status categories of every site.
CATEGORY_IDS: Mapping[str, str] = {"TODO": "2", "IN_PROGRESS": "4", "DONE": "3"}


def check_category(value: Any, where: str) -> str:
    """``value`` if it names a status category, else 400."""
    if value not in CATEGORY_IDS:
        raise JiraApiError(
            400, [f"{where}: statusCategory must be one of {', '.join(CATEGORY_IDS)}."]
        )
    return str(value)


def _scope(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("type") not in ("GLOBAL", "PROJECT"):
        raise JiraApiError(400, [], {"scope": "The scope type must be GLOBAL or PROJECT."})
    if value["type"] == "PROJECT":
        project = value.get("project")
        if not isinstance(project, dict) or not project.get("id"):
            raise JiraApiError(400, [], {"scope": "A PROJECT scope needs project.id."})
        return {"type": "PROJECT", "project": {"id": str(project["id"])}}
    return {"type": "GLOBAL"}


def _name_taken(site: Site, name: str, scope: Mapping[str, Any], other_than: str | None) -> bool:
    return any(
        row["name"].casefold() == name.casefold()
        and row.get("scope") == scope
        and row["id"] != other_than
        for row in site.rows(STATUS)
    )


def save_status(
    site: Site,
    *,
    name: Any,
    category: Any,
    description: Any,
    scope: Mapping[str, Any],
    status_id: str | None = None,
) -> Row:
    """Create a status, or overwrite name, category and description of ``status_id``.

    The description is written as sent: an omitted description clears the stored one
    (jira.md §1.2, the top-level statuses of a workflow request are an upsert).
    """
    if not isinstance(name, str) or not name.strip():
        raise JiraApiError(400, [], {"name": "The status name must not be empty."})
    if len(name) > 255:
        raise JiraApiError(400, [], {"name": "The status name must be at most 255 characters."})
    check_category(category, name)
    if status_id is not None:
        current = site.get(STATUS, status_id)
        if current is None:
            raise JiraApiError(400, [f"Status with id {status_id} does not exist."])
        scope = current["scope"]
    if _name_taken(site, name, scope, status_id):
        raise JiraApiError(400, [f"Status with name '{name}' already exists."])
    row = {
        "name": name,
        "description": description if isinstance(description, str) else "",
        "statusCategory": category,
        "scope": dict(scope),
    }
    if status_id is None:
        return site.insert(STATUS, row)
    return site.replace(STATUS, row, status_id)


def status_in_use(site: Site, status_id: str) -> bool:
    """Whether any workflow holds the status."""
    return any(
        entry["statusReference"] == status_id
        for workflow in site.rows(WORKFLOW)
        for entry in workflow["statuses"]
    )


async def create_statuses(request: Request, site: Site) -> Response:
    body = await json_object(request)
    scope = _scope(body.get("scope"))
    entries = as_list(body, "statuses", required=True)
    site.check_lock()
    created = [
        save_status(
            site,
            name=entry.get("name"),
            category=entry.get("statusCategory"),
            description=entry.get("description"),
            scope=scope,
        )
        for entry in entries
        if isinstance(entry, dict)
    ]
    return ok([public(row) for row in created])


async def update_statuses(request: Request, site: Site) -> Response:
    body = await json_object(request)
    entries = [e for e in as_list(body, "statuses", required=True) if isinstance(e, dict)]
    for entry in entries:
        if site.get(STATUS, str(entry.get("id"))) is None:
            raise JiraApiError(400, [f"Status with id {entry.get('id')} does not exist."])
    site.check_lock()
    for entry in entries:
        save_status(
            site,
            name=entry.get("name"),
            category=entry.get("statusCategory"),
            description=entry.get("description"),
            scope={},
            status_id=str(entry["id"]),
        )
    return no_content()


async def statuses_by_id(request: Request, site: Site) -> Response:
    rows = [site.get(STATUS, status_id) for status_id in query_list(request, "id")]
    return ok([public(row) for row in rows if row is not None])


async def delete_statuses(request: Request, site: Site) -> Response:
    ids = query_list(request, "id")
    if not ids:
        raise JiraApiError(400, ["The id query parameter is required."])
    for status_id in ids:
        if site.get(STATUS, status_id) is None:
            raise JiraApiError(400, [f"Status with id {status_id} does not exist."])
        if status_in_use(site, status_id):
            raise JiraApiError(
                400, [f"The status with id {status_id} is used in a workflow and can't be deleted."]
            )
    site.check_lock()
    for status_id in ids:
        site.delete(STATUS, status_id)
    return no_content()


async def search_statuses(request: Request, site: Site) -> Response:
    project_id = request.query_params.get("projectId")
    text = (request.query_params.get("searchString") or "").casefold()
    category = request.query_params.get("statusCategory")
    rows = [
        public(row)
        for row in site.rows(STATUS)
        if text in row["name"].casefold()
        and (category is None or row["statusCategory"] == category)
        and (
            row["scope"]["type"] == "GLOBAL"
            if project_id is None
            else row["scope"].get("project", {}).get("id") == project_id
        )
    ]
    return ok(page_bean(request, rows, "GET /statuses/search"))


def _category_json(request: Request, site: Site, category_id: str) -> dict[str, Any]:
    row = site.get(STATUS_CATEGORY, category_id)
    if row is None:
        raise JiraApiError(404, [f"The status category with id {category_id} does not exist."])
    return {
        "self": rest_url(request, f"statuscategory/{row['id']}"),
        **public(row),
        "id": int(row["id"]),
    }


def _legacy_status(request: Request, site: Site, row: Row) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    scope = row["scope"]
    body: dict[str, Any] = {
        "self": rest_url(request, f"status/{row['id']}"),
        "description": row.get("description", ""),
        "iconUrl": f"{base}/images/icons/statuses/generic.png",
        "name": row["name"],
        "untranslatedName": row["name"],
        "id": row["id"],
        "statusCategory": _category_json(request, site, CATEGORY_IDS[row["statusCategory"]]),
    }
    if scope["type"] == "PROJECT":
        body["scope"] = scope
    return body


async def legacy_statuses(request: Request, site: Site) -> Response:
    return ok([_legacy_status(request, site, row) for row in site.rows(STATUS)])


async def legacy_status(request: Request, site: Site) -> Response:
    row = site.status(request.path_params["idOrName"])
    if row is None:
        name = request.path_params["idOrName"]
        raise JiraApiError(404, [f"The status with id or name '{name}' does not exist."])
    return ok(_legacy_status(request, site, row))


async def status_categories(request: Request, site: Site) -> Response:
    return ok([_category_json(request, site, row["id"]) for row in site.rows(STATUS_CATEGORY)])


async def status_category(request: Request, site: Site) -> Response:
    wanted = request.path_params["idOrKey"]
    row = site.get(STATUS_CATEGORY, wanted) or site.find(STATUS_CATEGORY, key=wanted)
    if row is None:
        raise JiraApiError(404, [f"The status category '{wanted}' does not exist."])
    return ok(_category_json(request, site, row["id"]))


ENDPOINTS = [
    Endpoint(f"{V3}/statuses", ("POST",), create_statuses),
    Endpoint(f"{V3}/statuses", ("PUT",), update_statuses),
    Endpoint(f"{V3}/statuses", ("GET",), statuses_by_id),
    Endpoint(f"{V3}/statuses", ("DELETE",), delete_statuses),
    Endpoint(f"{V3}/statuses/search", ("GET",), search_statuses),
    Endpoint(f"{V3}/status", ("GET",), legacy_statuses),
    Endpoint(f"{V3}/status/{{idOrName}}", ("GET",), legacy_status),
    Endpoint(f"{V3}/statuscategory", ("GET",), status_categories),
    Endpoint(f"{V3}/statuscategory/{{idOrKey}}", ("GET",), status_category),
]
