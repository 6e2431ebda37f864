"""An HTTP/1.1 transport for httpx on asyncio's own streams, with h11 for the protocol.

httpx's default transport (httpcore) costs about a millisecond of CPU per request in its pool
bookkeeping, its locks and anyio's stream wrappers: that is most of a plan that sends thousands
of small requests (TOPdesk's SLA services can be read only one service at a time). This one
keeps what usm-config needs and no more:

* keep-alive connections per origin (scheme, host, port), reused last in first out, dropped
  after :data:`KEEPALIVE_SECONDS` idle, when the server closed them or sent anything unasked,
  and when either side said ``Connection: close``;
* TLS with the client's :class:`ssl.SSLContext`, offering only ``http/1.1`` in ALPN;
* httpx's timeouts (``connect``, ``read``, ``write``) and its exception types, so retries and
  the write-safety rules of :class:`usm_config.http.client.HttpClient` see what they see with
  httpcore: a failure to connect is ``httpx.ConnectError`` (never sent), a server that closed
  before it answered is ``httpx.RemoteProtocolError`` (maybe processed);
* no connection limit: callers bound their own concurrency (a target's ``parallelism``).

Proxies are httpx's job: :class:`HttpClient` uses httpx's own transport whenever a proxy
from the environment applies to the target (see :func:`proxy_applies`).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
import urllib.request
from typing import Any

import h11
import httpx

__all__ = ["KEEPALIVE_SECONDS", "Transport", "proxy_applies"]

#: Seconds an idle connection is kept for reuse (httpx's own default keep-alive expiry).
KEEPALIVE_SECONDS = 5.0
#: Idle connections kept per origin; more are closed as they come back.
MAX_IDLE_PER_ORIGIN = 20
_READ_SIZE = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}

_Origin = tuple[str, str, int]


def proxy_applies(url: httpx.URL) -> bool:
    """Whether a proxy from the environment (``HTTPS_PROXY``, ``ALL_PROXY``, ... less
    ``NO_PROXY``) applies to ``url``, as httpx reads them."""
    proxies = urllib.request.getproxies_environment()
    if not (proxies.get(url.scheme) or proxies.get("all")):
        return False
    # Public in urllib.request, missing from typeshed.
    return not urllib.request.proxy_bypass_environment(url.host, proxies)  # type: ignore[attr-defined]


class _Connection:
    """One TCP (or TLS) connection and its h11 state."""

    __slots__ = ("h11", "idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def reusable(self, now: float) -> bool:
        """Idle, recent, and nothing arrived while idle (a server that closes an idle
        connection shows as end of file; any byte it sent unasked makes the next answer
        unreadable)."""
        return (
            now - self.idle_since < KEEPALIVE_SECONDS
            and not self.writer.is_closing()
            and not self.reader.at_eof()
            and not _buffered(self.reader)
        )

    def close(self) -> None:
        self.writer.close()


def _buffered(reader: asyncio.StreamReader) -> int:
    # StreamReader keeps what arrived in ``_buffer``; it has no public way to ask.
    buffer: bytearray = getattr(reader, "_buffer", bytearray())
    return len(buffer)


class Transport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over asyncio streams; see the module's docstring."""

    def __init__(self, verify: ssl.SSLContext | bool = True) -> None:
        self._verify = verify
        self._idle: dict[_Origin, list[_Connection]] = {}

    @functools.cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS settings of every ``https`` connection, built on first use: loading the
        CA bundle costs tens of milliseconds that a plan against ``http`` never needs."""
        context = httpx.create_ssl_context(verify=self._verify)
        context.set_alpn_protocols(["http/1.1"])
        return context

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        url = request.url
        origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 80))
        connection = self._reuse(origin) or await self._connect(origin, timeouts.get("connect"))
        try:
            await self._send(connection, request, timeouts.get("write"))
            head = await self._head(connection, timeouts.get("read"))
            body = await self._body(connection, timeouts.get("read"))
        except BaseException:
            connection.close()
            raise
        self.release(origin, connection)
        response = httpx.Response(
            head.status_code,
            headers=head.headers,
            stream=httpx.ByteStream(body),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason},
        )
        response.read()
        return response

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def release(self, origin: _Origin, connection: _Connection) -> None:
        """Keep a connection whose exchange ended cleanly for the next request."""
        state = connection.h11
        # Bytes after the answer's end were not asked for: the next answer would be misread.
        stray, closed = state.trailing_data
        if state.our_state is h11.DONE and state.their_state is h11.DONE and not (stray or closed):
            state.start_next_cycle()
            idle = self._idle.setdefault(origin, [])
            if len(idle) < MAX_IDLE_PER_ORIGIN:
                connection.idle_since = time.monotonic()
                idle.append(connection)
                return
        connection.close()

    def _reuse(self, origin: _Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.reusable(now):
                return connection
            connection.close()
        return None

    async def _connect(self, origin: _Origin, timeout: float | None) -> _Connection:
        scheme, host, port = origin
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'."
            )
        tls = self.ssl_context if scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    ssl=tls,
                    server_hostname=host if tls else None,
                    limit=_READ_SIZE,
                    # A host with an IPv6 address no route reaches is tried on IPv4 as well
                    # (RFC 8305), not only after the connect timeout.
                    happy_eyeballs_delay=0.25,
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return _Connection(reader, writer)

    async def _send(
        self, connection: _Connection, request: httpx.Request, timeout: float | None
    ) -> None:
        state, writer = connection.h11, connection.writer
        head = h11.Request(
            method=request.method, target=request.url.raw_path, headers=request.headers.raw
        )
        try:
            writer.write(state.send(head) or b"")
            async for chunk in request.stream:  # type: ignore[union-attr]
                if chunk:
                    writer.write(state.send(h11.Data(data=chunk)) or b"")
                    await _drained(writer, timeout)
            writer.write(state.send(h11.EndOfMessage()) or b"")
            await _drained(writer, timeout)
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc

    async def _body(self, connection: _Connection, timeout: float | None) -> bytes:
        """The answer's body, read whole: :class:`usm_config.http.client.HttpClient` reads
        every body whole anyway, and a body handed over read (not as a stream httpx reads
        through its layers of iterators) costs each request less; the connection is free for
        the next request at once."""
        chunks: list[bytes] = []
        while True:
            event = await _next_event(connection, timeout)
            if isinstance(event, h11.Data):
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            else:
                raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__} in a body")

    async def _head(self, connection: _Connection, timeout: float | None) -> h11.Response:
        while True:
            event = await _next_event(connection, timeout)
            if isinstance(event, h11.Response):
                return event
            if not isinstance(event, h11.InformationalResponse):
                raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__} for a head")


async def _drained(writer: asyncio.StreamWriter, timeout: float | None) -> None:
    """Wait, within ``timeout``, until the socket takes what was written; most requests fit
    its buffer at once, and then no timer is set."""
    if writer.transport.get_write_buffer_size():
        try:
            async with asyncio.timeout(timeout):
                await writer.drain()
        except TimeoutError as exc:
            raise httpx.WriteTimeout("sending the request timed out") from exc


async def _next_event(connection: _Connection, timeout: float | None) -> Any:
    state = connection.h11
    try:
        while (event := state.next_event()) is h11.NEED_DATA:
            async with asyncio.timeout(timeout):
                data = await connection.reader.read(_READ_SIZE)
            state.receive_data(data)
    except TimeoutError as exc:
        raise httpx.ReadTimeout("reading the answer timed out") from exc
    except h11.RemoteProtocolError as exc:
        # h11 words a server that closed before (or while) answering this way too.
        raise httpx.RemoteProtocolError(str(exc)) from exc
    except OSError as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
    return event
