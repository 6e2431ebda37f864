"""Projects and components (jira.md §1.6, §1.8).

A project row is the ``Project`` JSON core (``id, key, name, description, projectTypeKey,
style, simplified, isPrivate, assigneeType, url``) with the lead as ``leadAccountId`` and the
bookkeeping keys ``_workflowSchemeId``, ``_issueTypeSchemeId``, ``_issueCount`` (what
``PUT /workflowscheme/project`` checks), ``_template`` and ``_properties`` (the project's entity
properties, key → JSON value). A component row is a ``ProjectComponent`` without its links
and without the users and types that follow from its lead and its project (worked out at each
read, as Jira does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_jsm.sandbox import itsm_template
from usm_jsm.sandbox.errors import JiraApiError
from usm_jsm.sandbox.paging import Rendered, page_bean
from usm_jsm.sandbox.platform_common import (
    V3,
    json_object,
    no_content,
    ok,
    query_list,
    rest_url,
    user_json,
)
from usm_jsm.sandbox.platform_issuetypes import issue_type_json, scheme_of_project
from usm_jsm.sandbox.site import (
    COMPONENT,
    ISSUE_TYPE,
    ISSUE_TYPE_SCHEME,
    PROJECT,
    WORKFLOW_SCHEME,
    Endpoint,
    Row,
    Site,
    public,
    require,
)

__all__ = ["ENDPOINTS", "PROJECT_TYPES"]

#: Project type key → the template key prefixes of that type.
PROJECT_TYPES: Mapping[str, tuple[str, ...]] = {
    "software": ("com.pyxis.greenhopper.jira:",),
    "service_desk": ("com.atlassian.servicedesk:",),
    "business": ("com.atlassian.jira-core-project-templates:",),
}
#: Scheme ids that a template sets itself, so a request may not also give them (§1.6).
_TEMPLATE_EXCLUSIVE = ("workflowScheme", "issueTypeScheme", "fieldConfigurationScheme")
_KEY = re.compile(r"[A-Z][A-Z0-9_]{1,9}")
_SUMMARY = ("id", "key", "name", "projectTypeKey", "simplified", "style", "isPrivate")
_EXPANDABLE = ("description", "lead", "issueTypes", "url", "projectKeys")


def _project(site: Site, request: Request) -> Row:
    wanted = request.path_params["projectIdOrKey"]
    return require(site.project(wanted), f"No project could be found with key '{wanted}'.")


def _avatars(request: Request, project: Row) -> dict[str, str]:
    base = str(request.base_url).rstrip("/")
    url = f"{base}/rest/api/3/universal_avatar/view/type/project/avatar/10400"
    return {size: f"{url}?size={size}" for size in ("48x48", "24x24", "16x16", "32x32")}


def _project_json(
    request: Request, site: Site, project: Row, expand: set[str] | None = None
) -> dict[str, Any]:
    """``Project``: the summary, plus every expandable part when ``expand`` is ``None``."""
    shown = set(_EXPANDABLE) if expand is None else expand
    body: dict[str, Any] = {
        "expand": ",".join(_EXPANDABLE),
        "self": rest_url(request, f"project/{project['id']}"),
        **{key: project[key] for key in _SUMMARY if key in project},
        "avatarUrls": _avatars(request, project),
        "properties": {},
    }
    if "description" in shown:
        body["description"] = project.get("description", "")
    if "lead" in shown:
        lead = site.user(project.get("leadAccountId", ""))
        if lead is not None:
            body["lead"] = user_json(request, lead)
    if "issueTypes" in shown:
        scheme = scheme_of_project(site, project)
        types = [site.get(ISSUE_TYPE, i) for i in scheme.get("_issueTypeIds", [])]
        body["issueTypes"] = [issue_type_json(request, t) for t in types if t is not None]
    if "url" in shown and project.get("url"):
        body["url"] = project["url"]
    if "projectKeys" in shown:
        body["projectKeys"] = [project["key"]]
    if expand is None:
        body["assigneeType"] = project.get("assigneeType", "UNASSIGNED")
        body["components"] = [
            _component_json(request, site, c)
            for c in site.rows(COMPONENT)
            if c["projectId"] == int(project["id"])
        ]
        body["versions"] = []
        body["roles"] = {}
    return body


def _expand(request: Request) -> set[str]:
    return {e.strip() for e in (request.query_params.get("expand") or "").split(",") if e.strip()}


async def search_projects(request: Request, site: Site) -> Response:
    ids = set(query_list(request, "id"))
    keys = {k.upper() for k in query_list(request, "keys")}
    query = (request.query_params.get("query") or "").casefold()
    type_keys = set(query_list(request, "typeKey"))
    rows = [
        p
        for p in site.rows(PROJECT)
        if (not ids or p["id"] in ids)
        and (not keys or p["key"] in keys)
        and (query in p["key"].casefold() or query in p["name"].casefold())
        and (not type_keys or p.get("projectTypeKey") in type_keys)
    ]
    order = (request.query_params.get("orderBy") or "key").lstrip("+")
    field = order.lstrip("-")
    if field in ("key", "name", "id"):
        rows.sort(key=lambda p: str(p[field]).casefold(), reverse=order.startswith("-"))
    values = [_project_json(request, site, p, _expand(request)) for p in rows]
    return ok(page_bean(request, values, "GET /project/search"))


async def all_projects(request: Request, site: Site) -> Response:
    return ok([_project_json(request, site, p, _expand(request)) for p in site.rows(PROJECT)])


async def get_project(request: Request, site: Site) -> Response:
    return ok(_project_json(request, site, _project(site, request)))


def _check_create(site: Site, body: Mapping[str, Any]) -> dict[str, str]:
    """Jira's field errors for a create, keyed as Jira keys them."""
    errors: dict[str, str] = {}
    key, name = body.get("key"), body.get("name")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        errors["projectKey"] = (
            "Project keys must start with an uppercase letter, followed by one or more "
            "uppercase alphanumeric characters, and be at most 10 characters."
        )
    elif site.find(PROJECT, key=key) is not None:
        errors["projectKey"] = (
            f"Project '{site.find(PROJECT, key=key)['name']}' uses this project key."  # type: ignore[index]
        )
    if not isinstance(name, str) or not name.strip():
        errors["projectName"] = "You must specify a valid project name."
    elif site.find(PROJECT, name=name) is not None:
        errors["projectName"] = "A project with that name already exists."
    if site.user(str(body.get("leadAccountId") or "")) is None:
        errors["projectLead"] = "You must specify a valid project lead."
    type_key = body.get("projectTypeKey")
    template = body.get("projectTemplateKey")
    if type_key not in PROJECT_TYPES:
        errors["projectTypeKey"] = "You must specify a valid project type."
    elif template is not None and not str(template).startswith(PROJECT_TYPES[str(type_key)]):
        errors["projectTemplateKey"] = "The template does not match the project type."
    return errors


