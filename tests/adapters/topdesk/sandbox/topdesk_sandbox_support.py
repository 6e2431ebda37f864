"""A synchronous client for the TOPdesk emulator's tests (one event loop per call)."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette
from support import SPECS, EmbeddedApi
from usm_topdesk.sandbox.baseline import baseline

BASE = "https://sandbox.topdesk.test"
ADMIN = ("admin", "sandbox-app-password")
#: The tenant's first branch, which a fresh tenant has out of the box.
BRANCH: str = baseline()["tables"]["branch"][0]["id"]
API = "/tas/api"
#: The reconstructed TOPdesk specs, beside the checkout.
TOPDESK_SPECS = SPECS / "topdesk" / "reconstructed"


class Api(EmbeddedApi):
    """Requests to one emulator app as one login (``None``: anonymous)."""

    base = BASE
    prefix = API

    def __init__(self, app: Starlette, auth: tuple[str, str] | None = ADMIN) -> None:
        super().__init__(app, auth)

    def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """A request to the unauthenticated ``/_sandbox`` control endpoints."""
        return Api(self.app, auth=None).call(method, path, body)


def new_operator(api: Api, surname: str = "Jansen", **fields: Any) -> dict[str, Any]:
    """An operator card created as TOPdesk requires one: linked to a new person, on the
    tenant's first branch; ``fields`` go into the card too."""
    branch = {"id": BRANCH}
    person = api.ok("POST", "persons", {"surName": surname, "branch": branch})
    body = {"surName": surname, "branch": branch, "linkedPerson": {"id": person["id"]}}
    created: dict[str, Any] = api.ok("POST", "operators", {**body, **fields})
    return created


def new_group(api: Api, name: str = "Service desk", **extra: Any) -> dict[str, Any]:
    """An operator group on the tenant's first branch; ``extra`` goes into the card too."""
    body = {"groupName": name, "branch": {"id": BRANCH}, **extra}
    created: dict[str, Any] = api.ok("POST", "operatorgroups", body)
    return created
