"""The app every emulator is built on: its routes plus the kit's control endpoints and plumbing.

An emulator supplies only its vendor's routes and envelopes::

    store = RecordStore(db_path, id_field="id", seed=load_baseline)
    auth = SandboxAuth({"admin": "admin"}, bearer_tokens={"pat-token": "admin"})
    app = build_emulator_app(
        [Route("/rest/api/3/issue", create_issue, methods=["POST"]), ...],
        store=store,
        faults=faults,
        error_body=vendor_fault_body,          # (status) -> (body bytes, headers) for 429/503
        spec=OpenApiRequestChecker.from_files(platform_spec, servicedesk_spec),
        spec_error=vendor_400,                 # (violations) -> Response
        control_routes=[Route("/_sandbox/ui/...", ui_simulator)],
    )

A handler authenticates with ``auth.authenticate(request.headers)`` (catching
:class:`~usm_config.sandbox.auth.Unauthenticated` to answer its own 401) and reads and writes
``store``. :func:`build_emulator_app` adds, in this order from the outside in:

* fault and latency injection (:class:`~usm_config.sandbox.faults.FaultInjectionMiddleware`)
  and the request log, for every path outside ``exempt_prefixes``;
* with ``spec`` and ``spec_error``: every such request checked against the spec; a violation
  is recorded and answered with ``spec_error(violations)`` before any handler runs; and the
  status each handler answers, recorded as a violation when the operation does not document
  it (:meth:`SpecGuard.check_status`), and its JSON body, when it departs from the schema the
  operation documents for that status (:meth:`SpecGuard.check_response`). Without
  ``spec_error`` the emulator checks where it wants with :meth:`SpecGuard.check`;
* the control endpoints, without auth or faults: ``GET /_sandbox/requests`` (the request
  log), ``GET /_sandbox/spec_violations``, ``POST /_sandbox/reset`` (empty and re-seed the
  store, clear the log and the violations, then call ``on_reset``) and
  ``GET /_sandbox/tables/{table}`` (the stored rows), plus the emulator's ``control_routes``.

``app.state`` holds ``store``, ``request_log``, ``spec_violations`` (``list[str]``) and
``spec_guard``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from usm_config.sandbox.faults import ErrorBody, FaultConfig, FaultInjectionMiddleware
from usm_config.sandbox.openapi_check import NO_BODY, OpenApiRequestChecker, is_json_media
from usm_config.sandbox.requestlog import RequestLog, query_items
from usm_config.sandbox.store import RecordStore

__all__ = ["SpecError", "SpecGuard", "build_emulator_app"]

#: Renders an emulator's answer to a request that violates the spec (status 400).
SpecError = Callable[[Sequence[str]], Response]


class SpecGuard:
    """A spec checker and the violations it found, shared by an app and its handlers.

    ``checker=None`` checks nothing (an emulator started without a spec).
    """

    def __init__(self, checker: OpenApiRequestChecker | None = None) -> None:
        self.checker = checker
        self.violations: list[str] = []

    async def check(
        self,
        request: Request,
        *,
        method: str | None = None,
        path: str | None = None,
        allow_param: Callable[[str], bool] | None = None,
    ) -> list[str]:
        """Check ``request`` (method, path, every query pair, JSON body); record violations.

        ``method`` and ``path`` replace the request's own when the emulator serves the API
        under other URLs than the spec names (ServiceNow's ``/api/now/v2/table/...``).
        ``allow_param`` accepts further query names (see
        :meth:`OpenApiRequestChecker.check`). Returns the violations (empty when it conforms).
        """
        if self.checker is None:
            return []
        located = self.operation(request, method, path)
        if located is None:
            return []
        violations = self.checker.check(
            *located,
            query_items(request.scope.get("query_string", b"")),
            allow_param=allow_param,
            body=await self.body(request, located[0]),
        )
        self.violations.extend(violations)
        return violations

    async def body(self, request: Request, method: str) -> Any:
        """The request's body as the spec check sees it (:data:`NO_BODY` for none). Emulators
        of a tool that ignores the body of some requests override it."""
        return _json_body(await request.body(), request.headers.get("content-type"))

    def check_status(self, request: Request, status: int) -> list[str]:
        """Record the answer's ``status`` when the operation does not document it: an
        emulator answers what the vendor says its tool answers (see
        :meth:`OpenApiRequestChecker.check_status`)."""
        if self.checker is None:
            return []
        located = self.operation(request, None, None)
        if located is None:
            return []
        violations = self.checker.check_status(*located, status)
        self.violations.extend(violations)
        return violations

    def check_response(self, request: Request, status: int, body: Any) -> list[str]:
        """Record how the JSON ``body`` answered with ``status`` departs from the schema the
        operation documents for it (see :meth:`OpenApiRequestChecker.check_response`);
        :data:`NO_BODY` (no body, or not JSON) is not checked."""
        if self.checker is None or body is NO_BODY:
            return []
        located = self.operation(request, None, None)
        if located is None:
            return []
        violations = self.checker.check_response(*located, status, body)
        self.violations.extend(violations)
        return violations

    def operation(
        self, request: Request, method: str | None, path: str | None
    ) -> tuple[str, str] | None:
        """The method and path the spec names ``request`` by (``method`` and ``path`` when
        given), or ``None`` for a request the spec does not cover. Emulators that serve the
        API under other URLs than the spec's override it."""
        return method or request.method, path or request.url.path


async def json_object(request: Request) -> dict[str, Any] | None:
    """The request's body as a JSON object; ``None`` when it is not one (empty, not JSON, or
    another JSON value), for the emulator to refuse in its tool's own words."""
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _json_body(raw: bytes, content_type: str | None) -> Any:
    """The decoded body for the spec check; :data:`NO_BODY` if empty or not JSON."""
    if not raw:
        return NO_BODY
    if not is_json_media(content_type or "application/json"):
        return NO_BODY
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return NO_BODY


class _SpecMiddleware:
    """Answer ``spec_error(violations)`` to requests that violate the spec; pass the rest."""

    def __init__(
        self,
        app: ASGIApp,
        guard: SpecGuard,
        spec_error: SpecError,
        exempt_prefixes: Sequence[str],
    ) -> None:
        self.app = app
        self.guard = guard
        self.spec_error = spec_error
        self.exempt_prefixes = tuple(exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        violations = await self.guard.check(request)
        if violations:
            await self.spec_error(violations)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        status, media, chunks = 0, "", []

        async def sent(message: Message) -> None:
            nonlocal status, media
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = dict(message.get("headers") or ())
                media = headers.get(b"content-type", b"").decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, sent)
        if status:
            self.guard.check_status(request, status)
            self.guard.check_response(request, status, _json_body(b"".join(chunks), media))


def build_emulator_app(
    routes: Sequence[BaseRoute],
    *,
    store: RecordStore,
    error_body: ErrorBody,
    faults: FaultConfig = FaultConfig(),  # noqa: B008 (frozen, so a shared default is safe)
    spec: SpecGuard | OpenApiRequestChecker | None = None,
    spec_error: SpecError | None = None,
    control_routes: Sequence[BaseRoute] = (),
    exempt_prefixes: Sequence[str] = ("/_sandbox/",),
    on_reset: Callable[[], None] | None = None,
    request_log: RequestLog | None = None,
) -> Starlette:
    """An emulator app serving ``routes`` with the kit's plumbing (see the module docstring).

    ``error_body(status)`` renders the vendor's 429 and 503 for injected faults. ``spec`` is a
    checker or a :class:`SpecGuard` the emulator's handlers already hold; ``spec_error`` makes
    the app check every request itself. ``control_routes`` are extra endpoints without auth or
    faults; their paths must start with one of ``exempt_prefixes``. ``request_log`` lets an
    emulator hold the log before the app exists (default: a new one).
    """
    guard = spec if isinstance(spec, SpecGuard) else SpecGuard(spec)
    log = request_log if request_log is not None else RequestLog()
    for route in control_routes:
        path = str(getattr(route, "path", ""))
        if not path.startswith(tuple(exempt_prefixes)):
            raise ValueError(f"control route {path!r} is outside {list(exempt_prefixes)}")

    async def requests(request: Request) -> Response:
        return JSONResponse({"requests": log.to_json()})

    async def spec_violations(request: Request) -> Response:
        return JSONResponse({"spec_violations": list(guard.violations)})

    async def reset(request: Request) -> Response:
        store.reset()
        log.clear()
        guard.violations.clear()
        if on_reset is not None:
            on_reset()
        return JSONResponse({"status": "reset"})

    async def table(request: Request) -> Response:
        name = request.path_params["table"]
        if not store.has_table(name):
            return JSONResponse({"error": f"no table {name}"}, status_code=404)
        return JSONResponse({"result": store.rows(name)})

    control = [
        Route("/_sandbox/requests", requests, methods=["GET"]),
        Route("/_sandbox/spec_violations", spec_violations, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/tables/{table}", table, methods=["GET"]),
        *control_routes,
    ]
    middleware = [
        Middleware(
            FaultInjectionMiddleware,
            faults=faults,
            error_body=error_body,
            exempt_prefixes=exempt_prefixes,
            request_log=log,
        )
    ]
    if spec_error is not None and guard.checker is not None:
        middleware.append(
            Middleware(
                _SpecMiddleware,
                guard=guard,
                spec_error=spec_error,
                exempt_prefixes=exempt_prefixes,
            )
        )
    app = Starlette(routes=[*control, *routes], middleware=middleware)
    app.state.store = store
    app.state.request_log = log
    app.state.spec_guard = guard
    app.state.spec_violations = guard.violations
    return app
