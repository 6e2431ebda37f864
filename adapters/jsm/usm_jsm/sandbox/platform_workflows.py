"""Workflows through the bulk API (jira.md §1.2): create, update, their validations, read,
search and delete of inactive workflows.

A workflow row is a ``JiraWorkflow`` whose status references are the ids of the site's
statuses; a request's own ``statusReference`` handles are resolved to status ids on write.
Transitions are stored in server order (GLOBAL first, then INITIAL, then the rest) and every
rule keeps the id the server gave it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_jsm.sandbox.errors import JiraApiError
from usm_jsm.sandbox.paging import page_bean
from usm_jsm.sandbox.platform_common import V3, as_list, json_object, no_content, ok
from usm_jsm.sandbox.platform_statuses import save_status
from usm_jsm.sandbox.platform_workflow_checks import ValidationError, check_payload
from usm_jsm.sandbox.platform_workflowschemes import (
    projects_using_workflow,
    schemes_using_workflow,
    workflow_for,
)
from usm_jsm.sandbox.site import STATUS, WORKFLOW, Endpoint, Row, Site, public

__all__ = ["ENDPOINTS", "TRANSITION_ORDER"]

#: Reads list transitions by type in this order (jira.md §1.2 "Practical rules").
TRANSITION_ORDER = ("GLOBAL", "INITIAL", "DIRECTED")

_STALE_VERSION = "Workflow version and version token must match"
#: Most workflows and statuses one create or update request takes (``WorkflowCreateRequest``
#: and ``WorkflowUpdateRequest`` in the platform spec: ``maximum`` 20 and 1,000).
MOST_WORKFLOWS, MOST_STATUSES = 20, 1000


def _within_limits(payload: Mapping[str, Any]) -> None:
    for name, most in (("workflows", MOST_WORKFLOWS), ("statuses", MOST_STATUSES)):
        if len(as_list(payload, name)) > most:
            raise JiraApiError(400, [], {name: f"At most {most} {name} per request."})


# ---------------------------------------------------------------------- storing


def _with_rule_ids(site: Site, rule: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(rule.get("id") or site.new_uuid()),
        "ruleKey": rule["ruleKey"],
        "parameters": dict(rule.get("parameters") or {}),
    }


def _condition_group(site: Site, group: Any) -> dict[str, Any]:
    group = group if isinstance(group, dict) else {}
    return {
        "operation": group.get("operation", "ALL"),
        "conditions": [_with_rule_ids(site, r) for r in group.get("conditions") or []],
        "conditionGroups": [_condition_group(site, g) for g in group.get("conditionGroups") or []],
    }


def _stored_transition(
    site: Site, transition: Mapping[str, Any], status_ids: Mapping[str, str]
) -> dict[str, Any]:
    screen = transition.get("transitionScreen")
    links = [
        {
            "fromStatusReference": status_ids[str(link["fromStatusReference"])],
            "fromPort": link.get("fromPort", 0),
            "toPort": link.get("toPort", 0),
        }
        for link in transition.get("links") or []
        if link.get("fromStatusReference") is not None
    ]
    stored: dict[str, Any] = {
        "id": str(transition["id"]),
        "type": transition["type"],
        "toStatusReference": status_ids[str(transition["toStatusReference"])],
        "links": links,
        "name": transition["name"],
        "description": transition.get("description") or "",
        "properties": dict(transition.get("properties") or {}),
        "actions": [_with_rule_ids(site, r) for r in transition.get("actions") or []],
        "validators": [_with_rule_ids(site, r) for r in transition.get("validators") or []],
        "triggers": [_with_rule_ids(site, r) for r in transition.get("triggers") or []],
        "conditions": _condition_group(site, transition.get("conditions")),
    }
    if isinstance(screen, dict):
        stored["transitionScreen"] = _with_rule_ids(site, screen)
    if transition.get("customIssueEventId"):
        stored["customIssueEventId"] = str(transition["customIssueEventId"])
    return stored


def _server_order(transitions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(transitions, key=lambda t: TRANSITION_ORDER.index(t["type"]))


def _stored_layout(entry: Mapping[str, Any], status_ids: Mapping[str, str]) -> dict[str, Any]:
    stored: dict[str, Any] = {
        "statusReference": status_ids[str(entry["statusReference"])],
        "properties": dict(entry.get("properties") or {}),
        "layout": dict(entry.get("layout") or {"x": 0.0, "y": 0.0}),
        "deprecated": False,
    }
    if isinstance(entry.get("approvalConfiguration"), dict):
        stored["approvalConfiguration"] = dict(entry["approvalConfiguration"])
    return stored


def _upsert_statuses(
    site: Site, statuses: Sequence[Any], scope: Mapping[str, Any]
) -> dict[str, str]:
    """Write the request's top-level statuses; map each statusReference to a status id."""
    status_ids: dict[str, str] = {}
    for entry in statuses:
        existing = str(entry["id"]) if entry.get("id") is not None else None
        row = save_status(
            site,
            name=entry.get("name"),
            category=entry.get("statusCategory"),
            description=entry.get("description"),
            scope=scope,
            status_id=existing,
        )
        status_ids[str(entry["statusReference"])] = row["id"]
    return status_ids


