"""Vendor-neutral fault and latency injection for the emulators, as pure ASGI middleware.

:class:`FaultInjectionMiddleware` answers 429 and 503 *before* a request reaches the app (so
nothing is written), and can lose the response of a write *after* the app committed it. How a
lost response looks depends on how the app is reached:

* in-process behind :class:`usm_config.sandbox.embedded.EmbeddedTransport`, the response is
  marked with the internal :data:`DROPPED_HEADER` and the transport raises
  ``httpx.RemoteProtocolError`` instead of returning it;
* behind a real HTTP server (uvicorn), the middleware sends the status line with a
  ``Content-Length``, half of the body, and then raises :class:`ResponseDropped`, so the server
  closes the connection mid-body and the client sees a broken response.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from usm_config.sandbox.held import headers_without_length, held_response
from usm_config.sandbox.requestlog import (
    LOGGED_BODY_EXTENSION,
    SUBREQUESTS_EXTENSION,
    LoggedRequest,
    RequestLog,
    logged_body,
    query_items,
)

__all__ = [
    "DROPPED_HEADER",
    "EMBEDDED_EXTENSION",
    "WRITE_METHODS",
    "ErrorBody",
    "FaultConfig",
    "FaultInjectionMiddleware",
    "ResponseDropped",
    "send_held",
]

#: Methods whose successful response may be dropped after the commit.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Internal response header marking a dropped response; never reaches a client.
DROPPED_HEADER = "x-sandbox-dropped"
#: ASGI scope extension set by the embedded transport (see :mod:`usm_config.sandbox.embedded`).
EMBEDDED_EXTENSION = "usm_config.sandbox.embedded"

#: Builds the vendor's error response for a status: ``(body, headers)``.
ErrorBody = Callable[[int], tuple[bytes, dict[str, str]]]


async def send_held(send: Send, start: Message, body: bytes, *, dropped: bool = False) -> None:
    """Send a response held back whole (see :func:`usm_config.sandbox.held.held_response`);
    ``dropped`` marks it lost after the commit, which the embedded transport turns into a
    dropped connection (:data:`DROPPED_HEADER`)."""
    headers = headers_without_length(start)
    if dropped:
        headers.append((DROPPED_HEADER.encode(), b"1"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class ResponseDropped(Exception):
    """Raised mid-response so that a real HTTP server cuts the connection after the commit."""


@dataclass(frozen=True)
class FaultConfig:
    """What to inject into every non-exempt request. All rates are probabilities in [0, 1].

    ``latency_ms`` is added before each request; ``rate_429`` and ``rate_5xx`` (answered 503)
    reject requests before the app sees them; ``drop_after_commit`` loses the response of a
    successful write after the write happened. ``retry_after_s`` is sent as ``Retry-After``
    with a 429. ``seed`` makes the sequence of faults repeatable.
    """

    latency_ms: float = 0
    rate_429: float = 0
    rate_5xx: float = 0
    drop_after_commit: float = 0
    retry_after_s: float = 1
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("rate_429", "rate_5xx", "drop_after_commit"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, not {self.latency_ms}")
        if self.retry_after_s < 0:
            raise ValueError(f"retry_after_s must not be negative, not {self.retry_after_s}")


class FaultInjectionMiddleware:
    """Pure ASGI middleware injecting the faults of a :class:`FaultConfig`.

    ``error_body(status)`` renders the vendor's error envelope for 429 and 503; the middleware
    adds ``Retry-After`` to a 429. Requests whose path starts with one of ``exempt_prefixes``
    (control endpoints) get no faults and are not logged. Every other request is appended to
    ``request_log`` with its query, its body, the status sent, the fault injected, if any, and
    the sub-requests the app logged with :func:`~usm_config.sandbox.requestlog.log_subrequest`.
    The request body is read in full before the app runs (and handed to it unchanged), so
    even a request the app or a fault rejects unread is logged with its body.
    """

    def __init__(
        self,
        app: ASGIApp,
        faults: FaultConfig,
        error_body: ErrorBody,
        *,
        exempt_prefixes: Sequence[str] = ("/_sandbox/",),
        request_log: RequestLog | None = None,
    ) -> None:
        self.app = app
        self.faults = faults
        self.error_body = error_body
        self.exempt_prefixes = tuple(exempt_prefixes)
        self.request_log = request_log
        self._random = random.Random(faults.seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        faults = self.faults
        if self.request_log is not None:
            scope, receive = await self._prepare_logging(scope, receive)
        # Three draws per request whatever the rates, so one knob does not shift the others.
        draw_429, draw_5xx, draw_drop = (self._random.random() for _ in range(3))
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if draw_429 < faults.rate_429:
            await self._reject(scope, send, 429, "rate_429")
            return
        if draw_5xx < faults.rate_5xx:
            await self._reject(scope, send, 503, "rate_5xx")
            return
        if scope["method"] in WRITE_METHODS and draw_drop < faults.drop_after_commit:
            await self._maybe_drop(scope, receive, send)
            return
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            self._log(scope, status, None)

    async def _reject(self, scope: Scope, send: Send, status: int, fault: str) -> None:
        body, headers = self.error_body(status)
        headers = {k.lower(): v for k, v in headers.items()}
        if status == 429:
            headers["retry-after"] = f"{self.faults.retry_after_s:g}"
        headers["content-length"] = str(len(body))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})
        self._log(scope, status, fault)

    async def _maybe_drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with its response held back; lose it if the write succeeded."""
        start, body = await held_response(self.app, scope, receive)
        status: int = start["status"]
        if not 200 <= status < 300:
            await send_held(send, start, body)
            self._log(scope, status, None)
            return
        self._log(scope, status, "drop_after_commit")
        if EMBEDDED_EXTENSION in (scope.get("extensions") or {}):
            await send_held(send, start, body, dropped=True)
            return
        # A 204 has no body to cut short, so the broken response claims a 200 with a body.
        if status in (204, 205):
            status = 200
        headers = headers_without_length(start)
        declared = max(len(body), 2)
        headers.append((b"content-length", str(declared).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body[: declared // 2], "more_body": True})
        raise ResponseDropped(f"{scope['method']} {scope['path']}: response dropped after commit")

    @staticmethod
    async def _prepare_logging(scope: Scope, receive: Receive) -> tuple[Scope, Receive]:
        """Read the body for the log and make a place for sub-requests; replay the body."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        # Decoded now rather than when the request is logged, so that the handler can take
        # the JSON from the log (logged_json) instead of decoding it a second time.
        extensions: dict[str, Any] = {
            **(scope.get("extensions") or {}),
            SUBREQUESTS_EXTENSION: [],
            LOGGED_BODY_EXTENSION: logged_body(body, _content_type(scope)),
        }
        return {**scope, "extensions": extensions}, replay

    def _log(self, scope: Scope, status: int, fault: str | None) -> None:
        if self.request_log is None:
            return
        extensions = scope.get("extensions") or {}
        items = query_items(scope.get("query_string", b""))
        self.request_log.append(
            LoggedRequest(
                scope["method"],
                scope["path"],
                dict(items),
                status,
                fault,
                items,
                extensions.get(LOGGED_BODY_EXTENSION),
                tuple(extensions.get(SUBREQUESTS_EXTENSION, ())),
            )
        )


def _content_type(scope: Scope) -> str | None:
    return next(
        (v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"content-type"),
        None,
    )