async def create_project(request: Request, site: Site) -> Response:
    body = await json_object(request)
    template = body.get("projectTemplateKey")
    given = [name for name in _TEMPLATE_EXCLUSIVE if body.get(name) is not None]
    if template is not None and given:
        raise JiraApiError(400, [f"projectTemplateKey can't be combined with {', '.join(given)}."])
    errors = _check_create(site, body)
    if errors:
        raise JiraApiError(400, [], errors)
    scheme_id = body.get("workflowScheme")
    if scheme_id is not None and site.get(WORKFLOW_SCHEME, str(scheme_id)) is None:
        raise JiraApiError(400, [], {"workflowScheme": f"Workflow scheme {scheme_id} not found."})
    type_scheme_id = body.get("issueTypeScheme")
    if type_scheme_id is not None and site.get(ISSUE_TYPE_SCHEME, str(type_scheme_id)) is None:
        raise JiraApiError(400, [], {"issueTypeScheme": f"Scheme {type_scheme_id} not found."})
    row = site.insert(
        PROJECT,
        {
            "key": body["key"],
            "name": body["name"],
            "description": body.get("description") or "",
            "projectTypeKey": body["projectTypeKey"],
            "simplified": False,
            "style": "classic",
            "isPrivate": False,
            "assigneeType": body.get("assigneeType") or "UNASSIGNED",
            "url": body.get("url") or "",
            "leadAccountId": body["leadAccountId"],
            "_workflowSchemeId": None if scheme_id is None else str(scheme_id),
            "_issueTypeSchemeId": None if type_scheme_id is None else str(type_scheme_id),
            "_issueCount": 0,
            "_template": template,
        },
    )
    if template == itsm_template.template()["templateKey"]:
        itsm_template.instantiate(site, row)
    # jira.md §1.6: the answer is partial; clients re-read the project.
    return ok(
        {
            "self": rest_url(request, f"project/{row['id']}"),
            "id": int(row["id"]),
            "key": row["key"],
        },
        status=201,
    )


