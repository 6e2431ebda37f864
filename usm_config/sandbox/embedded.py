"""Run an emulator in-process behind httpx, with dropped responses turned into transport errors."""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from usm_config.sandbox.faults import DROPPED_HEADER, EMBEDDED_EXTENSION

__all__ = ["EmbeddedTransport"]


class _MarkEmbedded:
    """Tell the fault middleware that a dropped response must be marked, not cut."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {
                **scope,
                "extensions": {**(scope.get("extensions") or {}), EMBEDDED_EXTENSION: {}},
            }
        await self.app(scope, receive, send)


class EmbeddedTransport(httpx.AsyncBaseTransport):
    """An :class:`httpx.ASGITransport` to an emulator app that honours ``drop_after_commit``.

    The app runs to completion before the response is examined, so when the fault middleware
    marked the response as dropped, the write has committed by the time this transport raises
    ``httpx.RemoteProtocolError`` (what a client sees when a server closes the connection
    instead of answering). The internal marker header never reaches the client.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._transport = httpx.ASGITransport(app=_MarkEmbedded(app))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._transport.handle_async_request(request)
        if DROPPED_HEADER in response.headers:
            await response.aclose()
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return response

    async def aclose(self) -> None:
        await self._transport.aclose()
