"""The service desk API (``/rest/servicedeskapi``) of Jira Service Management Cloud.

Served as on Cloud (jira.md §1.9, the JSM spec): service desks, request types (create and
delete only, experimental), request-type groups and queues (read-only), request-type entity
properties. Lists are ``PagedDTO`` pages; errors are the JSM ``errorMessage`` envelope.
Operations the spec flags ``x-experimental`` answer 412 unless the request carries
``X-ExperimentalApi: opt-in`` (the flags are read from ``data/jsm-experimental.json``).

Rows: ``servicedesk`` is a ``ServiceDeskDTO``; ``requesttype`` a ``RequestTypeDTO`` plus
``_fieldIds`` (its portal form); ``requesttypegroup`` a ``RequestTypeGroupDTO`` and ``queue``
a ``QueueDTO``, each plus ``_serviceDeskId``; ``requesttype_property`` holds
``{requestTypeId, key, value}``. Service desks, request types, groups and queues get small
numeric ids from per-table counters in ``sequence``, as Cloud numbers them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from usm_config.sandbox.baseline import package_data
from usm_jsm.sandbox.errors import JsmApiError
from usm_jsm.sandbox.paging import paged_dto
from usm_jsm.sandbox.site import (
    FIELD,
    ISSUE_TYPE,
    QUEUE,
    REQUEST_TYPE,
    REQUEST_TYPE_GROUP,
    SERVICE_DESK,
    Endpoint,
    Handler,
    Row,
    Site,
    public,
)

__all__ = [
    "API",
    "ENDPOINTS",
    "REQUEST_TYPE_PROPERTY",
    "SEQUENCE",
    "experimental_operations",
    "next_small_id",
    "request_type_row",
    "resolve_service_desk",
]

#: The service desk API root.
API = "/rest/servicedeskapi"
#: Per-table counters of the small ids Cloud gives service desk records.
SEQUENCE = "sequence"
REQUEST_TYPE_PROPERTY = "requesttype_property"

_DESK = f"{API}/servicedesk/{{serviceDeskId}}"
_REQUEST_TYPE = f"{_DESK}/requesttype/{{requestTypeId}}"
_EXPERIMENTAL_HEADER = "X-ExperimentalApi"
#: The request type icon Cloud gives a request type created through the API (the headset).
_DEFAULT_ICON_ID = "10527"
_PAGE_CAP = 50


@cache
def experimental_operations() -> frozenset[str]:
    """``"METHOD /path/template"`` of every operation the JSM spec flags experimental."""
    return frozenset(package_data("usm_jsm", "jsm-experimental.json")["experimentalOperations"])


def next_small_id(site: Site, table: str) -> str:
    """The next id of ``table`` counting from 1; never handed out twice."""
    counter = site.get(SEQUENCE, table)
    drawn = int(counter["next"]) if counter else 1
    row = {"id": table, "next": drawn + 1}
    if counter is None:
        site.insert(SEQUENCE, row, table)
    else:
        site.replace(SEQUENCE, row, table)
    return str(drawn)


def request_type_row(
    site: Site,
    desk: Row,
    *,
    name: str,
    description: str,
    help_text: str,
    issue_type_id: str,
    group_ids: Iterable[str] = (),
    practice: str | None = None,
    field_ids: Iterable[str] = ("summary",),
    icon_id: str = _DEFAULT_ICON_ID,
) -> Row:
    """Store and return a new request type of ``desk``."""
    row: Row = {
        "id": next_small_id(site, REQUEST_TYPE),
        "name": name,
        "description": description,
        "helpText": help_text,
        "issueTypeId": issue_type_id,
        "serviceDeskId": desk["id"],
        "portalId": desk["_portalId"],
        "groupIds": list(group_ids),
        "icon": {"id": icon_id},
        "restrictionStatus": "OPEN",
        "_fieldIds": list(field_ids),
    }
    if practice is not None:
        row["practice"] = practice
    return site.insert(REQUEST_TYPE, row)


# ---------------------------------------------------------------------- helpers


def _ok(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status_code=status)


def _base(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}{API}"


def _not_found(message: str) -> JsmApiError:
    return JsmApiError(404, message, "sd.rest.error.notfound")


def _require_experimental(request: Request, operation: str) -> None:
    if operation not in experimental_operations():
        return
    if (request.headers.get(_EXPERIMENTAL_HEADER) or "").strip().lower() != "opt-in":
        raise JsmApiError(
            412,
            "This API is experimental. Experimental APIs are not guaranteed to be stable "
            "within the preview period. You must set the header "
            "'X-ExperimentalApi: opt-in' to opt into using this API.",
            "sd.rest.error.experimental.api.not.opted.in",
        )


def _flag(request: Request, name: str) -> bool:
    return (request.query_params.get(name) or "").strip().lower() == "true"


def resolve_service_desk(site: Site, reference: str) -> Row:
    """The service desk ``reference`` names: an id, a project key, ``projectKey:ABC``,
    ``projectId:10012`` or ``serviceDeskId:15`` (jira.md §1.9); else 404."""
    kind, _, value = reference.partition(":")
    desk: Row | None = None
    if not value:
        kind, value = ("serviceDeskId", reference) if reference.isdigit() else ("projectKey", kind)
    if kind == "serviceDeskId":
        desk = site.get(SERVICE_DESK, value)
    elif kind == "projectKey":
        desk = site.find(SERVICE_DESK, projectKey=value)
    elif kind == "projectId":
        desk = site.find(SERVICE_DESK, projectId=value)
    if desk is None:
        raise _not_found(f"The service desk '{reference}' does not exist.")
    return desk


def _desk(request: Request, site: Site) -> Row:
    return resolve_service_desk(site, request.path_params["serviceDeskId"])


def _request_type(request: Request, site: Site, desk: Row) -> Row:
    wanted = request.path_params["requestTypeId"]
    row = site.get(REQUEST_TYPE, wanted)
    if row is None or row["serviceDeskId"] != desk["id"]:
        raise _not_found(f"The request type '{wanted}' does not exist in this service desk.")
    return row


def _desk_json(request: Request, desk: Row) -> dict[str, Any]:
    return {
        **public(desk),
        "_links": {"self": f"{_base(request)}/servicedesk/{desk['id']}"},
    }


def _icon_json(request: Request, icon_id: str) -> dict[str, Any]:
    avatar = f"{str(request.base_url).rstrip('/')}/rest/api/2/universal_avatar/view/type/SD_REQTYPE"
    sizes = {"48x48": "large", "24x24": "small", "16x16": "xsmall", "32x32": "medium"}
    return {
        "id": icon_id,
        "_links": {
            "iconUrls": {
                size: f"{avatar}/avatar/{icon_id}?size={name}" for size, name in sizes.items()
            }
        },
    }


def _field_json(site: Site, field_id: str) -> dict[str, Any]:
    field = site.get(FIELD, field_id) or {"name": field_id, "schema": {"type": "string"}}
    return {
        "fieldId": field_id,
        "name": field["name"],
        "description": "",
        "required": field_id == "summary",
        "visible": True,
        "validValues": [],
        "presetValues": [],
        "defaultValues": [],
        "jiraSchema": field.get("schema", {"type": "string"}),
    }


def _fields_json(site: Site, row: Row) -> dict[str, Any]:
    return {
        "requestTypeFields": [_field_json(site, field_id) for field_id in row["_fieldIds"]],
        "canRaiseOnBehalfOf": True,
        "canAddRequestParticipants": True,
    }


def _request_type_json(request: Request, site: Site, row: Row) -> dict[str, Any]:
    body = {"_expands": [], **public(row)}
    body["_links"] = {
        "self": f"{_base(request)}/servicedesk/{row['serviceDeskId']}/requesttype/{row['id']}"
    }
    body["icon"] = _icon_json(request, row["icon"]["id"])
    expand = {
        part.strip() for raw in request.query_params.getlist("expand") for part in raw.split(",")
    }
    if "field" in expand:
        body["fields"] = _fields_json(site, row)
    return body


def _queue_json(request: Request, row: Row, with_count: bool) -> dict[str, Any]:
    body = public(row)
    if with_count:
        body["issueCount"] = 0
    body["_links"] = {
        "self": f"{_base(request)}/servicedesk/{row['_serviceDeskId']}/queue/{row['id']}"
    }
    return body


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object a service desk request carries; 400 in JSM's envelope otherwise."""
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise JsmApiError(
            400, "The request body is not a JSON object.", "sd.rest.error.bad.request"
        )
    return body


