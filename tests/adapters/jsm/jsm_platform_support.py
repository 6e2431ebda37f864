"""A synchronous client for the JSM emulator's platform tests (one event loop per call)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.applications import Starlette

from usm_config.sandbox.embedded import EmbeddedTransport

BASE = "https://sandbox.atlassian.test"
ADMIN = ("admin@example.com", "sandbox-token")
V3 = "/rest/api/3"


class Api:
    """Requests to one emulator app as one login (``None``: anonymous)."""

    def __init__(self, app: Starlette, auth: tuple[str, str] | None = ADMIN) -> None:
        self.app = app
        self.auth = auth

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> httpx.Response:
        """One request; ``path`` is relative to ``/rest/api/3`` unless it starts with ``/``."""
        url = path if path.startswith("/") else f"{V3}/{path}"

        async def send() -> httpx.Response:
            async with httpx.AsyncClient(
                transport=EmbeddedTransport(self.app), base_url=BASE, auth=self.auth
            ) as client:
                response = await client.request(method, url, json=body, params=params or None)
                await response.aread()
                return response

        return asyncio.run(send())

    def ok(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """The JSON of a 2xx answer (``None`` for 204); fails the test otherwise."""
        response = self.call(method, path, body, **params)
        assert response.is_success, (response.status_code, response.text)
        return None if response.status_code == 204 else response.json()
