"""Services (services 1.3.7; topdesk.md §3.3): create and read only.

``POST /services`` creates a non-reservable service; there is no update, archive or delete in
the API (description, SLA availability and service levels are set in the UI). The list is
``{results: [...]}`` without archived services, cut at ``$top`` rather than paged. Errors carry
no body (the spec documents none).
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_topdesk.sandbox.common import json_body, respond, top
from usm_topdesk.sandbox.errors import EmptyError
from usm_topdesk.sandbox.site import OPERATOR, OPERATOR_GROUP, SERVICE, Endpoint, Row, Site, public

__all__ = ["ENDPOINTS"]

_OPERATOR_FIELDS = (
    "defaultFirstLineOperator",
    "defaultSecondLineOperator",
    "defaultReservationsOperator",
    "manager",
)


def _entry(row: Row) -> dict[str, Any]:
    keys = ("id", "name", "availableForIncidents", "availableForReservations")
    return {key: row.get(key) for key in keys}


async def list_services(request: Request, site: Site) -> Response:
    rows = [row for row in site.rows(SERVICE) if not row.get("archived")]
    if request.query_params.get("objectId") or request.query_params.get("assetId"):
        rows = []  # the sandbox has no assets, so nothing is linked to one
    return respond(request, {"results": top(request, [_entry(row) for row in rows])})


def _operator_or_group(site: Site, value: Any) -> str | None:
    if value is None:
        return None
    try:
        key = str(uuid.UUID(str(value)))
    except ValueError:
        raise EmptyError(400) from None
    if site.get(OPERATOR, key) is None and site.get(OPERATOR_GROUP, key) is None:
        raise EmptyError(400)
    return key


async def create_service(request: Request, site: Site) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict) or set(body) - {"name", *_OPERATOR_FIELDS}:
        raise EmptyError(400)
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise EmptyError(400)
    operators = {field: _operator_or_group(site, body.get(field)) for field in _OPERATOR_FIELDS}
    row = site.insert(
        SERVICE,
        {
            "name": name,
            "archived": False,
            "type": "service",
            **operators,
            "serviceType": None,
            "availableForIncidents": False,
            "availableForReservations": False,
        },
    )
    return respond(request, public(row), 201)


async def get_service(request: Request, site: Site) -> Response:
    row = site.get(SERVICE, request.path_params["id"])
    if row is None:
        raise EmptyError(404)
    return respond(request, public(row))


ENDPOINTS = [
    Endpoint("/tas/api/services", ("GET",), list_services, module="services"),
    Endpoint("/tas/api/services", ("POST",), create_service, module="services"),
    Endpoint("/tas/api/services/{id}", ("GET",), get_service, module="services"),
]
