"""usm_config.http.transport against real sockets: keep-alive, what servers do to connections
(close them idle, answer ``Connection: close``, chunk, gzip, stall, hang up), TLS, proxies, and
HttpClient's write safety on top of it."""

from __future__ import annotations

import asyncio
import gzip
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from hypothesis import given
from hypothesis import strategies as st

from usm_config.http import HttpClient, RetryPolicy, TransientError, UncertainWriteError
from usm_config.http.transport import proxy_applies

ONCE = RetryPolicy(max_attempts=1)
TWICE = RetryPolicy(max_attempts=2, backoff_base=0)


@dataclass
class Exchange:
    """One request as the server read it, and the connection it came on."""

    connection: int
    line: str
    headers: dict[str, str]
    body: bytes


#: What the server does with a request: the bytes to answer (``b""`` answers nothing) and
#: whether to close the connection afterwards.
Script = Callable[[Exchange], Awaitable[tuple[bytes, bool]]]


def answer(
    body: bytes = b'{"ok": true}', status: str = "200 OK", headers: dict[str, str] | None = None
) -> bytes:
    head = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    head.update(headers or {})
    lines = "".join(f"{name}: {value}\r\n" for name, value in head.items())
    return f"HTTP/1.1 {status}\r\n{lines}\r\n".encode() + body


async def keep_open(exchange: Exchange) -> tuple[bytes, bool]:
    return answer(), False


@dataclass
class Server:
    """An HTTP/1.1 server on loopback that answers by a script and logs what it read."""

    script: Script = keep_open
    exchanges: list[Exchange] = field(default_factory=list)
    connections: int = 0
    url: str = ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                line, *rest = head.decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (h.partition(":") for h in rest if h)
                }
                size = int(headers.get("content-length", "0"))
                body = await reader.readexactly(size) if size else b""
                exchange = Exchange(number, line, headers, body)
                self.exchanges.append(exchange)
                data, close = await self.script(exchange)
                writer.write(data)
                await writer.drain()
                if close:
                    return
        finally:
            writer.close()


