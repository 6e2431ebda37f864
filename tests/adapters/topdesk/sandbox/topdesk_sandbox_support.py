"""A synchronous client for the TOPdesk emulator's tests (one event loop per call)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from usm_config.sandbox.embedded import EmbeddedTransport

BASE = "https://sandbox.topdesk.test"
ADMIN = ("admin", "sandbox-app-password")
API = "/tas/api"
#: The reconstructed TOPdesk specs, beside the checkout.
SPECS = (
    Path(__file__).resolve().parents[4].parent / "shared" / "specs" / "topdesk" / "reconstructed"
)


class Api:
    """Requests to one emulator app as one login (``None``: anonymous)."""

    def __init__(self, app: Starlette, auth: tuple[str, str] | None = ADMIN) -> None:
        self.app = app
        self.auth = auth

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        **params: Any,
    ) -> httpx.Response:
        """One request; ``path`` is relative to ``/tas/api`` unless it starts with ``/``."""
        url = path if path.startswith("/") else f"{API}/{path}"

        async def send() -> httpx.Response:
            async with httpx.AsyncClient(
                transport=EmbeddedTransport(self.app), base_url=BASE, auth=self.auth
            ) as client:
                response = await client.request(
                    method,
                    url,
                    json=body if content is None else None,
                    content=content,
                    params=params or None,
                    headers=dict(headers or {}),
                )
                await response.aread()
                return response

        return asyncio.run(send())

    def ok(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """The JSON of a 2xx answer (``None`` for 204); fails the test otherwise."""
        response = self.call(method, path, body, **params)
        assert response.is_success, (response.status_code, response.text)
        return None if response.status_code == 204 else response.json()

    def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """A request to the unauthenticated ``/_sandbox`` control endpoints."""
        return Api(self.app, auth=None).call(method, path, body)
