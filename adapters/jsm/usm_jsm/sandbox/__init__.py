"""A local emulator of Jira Cloud with Jira Service Management (not a mock: it keeps state).

:func:`create_app` returns a Starlette app serving the platform REST API under
``/rest/api/3`` (and the same under ``/rest/api/2``) and the service desk API under
``/rest/servicedeskapi``, over a :class:`usm_config.sandbox.store.RecordStore` that starts as a
fresh site does. Basic auth is ``email:api_token`` (Cloud); Bearer is a Data Center personal
access token.

Route modules (``platform_*``, ``servicedesk``, ``organizations``, ``internal``) each export
``ENDPOINTS``, a list of :class:`usm_jsm.sandbox.site.Endpoint`; handlers take the request and the
:class:`~usm_jsm.sandbox.site.Site`.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from usm_config.sandbox.app import SpecGuard, build_emulator_app
from usm_config.sandbox.auth import SandboxAuth, Unauthenticated
from usm_config.sandbox.faults import FaultConfig
from usm_config.sandbox.openapi_check import OpenApiRequestChecker
from usm_config.sandbox.store import RecordStore
from usm_jsm.sandbox.errors import JiraApiError, JsmApiError, error_collection
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
    "usm_jsm.sandbox.organizations",
    "usm_jsm.sandbox.internal",
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


#: The vendor spec files checked when ``spec_dir`` is given.
SPEC_FILES = ("jira-platform-swagger-v3.v3.json", "jsm-servicedesk-swagger.v3.json")
_SERVICEDESK_API = "/rest/servicedeskapi/"
_V2, _V3 = "/rest/api/2/", "/rest/api/3/"
#: Statuses Jira answers beyond the responses the spec documents for the operation: a lock
#: conflict on a workflow, status or scheme write (jira.md §1.2, §2), listed where the spec does
#: not document 409, and 404 for an unknown workflow in the bulk read (observed, jira.md §3).
UNDOCUMENTED_STATUSES: Mapping[str, frozenset[int]] = {
    **{
        f"{method} {_V3}{path}": frozenset({409})
        for method, path in (
            ("DELETE", "statuses"),
            ("POST", "workflowscheme"),
            ("PUT", "workflowscheme/{id}"),
            ("DELETE", "workflowscheme/{id}"),
            ("PUT", "workflowscheme/project"),
            ("PUT", "workflowscheme/{id}/issuetype/{issueType}"),
            ("DELETE", "workflowscheme/{id}/issuetype/{issueType}"),
        )
    },
    f"POST {_V3}workflows": frozenset({404}),
}


def _unauthenticated(path: str) -> Response:
    message = "You are not authenticated. Authentication required to perform this operation."
    if path.startswith(_SERVICEDESK_API):
        return JsmApiError(401, message, "sd.rest.error.unauthorized").response()
    return JiraApiError(
        401, [message], headers={"WWW-Authenticate": 'Basic realm="protected-area"'}
    ).response()


def _route(path: str, methods: list[str], handler: Handler, site: Site, auth: SandboxAuth) -> Route:
    """A route to ``handler`` for authenticated requests; errors rendered as Jira does."""

    async def run(request: Request) -> Response:
        try:
            request.scope["user"] = auth.authenticate(request.headers)
        except Unauthenticated:
            return _unauthenticated(request.url.path)
        try:
            return await handler(request, site)
        except (JiraApiError, JsmApiError) as error:
            return error.response()

    return Route(path, run, methods=methods)


def _routes(endpoints: Iterable[Endpoint], site: Site, auth: SandboxAuth) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for endpoint in endpoints:
        methods = list(endpoint.methods)
        routes.append(_route(endpoint.path, methods, endpoint.handler, site, auth))
        if endpoint.path.startswith(_V3):
            v2_path = _V2 + endpoint.path.removeprefix(_V3)
            routes.append(_route(v2_path, methods, endpoint.handler, site, auth))
    return routes


#: Jira's internal endpoints (usm_jsm.sandbox.internal): in no OpenAPI document, so not checked.
_UNDOCUMENTED = ("/rest/servicedesk/1/", "/rest/workinghours/1/")


class _JiraSpecGuard(SpecGuard):
    """Checks ``/rest/api/2`` requests against the v3 operations (the same operation set);
    leaves the undocumented internal endpoints alone."""

    def operation(
        self, request: Request, method: str | None, path: str | None
    ) -> tuple[str, str] | None:
        path = path or request.url.path
        if path.startswith(_UNDOCUMENTED):
            return None
        if path.startswith(_V2):
            path = _V3 + path.removeprefix(_V2)
        return method or request.method, path


def _spec_error(violations: Sequence[str]) -> Response:
    return JSONResponse(error_collection(violations), status_code=400)


def _fault_body(
    now: Callable[[], datetime], retry_after_s: float
) -> Callable[[int], tuple[bytes, dict[str, str]]]:
    """Jira's 429 (with ``X-RateLimit-Reset``, jira.md §2) and 503 ErrorCollections."""

    def render(status: int) -> tuple[bytes, dict[str, str]]:
        headers = {"content-type": "application/json;charset=UTF-8"}
        if status == 429:
            reset = now() + timedelta(seconds=retry_after_s)
            headers["x-ratelimit-reset"] = reset.strftime("%Y-%m-%dT%H:%MZ")
            headers["ratelimit-reason"] = "jira-burst-based"
            body = error_collection(["Rate limit exceeded."])
        else:
            body = error_collection(["Service Unavailable"])
        return json.dumps(body).encode(), headers

    return render


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
    auth = SandboxAuth(dict(users), bearer_tokens=tuple(bearer_tokens))
    checker = (
        OpenApiRequestChecker.from_files(
            *(spec_dir / name for name in SPEC_FILES), extra_statuses=UNDOCUMENTED_STATUSES
        )
        if spec_dir is not None
        else None
    )
    # Jira sends Retry-After in whole seconds.
    faults = dataclasses.replace(faults, retry_after_s=round(faults.retry_after_s))
    ui = _optional_module("usm_jsm.sandbox.ui")
    app = build_emulator_app(
        _routes(_endpoints(), site, auth),
        store=store,
        error_body=_fault_body(site.now, faults.retry_after_s),
        faults=faults,
        spec=_JiraSpecGuard(checker),
        spec_error=_spec_error,
        control_routes=ui.control_routes(site) if ui is not None else (),
        on_reset=lambda: site.ensure_users(users),
    )
    app.state.site = site
    return app