@asynccontextmanager
async def serving(server: Server, tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    listener = await asyncio.start_server(server._serve, "127.0.0.1", 0, ssl=tls)
    port = listener.sockets[0].getsockname()[1]
    server.url = f"{'https' if tls else 'http'}://{'localhost' if tls else '127.0.0.1'}:{port}"
    async with listener:
        yield server


def run(scenario: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(scenario())


# --------------------------------------------------------------------------- keep-alive


def test_requests_one_after_another_share_one_connection() -> None:
    async def scenario() -> Server:
        async with serving(Server()) as server, HttpClient(server.url) as client:
            for n in range(5):
                response = await client.request("GET", "/api/items", params={"n": n})
                assert response.json() == {"ok": True}
        return server

    server = run(scenario)
    assert server.connections == 1
    assert [e.line for e in server.exchanges] == [
        f"GET /api/items?n={n} HTTP/1.1" for n in range(5)
    ]


def test_concurrent_requests_open_no_more_connections_than_run_at_once() -> None:
    async def slow(exchange: Exchange) -> tuple[bytes, bool]:
        await asyncio.sleep(0.01)
        return answer(), False

    async def scenario() -> Server:
        async with serving(Server(slow)) as server, HttpClient(server.url) as client:
            sem = asyncio.Semaphore(4)

            async def one(n: int) -> None:
                async with sem:
                    await client.request("GET", f"/api/items/{n}")

            await asyncio.gather(*(one(n) for n in range(40)))
        return server

    server = run(scenario)
    assert len(server.exchanges) == 40
    assert server.connections <= 4


def test_a_connection_the_server_closed_while_idle_is_not_used_for_a_write() -> None:
    """Servers close idle keep-alive connections without saying so: the write that comes
    next goes on a new connection, and is never an uncertain write."""

    async def close_after(exchange: Exchange) -> tuple[bytes, bool]:
        return answer(), True

    async def scenario() -> Server:
        server = Server(close_after)
        async with serving(server), HttpClient(server.url, retry=ONCE) as client:
            await client.request("GET", "/api/items")
            await asyncio.sleep(0.05)  # the close reaches the client
            created = await client.request("POST", "/api/items", json={"name": "a"})
            assert created.status_code == 200
        return server

    server = run(scenario)
    assert [e.line.split()[0] for e in server.exchanges] == ["GET", "POST"]
    assert server.connections == 2


def test_connection_close_in_an_answer_is_honoured() -> None:
    async def say_close(exchange: Exchange) -> tuple[bytes, bool]:
        return answer(headers={"Connection": "close"}), True

    async def scenario() -> Server:
        async with serving(Server(say_close)) as server, HttpClient(server.url) as client:
            for _ in range(3):
                await client.request("POST", "/api/items", json={})
        return server

    assert run(scenario).connections == 3


def test_an_idle_connection_is_dropped_after_the_keepalive_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("usm_config.http.transport.KEEPALIVE_SECONDS", 0.01)

    async def scenario() -> Server:
        async with serving(Server()) as server, HttpClient(server.url) as client:
            await client.request("GET", "/a")
            await asyncio.sleep(0.05)
            await client.request("GET", "/b")
        return server

    assert run(scenario).connections == 2


# --------------------------------------------------------------------------- framing


def test_chunked_and_gzipped_answers_are_read_whole() -> None:
    payload = gzip.compress(b'{"rows": [' + b",".join(b"%d" % n for n in range(5000)) + b"]}")

    async def chunked(exchange: Exchange) -> tuple[bytes, bool]:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        pieces = [payload[i : i + 1000] for i in range(0, len(payload), 1000)]
        body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
        return head + body, False

    async def scenario() -> tuple[Any, Server]:
        async with serving(Server(chunked)) as server, HttpClient(server.url) as client:
            first = (await client.request("GET", "/a")).json()
            await client.request("GET", "/b")
        return first, server

    rows, server = run(scenario)
    assert rows == {"rows": list(range(5000))}
    assert server.connections == 1


def test_an_answer_read_until_the_server_closes() -> None:
    async def unframed(exchange: Exchange) -> tuple[bytes, bool]:
        return b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"n": 1}', True

    async def scenario() -> Any:
        async with serving(Server(unframed)) as server, HttpClient(server.url) as client:
            return [(await client.request("GET", "/a")).json() for _ in range(2)]

    assert run(scenario) == [{"n": 1}, {"n": 1}]


def test_a_large_body_is_sent_whole() -> None:
    content = b"x" * 3_000_000

    async def scenario() -> Server:
        async with serving(Server()) as server, HttpClient(server.url) as client:
            await client.request(
                "POST", "/upload", content=content, headers={"Content-Type": "text/plain"}
            )
        return server

    (exchange,) = run(scenario).exchanges
    assert exchange.body == content


def test_a_head_request_reads_no_body() -> None:
    async def head(exchange: Exchange) -> tuple[bytes, bool]:
        return answer(b"0123456789")[: -len(b"0123456789")], False

    async def scenario() -> Server:
        async with serving(Server(head)) as server, HttpClient(server.url) as client:
            assert (await client.request("HEAD", "/a")).content == b""
            assert (await client.request("HEAD", "/b")).status_code == 200
        return server

    assert run(scenario).connections == 1


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    "first",
    [b"", answer(b'{"id": "1", "name": "a"}')[:-10]],
    ids=["before-answering", "in-the-body"],
)
def test_a_write_the_server_hung_up_on_is_uncertain_and_a_read_is_retried(first: bytes) -> None:
    """The server hung up before it answered, or after the head and part of the body: the
    write may have been carried out; the read is sent again, on a new connection."""

    async def hang_up_once(exchange: Exchange) -> tuple[bytes, bool]:
        if len(server.exchanges) == 1:
            return first, True
        return answer(), False

    server = Server(hang_up_once)

    async def write() -> None:
        async with serving(server), HttpClient(server.url, retry=TWICE) as client:
            await client.request("POST", "/api/items", json={"name": "a"})

    with pytest.raises(UncertainWriteError, match="RemoteProtocolError"):
        run(write)
    assert len(server.exchanges) == 1

    server.exchanges.clear()

    async def read() -> Any:
        async with serving(server), HttpClient(server.url, retry=TWICE) as client:
            return (await client.request("GET", "/api/items")).json()

    assert run(read) == {"ok": True}
    assert [e.connection for e in server.exchanges] == [2, 3]


