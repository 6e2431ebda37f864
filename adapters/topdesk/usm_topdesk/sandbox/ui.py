"""What an application manager does by hand in TOPdesk's settings UI and the REST API cannot.

Routes under ``/_sandbox/ui`` (no auth, no faults), so tests can play the administrator who
carries out a checklist item; the next plan then finds it done through the read-only API:

* ``POST /_sandbox/ui/lists/{list}`` with a JSON object (``name`` and the list's other
  fields): create an entry, answered 201 with the stored entry;
* ``PATCH /_sandbox/ui/lists/{list}/{id}`` with the fields to change (``archived: true``
  archives, as the UI does instead of deleting): answered 200 with the entry;
* ``PATCH /_sandbox/ui/services/{id}`` with any of :data:`SERVICE_FIELDS` (the services API
  cannot update a service, topdesk.md §3.3): answered 200 with the service;
* ``POST /_sandbox/ui/slas`` ``{contract, service, serviceLevel}`` (names; the service also
  by id): put a service with a service level into an SLA contract, answered 201 with the SLA
  service ``/incidents/slas`` lists. Contracts and service levels are made on first use.

``{list}`` is one of :data:`LISTS` (``call_types``, ``categories``, ``priorities``, ...).
The UI's own rules hold: names are unique within a list (for categories: among the
subcategories of one parent), a priority's durations and a subcategory's parent must exist.
Errors are ``{"error": message}`` with 400 or 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from usm_config.sandbox.app import json_object
from usm_topdesk.sandbox.site import (
    ARCHIVING_REASON,
    CALL_TYPE,
    CATEGORY,
    CHANGE_STATUS,
    CHANGE_TEMPLATE,
    CLOSURE_CODE,
    DEESCALATION_REASON,
    DURATION,
    ENTRY_TYPE,
    ESCALATION_REASON,
    IMPACT,
    OPERATIONS_TYPE,
    PRIORITY,
    PROCESSING_STATUS,
    SERVICE,
    SERVICE_WINDOW,
    SLA,
    TIMESPENT_REASON,
    URGENCY,
    Row,
    Site,
    public,
)

__all__ = ["LISTS", "SERVICE_FIELDS", "UI", "control_routes"]

UI = "/_sandbox/ui"

_ALL_MODULES = {
    "incidents": True,
    "changes": True,
    "operations": True,
    "services": False,
    "problems": True,
    "projects": False,
}

#: UI list name → (table, the fields an entry has besides ``name``, with their defaults).
LISTS: Mapping[str, tuple[str, Mapping[str, Any]]] = {
    "call_types": (CALL_TYPE, {}),
    "entry_types": (ENTRY_TYPE, {}),
    "impacts": (IMPACT, {}),
    "urgencies": (URGENCY, {}),
    "priorities": (PRIORITY, {"firstLineDuration": None, "secondLineDuration": None}),
    "durations": (
        DURATION,
        {"basicPeriods": 1, "timeSpanType": "days", "inFirstLine": True, "inSecondLine": True},
    ),
    "statuses": (
        PROCESSING_STATUS,
        {
            "onHold": "false",
            "processingState": "inProgress",
            "response": "responded",
            "default": False,
        },
    ),
    "closure_codes": (CLOSURE_CODE, {}),
    "escalation_reasons": (ESCALATION_REASON, {}),
    "deescalation_reasons": (DEESCALATION_REASON, {}),
    "archiving_reasons": (ARCHIVING_REASON, {}),
    "timespent_reasons": (TIMESPENT_REASON, {}),
    "categories": (CATEGORY, {"parent": None, "modules": _ALL_MODULES, "translations": []}),
    "change_templates": (CHANGE_TEMPLATE, {"number": None, "briefDescription": ""}),
    "change_statuses": (
        CHANGE_STATUS,
        {"prfc": None, "rfc": None, "simple": None, "extensive": None, "defaultFor": []},
    ),
    "operations_types": (OPERATIONS_TYPE, {}),
    "service_windows": (SERVICE_WINDOW, {}),
}

#: What the UI edits on a service card besides the API's create-time fields.
SERVICE_FIELDS = ("name", "archived", "availableForIncidents", "availableForReservations")

#: Fields naming another entry: resolved by id or name into ``{id, name}``.
_REFERENCES = {"firstLineDuration": DURATION, "secondLineDuration": DURATION, "parent": CATEGORY}


class _Refused(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def _form(request: Request) -> dict[str, Any]:
    body = await json_object(request)
    if body is None:
        raise _Refused("The form must be a JSON object.")
    return body


def _list(request: Request) -> tuple[str, Mapping[str, Any]]:
    name = request.path_params["list"]
    if name not in LISTS:
        raise _Refused(f"No settings list '{name}'; known: {', '.join(LISTS)}.", 404)
    return LISTS[name]


def _name_field(table: str) -> str:
    return "briefDescription" if table == CHANGE_TEMPLATE else "name"


def _resolve(site: Site, table: str, value: Any, field: str) -> dict[str, Any] | None:
    if value is None:
        return None
    key = value.get("id") or value.get("name") if isinstance(value, dict) else value
    row = site.get(table, str(key)) or site.named(table, str(key))
    if row is None:
        raise _Refused(f"'{field}': no entry '{key}'.")
    return {"id": row["id"], "name": row["name"]}


def _fields(
    site: Site, table: str, extra: Mapping[str, Any], form: Mapping[str, Any]
) -> dict[str, Any]:
    allowed = {_name_field(table), "archived", *extra}
    unknown = sorted(set(form) - allowed)
    if unknown:
        raise _Refused(f"Unknown fields {unknown}; this list has {sorted(allowed)}.")
    values = dict(form)
    for field, target in _REFERENCES.items():
        if field in values and field in extra:
            values[field] = _resolve(site, target, values[field], field)
    return values


def _clash(site: Site, table: str, row: Mapping[str, Any], other_than: str | None) -> bool:
    field = _name_field(table)
    name = str(row.get(field, "")).casefold()
    parent = (row.get("parent") or {}).get("id")
    return any(
        str(other.get(field, "")).casefold() == name
        and other["id"] != other_than
        and (table != CATEGORY or (other.get("parent") or {}).get("id") == parent)
        for other in site.rows(table)
    )


async def create_entry(request: Request, site: Site) -> Response:
    table, extra = _list(request)
    form = await _form(request)
    name_field = _name_field(table)
    if not isinstance(form.get(name_field), str) or not form[name_field].strip():
        raise _Refused(f"'{name_field}' is required.")
    with site.lock:
        row: Row = {name_field: None, "archived": False, **extra}
        if table == CHANGE_TEMPLATE:
            row.pop("archived")
        row.update(_fields(site, table, extra, form))
        if _clash(site, table, row, None):
            raise _Refused(f"An entry '{row[name_field]}' already exists.")
        stored = site.insert(table, row)
    return JSONResponse(public(stored), status_code=201)


async def edit_entry(request: Request, site: Site) -> Response:
    table, extra = _list(request)
    row = site.get(table, request.path_params["id"])
    if row is None:
        raise _Refused(f"No entry '{request.path_params['id']}'.", 404)
    form = await _form(request)
    with site.lock:
        changed = {**row, **_fields(site, table, extra, form)}
        if _clash(site, table, changed, row["id"]):
            raise _Refused(f"An entry '{changed[_name_field(table)]}' already exists.")
        stored = site.replace(table, changed)
    return JSONResponse(public(stored))


async def edit_service(request: Request, site: Site) -> Response:
    row = site.get(SERVICE, request.path_params["id"])
    if row is None:
        raise _Refused(f"No service '{request.path_params['id']}'.", 404)
    form = await _form(request)
    unknown = sorted(set(form) - set(SERVICE_FIELDS))
    if unknown:
        raise _Refused(f"Unknown fields {unknown}; a service has {list(SERVICE_FIELDS)}.")
    if "name" in form and (not isinstance(form["name"], str) or not form["name"].strip()):
        raise _Refused("'name' is required.")
    flags = [f for f in SERVICE_FIELDS[1:] if f in form and not isinstance(form[f], bool)]
    if flags:
        raise _Refused(f"{flags} must be true or false.")
    return JSONResponse(public(site.merge(SERVICE, row["id"], form)))


def _text(form: Mapping[str, Any], field: str) -> str:
    value = form.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _Refused(f"'{field}' is required.")
    return value.strip()


def _id_of(site: Site, field: str, name: str) -> str:
    """The id an existing SLA row gives the contract or service level ``name``, else a new one."""
    known = next(
        (r for r in site.rows(SLA) if r[f"{field}Name"].casefold() == name.casefold()), None
    )
    return str(known[f"{field}Id"]) if known is not None else str(uuid.uuid4())


async def add_sla(request: Request, site: Site) -> Response:
    form = await _form(request)
    unknown = sorted(set(form) - {"contract", "service", "serviceLevel"})
    if unknown:
        raise _Refused(f"Unknown fields {unknown}; an SLA has contract, service, serviceLevel.")
    contract, level, wanted = (_text(form, f) for f in ("contract", "serviceLevel", "service"))
    service = site.get(SERVICE, wanted) or site.named(SERVICE, wanted)
    if service is None:
        raise _Refused(f"'service': no service '{wanted}'.")
    with site.lock:
        triple = (contract.casefold(), service["id"], level.casefold())
        if any(
            (r["contractName"].casefold(), r["serviceId"], r["serviceLevelName"].casefold())
            == triple
            for r in site.rows(SLA)
        ):
            raise _Refused("This contract already has this service with this service level.")
        contract_id = _id_of(site, "contract", contract)
        in_contract = sum(1 for r in site.rows(SLA) if r["contractId"] == contract_id)
        row = site.insert(
            SLA,
            {
                "contractId": contract_id,
                "contractName": contract,
                "contractSequenceNumber": str(in_contract + 1),
                "serviceId": service["id"],
                "serviceName": service["name"],
                "serviceLevelId": _id_of(site, "serviceLevel", level),
                "serviceLevelName": level,
            },
        )
    return JSONResponse(public(row), status_code=201)


def _route(path: str, method: str, handler: Any, site: Site) -> Route:
    async def run(request: Request) -> Response:
        try:
            response: Response = await handler(request, site)
        except _Refused as refused:
            return JSONResponse({"error": str(refused)}, status_code=refused.status)
        return response

    return Route(path, run, methods=[method])


def control_routes(site: Site) -> list[BaseRoute]:
    """The settings-UI routes bound to ``site``, for the app's unauthenticated control
    endpoints."""
    return [
        _route(f"{UI}/lists/{{list}}", "POST", create_entry, site),
        _route(f"{UI}/lists/{{list}}/{{id}}", "PATCH", edit_entry, site),
        _route(f"{UI}/services/{{id}}", "PATCH", edit_service, site),
        _route(f"{UI}/slas", "POST", add_sla, site),
    ]
