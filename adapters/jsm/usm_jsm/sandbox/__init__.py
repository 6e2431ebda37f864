"""A local emulator of Jira Cloud with Jira Service Management (not a mock: it keeps state).

:func:`create_app` returns a Starlette app serving the platform REST API under
``/rest/api/3`` (its reads also under ``/rest/api/2``) and the service desk API under
``/rest/servicedeskapi``, over a :class:`usm_config.sandbox.store.RecordStore` that starts as a
fresh site does. Basic auth is ``email:api_token`` (Cloud); Bearer is a Data Center personal
access token.

Route modules (``platform_*``, ``servicedesk``) each export ``ENDPOINTS``, a list of
:class:`usm_jsm.sandbox.site.Endpoint`; handlers take the request and the
:class:`~usm_jsm.sandbox.site.Site`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import ModuleType

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from usm_config.sandbox.faults import FaultConfig
from usm_config.sandbox.store import RecordStore
from usm_jsm.sandbox.errors import JiraApiError, JsmApiError
from usm_jsm.sandbox.site import TABLES, Endpoint, Handler, Site

__all__ = ["DEFAULT_BEARER_TOKENS", "DEFAULT_USERS", "create_app"]

#: The sandbox's default Cloud login: e-mail address → API token.
DEFAULT_USERS: Mapping[str, str] = {"admin@example.com": "sandbox-token"}
#: The sandbox's default Data Center personal access tokens.
DEFAULT_BEARER_TOKENS: Collection[str] = ("sandbox-pat",)

_NO_FAULTS = FaultConfig()

#: Route modules, platform first; a module not (yet) present is skipped.
_ROUTE_MODULES = (
    "usm_jsm.sandbox.platform_core",
    "usm_jsm.sandbox.platform_statuses",
    "usm_jsm.sandbox.platform_workflows",
    "usm_jsm.sandbox.platform_workflowschemes",
    "usm_jsm.sandbox.platform_issuetypes",
    "usm_jsm.sandbox.platform_fields",
    "usm_jsm.sandbox.platform_priorities",
    "usm_jsm.sandbox.platform_projects",
    "usm_jsm.sandbox.platform_groups",
    "usm_jsm.sandbox.servicedesk",
)


def _optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        return None


def _endpoints() -> list[Endpoint]:
    found: list[Endpoint] = []
    for name in _ROUTE_MODULES:
        module = _optional_module(name)
        if module is not None:
            found.extend(module.ENDPOINTS)
    return found


def _route(path: str, methods: list[str], handler: Handler, site: Site) -> Route:
    async def run(request: Request) -> Response:
        return await handler(request, site)

    return Route(path, run, methods=methods)


def _routes(endpoints: Iterable[Endpoint], site: Site) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for endpoint in endpoints:
        routes.append(_route(endpoint.path, list(endpoint.methods), endpoint.handler, site))
        if endpoint.v2_read and endpoint.path.startswith("/rest/api/3/"):
            v2_path = "/rest/api/2/" + endpoint.path.removeprefix("/rest/api/3/")
            routes.append(_route(v2_path, ["GET"], endpoint.handler, site))
    return routes


async def _jira_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JiraApiError | JsmApiError)
    return exc.response()


def _seed(store: RecordStore) -> None:
    baseline = _optional_module("usm_jsm.sandbox.baseline")
    if baseline is not None:
        baseline.seed(store)


def create_app(
    *,
    db_path: Path | None = None,
    faults: FaultConfig = _NO_FAULTS,
    users: Mapping[str, str] = DEFAULT_USERS,
    bearer_tokens: Collection[str] = DEFAULT_BEARER_TOKENS,
    spec_dir: Path | None = None,
    lock_conflict_rate: float = 0.0,
    now: Callable[[], datetime] | None = None,
) -> Starlette:
    """The emulator app; its state lives in ``db_path`` (SQLite) or in memory when ``None``.

    ``users`` maps e-mail addresses to API tokens (Basic auth), ``bearer_tokens`` are personal
    access tokens (Bearer auth). With ``spec_dir`` (the folder holding the Jira spec files)
    every request is checked against the vendor specs. ``lock_conflict_rate`` is the share of
    workflow, status and scheme writes refused with 409 "Failed to acquire lock". ``now`` is
    the site's clock. ``app.state.site`` is the :class:`~usm_jsm.sandbox.site.Site`.
    """
    store = RecordStore(db_path, tables=TABLES, seed=_seed)
    site = Site(store, now=now, lock_conflict_rate=lock_conflict_rate)
    site.ensure_users(users)
    app = Starlette(
        routes=_routes(_endpoints(), site),
        exception_handlers={JiraApiError: _jira_error, JsmApiError: _jira_error},
    )
    app.state.site = site
    app.state.store = store
    return app
