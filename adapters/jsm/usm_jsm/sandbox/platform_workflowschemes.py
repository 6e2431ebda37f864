"""Classic workflow schemes (jira.md §1.4, §7.1) and which workflow a project uses.

A scheme row is a ``WorkflowScheme`` naming workflows by NAME: ``{id, name, description,
defaultWorkflow, issueTypeMappings: {issueTypeId: workflowName}, draft}``; the site's default
scheme is marked ``_default``. A project row keeps its scheme in ``_workflowSchemeId``; without
one it uses the default scheme. A scheme is active when a project uses it.
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
    json_object,
    no_content,
    ok,
    projects_by_scheme,
    rest_url,
)
from usm_jsm.sandbox.site import (
    ISSUE_TYPE,
    PROJECT,
    WORKFLOW,
    WORKFLOW_SCHEME,
    Endpoint,
    Row,
    Site,
    require,
)

__all__ = [
    "ENDPOINTS",
    "projects_using_workflow",
    "scheme_of_project",
    "schemes_using_workflow",
    "workflow_for",
]


def scheme_of_project(site: Site, project: Row) -> Row:
    """The workflow scheme ``project`` uses (the site's default scheme when it has none)."""
    scheme_id = project.get("_workflowSchemeId")
    scheme = site.get(WORKFLOW_SCHEME, scheme_id) if scheme_id is not None else None
    if scheme is None:
        scheme = site.find(WORKFLOW_SCHEME, _default=True)
    if scheme is None:
        raise JiraApiError(500, ["The site has no default workflow scheme."])
    return scheme


def _workflow_names(scheme: Mapping[str, Any]) -> set[str]:
    return {scheme.get("defaultWorkflow") or "jira", *scheme.get("issueTypeMappings", {}).values()}


def projects_using_workflow(site: Site, name: str) -> list[Row]:
    """Projects whose workflow scheme maps some issue type to the workflow ``name``."""
    return [p for p in site.rows(PROJECT) if name in _workflow_names(scheme_of_project(site, p))]


def schemes_using_workflow(site: Site, name: str) -> list[Row]:
    """Workflow schemes naming the workflow ``name``."""
    return [s for s in site.rows(WORKFLOW_SCHEME) if name in _workflow_names(s)]


def workflow_for(site: Site, project_id: str, issue_type_id: str) -> Row | None:
    """The workflow a project's issues of one type follow."""
    project = site.project(project_id)
    if project is None:
        return None
    scheme = scheme_of_project(site, project)
    name = scheme.get("issueTypeMappings", {}).get(issue_type_id) or scheme.get("defaultWorkflow")
    return site.find(WORKFLOW, name=name or "jira")


def _is_active(site: Site, scheme: Row) -> bool:
    return any(scheme_of_project(site, p)["id"] == scheme["id"] for p in site.rows(PROJECT))


def _scheme_json(request: Request, scheme: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if "id" in scheme:
        body["id"] = int(scheme["id"])
    body.update(
        {
            "name": scheme["name"],
            "description": scheme.get("description", ""),
            "defaultWorkflow": scheme.get("defaultWorkflow") or "jira",
            "issueTypeMappings": dict(scheme.get("issueTypeMappings", {})),
            "draft": bool(scheme.get("draft", False)),
        }
    )
    if "id" in scheme:
        body["self"] = rest_url(request, f"workflowscheme/{scheme['id']}")
    for key in ("originalDefaultWorkflow", "originalIssueTypeMappings", "lastModified"):
        if key in scheme:
            body[key] = scheme[key]
    return body


def _mappings(site: Site, body: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Default workflow and issue type mappings from ``body``, each checked; 400 if unknown."""
    default = body.get("defaultWorkflow", current.get("defaultWorkflow") or "jira")
    mappings = body.get("issueTypeMappings", current.get("issueTypeMappings", {}))
    if not isinstance(mappings, dict):
        raise JiraApiError(400, [], {"issueTypeMappings": "Must map issue type ids to names."})
    for workflow in [default, *mappings.values()]:
        if site.find(WORKFLOW, name=str(workflow)) is None:
            raise JiraApiError(400, [f"Workflow '{workflow}' does not exist."])
    for issue_type_id in mappings:
        if site.get(ISSUE_TYPE, issue_type_id) is None:
            raise JiraApiError(400, [f"Issue type with id '{issue_type_id}' does not exist."])
    return {"defaultWorkflow": default, "issueTypeMappings": dict(mappings)}


def _check_name(site: Site, name: Any, other_than: str | None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise JiraApiError(400, [], {"name": "The workflow scheme name must not be empty."})
    if site.name_taken(WORKFLOW_SCHEME, name, other_than):
        raise JiraApiError(400, [f"A workflow scheme with the name '{name}' already exists."])
    return name


async def list_schemes(request: Request, site: Site) -> Response:
    values = [_scheme_json(request, s) for s in site.rows(WORKFLOW_SCHEME)]
    return ok(page_bean(request, values, "GET /workflowscheme"))


async def create_scheme(request: Request, site: Site) -> Response:
    body = await json_object(request)
    name = _check_name(site, body.get("name"), None)
    mappings = _mappings(site, body, {})
    site.check_lock()
    row = site.insert(
        WORKFLOW_SCHEME,
        {"name": name, "description": body.get("description") or "", **mappings, "draft": False},
    )
    return ok(_scheme_json(request, row), status=201)


def _scheme(site: Site, request: Request) -> Row:
    scheme_id = request.path_params["id"]
    return require(site.get(WORKFLOW_SCHEME, scheme_id), f"Workflow scheme {scheme_id} not found.")


async def get_scheme(request: Request, site: Site) -> Response:
    scheme = _scheme(site, request)
    draft = scheme.get("_draft")
    if request.query_params.get("returnDraftIfExists", "").lower() == "true" and draft:
        return ok(_scheme_json(request, {**scheme, **draft}))
    return ok(_scheme_json(request, scheme))


async def update_scheme(request: Request, site: Site) -> Response:
    scheme = _scheme(site, request)
    body = await json_object(request)
    name = _check_name(site, body.get("name", scheme["name"]), scheme["id"])
    mappings = _mappings(site, body, scheme)
    changes_mappings = mappings["defaultWorkflow"] != scheme.get("defaultWorkflow") or (
        mappings["issueTypeMappings"] != scheme.get("issueTypeMappings", {})
    )
    description = body.get("description", scheme.get("description", ""))
    site.check_lock()
    if changes_mappings and _is_active(site, scheme):
        # An active scheme's mappings change only through a draft (jira.md §7.1).
        if not body.get("updateDraftIfNeeded"):
            raise JiraApiError(
                400,
                [
                    "The workflow scheme is active: set updateDraftIfNeeded to change its "
                    "mappings in a draft."
                ],
            )
        draft = {
            **mappings,
            "draft": True,
            "originalDefaultWorkflow": scheme.get("defaultWorkflow") or "jira",
            "originalIssueTypeMappings": dict(scheme.get("issueTypeMappings", {})),
            "lastModified": site.timestamp(),
        }
        row = site.replace(
            WORKFLOW_SCHEME,
            {**scheme, "name": name, "description": description, "_draft": draft},
        )
        return ok(_scheme_json(request, {**row, **draft}))
    row = site.replace(
        WORKFLOW_SCHEME, {**scheme, "name": name, "description": description, **mappings}
    )
    return ok(_scheme_json(request, row))


async def _change_mapping(
    request: Request, site: Site, workflow: str | None, draft_allowed: bool
) -> Response:
    """Map one issue type of a scheme to ``workflow`` (``None``: remove its mapping)."""
    scheme = _scheme(site, request)
    issue_type = request.path_params["issueType"]
    if site.get(ISSUE_TYPE, issue_type) is None:
        raise JiraApiError(400, [f"Issue type with id '{issue_type}' does not exist."])
    mappings = dict(scheme.get("issueTypeMappings", {}))
    if workflow is None:
        mappings.pop(issue_type, None)
    else:
        if site.find(WORKFLOW, name=workflow) is None:
            raise JiraApiError(400, [f"Workflow '{workflow}' does not exist."])
        mappings[issue_type] = workflow
    site.check_lock()
    if mappings != scheme.get("issueTypeMappings", {}) and _is_active(site, scheme):
        # As with the whole scheme: an active scheme changes only through a draft.
        if not draft_allowed:
            raise JiraApiError(
                400,
                [
                    "The workflow scheme is active: set updateDraftIfNeeded to change its "
                    "mappings in a draft."
                ],
            )
        draft = {
            "defaultWorkflow": scheme.get("defaultWorkflow") or "jira",
            "issueTypeMappings": mappings,
            "draft": True,
            "originalDefaultWorkflow": scheme.get("defaultWorkflow") or "jira",
            "originalIssueTypeMappings": dict(scheme.get("issueTypeMappings", {})),
            "lastModified": site.timestamp(),
        }
        row = site.replace(WORKFLOW_SCHEME, {**scheme, "_draft": draft})
        return ok(_scheme_json(request, {**row, **draft}))
    row = site.replace(WORKFLOW_SCHEME, {**scheme, "issueTypeMappings": mappings})
    return ok(_scheme_json(request, row))


async def set_issue_type_workflow(request: Request, site: Site) -> Response:
    body = await json_object(request)
    workflow = body.get("workflow")
    if not isinstance(workflow, str) or not workflow:
        raise JiraApiError(400, [], {"workflow": "The workflow name is required."})
    return await _change_mapping(request, site, workflow, bool(body.get("updateDraftIfNeeded")))


async def delete_issue_type_workflow(request: Request, site: Site) -> Response:
    draft = request.query_params.get("updateDraftIfNeeded", "").lower() == "true"
    return await _change_mapping(request, site, None, draft)


async def delete_scheme(request: Request, site: Site) -> Response:
    scheme = _scheme(site, request)
    if scheme.get("_default"):
        raise JiraApiError(400, ["The default workflow scheme can't be deleted."])
    if _is_active(site, scheme):
        raise JiraApiError(400, ["Cannot delete an active workflow scheme."])
    site.check_lock()
    site.delete(WORKFLOW_SCHEME, scheme["id"])
    return no_content()


async def project_associations(request: Request, site: Site) -> Response:
    values = [
        {"projectIds": ids, "workflowScheme": _scheme_json(request, scheme)}
        for scheme, ids in projects_by_scheme(request, site, scheme_of_project)
    ]
    return ok({"values": values})


async def assign_to_project(request: Request, site: Site) -> Response:
    body = await json_object(request)
    project = site.get(PROJECT, str(body.get("projectId")))
    if project is None:
        raise JiraApiError(404, [f"Project {body.get('projectId')} not found."])
    scheme_id = body.get("workflowSchemeId")
    if scheme_id is not None and site.get(WORKFLOW_SCHEME, str(scheme_id)) is None:
        raise JiraApiError(404, [f"Workflow scheme {scheme_id} not found."])
    if int(project.get("_issueCount", 0)) > 0:
        # jira.md §1.4: only projects without issues; others need the (async) switch.
        raise JiraApiError(400, ["The workflow scheme can't be assigned: the project has issues."])
    site.check_lock()
    site.replace(
        PROJECT,
        {**project, "_workflowSchemeId": None if scheme_id is None else str(scheme_id)},
    )
    return no_content()


ENDPOINTS = [
    Endpoint(f"{V3}/workflowscheme", ("GET",), list_schemes),
    Endpoint(f"{V3}/workflowscheme", ("POST",), create_scheme),
    Endpoint(f"{V3}/workflowscheme/project", ("GET",), project_associations),
    Endpoint(f"{V3}/workflowscheme/project", ("PUT",), assign_to_project),
    Endpoint(f"{V3}/workflowscheme/{{id}}", ("GET",), get_scheme),
    Endpoint(f"{V3}/workflowscheme/{{id}}", ("PUT",), update_scheme),
    Endpoint(f"{V3}/workflowscheme/{{id}}", ("DELETE",), delete_scheme),
    Endpoint(
        f"{V3}/workflowscheme/{{id}}/issuetype/{{issueType}}", ("PUT",), set_issue_type_workflow
    ),
    Endpoint(
        f"{V3}/workflowscheme/{{id}}/issuetype/{{issueType}}",
        ("DELETE",),
        delete_issue_type_workflow,
    ),
]