def test_an_answer_that_never_comes_is_a_read_timeout() -> None:
    async def stall(exchange: Exchange) -> tuple[bytes, bool]:
        await asyncio.sleep(1)
        return answer(), False

    async def scenario() -> None:
        server = Server(stall)
        async with serving(server), HttpClient(server.url, retry=ONCE, timeout=0.05) as client:
            await client.request("GET", "/a")

    with pytest.raises(TransientError, match="ReadTimeout"):
        run(scenario)


def test_a_refused_connection_is_never_sent_so_even_a_write_is_retried() -> None:
    async def scenario() -> None:
        listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        listener.close()
        await listener.wait_closed()
        async with HttpClient(f"http://127.0.0.1:{port}", retry=TWICE) as client:
            await client.request("POST", "/api/items", json={})

    with pytest.raises(TransientError, match=r"2 attempts: ConnectError"):
        run(scenario)


def test_a_request_cancelled_midway_leaves_no_connection_for_the_next() -> None:
    async def stall_first(exchange: Exchange) -> tuple[bytes, bool]:
        if len(server.exchanges) == 1:
            await asyncio.sleep(0.5)
        return answer(b'{"n": %d}' % len(server.exchanges)), False

    server = Server(stall_first)

    async def scenario() -> Any:
        async with serving(server), HttpClient(server.url) as client:
            first = asyncio.ensure_future(client.request("GET", "/slow"))
            await asyncio.sleep(0.05)
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            return (await client.request("GET", "/next")).json()

    # The late answer to /slow must not be read as the answer to /next.
    assert run(scenario) == {"n": 2}
    assert server.connections == 2


# --------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def _tls_server(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    return context


def test_tls_with_the_target_ca_bundle(authority: trustme.CA, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))

    async def scenario() -> Server:
        server = Server()
        async with (
            serving(server, _tls_server(authority)),
            HttpClient(server.url, verify=str(bundle)) as client,
        ):
            for _ in range(3):
                await client.request("GET", "/api/items")
        return server

    assert run(scenario).connections == 1


def test_tls_refuses_a_certificate_it_cannot_verify(authority: trustme.CA) -> None:
    async def scenario() -> None:
        server = Server()
        async with serving(server, _tls_server(authority)), HttpClient(server.url) as client:
            await client.request("GET", "/api/items")

    with pytest.raises(TransientError, match="CERTIFICATE_VERIFY_FAILED"):
        run(scenario)


def test_tls_settings_are_built_once_and_only_for_https(
    authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading a CA bundle costs tens of milliseconds: a plan against ``http`` never pays it,
    one against ``https`` pays it once."""
    built: list[object] = []
    real = httpx.create_ssl_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(kwargs.get("verify"))
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))

    async def scenario(tls: ssl.SSLContext | None, verify: bool | str) -> None:
        async with (
            serving(Server(), tls) as server,
            HttpClient(server.url, verify=verify) as client,
        ):
            await asyncio.gather(*(client.request("GET", "/api/items") for _ in range(4)))

    run(lambda: scenario(None, True))
    assert built == []
    run(lambda: scenario(_tls_server(authority), str(bundle)))
    assert len(built) == 1


# --------------------------------------------------------------------------- proxies


def test_a_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a proxy, requests go through httpx's own transport, which speaks to it."""

    async def scenario() -> Server:
        async with serving(Server()) as proxy:
            monkeypatch.setenv("HTTP_PROXY", proxy.url)
            async with HttpClient("http://instance.example.test/api") as client:
                await client.request("GET", "/items", params={"q": "a b"})
        return proxy

    (exchange,) = run(scenario).exchanges
    assert exchange.line == "GET http://instance.example.test/api/items?q=a+b HTTP/1.1"


@pytest.mark.parametrize(
    ("environ", "url", "applies"),
    [
        ({}, "https://x.example", False),
        ({"HTTPS_PROXY": "http://p:3128"}, "https://x.example", True),
        ({"HTTPS_PROXY": "http://p:3128"}, "http://x.example", False),
        ({"ALL_PROXY": "http://p:3128"}, "http://x.example", True),
        ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": ".example"}, "https://x.example", False),
        ({"https_proxy": "http://p:3128", "no_proxy": "other.test"}, "https://x.example", True),
    ],
)
def test_proxy_applies_as_the_environment_says(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], url: str, applies: bool
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert proxy_applies(httpx.URL(url)) is applies


# --------------------------------------------------------------------------- URLs


def _paths() -> st.SearchStrategy[str]:
    segment = st.text(
        st.characters(codec="utf-8", exclude_characters="/?#"),
        max_size=8,
    )
    return st.lists(segment, max_size=4).map(lambda parts: "/" + "/".join(parts))


def _plain_paths() -> st.SearchStrategy[str]:
    """Paths of the characters httpx takes as they are, escapes and dots among them."""
    segment = st.lists(
        st.one_of(
            st.sampled_from("aZ09-._~!$&'()*+,;=:@"),
            st.sampled_from(["%2F", "%7e", "%", "%G1", ".", ".."]),
        ),
        max_size=6,
    ).map("".join)
    return st.lists(segment, max_size=4).map(lambda parts: "/" + "/".join(parts))


def _params() -> st.SearchStrategy[dict[str, Any]]:
    value = st.one_of(
        st.text(max_size=8), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False)
    )
    return st.dictionaries(st.text(min_size=1, max_size=6), value, max_size=4)


