"""An emulator's response held back whole, for middleware that decides what to send after the
app has answered (lose it after the commit, change its body)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope

__all__ = ["headers_without_length", "held_response"]


async def held_response(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
    """Run ``app`` on the request and return its ``http.response.start`` message and whole
    body, neither sent."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def hold(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, hold)
    if start is None:
        raise RuntimeError("the app returned without starting a response")
    return start, b"".join(chunks)


def headers_without_length(start: Message) -> list[tuple[bytes, bytes]]:
    """The headers of a response start, but its ``content-length`` (the caller sets its own)."""
    return [(n, v) for n, v in start.get("headers", []) if n.lower() != b"content-length"]