async def update_project(request: Request, site: Site) -> Response:
    project = _project(site, request)
    body = await json_object(request)
    refused = [name for name in ("workflowScheme", "issueTypeScheme") if name in body]
    if refused:
        raise JiraApiError(400, [f"{', '.join(refused)} can't be changed here."])
    changes: dict[str, Any] = {}
    for field in ("name", "description", "assigneeType", "url"):
        if field in body:
            changes[field] = body[field]
    if "leadAccountId" in body:
        if site.user(str(body["leadAccountId"])) is None:
            raise JiraApiError(400, [], {"projectLead": "You must specify a valid project lead."})
        changes["leadAccountId"] = body["leadAccountId"]
    if "key" in body and body["key"] != project["key"]:
        if not isinstance(body["key"], str) or not _KEY.fullmatch(body["key"]):
            raise JiraApiError(400, [], {"projectKey": "The project key is not valid."})
        if site.find(PROJECT, key=body["key"]) is not None:
            raise JiraApiError(400, [], {"projectKey": "The project key is in use."})
        changes["key"] = body["key"]
        for component in site.rows(COMPONENT):
            if component["projectId"] == int(project["id"]):
                site.replace(COMPONENT, {**component, "project": body["key"]})
    row = site.replace(PROJECT, {**project, **changes})
    return ok(_project_json(request, site, row))


# ---------------------------------------------------------------------- project properties
# Entity properties (platform API "Project properties"): JSON values apps and integrations keep
# on a project, shown nowhere in Jira's UI.

#: Largest property value Jira stores, in bytes.
_PROPERTY_LIMIT = 32768


def _properties(site: Site, request: Request) -> tuple[Row, dict[str, Any]]:
    project = _project(site, request)
    return project, dict(project.get("_properties") or {})


async def property_keys(request: Request, site: Site) -> Response:
    project, properties = _properties(site, request)
    base = rest_url(request, f"project/{project['id']}/properties")
    return ok({"keys": [{"key": key, "self": f"{base}/{key}"} for key in sorted(properties)]})


async def get_property(request: Request, site: Site) -> Response:
    _, properties = _properties(site, request)
    key = request.path_params["propertyKey"]
    if key not in properties:
        raise JiraApiError(404, [f"The property with key '{key}' does not exist."])
    return ok({"key": key, "value": properties[key]})


async def put_property(request: Request, site: Site) -> Response:
    project, properties = _properties(site, request)
    key = request.path_params["propertyKey"]
    raw = await request.body()
    if len(raw) > _PROPERTY_LIMIT:
        raise JiraApiError(400, [f"The property value exceeds {_PROPERTY_LIMIT} bytes."])
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise JiraApiError(400, ["The property value is not valid JSON."]) from None
    if len(key) > 255:
        raise JiraApiError(400, ["The property key cannot be longer than 255 characters."])
    created = key not in properties
    site.replace(PROJECT, {**project, "_properties": {**properties, key: value}})
    return ok({}, status=201 if created else 200)