# ---------------------------------------------------------------------- handlers


async def info(request: Request, site: Site) -> Response:
    return _ok(
        {
            "version": "10.0.0-OD-SNAPSHOT",
            "platformVersion": "1001.0.0-SNAPSHOT",
            "buildDate": {
                "iso8601": "2025-01-01T00:00:00+0000",
                "jira": "2025-01-01T00:00:00.000+0000",
                "friendly": "01/Jan/25 12:00 AM",
                "epochMillis": 1735689600000,
            },
            "buildChangeSet": "0" * 40,
            "isLicensedForUse": True,
            "_links": {"self": f"{_base(request)}/info"},
        }
    )


async def list_service_desks(request: Request, site: Site) -> Response:
    desks = [_desk_json(request, desk) for desk in site.rows(SERVICE_DESK)]
    return _ok(paged_dto(request, desks, cap=_PAGE_CAP))


async def get_service_desk(request: Request, site: Site) -> Response:
    return _ok(_desk_json(request, _desk(request, site)))


def _matches(row: Row, query: str) -> bool:
    return query in row["name"].casefold() or query in row["description"].casefold()


async def list_request_types(request: Request, site: Site) -> Response:
    desk = _desk(request, site)
    rows = [row for row in site.rows(REQUEST_TYPE) if row["serviceDeskId"] == desk["id"]]
    group_id = request.query_params.get("groupId")
    if group_id:
        rows = [row for row in rows if group_id in row["groupIds"]]
    query = (request.query_params.get("searchQuery") or "").casefold()
    if query:
        # With a search, types in no group (hidden on the portal) are left out unless asked.
        keep_hidden = _flag(request, "includeHiddenRequestTypesInSearch")
        rows = [r for r in rows if _matches(r, query) and (keep_hidden or r["groupIds"])]
    values = [_request_type_json(request, site, row) for row in rows]
    return _ok(paged_dto(request, values, cap=_PAGE_CAP))