def _refuse(errors: Sequence[ValidationError]) -> None:
    failures = [e for e in errors if e["level"] == "ERROR"]
    if failures:
        raise JiraApiError(400, [e["message"] for e in failures])


def _check_status_ids(site: Site, statuses: Sequence[Any]) -> None:
    for entry in statuses:
        if entry.get("id") is not None and site.get(STATUS, str(entry["id"])) is None:
            raise JiraApiError(400, [f"Status with id {entry['id']} does not exist."])


# ---------------------------------------------------------------------- rendering


def _status_json(site: Site, status_id: str) -> dict[str, Any]:
    row = site.get(STATUS, status_id) or {"id": status_id, "name": "", "statusCategory": "TODO"}
    return {
        "id": row["id"],
        "name": row["name"],
        "statusReference": row["id"],
        "statusCategory": row["statusCategory"],
        "scope": row.get("scope", {"type": "GLOBAL"}),
        "description": row.get("description", ""),
    }


def _statuses_of(site: Site, workflows: Iterable[Row]) -> list[dict[str, Any]]:
    ids = dict.fromkeys(s["statusReference"] for w in workflows for s in w["statuses"])
    return [_status_json(site, status_id) for status_id in ids]


def _is_active(site: Site, workflow: Row) -> bool:
    return bool(projects_using_workflow(site, workflow["name"]))


def _workflow_json(site: Site, workflow: Row, *, transitions: bool = True) -> dict[str, Any]:
    body = public(workflow)
    if not transitions:
        body.pop("transitions", None)
    body["isEditable"] = workflow.get("isEditable", True)
    return body


# ---------------------------------------------------------------------- handlers


def _scope_of(body: Mapping[str, Any]) -> dict[str, Any]:
    scope = body.get("scope")
    if not isinstance(scope, dict) or scope.get("type") not in ("GLOBAL", "PROJECT"):
        raise JiraApiError(400, [], {"scope": "The scope type must be GLOBAL or PROJECT."})
    return dict(scope)


def _create(site: Site, body: Mapping[str, Any]) -> dict[str, Any]:
    _within_limits(body)
    scope = _scope_of(body)
    statuses = as_list(body, "statuses")
    workflows = as_list(body, "workflows")
    _refuse(check_payload(site, body, existing_ids=[None] * len(workflows)))
    _check_status_ids(site, statuses)
    site.check_lock()
    status_ids = _upsert_statuses(site, statuses, scope)
    stamp = site.timestamp()
    created = []
    for workflow in workflows:
        row = {
            "id": site.new_uuid(),
            "name": workflow["name"],
            "description": workflow.get("description") or "",
            "scope": scope,
            "statuses": [_stored_layout(s, status_ids) for s in workflow["statuses"]],
            "transitions": _server_order(
                _stored_transition(site, t, status_ids) for t in workflow["transitions"]
            ),
            "startPointLayout": workflow.get("startPointLayout"),
            "loopedTransitionContainerLayout": workflow.get("loopedTransitionContainerLayout"),
            "version": {"id": site.new_uuid(), "versionNumber": 0},
            "isEditable": True,
            "created": stamp,
            "updated": stamp,
        }
        created.append(site.insert(WORKFLOW, row))
    return {
        "statuses": [_status_json(site, i) for i in status_ids.values()],
        "workflows": [_workflow_json(site, w) for w in created],
    }


async def create_workflows(request: Request, site: Site) -> Response:
    return ok(_create(site, await json_object(request)))


def _levels(body: Mapping[str, Any]) -> set[str]:
    options = body.get("validationOptions")
    levels = options.get("levels") if isinstance(options, dict) else None
    return set(levels) if isinstance(levels, list) and levels else {"WARNING", "ERROR"}


