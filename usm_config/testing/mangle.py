"""An emulator's answers made into JSON of another shape than its API documents, for tests.

:class:`MangledAnswers` wraps an emulator's ASGI app and, in the ``nth`` answer it sends (from
1; 0 changes nothing), replaces one object of the first list of objects with a number, as a
proxy's JSON or another API version may: a list of ids where rows are documented. It counts
the answers that hold such a list, so a test can first learn how many there are.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from usm_config.sandbox.held import headers_without_length, held_response

__all__ = ["MangledAnswers", "mangled"]


def _objects_list(value: Any) -> list[Any] | None:
    """The first non-empty list of JSON objects in ``value``, depth first."""
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            return value
        children: list[Any] = value
    elif isinstance(value, dict):
        children = list(value.values())
    else:
        return None
    for child in children:
        found = _objects_list(child)
        if found is not None:
            return found
    return None


def mangled(body: bytes) -> bytes | None:
    """``body`` with the middle object of its first list of objects replaced by ``7``;
    ``None`` when it is not JSON or holds no such list."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    rows = _objects_list(value)
    if rows is None:
        return None
    rows[len(rows) // 2] = 7
    return json.dumps(value).encode()


class MangledAnswers:
    """ASGI middleware that mangles the ``nth`` answer holding a list of objects."""

    def __init__(self, app: ASGIApp, nth: int) -> None:
        self.app = app
        self.nth = nth
        self.seen = 0
        #: The request line of the answer that was mangled.
        self.mangled: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, body = await held_response(self.app, scope, receive)
        changed = mangled(body)
        if changed is not None:
            self.seen += 1
            if self.seen == self.nth:
                self.mangled = f"{scope['method']} {scope['path']}"
                body = changed
        headers = [*headers_without_length(start), (b"content-length", str(len(body)).encode())]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