async def all_request_types(request: Request, site: Site) -> Response:
    _require_experimental(request, f"GET {API}/requesttype")
    values = [_request_type_json(request, site, row) for row in site.rows(REQUEST_TYPE)]
    return _ok(paged_dto(request, values, cap=_PAGE_CAP))


async def create_request_type(request: Request, site: Site) -> Response:
    _require_experimental(request, f"POST {_DESK}/requesttype")
    desk = _desk(request, site)
    body = await json_body(request)
    unknown = sorted(set(body) - {"name", "description", "helpText", "issueTypeId"})
    if unknown:
        # RequestTypeCreateDTO has no other properties; Cloud refuses e.g. groupIds, iconId.
        raise JsmApiError(
            400,
            f'Unrecognized field "{unknown[0]}" in the request body.',
            "sd.rest.error.bad.request",
        )
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise JsmApiError(
            400, "The request type name must not be empty.", "sd.request.type.error.name.empty"
        )
    issue_type = site.get(ISSUE_TYPE, str(body.get("issueTypeId", "")))
    if issue_type is None:
        raise _not_found(f"The issue type '{body.get('issueTypeId')}' does not exist.")
    row = request_type_row(
        site,
        desk,
        name=name,
        description=str(body.get("description") or ""),
        help_text=str(body.get("helpText") or ""),
        issue_type_id=issue_type["id"],
    )
    return _ok(_request_type_json(request, site, row))


async def get_request_type(request: Request, site: Site) -> Response:
    desk = _desk(request, site)
    return _ok(_request_type_json(request, site, _request_type(request, site, desk)))


async def delete_request_type(request: Request, site: Site) -> Response:
    _require_experimental(request, f"DELETE {_REQUEST_TYPE}")
    desk = _desk(request, site)
    row = _request_type(request, site, desk)
    site.delete(REQUEST_TYPE, row["id"])
    for prop in site.rows(REQUEST_TYPE_PROPERTY):
        if prop["requestTypeId"] == row["id"]:
            site.delete(REQUEST_TYPE_PROPERTY, prop["id"])
    return Response(status_code=204)


async def request_type_fields(request: Request, site: Site) -> Response:
    desk = _desk(request, site)
    return _ok(_fields_json(site, _request_type(request, site, desk)))


def _property_id(row: Row, key: str) -> str:
    return f"{row['id']}/{key}"


async def property_keys(request: Request, site: Site) -> Response:
    _require_experimental(request, f"GET {_REQUEST_TYPE}/property")
    row = _request_type(request, site, _desk(request, site))
    self_url = f"{_base(request)}/servicedesk/{row['serviceDeskId']}/requesttype/{row['id']}"
    keys = [
        {"key": prop["key"], "self": f"{self_url}/property/{prop['key']}"}
        for prop in site.rows(REQUEST_TYPE_PROPERTY)
        if prop["requestTypeId"] == row["id"]
    ]
    return _ok({"keys": keys})


async def get_property(request: Request, site: Site) -> Response:
    _require_experimental(request, f"GET {_REQUEST_TYPE}/property/{{propertyKey}}")
    row = _request_type(request, site, _desk(request, site))
    key = request.path_params["propertyKey"]
    prop = site.get(REQUEST_TYPE_PROPERTY, _property_id(row, key))
    if prop is None:
        raise _not_found(f"The property '{key}' does not exist.")
    return _ok({"key": key, "value": prop["value"]})