async def validate_create(request: Request, site: Site) -> Response:
    body = await json_object(request)
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise JiraApiError(400, [], {"payload": "'payload' is required."})
    _within_limits(payload)
    workflows = as_list(payload, "workflows")
    errors = check_payload(site, payload, existing_ids=[None] * len(workflows))
    levels = _levels(body)
    return ok({"errors": [e for e in errors if e["level"] in levels]})


def _current(site: Site, workflow: Mapping[str, Any]) -> Row:
    row = site.get(WORKFLOW, str(workflow.get("id")))
    if row is None:
        raise JiraApiError(404, [f"Workflow with id '{workflow.get('id')}' was not found."])
    return row


def _check_version(workflow: Mapping[str, Any], row: Row) -> None:
    version = workflow.get("version")
    if not isinstance(version, dict) or (
        str(version.get("id")) != row["version"]["id"]
        or version.get("versionNumber") != row["version"]["versionNumber"]
    ):
        raise JiraApiError(409, [_STALE_VERSION])


def _update_errors(site: Site, body: Mapping[str, Any]) -> list[ValidationError]:
    workflows = as_list(body, "workflows")
    existing = [str(w.get("id")) if isinstance(w, dict) else None for w in workflows]
    errors = check_payload(site, body, existing_ids=existing)
    status_ids = {
        str(s["statusReference"]): str(s.get("id") or s["statusReference"])
        for s in as_list(body, "statuses")
        if isinstance(s, dict) and s.get("statusReference")
    }
    for workflow in workflows:
        row = site.get(WORKFLOW, str(workflow.get("id")))
        if row is None:
            continue
        errors.extend(_missing_mappings(site, workflow, row, status_ids))
    return errors


def _removed_statuses(
    workflow: Mapping[str, Any], row: Row, status_ids: Mapping[str, str]
) -> set[str]:
    kept = {
        status_ids.get(str(s.get("statusReference")), str(s.get("statusReference")))
        for s in workflow.get("statuses") or []
        if isinstance(s, dict)
    }
    return {s["statusReference"] for s in row["statuses"]} - kept


def _missing_mappings(
    site: Site, workflow: Mapping[str, Any], row: Row, status_ids: Mapping[str, str]
) -> list[ValidationError]:
    """A status removed from a workflow in use needs a mapping for the issues in it."""
    if not projects_using_workflow(site, row["name"]):
        return []
    mapped = {
        status_ids.get(str(m.get("oldStatusReference")), str(m.get("oldStatusReference")))
        for m in workflow.get("defaultStatusMappings") or []
        if isinstance(m, dict)
    }
    for mapping in workflow.get("statusMappings") or []:
        for migration in (mapping or {}).get("statusMigrations") or []:
            old = str(migration.get("oldStatusReference"))
            mapped.add(status_ids.get(old, old))
    return [
        {
            "code": "MISSING_STATUS_MAPPING",
            "level": "ERROR",
            "type": "STATUS_MAPPING",
            "message": (
                f"The status '{status_id}' is removed from workflow '{row['name']}', which is "
                "in use: give a status mapping for its issues."
            ),
            "elementReference": {"statusReference": status_id},
        }
        for status_id in sorted(_removed_statuses(workflow, row, status_ids) - mapped)
    ]


async def update_workflows(request: Request, site: Site) -> Response:
    body = await json_object(request)
    _within_limits(body)
    workflows = as_list(body, "workflows")
    statuses = as_list(body, "statuses")
    rows = [_current(site, w) for w in workflows if isinstance(w, dict)]
    for workflow, row in zip(workflows, rows, strict=True):
        _check_version(workflow, row)
    _refuse(_update_errors(site, body))
    _check_status_ids(site, statuses)
    site.check_lock()
    status_ids = _upsert_statuses(site, statuses, {"type": "GLOBAL"})
    migrating = False
    updated = []
    for workflow, row in zip(workflows, rows, strict=True):
        migrating = migrating or bool(
            _removed_statuses(workflow, row, status_ids)
            and projects_using_workflow(site, row["name"])
        )
        changes = {
            "description": workflow.get("description", row.get("description", "")),
            "statuses": [_stored_layout(s, status_ids) for s in workflow["statuses"]],
            "transitions": _server_order(
                _stored_transition(site, t, status_ids) for t in workflow["transitions"]
            ),
            "version": {
                "id": row["version"]["id"],
                "versionNumber": row["version"]["versionNumber"] + 1,
            },
            "updated": site.timestamp(),
        }
        for layout in ("startPointLayout", "loopedTransitionContainerLayout"):
            if layout in workflow:
                changes[layout] = workflow[layout]
        updated.append(site.replace(WORKFLOW, {**row, **changes}))
    answer: dict[str, Any] = {
        "statuses": [_status_json(site, i) for i in dict.fromkeys(status_ids.values())],
        "workflows": [_workflow_json(site, w) for w in updated],
    }
    if migrating:
        answer["taskId"] = site.start_task("Migrating issues to the updated workflow")["id"]
    return ok(answer)


