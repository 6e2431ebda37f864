"""Fault injection, the embedded transport, the request log and serving over real HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from usm_config.sandbox.embedded import EmbeddedTransport
from usm_config.sandbox.faults import DROPPED_HEADER, FaultConfig, FaultInjectionMiddleware
from usm_config.sandbox.requestlog import NOT_LOGGED, LoggedRequest, RequestLog, logged_json
from usm_config.sandbox.serve import run_in_thread, serve

BASE = "http://emulator.test"


class CountingApp:
    """A vendor-neutral stand-in for an emulator: counts the requests that reach it."""

    def __init__(self) -> None:
        self.handled: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        self.handled.append((scope["method"], scope["path"]))
        if scope["path"] == "/missing":
            status, body = 404, b'{"error":"missing"}'
        elif scope["method"] == "DELETE":
            status, body = 204, b""
        else:
            status, body = (201 if scope["method"] == "POST" else 200), b'{"ok":true}'
        headers = [(b"content-type", b"application/json")]
        if status != 204:
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def error_body(status: int) -> tuple[bytes, dict[str, str]]:
    return b'{"vendor_error": %d}' % status, {"Content-Type": "application/json"}


def wrap(faults: FaultConfig) -> tuple[CountingApp, FaultInjectionMiddleware, RequestLog]:
    inner = CountingApp()
    log = RequestLog()
    return inner, FaultInjectionMiddleware(inner, faults, error_body, request_log=log), log


def run(app: Any, scenario: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(transport=EmbeddedTransport(app), base_url=BASE) as client:
            return await scenario(client)

    return asyncio.run(main())


def test_fault_config_rejects_out_of_range_values() -> None:
    with pytest.raises(ValueError, match="rate_429"):
        FaultConfig(rate_429=1.5)
    with pytest.raises(ValueError, match="latency_ms"):
        FaultConfig(latency_ms=-1)
    assert FaultConfig() == FaultConfig(0, 0, 0, 0, 1, None)


def test_no_faults_passes_everything_through_and_logs_it() -> None:
    inner, app, log = wrap(FaultConfig())

    async def scenario(client: httpx.AsyncClient) -> list[int]:
        return [
            (await client.get("/things", params=[("a", "1"), ("a", "2"), ("b", "")])).status_code,
            (await client.post("/things", json={"name": "x", "n": [1, 2]})).status_code,
            (await client.get("/missing")).status_code,
        ]

    assert run(app, scenario) == [200, 201, 404]
    assert len(inner.handled) == 3
    pairs = (("a", "1"), ("a", "2"), ("b", ""))
    assert log.entries() == [
        LoggedRequest("GET", "/things", {"a": "2", "b": ""}, 200, None, pairs),
        LoggedRequest("POST", "/things", {}, 201, None, (), {"name": "x", "n": [1, 2]}),
        LoggedRequest("GET", "/missing", {}, 404, None),
    ]


def test_the_app_can_take_the_body_json_the_log_decoded() -> None:
    """The log decodes a body once; the app gets that very value from logged_json, or
    NOT_LOGGED when the log keeps no JSON of it (empty, not JSON, a form, a JSON string)."""
    inner = CountingApp()
    seen: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(logged_json(scope))
        await inner(scope, receive, send)

    log = RequestLog()
    middleware = FaultInjectionMiddleware(app, FaultConfig(), error_body, request_log=log)

    async def scenario(client: httpx.AsyncClient) -> None:
        await client.post("/things", json={"name": "x", "n": [1, 2]})
        await client.post("/things", json=[1])
        await client.get("/things")
        await client.post("/things", content=b"{not json", headers={"content-type": "text/plain"})
        await client.post("/things", data={"password": "y"})
        await client.post("/things", json="text")
        await client.post("/things", json=None)

    run(middleware, scenario)
    assert seen == [{"name": "x", "n": [1, 2]}, [1], *[NOT_LOGGED] * 5]
    entries = log.entries()
    assert [entry.body for entry in entries] == [
        {"name": "x", "n": [1, 2]},
        [1],
        None,
        "{not json",
        "password=%2A%2A%2A",
        "text",
        None,
    ]
    assert entries[0].body is seen[0]
    assert logged_json({"type": "http"}) is NOT_LOGGED


def test_rate_429_rejects_before_the_app_with_retry_after() -> None:
    inner, app, log = wrap(FaultConfig(rate_429=1.0, retry_after_s=2.5, seed=1))

    async def scenario(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/things", json={"x": 1})

    response = run(app, scenario)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2.5"
    assert response.json() == {"vendor_error": 429}
    assert inner.handled == []  # nothing reached the app, so nothing was written
    assert [(e.status, e.injected_fault, e.body) for e in log] == [(429, "rate_429", {"x": 1})]
    assert log.count(injected_fault="rate_429", status=429) == 1


def test_rate_5xx_answers_503_before_the_app() -> None:
    inner, app, log = wrap(FaultConfig(rate_5xx=1.0, seed=1))

    async def scenario(client: httpx.AsyncClient) -> httpx.Response:
        return await client.put("/things/1", json={})

    response = run(app, scenario)
    assert (response.status_code, response.json()) == (503, {"vendor_error": 503})
    assert "Retry-After" not in response.headers
    assert inner.handled == []
    assert log.entries()[0].injected_fault == "rate_5xx"


def test_drop_after_commit_raises_after_the_app_handled_the_write() -> None:
    inner, app, log = wrap(FaultConfig(drop_after_commit=1.0, seed=1))

    async def scenario(client: httpx.AsyncClient) -> list[int]:
        with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
            await client.post("/things", json={})
        with pytest.raises(httpx.RemoteProtocolError):
            await client.delete("/things/1")
        # Reads are never dropped, and neither are failed writes (nothing committed).
        return [
            (await client.get("/things")).status_code,
            (await client.post("/missing", json={})).status_code,
        ]

    assert run(app, scenario) == [200, 404]
    assert inner.handled == [
        ("POST", "/things"),
        ("DELETE", "/things/1"),
        ("GET", "/things"),
        ("POST", "/missing"),
    ]
    assert [e.injected_fault for e in log] == ["drop_after_commit", "drop_after_commit", None, None]


def test_dropped_marker_never_reaches_a_client() -> None:
    _, app, _ = wrap(FaultConfig(drop_after_commit=0.5, seed=7))

    async def scenario(client: httpx.AsyncClient) -> tuple[int, int]:
        ok = dropped = 0
        for _ in range(40):
            try:
                response = await client.post("/things", json={})
            except httpx.RemoteProtocolError:
                dropped += 1
            else:
                assert DROPPED_HEADER not in response.headers
                ok += 1
        return ok, dropped

    ok, dropped = run(app, scenario)
    assert ok > 0 and dropped > 0


def test_seeded_faults_repeat_exactly() -> None:
    def statuses() -> list[int]:
        _, app, _ = wrap(FaultConfig(rate_429=0.3, rate_5xx=0.3, seed=42))

        async def scenario(client: httpx.AsyncClient) -> list[int]:
            return [(await client.get("/things")).status_code for _ in range(30)]

        result: list[int] = run(app, scenario)
        return result

    first = statuses()
    assert first == statuses()
    assert {200, 429, 503} <= set(first)


def test_exempt_paths_get_no_faults_and_are_not_logged() -> None:
    inner, app, log = wrap(FaultConfig(rate_429=1.0, drop_after_commit=1.0, latency_ms=10_000))

    async def scenario(client: httpx.AsyncClient) -> int:
        return (await client.post("/_sandbox/reset")).status_code

    assert run(app, scenario) == 201
    assert inner.handled == [("POST", "/_sandbox/reset")]
    assert len(log) == 0


def test_latency_is_added_to_each_request() -> None:
    _, app, _ = wrap(FaultConfig(latency_ms=40))

    async def scenario(client: httpx.AsyncClient) -> float:
        started = time.perf_counter()
        await client.get("/things")
        return time.perf_counter() - started

    assert run(app, scenario) >= 0.04


def test_request_log_is_thread_safe() -> None:
    log = RequestLog()

    def writer(n: int) -> None:
        for i in range(500):
            log.record("GET", f"/{n}", {"i": str(i)}, 200)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log) == 2000
    assert log.count(path_prefix="/1") == 500
    assert log.to_json()[0]["method"] == "GET"
    log.clear()
    assert log.entries() == []


def test_serving_refuses_non_loopback_hosts() -> None:
    with pytest.raises(ValueError, match="loopback"):
        serve(CountingApp(), host="0.0.0.0", port=8080)
    with pytest.raises(ValueError, match="loopback"), run_in_thread(CountingApp(), host="10.1.2.3"):
        pass


def test_real_server_cuts_the_connection_after_the_commit() -> None:
    inner, app, log = wrap(FaultConfig(drop_after_commit=1.0, seed=3))
    with run_in_thread(app) as base_url, httpx.Client(base_url=base_url, timeout=5) as client:
        assert base_url.startswith("http://127.0.0.1:")
        # Depending on timing the cut shows as a truncated body or as a reset connection.
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.post("/things", json={})
        # A 204 has no body to cut short; it must still break.
        with pytest.raises(httpx.TransportError):
            client.delete("/things/1")
        assert client.get("/things").status_code == 200
    assert inner.handled == [("POST", "/things"), ("DELETE", "/things/1"), ("GET", "/things")]
    assert log.count(injected_fault="drop_after_commit") == 2


def test_answers_on_a_kept_alive_connection_do_not_wait_for_a_delayed_ack() -> None:
    """Without TCP_NODELAY on the served sockets, each answer after the first on one
    connection waited about 40 ms for the client's delayed ACK (Nagle's algorithm): twenty
    requests took 0.8 s instead of a few milliseconds each."""
    with run_in_thread(CountingApp()) as base_url, httpx.Client(base_url=base_url) as client:
        client.get("/things")  # the connection is open and warm
        started = time.perf_counter()
        for _ in range(20):
            assert client.get("/things").status_code == 200
        took = time.perf_counter() - started
    assert took < 0.5, f"20 requests on one connection took {took:.2f} s"
