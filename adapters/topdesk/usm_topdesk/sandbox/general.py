"""The general API's version endpoints (general 1.2.0, topdesk.md §2.3).

``GET /version`` answers the REST API version integrations gate features on (Cortex XSOAR
uses FIQL for incidents from 3.3.0); ``GET /productVersion`` the TOPdesk release as numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from usm_topdesk.sandbox.common import respond
from usm_topdesk.sandbox.site import Endpoint, Site

__all__ = ["ENDPOINTS", "PRODUCT_VERSION", "REST_API_VERSION"]

#: The REST API version the sandbox reports: a 3.x release with FIQL everywhere.
REST_API_VERSION = "3.9.0"
#: The TOPdesk release the sandbox reports.
PRODUCT_VERSION: Mapping[str, int] = {"major": 13, "minor": 4, "patch": 0}


async def version(request: Request, site: Site) -> Response:
    return respond(request, {"version": REST_API_VERSION})


async def product_version(request: Request, site: Site) -> Response:
    return respond(request, dict(PRODUCT_VERSION))


ENDPOINTS = [
    Endpoint("/tas/api/version", ("GET",), version),
    Endpoint("/tas/api/productVersion", ("GET",), product_version),
]
