"""What a service desk administrator does by hand in the Jira UI and the public API cannot.

Routes under ``/_sandbox/ui`` (no auth, no faults), so tests can play the administrator who
carries out a manual step:

* ``POST /_sandbox/ui/servicedesk/{id}/queue`` ``{name, jql, fields}``: create a queue;
* ``DELETE /_sandbox/ui/servicedesk/{id}/queue/{queueId}``: delete a queue;
* ``POST /_sandbox/ui/servicedesk/{id}/requesttypegroup`` ``{name}``: create a portal group;
* ``PUT /_sandbox/ui/servicedesk/{id}/requesttype/{rtId}/group/{groupId}``: show a request
  type in a portal group;
* ``PUT /_sandbox/ui/workflow/{id}/name`` ``{name}``: rename a workflow in the workflow
  editor (the schemes that name it follow);
* ``PUT /_sandbox/ui/group/{groupId}/name`` ``{name}``: rename a group in the organization's
  administration.

The UI's own rules hold: queue and group names are unique within a service desk and a desk
keeps at least one queue (the checks Salto's change validators mirror, jira.md §3); workflow
and group names are unique on the site, compared without regard to case.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from usm_config.sandbox.app import json_object
from usm_jsm.sandbox.errors import JsmApiError
from usm_jsm.sandbox.servicedesk import next_small_id, resolve_service_desk
from usm_jsm.sandbox.site import (
    GROUP,
    QUEUE,
    REQUEST_TYPE,
    REQUEST_TYPE_GROUP,
    WORKFLOW,
    WORKFLOW_SCHEME,
    Endpoint,
    Handler,
    Row,
    Site,
    public,
)

__all__ = ["ENDPOINTS", "UI", "control_routes"]

UI = "/_sandbox/ui"
_DESK = f"{UI}/servicedesk/{{serviceDeskId}}"


def _refused(message: str, status: int = 400) -> JsmApiError:
    return JsmApiError(status, message, "sandbox.ui.refused")


async def _form(request: Request) -> dict[str, Any]:
    body = await json_object(request)
    if body is None:
        raise _refused("The form must be a JSON object.")
    return body


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _refused(f"'{name}' is required.")
    return value.strip()


def _desk_rows(site: Site, table: str, desk: Row) -> list[Row]:
    return [row for row in site.rows(table) if row.get("_serviceDeskId") == desk["id"]]


async def create_queue(request: Request, site: Site) -> Response:
    desk = resolve_service_desk(site, request.path_params["serviceDeskId"])
    form = await _form(request)
    name, jql = _text(form, "name"), _text(form, "jql")
    fields = form.get("fields") or ["issuetype", "issuekey", "summary", "status", "created"]
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise _refused("'fields' must be a list of field ids.")
    if any(q["name"].casefold() == name.casefold() for q in _desk_rows(site, QUEUE, desk)):
        raise _refused(f"A queue named '{name}' already exists.")
    queue = site.insert(
        QUEUE,
        {
            "id": next_small_id(site, QUEUE),
            "name": name,
            "jql": jql,
            "fields": fields,
            "_serviceDeskId": desk["id"],
        },
    )
    return JSONResponse(public(queue), status_code=201)


async def delete_queue(request: Request, site: Site) -> Response:
    desk = resolve_service_desk(site, request.path_params["serviceDeskId"])
    queues = _desk_rows(site, QUEUE, desk)
    wanted = request.path_params["queueId"]
    if not any(q["id"] == wanted for q in queues):
        raise _refused(f"The queue '{wanted}' does not exist.", 404)
    if len(queues) == 1:
        raise _refused("A service project needs at least one queue.")
    site.delete(QUEUE, wanted)
    return Response(status_code=204)


async def create_group(request: Request, site: Site) -> Response:
    desk = resolve_service_desk(site, request.path_params["serviceDeskId"])
    name = _text(await _form(request), "name")
    if any(
        g["name"].casefold() == name.casefold() for g in _desk_rows(site, REQUEST_TYPE_GROUP, desk)
    ):
        raise _refused(f"A portal group named '{name}' already exists.")
    group = site.insert(
        REQUEST_TYPE_GROUP,
        {"id": next_small_id(site, REQUEST_TYPE_GROUP), "name": name, "_serviceDeskId": desk["id"]},
    )
    return JSONResponse(public(group), status_code=201)


async def add_to_group(request: Request, site: Site) -> Response:
    desk = resolve_service_desk(site, request.path_params["serviceDeskId"])
    request_type = site.get(REQUEST_TYPE, request.path_params["requestTypeId"])
    group = site.get(REQUEST_TYPE_GROUP, request.path_params["groupId"])
    if request_type is None or request_type["serviceDeskId"] != desk["id"]:
        raise _refused("No such request type in this service desk.", 404)
    if group is None or group["_serviceDeskId"] != desk["id"]:
        raise _refused("No such portal group in this service desk.", 404)
    if group["id"] not in request_type["groupIds"]:
        groups = [*request_type["groupIds"], group["id"]]
        site.replace(REQUEST_TYPE, {**request_type, "groupIds": groups})
    return Response(status_code=204)


async def _rename(request: Request, site: Site, table: str, what: str) -> tuple[str, str]:
    """Rename the row of ``table`` the path names (``id``) to the form's ``name``, unique on
    the site without regard to case; the old name and the new one."""
    row = site.get(table, request.path_params["id"])
    if row is None:
        raise _refused(f"No such {what}.", 404)
    name = _text(await _form(request), "name")
    if site.name_taken(table, name, row["id"]):
        raise _refused(f"A {what} with the name '{name}' already exists.")
    site.replace(table, {**row, "name": name})
    return str(row["name"]), name


async def rename_workflow(request: Request, site: Site) -> Response:
    old, name = await _rename(request, site, WORKFLOW, "workflow")
    # Classic schemes name their workflows; a rename carries over to them.
    for scheme in site.rows(WORKFLOW_SCHEME):
        mappings = {
            issue_type: name if workflow_name == old else workflow_name
            for issue_type, workflow_name in scheme.get("issueTypeMappings", {}).items()
        }
        default = scheme.get("defaultWorkflow")
        site.replace(
            WORKFLOW_SCHEME,
            {
                **scheme,
                "issueTypeMappings": mappings,
                "defaultWorkflow": name if default == old else default,
            },
        )
    return Response(status_code=204)


async def rename_group(request: Request, site: Site) -> Response:
    await _rename(request, site, GROUP, "group")
    return Response(status_code=204)


ENDPOINTS = [
    Endpoint(f"{UI}/workflow/{{id}}/name", ("PUT",), rename_workflow),
    Endpoint(f"{UI}/group/{{id}}/name", ("PUT",), rename_group),
    Endpoint(f"{_DESK}/queue", ("POST",), create_queue),
    Endpoint(f"{_DESK}/queue/{{queueId}}", ("DELETE",), delete_queue),
    Endpoint(f"{_DESK}/requesttypegroup", ("POST",), create_group),
    Endpoint(f"{_DESK}/requesttype/{{requestTypeId}}/group/{{groupId}}", ("PUT",), add_to_group),
]


def _control_route(endpoint: Endpoint, site: Site) -> Route:
    handler: Handler = endpoint.handler

    async def run(request: Request) -> Response:
        try:
            return await handler(request, site)
        except JsmApiError as error:
            return error.response()

    return Route(endpoint.path, run, methods=list(endpoint.methods))


def control_routes(site: Site) -> list[BaseRoute]:
    """The UI routes bound to ``site``, for the app's unauthenticated control endpoints."""
    return [_control_route(endpoint, site) for endpoint in ENDPOINTS]
