"""An emulator's answers made into JSON of another shape than its API documents, for tests.

:class:`MangledAnswers` wraps an emulator's ASGI app and changes the ``nth`` answer it can
change (from 1; 0 changes nothing), counting those answers so that a test can first learn how
many there are:

* by default, any answer holding a list of objects: one object becomes a number, as a proxy's
  JSON or another API version may (a list of ids where rows are documented), see
  :func:`mangled`;
* with ``writes=True``, the successful answers of writes (``POST``, ``PUT``, ``PATCH``,
  ``DELETE``) holding an object with a text or a number: those become ``null`` (an answer that
  names no id), see :func:`nulled`. The write itself was carried out.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from usm_config.sandbox.held import headers_without_length, held_response

__all__ = ["WRITES", "MangledAnswers", "mangled", "nulled"]

#: The methods whose answers ``MangledAnswers(writes=True)`` changes.
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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


def nulled(body: bytes) -> bytes | None:
    """``body`` with every text, number and boolean of its object (of a list's first object)
    made ``null``; ``None`` when it is not JSON or has no such value."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    found = value[0] if isinstance(value, list) and value else value
    if not isinstance(found, dict):
        return None
    scalars = [k for k, v in found.items() if v is not None and not isinstance(v, dict | list)]
    if not scalars:
        return None
    for name in scalars:
        found[name] = None
    return json.dumps(value).encode()


class MangledAnswers:
    """ASGI middleware that mangles the ``nth`` answer it can (see the module docstring)."""

    def __init__(self, app: ASGIApp, nth: int, *, writes: bool = False) -> None:
        self.app = app
        self.nth = nth
        self.writes = writes
        self.seen = 0
        #: The request line of the answer that was mangled.
        self.mangled: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, body = await held_response(self.app, scope, receive)
        if not self.writes:
            changed = mangled(body)
        elif scope["method"] in WRITES and 200 <= start["status"] < 300:
            changed = nulled(body)
        else:
            changed = None
        if changed is not None:
            self.seen += 1
            if self.seen == self.nth:
                self.mangled = f"{scope['method']} {scope['path']}"
                body = changed
        headers = [*headers_without_length(start), (b"content-length", str(len(body)).encode())]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
