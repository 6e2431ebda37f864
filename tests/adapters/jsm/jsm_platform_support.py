"""A synchronous client for the JSM emulator's platform tests (one event loop per call)."""

from __future__ import annotations

from starlette.applications import Starlette
from support import EmbeddedApi

BASE = "https://sandbox.atlassian.test"
ADMIN = ("admin@example.com", "sandbox-token")
V3 = "/rest/api/3"


class Api(EmbeddedApi):
    """Requests to one emulator app as one login (``None``: anonymous)."""

    base = BASE
    prefix = V3

    def __init__(self, app: Starlette, auth: tuple[str, str] | None = ADMIN) -> None:
        super().__init__(app, auth)