@given(
    base=st.sampled_from(
        ["http://127.0.0.1:8080", "https://x.example/", "https://x.example/api", "https://u@x/a/b/"]
    ),
    path=st.one_of(_paths(), st.just(""), _paths().map(lambda p: p.lstrip("/")), _plain_paths()),
    params=st.one_of(st.none(), _params()),
)
def test_client_urls_are_the_ones_httpx_would_build(
    base: str, path: str, params: dict[str, Any] | None
) -> None:
    """HttpClient hands httpx a plain path and its parameters as one URL string (parsed
    once, not three times): the URL is exactly the one httpx builds from them."""
    client = HttpClient(base)
    url, query = client._target(path, params)
    try:
        theirs = client._client.build_request("GET", path, params=params).url
    except httpx.InvalidURL as refused:
        # The same refusal; only a character's position is counted in the whole URL.
        said = str(refused).partition(" at position")[0]
        with pytest.raises(httpx.InvalidURL, match=re.escape(said)):
            client._client.build_request("GET", url, params=query)
        return
    ours = client._client.build_request("GET", url, params=query).url
    assert ours == theirs
    assert (ours.scheme, ours.raw_host, ours.port, ours.raw_path) == (
        theirs.scheme,
        theirs.raw_host,
        theirs.port,
        theirs.raw_path,
    )


def test_a_plain_path_and_query_are_not_parsed_again() -> None:
    """The common request (a plain path, parameters of plain text) gets its URL from the base
    URL's parts; one with a dot segment or a character to escape goes to httpx's parse."""
    client = HttpClient("https://x.example/tas/api")
    params = {"service": "7c5b6b6e-0000", "q": "a b"}
    url, query = client._target("/incidents/slas", params)
    assert isinstance(url, httpx.URL) and query is None
    assert url == client._client.build_request("GET", "/incidents/slas", params=params).url
    assert str(url).startswith("https://x.example/tas/api/incidents/slas?service=7c5b6b6e-0000&q=a")
    for path in ("/a/../b", "/caf\u00e9", "/a b", "/50%"):
        assert isinstance(client._target(path, None)[0], str)


def test_a_connection_with_bytes_nobody_asked_for_is_not_reused() -> None:
    async def answer_twice(exchange: Exchange) -> tuple[bytes, bool]:
        return answer() + answer(b'{"stray": true}'), False

    async def scenario() -> tuple[Any, Server]:
        async with serving(Server(answer_twice)) as server, HttpClient(server.url) as client:
            await client.request("GET", "/a")
            await asyncio.sleep(0.05)
            return (await client.request("GET", "/b")).json(), server

    second, server = run(scenario)
    assert second == {"ok": True}
    assert server.connections == 2


def test_a_session_cookie_is_sent_back_until_the_server_changes_it() -> None:
    """ServiceNow ties a session to its cookie: answers that set none keep the one set."""

    async def sessions(exchange: Exchange) -> tuple[bytes, bool]:
        number = len(server.exchanges)
        if number in (1, 3):
            return answer(headers={"Set-Cookie": f"JSESSIONID=s{number}; Path=/"}), False
        return answer(), False

    server = Server(sessions)

    async def scenario() -> None:
        async with serving(server), HttpClient(server.url + "/api") as client:
            for _ in range(4):
                await client.request("GET", "/now/table/x")

    run(scenario)
    assert [e.headers.get("cookie") for e in server.exchanges] == [
        None,
        "JSESSIONID=s1",
        "JSESSIONID=s1",
        "JSESSIONID=s3",
    ]
