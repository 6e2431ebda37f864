"""A local emulator of a TOPdesk tenant (not a mock: it keeps state).

:func:`create_app` returns a Starlette app serving the REST API under ``/tas/api`` and the
knowledge base under ``/services/knowledge-base-v1``, over a
:class:`usm_config.sandbox.store.RecordStore` that starts as a new tenant does (see
:mod:`usm_topdesk.sandbox.baseline`). Auth is HTTP Basic with an operator's login name and
application password (topdesk.md §2.2).

What the app does around every route, in this order:

* 401 with TOPdesk's legacy envelope for missing or wrong credentials;
* 403 or 404 for a module the tenant has no licence for (``unlicensed``);
* 406 when ``Accept`` names no media type the endpoint produces (:mod:`.common`);
* 405 with ``Allow`` for a method a path does not serve: this is how writes to the read-only
  configuration lists are refused (:mod:`.readonly`); 404 for an unknown path.

With ``spec_dir`` every request is also checked against the reconstructed specs first
(:mod:`.spec_gaps`); a violation is answered 400 with the legacy envelope listing it (405 or
404 when the spec has no such method or path) and recorded in ``app.state.spec_violations``.

Route modules (``general``, ``readonly``, ``supporting``, ``services``, ``knowledge``) each
export ``ENDPOINTS``, a list of :class:`usm_topdesk.sandbox.site.Endpoint`; ``ui`` holds the
settings-UI control routes under ``/_sandbox/ui``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from usm_config.sandbox.app import SpecGuard, build_emulator_app
from usm_config.sandbox.auth import SandboxAuth, Unauthenticated
from usm_config.sandbox.faults import FaultConfig
from usm_config.sandbox.openapi_check import NO_BODY
from usm_config.sandbox.store import RecordStore
from usm_topdesk.sandbox import general, knowledge, readonly, services, supporting, ui
from usm_topdesk.sandbox.baseline import seed
from usm_topdesk.sandbox.common import negotiate, set_media
from usm_topdesk.sandbox.errors import LegacyError, TopdeskError
from usm_topdesk.sandbox.site import TABLES, Endpoint, Site
from usm_topdesk.sandbox.spec_gaps import SPEC_FILES, checker_for

__all__ = ["DEFAULT_USERS", "MODULES", "SPEC_FILES", "create_app"]

#: The sandbox's default login: operator login name → application password.
DEFAULT_USERS: Mapping[str, str] = {"admin": "sandbox-app-password"}

#: Licensable modules the emulator serves, as ``create_app(unlicensed={module: status})``
#: names them; ``core`` (general, incident, supporting files) is always licensed.
MODULES = ("services", "knowledge-base", "change", "operations")

_NO_FAULTS = FaultConfig()
_ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_BASIC_REALM = {"WWW-Authenticate": 'Basic realm="TOPdesk"'}


def _endpoints() -> list[Endpoint]:
    return [
        endpoint
        for module in (general, readonly, supporting, services, knowledge)
        for endpoint in module.ENDPOINTS
    ]


def _unauthenticated(has_credentials: bool) -> Response:
    # Texts from the specs' 401 descriptions (supporting files; general 1.2.0).
    message = (
        "Invalid Credentials or no Permission"
        if has_credentials
        else "No authentication token provided"
    )
    return LegacyError(401, message, headers=_BASIC_REALM).response()


def _unlicensed(status: int) -> Response:
    if status == 403:
        return LegacyError(403, "No permission to access the data").response()
    return LegacyError(404, "Not found").response()


class _Routing:
    """Builds the routes: auth, licence, media type and error rendering around handlers."""

    def __init__(self, site: Site, auth: SandboxAuth, unlicensed: Mapping[str, int]) -> None:
        self.site = site
        self.auth = auth
        self.unlicensed = dict(unlicensed)

    def _authenticate(self, request: Request) -> Response | None:
        try:
            login = self.auth.authenticate(request.headers)
        except Unauthenticated:
            return _unauthenticated(bool(request.headers.get("authorization")))
        operator = self.site.operator_by_login(login)
        if operator is not None and operator.get("status") == "operatorArchived":
            return LegacyError(401, "User removed or archived", headers=_BASIC_REALM).response()
        request.scope["user"] = login
        return None

    def route(self, endpoint: Endpoint) -> Route:
        async def run(request: Request) -> Response:
            refused = self._authenticate(request)
            if refused is not None:
                return refused
            if endpoint.module in self.unlicensed:
                return _unlicensed(self.unlicensed[endpoint.module])
            try:
                set_media(request, negotiate(request.headers.get("accept"), endpoint.produces))
                return await endpoint.handler(request, self.site)
            except TopdeskError as error:
                return error.response()

        return Route(endpoint.path, run, methods=list(endpoint.methods))

    def not_allowed(self, path: str, served: Collection[str]) -> Route:
        allow = ", ".join(sorted(served))
        others = [m for m in _ALL_METHODS if m not in served]

        async def run(request: Request) -> Response:
            refused = self._authenticate(request)
            if refused is not None:
                return refused
            return Response(status_code=405, headers={"Allow": allow})

        return Route(path, run, methods=others)

    def not_found(self) -> Route:
        async def run(request: Request) -> Response:
            refused = self._authenticate(request)
            if refused is not None:
                return refused
            return LegacyError(404, "Not found").response()

        return Route("/{path:path}", run, methods=list(_ALL_METHODS))

    def routes(self, endpoints: Iterable[Endpoint]) -> list[BaseRoute]:
        routes: list[BaseRoute] = []
        served: dict[str, set[str]] = defaultdict(set)
        for endpoint in endpoints:
            routes.append(self.route(endpoint))
            served[endpoint.path].update(endpoint.methods)
        routes += [self.not_allowed(path, methods) for path, methods in served.items()]
        routes.append(self.not_found())
        return routes


class _TopdeskSpecGuard(SpecGuard):
    """Ignores GET bodies: TOPdesk does, and the ``topdesk`` client sends ``null`` with every
    GET."""

    async def body(self, request: Request, method: str) -> Any:
        return NO_BODY if method == "GET" else await super().body(request, method)


def _spec_error(violations: Sequence[str]) -> Response:
    if all(": method not allowed" in v for v in violations):
        allowed = violations[0].rpartition("(spec allows ")[2].rstrip(")")
        return Response(status_code=405, headers={"Allow": allowed})
    if all(": no path in the spec matches" in v for v in violations):
        return LegacyError(404, "Not found").response()
    return LegacyError(400, *violations).response()


def _fault_body(status: int) -> tuple[bytes, dict[str, str]]:
    """TOPdesk documents no 429 (topdesk.md §2.6); injected faults use the legacy envelope."""
    message = "Too many requests" if status == 429 else "An error occurred on the server"
    body = json.dumps([{"message": message}]).encode()
    return body, {"content-type": "application/json"}


def create_app(
    *,
    db_path: Path | None = None,
    faults: FaultConfig = _NO_FAULTS,
    users: Mapping[str, str] = DEFAULT_USERS,
    spec_dir: Path | None = None,
    unlicensed: Mapping[str, int] | None = None,
    now: Callable[[], datetime] | None = None,
) -> Starlette:
    """The emulator app; its state lives in ``db_path`` (SQLite) or in memory when ``None``.

    ``users`` maps operator login names to application passwords (an operator card is
    created for a login the tenant does not have). With ``spec_dir`` (the folder of the
    reconstructed TOPdesk OpenAPI documents, ``../shared/specs/topdesk/reconstructed``) every
    request is checked against the specs. ``unlicensed`` maps modules of :data:`MODULES` to
    the status (403 or 404) their endpoints answer, as on a tenant without that licence.
    ``now`` is the tenant's clock. ``app.state.site`` is the
    :class:`~usm_topdesk.sandbox.site.Site`.
    """
    unknown = set(unlicensed or {}) - set(MODULES)
    if unknown:
        raise ValueError(f"unknown modules {sorted(unknown)}; known: {list(MODULES)}")
    if any(status not in (403, 404) for status in (unlicensed or {}).values()):
        raise ValueError("an unlicensed module answers 403 or 404")
    store = RecordStore(db_path, tables=TABLES, seed=seed)
    site = Site(store, now=now)

    def ensure_operators() -> None:
        for login in users:
            supporting.ensure_operator(site, login)

    ensure_operators()
    auth = SandboxAuth(dict(users))
    routing = _Routing(site, auth, unlicensed or {})
    app = build_emulator_app(
        routing.routes(_endpoints()),
        store=store,
        error_body=_fault_body,
        faults=faults,
        spec=_TopdeskSpecGuard(checker_for(spec_dir) if spec_dir is not None else None),
        spec_error=_spec_error,
        control_routes=ui.control_routes(site),
        on_reset=ensure_operators,
    )
    app.state.site = site
    return app
