"""The error every emulator route raises: a status, a message, headers and the tool's envelope.

Each emulator subclasses :class:`EmulatorError` with the body its tool sends (ServiceNow's
``{"error": {...}, "status": "failure"}``, Jira's ``ErrorCollection``, JSM's
``errorMessage``); the route wrapper turns any of them into :meth:`EmulatorError.response`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["EmulatorError"]


class EmulatorError(Exception):
    """An error answer of an emulated API. Subclasses define :meth:`body`."""

    def __init__(
        self, status: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The tool's error envelope for this error."""
        raise NotImplementedError

    def response(self) -> JSONResponse:
        """The HTTP response the tool sends for this error."""
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)