async def put_property(request: Request, site: Site) -> Response:
    _require_experimental(request, f"PUT {_REQUEST_TYPE}/property/{{propertyKey}}")
    row = _request_type(request, site, _desk(request, site))
    key = request.path_params["propertyKey"]
    try:
        value = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise JsmApiError(
            400, "The property value is not valid JSON.", "sd.rest.error.bad.request"
        ) from None
    prop_id = _property_id(row, key)
    prop = {"id": prop_id, "requestTypeId": row["id"], "key": key, "value": value}
    if site.get(REQUEST_TYPE_PROPERTY, prop_id) is None:
        site.insert(REQUEST_TYPE_PROPERTY, prop, prop_id)
        return _ok({}, 201)
    site.replace(REQUEST_TYPE_PROPERTY, prop, prop_id)
    return _ok({})


async def delete_property(request: Request, site: Site) -> Response:
    _require_experimental(request, f"DELETE {_REQUEST_TYPE}/property/{{propertyKey}}")
    row = _request_type(request, site, _desk(request, site))
    key = request.path_params["propertyKey"]
    if not site.delete(REQUEST_TYPE_PROPERTY, _property_id(row, key)):
        raise _not_found(f"The property '{key}' does not exist.")
    return Response(status_code=204)


async def request_type_groups(request: Request, site: Site) -> Response:
    desk = _desk(request, site)
    values = [
        public(group)
        for group in site.rows(REQUEST_TYPE_GROUP)
        if group["_serviceDeskId"] == desk["id"]
    ]
    return _ok(paged_dto(request, values, cap=_PAGE_CAP))


async def list_queues(request: Request, site: Site) -> Response:
    desk = _desk(request, site)
    with_count = _flag(request, "includeCount")
    values = [
        _queue_json(request, queue, with_count)
        for queue in site.rows(QUEUE)
        if queue["_serviceDeskId"] == desk["id"]
    ]
    return _ok(paged_dto(request, values, cap=_PAGE_CAP))


def _queue(request: Request, site: Site) -> Row:
    desk = _desk(request, site)
    wanted = request.path_params["queueId"]
    queue = site.get(QUEUE, wanted)
    if queue is None or queue["_serviceDeskId"] != desk["id"]:
        raise _not_found(f"The queue '{wanted}' does not exist in this service desk.")
    return queue


async def get_queue(request: Request, site: Site) -> Response:
    return _ok(_queue_json(request, _queue(request, site), _flag(request, "includeCount")))


async def queue_issues(request: Request, site: Site) -> Response:
    _queue(request, site)
    return _ok(paged_dto(request, [], cap=_PAGE_CAP))


def _endpoint(path: str, methods: tuple[str, ...], handler: Handler) -> Endpoint:
    return Endpoint(path, methods, handler)


ENDPOINTS = [
    _endpoint(f"{API}/info", ("GET",), info),
    _endpoint(f"{API}/servicedesk", ("GET",), list_service_desks),
    _endpoint(_DESK, ("GET",), get_service_desk),
    _endpoint(f"{API}/requesttype", ("GET",), all_request_types),
    _endpoint(f"{_DESK}/requesttype", ("GET",), list_request_types),
    _endpoint(f"{_DESK}/requesttype", ("POST",), create_request_type),
    # No update route: Cloud has none (a PUT or PATCH answers 405).
    _endpoint(_REQUEST_TYPE, ("GET",), get_request_type),
    _endpoint(_REQUEST_TYPE, ("DELETE",), delete_request_type),
    _endpoint(f"{_REQUEST_TYPE}/field", ("GET",), request_type_fields),
    _endpoint(f"{_REQUEST_TYPE}/property", ("GET",), property_keys),
    _endpoint(f"{_REQUEST_TYPE}/property/{{propertyKey}}", ("GET",), get_property),
    _endpoint(f"{_REQUEST_TYPE}/property/{{propertyKey}}", ("PUT",), put_property),
    _endpoint(f"{_REQUEST_TYPE}/property/{{propertyKey}}", ("DELETE",), delete_property),
    _endpoint(f"{_DESK}/requesttypegroup", ("GET",), request_type_groups),
    _endpoint(f"{_DESK}/queue", ("GET",), list_queues),
    _endpoint(f"{_DESK}/queue/{{queueId}}", ("GET",), get_queue),
    _endpoint(f"{_DESK}/queue/{{queueId}}/issue", ("GET",), queue_issues),
]