async def delete_property(request: Request, site: Site) -> Response:
    project, properties = _properties(site, request)
    key = request.path_params["propertyKey"]
    if properties.pop(key, None) is None:
        raise JiraApiError(404, [f"The property with key '{key}' does not exist."])
    site.replace(PROJECT, {**project, "_properties": properties})
    return no_content()


# ---------------------------------------------------------------------- components


#: The assignee types a component may name (jira.md §1.8).
_ASSIGNEE_TYPES = ("PROJECT_DEFAULT", "COMPONENT_LEAD", "PROJECT_LEAD", "UNASSIGNED")
#: What a component row keeps; the assignees are worked out whenever it is shown.
_DERIVED = ("lead", "assignee", "realAssignee", "realAssigneeType", "isAssigneeTypeValid")


def _component_json(request: Request, site: Site, row: Row) -> dict[str, Any]:
    """``ProjectComponent``. As in Jira, who gets an issue is worked out at each read from the
    component's ``assigneeType`` and lead and the project's lead and default assignee:
    ``PROJECT_DEFAULT`` stands for the project's default (its lead, or unassigned), and a type
    without a user to match (``COMPONENT_LEAD`` with no lead) is not valid, so issues fall
    back to the project's default (``realAssigneeType``, ``realAssignee``)."""
    project = site.project(row["projectId"]) or {}
    component_lead = site.user(str(row.get("leadAccountId") or ""))
    project_lead = site.user(str(project.get("leadAccountId") or ""))
    leads = project.get("assigneeType") == "PROJECT_LEAD" and project_lead is not None
    default = "PROJECT_LEAD" if leads else "UNASSIGNED"
    users = {"COMPONENT_LEAD": component_lead, "PROJECT_LEAD": project_lead, "UNASSIGNED": None}
    nominal = str(row.get("assigneeType") or "PROJECT_DEFAULT")
    resolved = default if nominal == "PROJECT_DEFAULT" else nominal
    valid = resolved == "UNASSIGNED" or users.get(resolved) is not None
    real = resolved if valid else default
    body: dict[str, Any] = {
        "self": rest_url(request, f"component/{row['id']}"),
        **{
            key: value
            for key, value in public(row).items()
            if key not in _DERIVED and (key != "leadAccountId" or component_lead is not None)
        },
        "assigneeType": nominal,
        "isAssigneeTypeValid": valid,
        "realAssigneeType": real,
    }
    shown = {"lead": component_lead, "assignee": users.get(resolved), "realAssignee": users[real]}
    for field, user in shown.items():
        if user is not None:
            body[field] = user_json(request, user)
    return body


def _component(site: Site, request: Request) -> Row:
    component_id = request.path_params["id"]
    return require(
        site.get(COMPONENT, component_id), f"The component with id {component_id} does not exist."
    )


def _project_and_name(row: Row) -> tuple[Any, str]:
    """Component names are unique within a project, compared case-insensitively."""
    return row["projectId"], str(row["name"]).casefold()


