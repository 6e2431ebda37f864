"""Issue types and issue type schemes (jira.md §1.5).

An issue type row is ``IssueTypeDetails`` without links; an issue type scheme row is an
``IssueTypeScheme`` plus ``_issueTypeIds`` (its members, in order). The site's default scheme
(``isDefault``) holds every global issue type. A project keeps its scheme in
``_issueTypeSchemeId``; without one it uses the default scheme.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_jsm.sandbox.errors import JiraApiError
from usm_jsm.sandbox.paging import page_bean
from usm_jsm.sandbox.platform_common import (
    V3,
    as_list,
    ids_in,
    json_object,
    no_content,
    ok,
    projects_by_scheme,
    query_list,
    rest_url,
    string_field,
)
from usm_jsm.sandbox.site import (
    ISSUE_TYPE,
    ISSUE_TYPE_SCHEME,
    PROJECT,
    Endpoint,
    Row,
    Site,
    public,
    require,
)

__all__ = ["ENDPOINTS", "issue_type_json", "scheme_of_project"]

#: The avatars Jira gives new standard and sub-task issue types.
_DEFAULT_AVATARS = {0: 10318, -1: 10316}


def issue_type_json(request: Request, row: Row) -> dict[str, Any]:
    """``IssueTypeDetails`` with its links."""
    body = {"self": rest_url(request, f"issuetype/{row['id']}"), **public(row)}
    icon = str(row.get("iconUrl", ""))
    if icon.startswith("/"):
        body["iconUrl"] = str(request.base_url).rstrip("/") + icon
    return body


def scheme_of_project(site: Site, project: Row) -> Row:
    """The issue type scheme ``project`` uses (the default scheme when it has none)."""
    scheme_id = project.get("_issueTypeSchemeId")
    scheme = site.get(ISSUE_TYPE_SCHEME, scheme_id) if scheme_id is not None else None
    scheme = scheme or site.find(ISSUE_TYPE_SCHEME, isDefault=True)
    if scheme is None:
        raise JiraApiError(500, ["The site has no default issue type scheme."])
    return scheme


def _default_scheme(site: Site) -> Row | None:
    return site.find(ISSUE_TYPE_SCHEME, isDefault=True)


def _issue_type(site: Site, request: Request) -> Row:
    type_id = request.path_params["id"]
    return require(site.get(ISSUE_TYPE, type_id), f"Issue type with id '{type_id}' not found.")


def _check_unique(site: Site, name: str, other_than: str | None) -> None:
    if site.name_taken(ISSUE_TYPE, name, other_than):
        raise JiraApiError(409, [f"An issue type with the name '{name}' already exists."])


async def list_issue_types(request: Request, site: Site) -> Response:
    return ok([issue_type_json(request, row) for row in site.rows(ISSUE_TYPE)])


async def get_issue_type(request: Request, site: Site) -> Response:
    return ok(issue_type_json(request, _issue_type(site, request)))


async def create_issue_type(request: Request, site: Site) -> Response:
    body = await json_object(request)
    name = string_field(body, "name", required=True, max_length=60)
    assert name is not None
    level = body.get("hierarchyLevel", -1 if body.get("type") == "subtask" else 0)
    if level not in (-1, 0):
        raise JiraApiError(400, [], {"hierarchyLevel": "The hierarchy level must be -1 or 0."})
    _check_unique(site, name, None)
    type_id = site.new_id(ISSUE_TYPE)
    avatar = _DEFAULT_AVATARS[level]
    row = site.insert(
        ISSUE_TYPE,
        {
            "id": type_id,
            "name": name,
            "untranslatedName": name,
            "description": body.get("description") or "",
            "iconUrl": f"/rest/api/2/universal_avatar/view/type/issuetype/avatar/{avatar}"
            "?size=medium",
            "subtask": level == -1,
            "avatarId": avatar,
            "hierarchyLevel": level,
        },
    )
    default = _default_scheme(site)
    if default is not None:
        members = [*default.get("_issueTypeIds", []), type_id]
        site.replace(ISSUE_TYPE_SCHEME, {**default, "_issueTypeIds": members})
    return ok(issue_type_json(request, row), status=201)


async def update_issue_type(request: Request, site: Site) -> Response:
    row = _issue_type(site, request)
    body = await json_object(request)
    name = string_field(body, "name", max_length=60) or row["name"]
    _check_unique(site, name, row["id"])
    changes: dict[str, Any] = {"name": name, "untranslatedName": name}
    if "description" in body:
        changes["description"] = body["description"] or ""
    if "avatarId" in body:
        changes["avatarId"] = body["avatarId"]
    return ok(issue_type_json(request, site.replace(ISSUE_TYPE, {**row, **changes})))


async def delete_issue_type(request: Request, site: Site) -> Response:
    row = _issue_type(site, request)
    for scheme in site.rows(ISSUE_TYPE_SCHEME):
        if row["id"] in scheme.get("_issueTypeIds", []):
            members = [i for i in scheme["_issueTypeIds"] if i != row["id"]]
            site.replace(ISSUE_TYPE_SCHEME, {**scheme, "_issueTypeIds": members})
    site.delete(ISSUE_TYPE, row["id"])
    return no_content()


# ---------------------------------------------------------------------- schemes


def _scheme(site: Site, request: Request) -> Row:
    scheme_id = request.path_params["issueTypeSchemeId"]
    return require(
        site.get(ISSUE_TYPE_SCHEME, scheme_id), f"Issue type scheme {scheme_id} not found."
    )


def _scheme_json(scheme: Row) -> dict[str, Any]:
    return public(scheme)


def _check_types(site: Site, type_ids: list[str]) -> None:
    for type_id in type_ids:
        if site.get(ISSUE_TYPE, type_id) is None:
            raise JiraApiError(400, [f"Issue type with id '{type_id}' does not exist."])
    if len(set(type_ids)) != len(type_ids):
        raise JiraApiError(400, ["The list of issue type ids contains duplicates."])


async def list_schemes(request: Request, site: Site) -> Response:
    wanted = query_list(request, "id")
    rows = [s for s in site.rows(ISSUE_TYPE_SCHEME) if not wanted or s["id"] in wanted]
    return ok(page_bean(request, [_scheme_json(s) for s in rows], "GET /issuetypescheme"))


async def create_scheme(request: Request, site: Site) -> Response:
    body = await json_object(request)
    name = string_field(body, "name", required=True, max_length=255)
    type_ids = ids_in(as_list(body, "issueTypeIds", required=True))
    if not type_ids:
        raise JiraApiError(400, [], {"issueTypeIds": "At least one issue type is required."})
    _check_types(site, type_ids)
    default = body.get("defaultIssueTypeId")
    if default is not None and str(default) not in type_ids:
        raise JiraApiError(400, ["The default issue type must be one of the scheme's types."])
    if site.find(ISSUE_TYPE_SCHEME, name=name) is not None:
        raise JiraApiError(409, [f"An issue type scheme with the name '{name}' already exists."])
    row: dict[str, Any] = {"name": name, "description": body.get("description") or ""}
    if default is not None:
        row["defaultIssueTypeId"] = str(default)
    row.update({"isDefault": False, "_issueTypeIds": type_ids})
    created = site.insert(ISSUE_TYPE_SCHEME, row)
    return ok({"issueTypeSchemeId": created["id"]}, status=201)


async def update_scheme(request: Request, site: Site) -> Response:
    scheme = _scheme(site, request)
    body = await json_object(request)
    changes: dict[str, Any] = {}
    if "name" in body:
        name = string_field(body, "name", required=True, max_length=255)
        if site.name_taken(ISSUE_TYPE_SCHEME, name, scheme["id"]):
            raise JiraApiError(409, [f"An issue type scheme with the name '{name}' exists."])
        changes["name"] = name
    if "description" in body:
        changes["description"] = body["description"] or ""
    if body.get("defaultIssueTypeId") is not None:
        default = str(body["defaultIssueTypeId"])
        if default not in scheme.get("_issueTypeIds", []):
            raise JiraApiError(400, ["The default issue type must be one of the scheme's types."])
        changes["defaultIssueTypeId"] = default
    site.replace(ISSUE_TYPE_SCHEME, {**scheme, **changes})
    return no_content()


async def delete_scheme(request: Request, site: Site) -> Response:
    scheme = _scheme(site, request)
    if scheme.get("isDefault"):
        raise JiraApiError(400, ["The default issue type scheme can't be deleted."])
    for project in site.rows(PROJECT):
        if project.get("_issueTypeSchemeId") == scheme["id"]:
            site.replace(PROJECT, {**project, "_issueTypeSchemeId": None})
    site.delete(ISSUE_TYPE_SCHEME, scheme["id"])
    return no_content()


async def add_issue_types(request: Request, site: Site) -> Response:
    scheme = _scheme(site, request)
    body = await json_object(request)
    type_ids = ids_in(as_list(body, "issueTypeIds", required=True))
    _check_types(site, type_ids)
    members = list(scheme.get("_issueTypeIds", []))
    if any(type_id in members for type_id in type_ids):
        raise JiraApiError(400, ["The issue type scheme already contains one of the issue types."])
    site.replace(ISSUE_TYPE_SCHEME, {**scheme, "_issueTypeIds": [*members, *type_ids]})
    return no_content()


async def remove_issue_type(request: Request, site: Site) -> Response:
    scheme = _scheme(site, request)
    type_id = request.path_params["issueTypeId"]
    members = list(scheme.get("_issueTypeIds", []))
    if scheme.get("isDefault"):
        raise JiraApiError(400, ["Issue types can't be removed from the default scheme."])
    if type_id not in members:
        raise JiraApiError(404, [f"The issue type {type_id} is not in the scheme."])
    if len(members) == 1:
        raise JiraApiError(400, ["An issue type scheme keeps at least one issue type."])
    changes: dict[str, Any] = {"_issueTypeIds": [i for i in members if i != type_id]}
    if scheme.get("defaultIssueTypeId") == type_id:
        changes["defaultIssueTypeId"] = None
    site.replace(ISSUE_TYPE_SCHEME, {**scheme, **changes})
    return no_content()


async def scheme_mappings(request: Request, site: Site) -> Response:
    wanted = query_list(request, "issueTypeSchemeId")
    values = [
        {"issueTypeSchemeId": scheme["id"], "issueTypeId": type_id}
        for scheme in site.rows(ISSUE_TYPE_SCHEME)
        if not wanted or scheme["id"] in wanted
        for type_id in scheme.get("_issueTypeIds", [])
    ]
    return ok(page_bean(request, values, "GET /issuetypescheme/mapping"))


async def project_schemes(request: Request, site: Site) -> Response:
    values = [
        {"issueTypeScheme": _scheme_json(scheme), "projectIds": ids}
        for scheme, ids in projects_by_scheme(request, site, scheme_of_project)
    ]
    return ok(page_bean(request, values, "GET /issuetypescheme/project"))


async def assign_to_project(request: Request, site: Site) -> Response:
    body = await json_object(request)
    scheme = require(
        site.get(ISSUE_TYPE_SCHEME, str(body.get("issueTypeSchemeId"))),
        f"Issue type scheme {body.get('issueTypeSchemeId')} not found.",
    )
    project = require(
        site.get(PROJECT, str(body.get("projectId"))), f"Project {body.get('projectId')} not found."
    )
    site.replace(PROJECT, {**project, "_issueTypeSchemeId": scheme["id"]})
    return no_content()


_SCHEME = f"{V3}/issuetypescheme/{{issueTypeSchemeId}}"

ENDPOINTS = [
    Endpoint(f"{V3}/issuetype", ("GET",), list_issue_types),
    Endpoint(f"{V3}/issuetype", ("POST",), create_issue_type),
    Endpoint(f"{V3}/issuetype/{{id}}", ("GET",), get_issue_type),
    Endpoint(f"{V3}/issuetype/{{id}}", ("PUT",), update_issue_type),
    Endpoint(f"{V3}/issuetype/{{id}}", ("DELETE",), delete_issue_type),
    Endpoint(f"{V3}/issuetypescheme", ("GET",), list_schemes),
    Endpoint(f"{V3}/issuetypescheme", ("POST",), create_scheme),
    Endpoint(f"{V3}/issuetypescheme/mapping", ("GET",), scheme_mappings),
    Endpoint(f"{V3}/issuetypescheme/project", ("GET",), project_schemes),
    Endpoint(f"{V3}/issuetypescheme/project", ("PUT",), assign_to_project),
    Endpoint(_SCHEME, ("PUT",), update_scheme),
    Endpoint(_SCHEME, ("DELETE",), delete_scheme),
    Endpoint(f"{_SCHEME}/issuetype", ("PUT",), add_issue_types),
    Endpoint(f"{_SCHEME}/issuetype/{{issueTypeId}}", ("DELETE",), remove_issue_type),
]