async def validate_update(request: Request, site: Site) -> Response:
    body = await json_object(request)
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise JiraApiError(400, [], {"payload": "'payload' is required."})
    _within_limits(payload)
    levels = _levels(body)
    return ok({"errors": [e for e in _update_errors(site, payload) if e["level"] in levels]})


async def read_workflows(request: Request, site: Site) -> Response:
    body = await json_object(request)
    found: dict[str, Row] = {}
    for workflow_id in as_list(body, "workflowIds"):
        row = site.get(WORKFLOW, str(workflow_id))
        if row is None:
            raise JiraApiError(404, [f"Workflow with id '{workflow_id}' was not found."])
        found[row["id"]] = row
    for name in as_list(body, "workflowNames"):
        row = site.find(WORKFLOW, name=str(name))
        if row is None:
            raise JiraApiError(404, [f"Workflow with name '{name}' was not found."])
        found[row["id"]] = row
    for pair in as_list(body, "projectAndIssueTypes"):
        project_id, issue_type_id = str(pair.get("projectId")), str(pair.get("issueTypeId"))
        row = workflow_for(site, project_id, issue_type_id)
        if row is None:
            raise JiraApiError(
                404, [f"No workflow for project {project_id} and issue type {issue_type_id}."]
            )
        found[row["id"]] = row
    workflows = list(found.values())
    return ok(
        {
            "statuses": _statuses_of(site, workflows),
            "workflows": [_workflow_json(site, w) for w in workflows],
        }
    )


async def search_workflows(request: Request, site: Site) -> Response:
    query = (request.query_params.get("queryString") or "").casefold()
    scope = request.query_params.get("scope")
    active = request.query_params.get("isActive")
    rows = [
        row
        for row in site.rows(WORKFLOW)
        if query in row["name"].casefold()
        and (scope is None or row["scope"]["type"] == scope.upper())
        and (active is None or _is_active(site, row) == (active.lower() == "true"))
    ]
    order = (request.query_params.get("orderBy") or "name").lstrip("+")
    descending = order.startswith("-")
    key = order.lstrip("-")
    if key in ("name", "created", "updated"):
        rows.sort(key=lambda r: str(r.get(key, "")).casefold(), reverse=descending)
    expand = {e.strip() for e in (request.query_params.get("expand") or "").split(",")}
    values = [_workflow_json(site, r, transitions="values.transitions" in expand) for r in rows]
    page = page_bean(request, values, "GET /workflows/search")
    page_rows = [site.get(WORKFLOW, v["id"]) for v in page["values"]]
    page["statuses"] = _statuses_of(site, [r for r in page_rows if r is not None])
    return ok(page)


async def delete_workflow(request: Request, site: Site) -> Response:
    entity_id = request.path_params["entityId"]
    row = site.get(WORKFLOW, entity_id)
    if row is None:
        raise JiraApiError(404, [f"Workflow with entity id '{entity_id}' was not found."])
    if not row.get("isEditable", True):
        raise JiraApiError(400, [f"The system workflow '{row['name']}' can't be deleted."])
    if _is_active(site, row):
        raise JiraApiError(400, [f"Cannot delete an active workflow '{row['name']}'."])
    if schemes_using_workflow(site, row["name"]):
        raise JiraApiError(
            400, [f"Cannot delete workflow '{row['name']}': it is used by a workflow scheme."]
        )
    site.delete(WORKFLOW, entity_id)
    return no_content()


ENDPOINTS = [
    Endpoint(f"{V3}/workflows/create", ("POST",), create_workflows),
    Endpoint(f"{V3}/workflows/create/validation", ("POST",), validate_create),
    Endpoint(f"{V3}/workflows/update", ("POST",), update_workflows),
    Endpoint(f"{V3}/workflows/update/validation", ("POST",), validate_update),
    Endpoint(f"{V3}/workflows", ("POST",), read_workflows),
    Endpoint(f"{V3}/workflows/search", ("GET",), search_workflows),
    Endpoint(f"{V3}/workflow/{{entityId}}", ("DELETE",), delete_workflow),
]