def _check_component_name(site: Site, project_id: int, name: Any, other_than: str | None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise JiraApiError(400, [], {"name": "The component name must not be empty."})
    if len(name) > 255:
        raise JiraApiError(400, [], {"name": "The component name must be at most 255 characters."})
    clash = site.ids_by(COMPONENT, _project_and_name, (project_id, name.casefold()))
    if other_than is not None:
        clash.discard(str(other_than))
    if clash:
        raise JiraApiError(400, [], {"name": f"A component with the name {name} already exists."})
    return name


def _assignee(site: Site, body: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The component's ``assigneeType`` and ``leadAccountId`` after ``body`` (a lead of
    ``null`` removes it); what follows from them is shown, not kept (:func:`_component_json`)."""
    assignee_type = body.get("assigneeType", current.get("assigneeType") or "PROJECT_DEFAULT")
    if assignee_type not in _ASSIGNEE_TYPES:
        raise JiraApiError(
            400,
            [],
            {"assigneeType": f"The assignee type must be one of {', '.join(_ASSIGNEE_TYPES)}."},
        )
    lead = body.get("leadAccountId", current.get("leadAccountId"))
    if lead is not None and site.user(str(lead)) is None:
        raise JiraApiError(400, [], {"leadAccountId": f"The user {lead} does not exist."})
    return {"assigneeType": assignee_type, "leadAccountId": lead}


async def create_component(request: Request, site: Site) -> Response:
    body = await json_object(request)
    project = site.project(str(body.get("project") or body.get("projectId") or ""))
    if project is None:
        raise JiraApiError(404, [], {"project": "The project is not found."})
    project_id = int(project["id"])
    name = _check_component_name(site, project_id, body.get("name"), None)
    row = site.insert(
        COMPONENT,
        {
            "name": name,
            "description": body.get("description") or "",
            "project": project["key"],
            "projectId": project_id,
            **_assignee(site, body, {}),
        },
    )
    return ok(_component_json(request, site, row), status=201)


async def get_component(request: Request, site: Site) -> Response:
    return ok(_component_json(request, site, _component(site, request)))


async def update_component(request: Request, site: Site) -> Response:
    row = _component(site, request)
    body = await json_object(request)
    changes: dict[str, Any] = _assignee(site, body, row)
    if "name" in body:
        changes["name"] = _check_component_name(site, row["projectId"], body["name"], row["id"])
    if "description" in body:
        changes["description"] = body["description"] or ""
    return ok(_component_json(request, site, site.replace(COMPONENT, {**row, **changes})))


async def delete_component(request: Request, site: Site) -> Response:
    row = _component(site, request)
    site.delete(COMPONENT, row["id"])
    return no_content()


def _project_components(request: Request, site: Site) -> list[Row]:
    project = _project(site, request)
    return [c for c in site.rows(COMPONENT) if c["projectId"] == int(project["id"])]


async def project_components_page(request: Request, site: Site) -> Response:
    values = Rendered(
        _project_components(request, site),
        lambda c: {**_component_json(request, site, c), "issueCount": 0},
    )
    return ok(page_bean(request, values, "GET /project/{projectIdOrKey}/component"))


async def project_components(request: Request, site: Site) -> Response:
    return ok([_component_json(request, site, c) for c in _project_components(request, site)])


_PROJECT = f"{V3}/project/{{projectIdOrKey}}"

ENDPOINTS = [
    Endpoint(f"{V3}/project/search", ("GET",), search_projects),
    Endpoint(f"{V3}/project", ("GET",), all_projects),
    Endpoint(f"{V3}/project", ("POST",), create_project),
    Endpoint(_PROJECT, ("GET",), get_project),
    Endpoint(_PROJECT, ("PUT",), update_project),
    Endpoint(f"{_PROJECT}/properties", ("GET",), property_keys),
    Endpoint(f"{_PROJECT}/properties/{{propertyKey}}", ("GET",), get_property),
    Endpoint(f"{_PROJECT}/properties/{{propertyKey}}", ("PUT",), put_property),
    Endpoint(f"{_PROJECT}/properties/{{propertyKey}}", ("DELETE",), delete_property),
    Endpoint(f"{_PROJECT}/component", ("GET",), project_components_page),
    Endpoint(f"{_PROJECT}/components", ("GET",), project_components),
    Endpoint(f"{V3}/component", ("POST",), create_component),
    Endpoint(f"{V3}/component/{{id}}", ("GET",), get_component),
    Endpoint(f"{V3}/component/{{id}}", ("PUT",), update_component),
    Endpoint(f"{V3}/component/{{id}}", ("DELETE",), delete_component),
]
