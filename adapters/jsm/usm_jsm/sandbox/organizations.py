"""Customer organizations of the JSM emulator (``/rest/servicedeskapi/organization``).

Organizations are site-wide; a service desk lists the ones added to it. Shapes from the JSM
spec's ``OrganizationDTO`` (``{id, name, created, _links}``); creating answers 201, a name in
use answers 400 as Cloud does.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from usm_jsm.sandbox.errors import JsmApiError
from usm_jsm.sandbox.paging import paged_dto
from usm_jsm.sandbox.servicedesk import json_body, next_small_id, resolve_service_desk
from usm_jsm.sandbox.site import Endpoint, Row, Site

API = "/rest/servicedeskapi"
ORGANIZATION = "organization"
#: (service desk id, organization id) pairs, keyed "<desk>/<organization>".
DESK_ORGANIZATION = "servicedesk_organization"
_PAGE_CAP = 50


def _json(request: Request, row: Row) -> dict[str, Any]:
    base = f"{str(request.base_url).rstrip('/')}{API}"
    return {
        "id": row["id"],
        "name": row["name"],
        "scimManaged": False,
        "_links": {"self": f"{base}/organization/{row['id']}"},
    }


def _organization(site: Site, organization_id: object) -> Row:
    row = site.get(ORGANIZATION, str(organization_id))
    if row is None:
        raise JsmApiError(
            404, f"Organization {organization_id} does not exist.", "sd.rest.error.notfound"
        )
    return row


async def list_organizations(request: Request, site: Site) -> Response:
    rows = [_json(request, row) for row in site.rows(ORGANIZATION)]
    return JSONResponse(paged_dto(request, rows, cap=_PAGE_CAP))


async def create_organization(request: Request, site: Site) -> Response:
    name = str((await json_body(request)).get("name") or "").strip()
    if not name:
        raise JsmApiError(400, "An organization needs a name.", "sd.rest.error.bad.request")
    if site.find(ORGANIZATION, name=name) is not None:
        raise JsmApiError(
            400, f"An organization with the name '{name}' already exists.", "sd.org.name.taken"
        )
    row = site.insert(ORGANIZATION, {"id": next_small_id(site, ORGANIZATION), "name": name})
    return JSONResponse(_json(request, row), status_code=201)


async def get_organization(request: Request, site: Site) -> Response:
    return JSONResponse(_json(request, _organization(site, request.path_params["organizationId"])))


async def delete_organization(request: Request, site: Site) -> Response:
    row = _organization(site, request.path_params["organizationId"])
    site.delete(ORGANIZATION, row["id"])
    for link in site.rows(DESK_ORGANIZATION):
        if link["organizationId"] == row["id"]:
            site.delete(DESK_ORGANIZATION, link["id"])
    return Response(status_code=204)


async def desk_organizations(request: Request, site: Site) -> Response:
    desk = resolve_service_desk(site, request.path_params["serviceDeskId"])
    rows = [
        _json(request, _organization(site, link["organizationId"]))
        for link in site.rows(DESK_ORGANIZATION)
        if link["serviceDeskId"] == desk["id"]
    ]
    return JSONResponse(paged_dto(request, rows, cap=_PAGE_CAP))


async def add_to_desk(request: Request, site: Site) -> Response:
    desk = resolve_service_desk(site, request.path_params["serviceDeskId"])
    organization = _organization(site, (await json_body(request)).get("organizationId"))
    key = f"{desk['id']}/{organization['id']}"
    if site.get(DESK_ORGANIZATION, key) is None:
        link = {"id": key, "serviceDeskId": desk["id"], "organizationId": organization["id"]}
        site.insert(DESK_ORGANIZATION, link, key)
    return Response(status_code=204)


async def remove_from_desk(request: Request, site: Site) -> Response:
    desk = resolve_service_desk(site, request.path_params["serviceDeskId"])
    organization = _organization(site, (await json_body(request)).get("organizationId"))
    site.delete(DESK_ORGANIZATION, f"{desk['id']}/{organization['id']}")
    return Response(status_code=204)


_ONE = f"{API}/organization/{{organizationId}}"
_DESK = f"{API}/servicedesk/{{serviceDeskId}}/organization"

ENDPOINTS = [
    Endpoint(f"{API}/organization", ("GET",), list_organizations),
    Endpoint(f"{API}/organization", ("POST",), create_organization),
    Endpoint(_ONE, ("GET",), get_organization),
    Endpoint(_ONE, ("DELETE",), delete_organization),
    Endpoint(_DESK, ("GET",), desk_organizations),
    Endpoint(_DESK, ("POST",), add_to_desk),
    Endpoint(_DESK, ("DELETE",), remove_from_desk),
]
