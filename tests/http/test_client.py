"""HttpClient: retries, write safety, status mapping, pagination, statistics and TLS."""

from __future__ import annotations

import functools
import random
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import certifi
import httpx
import pytest
import respx
from support import FakeSleep, run_client

import usm_config.http.client as client_module
from usm_config.http import (
    AuthenticationError,
    HttpClient,
    HttpError,
    HttpStatusError,
    NotFoundError,
    OffsetPaging,
    PermissionDeniedError,
    RetryPolicy,
    TransientError,
    UncertainWriteError,
    paginate,
)

BASE = "https://example.service-now.test"
TABLE = "/api/now/table/sys_user_group"


#: Run a test with a client on BASE (see support.run_client).
run = functools.partial(run_client, BASE)


@pytest.fixture
def upper_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make full jitter deterministic: always the ceiling."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


# --------------------------------------------------------------------------- retries


def test_429_retry_after_seconds_is_honoured() -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(TABLE).mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {}}),
                httpx.Response(200, json={"result": []}),
            ]
        )
        response = run(lambda c: c.request("GET", TABLE), sleep=sleep)
    assert response.status_code == 200
    assert route.call_count == 2
    assert sleep.delays == [7.0]


def test_429_retry_after_http_date_is_measured_against_server_date() -> None:
    sleep = FakeSleep()
    headers = {
        "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
        "Retry-After": "Wed, 21 Oct 2026 07:28:12 GMT",
    }
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(TABLE).mock(
            side_effect=[httpx.Response(429, headers=headers), httpx.Response(200, json={})]
        )
        run(lambda c: c.request("GET", TABLE), sleep=sleep)
    assert sleep.delays == [12.0]


def test_retry_after_is_capped_by_max_retry_after() -> None:
    sleep = FakeSleep()
    policy = RetryPolicy(max_retry_after=30.0)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(TABLE).mock(
            side_effect=[
                httpx.Response(503, headers={"Retry-After": "3600"}),
                httpx.Response(429, headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"}),
                httpx.Response(200, json={}),
            ]
        )
        run(lambda c: c.request("GET", TABLE), sleep=sleep, retry=policy)
    assert sleep.delays == [30.0, 30.0]


@pytest.mark.usefixtures("upper_jitter")
@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_with_exponential_backoff(status: int) -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(TABLE).mock(
            side_effect=[httpx.Response(status)] * 3 + [httpx.Response(200, json={})]
        )
        response = run(lambda c: c.request("GET", TABLE), sleep=sleep)
    assert response.status_code == 200
    assert route.call_count == 4
    assert sleep.delays == [0.25, 0.5, 1.0]


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
        httpx.ReadTimeout("slow"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_idempotent_requests_are_retried_on_transport_errors(error: Exception) -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(TABLE).mock(side_effect=[error, httpx.Response(200, json={})])
        response = run(lambda c: c.request("GET", TABLE), sleep=sleep)
    assert response.status_code == 200
    assert route.call_count == 2
    assert len(sleep.delays) == 1


def test_full_jitter_stays_within_backoff_max() -> None:
    sleep = FakeSleep()
    policy = RetryPolicy(max_attempts=12, backoff_base=1.0, backoff_max=3.0)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(TABLE).mock(side_effect=[httpx.Response(503)] * 11 + [httpx.Response(200)])
        run(lambda c: c.request("GET", TABLE), sleep=sleep, retry=policy)
    assert len(sleep.delays) == 11
    assert all(0.0 <= delay <= 3.0 for delay in sleep.delays)


def test_backoff_ceiling_doubles_up_to_backoff_max() -> None:
    policy = RetryPolicy()
    ceilings = [policy.backoff(n, uniform=lambda low, high: high) for n in range(1, 10)]
    assert ceilings == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert policy.backoff(10_000, uniform=lambda low, high: high) == 20.0
    assert all(0.0 <= policy.backoff(n) <= 20.0 for n in range(1, 200))


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(backoff_base=-1)


def test_exhausted_retries_raise_transient_error() -> None:
    sleep = FakeSleep()
    policy = RetryPolicy(max_attempts=3)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(TABLE).mock(return_value=httpx.Response(503, text="maintenance"))
        with pytest.raises(TransientError) as caught:
            run(lambda c: c.request("GET", TABLE), sleep=sleep, retry=policy)
    assert route.call_count == 3
    assert len(sleep.delays) == 2
    error = caught.value
    assert error.attempts == 3
    assert error.status == 503
    assert isinstance(error.cause, HttpStatusError)
    assert "maintenance" in str(error)


def test_exhausted_transport_errors_raise_transient_error() -> None:
    policy = RetryPolicy(max_attempts=2)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(TABLE).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(TransientError, match="ConnectError") as caught:
            run(lambda c: c.request("GET", TABLE), retry=policy)
    assert isinstance(caught.value.cause, httpx.ConnectError)
    assert caught.value.status is None


@pytest.mark.parametrize(
    ("error", "phase"),
    [(httpx.ReadTimeout(""), "ReadTimeout"), (httpx.ConnectTimeout(""), "ConnectTimeout")],
)
def test_a_silent_timeout_says_how_long_it_waited(error: Exception, phase: str) -> None:
    """httpx's timeouts say nothing themselves: the error names the wait and its setting."""
    policy = RetryPolicy(max_attempts=2)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(TABLE).mock(side_effect=error)
        with pytest.raises(TransientError) as caught:
            run(lambda c: c.request("GET", TABLE), retry=policy)
    assert str(caught.value).endswith(
        f"still failing after 2 attempts: {phase}: no answer within 30 s (the target's 'timeout')"
    )


def test_unsupported_protocol_is_not_retried() -> None:
    sleep = FakeSleep()

    async def call(client: HttpClient) -> Any:
        return await client.request("GET", "ftp://example.test/file")

    with pytest.raises(HttpError, match="UnsupportedProtocol"):
        run(call, sleep=sleep)
    assert sleep.delays == []


# --------------------------------------------------------------------------- write safety


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadError("connection reset"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.Response(503),
        httpx.Response(500, json={"error": {"message": "Transaction cancelled"}}),
    ],
    ids=["read-error", "read-timeout", "dropped", "503", "500"],
)
def test_post_that_may_have_reached_the_server_is_never_resent(
    failure: Exception | httpx.Response,
) -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(TABLE).mock(side_effect=[failure, httpx.Response(201, json={})])
        with pytest.raises(UncertainWriteError) as caught:
            run(lambda c: c.request("POST", TABLE, json={"name": "Service Desk"}), sleep=sleep)
    assert route.call_count == 1
    assert sleep.delays == []
    error = caught.value
    assert error.method == "POST"
    assert error.url == f"{BASE}{TABLE}"
    assert error.cause is not None
    assert "re-read" in str(error)


@pytest.mark.parametrize(
    "first",
    [
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.PoolTimeout("pool exhausted"),
    ],
    ids=["429", "connect-error", "connect-timeout", "pool-timeout"],
)
def test_post_that_never_reached_the_server_is_retried(first: Exception | httpx.Response) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(TABLE).mock(
            side_effect=[first, httpx.Response(201, json={"result": {}})]
        )
        response = run(lambda c: c.request("POST", TABLE, json={"name": "Service Desk"}))
    assert response.status_code == 201
    assert route.call_count == 2
    assert route.calls[1].request.content == b'{"name":"Service Desk"}'


def test_post_429_exhaustion_raises_transient_error() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(TABLE).mock(return_value=httpx.Response(429))
        with pytest.raises(TransientError):
            run(lambda c: c.request("POST", TABLE, json={}), retry=RetryPolicy(max_attempts=2))


def test_post_marked_idempotent_is_retried_after_read_error() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post("/api/now/v1/batch").mock(
            side_effect=[httpx.ReadError("reset"), httpx.Response(200, json={})]
        )
        run(lambda c: c.request("POST", "/api/now/v1/batch", json={}, idempotent=True))
    assert route.call_count == 2


def test_patch_is_idempotent_by_default() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.patch(f"{TABLE}/abc").mock(
            side_effect=[httpx.ReadError("reset"), httpx.Response(200, json={})]
        )
        run(lambda c: c.request("PATCH", f"{TABLE}/abc", json={"name": "x"}))
    assert route.call_count == 2


# --------------------------------------------------------------------------- status mapping


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, HttpStatusError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, HttpStatusError),
        (500, HttpStatusError),
    ],
)
def test_error_statuses_map_to_exception_classes(
    status: int, error_type: type[HttpStatusError]
) -> None:
    sleep = FakeSleep()
    body = {"error": {"message": "No Record found", "detail": "x" * 2000}, "status": "failure"}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(TABLE).mock(return_value=httpx.Response(status, json=body))
        with pytest.raises(HttpStatusError) as caught:
            run(lambda c: c.request("GET", TABLE, params={"sysparm_limit": 1}), sleep=sleep)
    assert type(caught.value) is error_type
    assert route.call_count == 1
    assert sleep.delays == []
    error = caught.value
    assert (error.status, error.method) == (status, "GET")
    assert error.url == f"{BASE}{TABLE}?sysparm_limit=1"
    assert error.body_excerpt.startswith('{"error":{"message":"No Record found"')
    assert len(error.body_excerpt) == 500
    assert f"HTTP {status}" in str(error)


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("https://login.example.org/sso?token=T0ken-Zq81#x", "https://login.example.org/sso"),
        ("/login.do?user=admin", f"{BASE}/login.do"),
    ],
    ids=["another-host", "relative"],
)
def test_a_redirect_says_where_it_went_without_following_it(location: str, shown: str) -> None:
    """A sign-in page or an http:// address answers with a redirect: where to is said (without
    its query, which may hold a token), and it is not followed."""
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(TABLE).mock(
            return_value=httpx.Response(302, headers={"Location": location})
        )
        with pytest.raises(HttpStatusError) as caught:
            run(lambda c: c.request("GET", TABLE))
    assert route.call_count == 1
    said = str(caught.value)
    assert (
        f"returned HTTP 302: redirected to {shown} (not followed): check the target's url" in said
    )
    assert "T0ken" not in said and "user=admin" not in said


def test_expected_statuses_are_returned() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/now/v1/table/sys_user_group").mock(
            return_value=httpx.Response(404, json={"error": {"message": "No Record found"}})
        )
        response = run(
            lambda c: c.request("GET", "/api/now/v1/table/sys_user_group", expected={404})
        )
    assert response.status_code == 404


def test_get_json_decodes_and_rejects_non_json() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/ok").mock(return_value=httpx.Response(200, json={"result": [1]}))
        router.get("/html").mock(
            return_value=httpx.Response(
                200, text="<html>login</html>", headers={"Content-Type": "text/html"}
            )
        )
        assert run(lambda c: c.get_json("/ok")) == {"result": [1]}
        with pytest.raises(HttpError, match="non-JSON body"):
            run(lambda c: c.get_json("/html"))


PROXY_PAGE = httpx.Response(
    200, text="<html>Your instance is hibernating</html>", headers={"Content-Type": "text/html"}
)


@pytest.mark.parametrize(
    ("method", "uncertain"),
    [("POST", True), ("PUT", False), ("PATCH", False), ("DELETE", False)],
)
def test_a_write_answered_by_a_page_is_uncertain_only_where_it_may_create(
    method: str, uncertain: bool
) -> None:
    """Nothing but a look-up can tell whether a POST answered by a proxy's page created its
    record; an idempotent write that failed so is an error like any other."""
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.route(method=method, path="/api/thing").mock(return_value=PROXY_PAGE)
        router.post("/api/ok").mock(return_value=httpx.Response(201, json={"id": "7"}))

        async def write(client: HttpClient, path: str, verb: str) -> Any:
            return client.write_answer(await client.request(verb, path, json={"name": "x"}))

        with pytest.raises(HttpError, match="non-JSON body \\(text/html\\)") as raised:
            run(lambda c: write(c, "/api/thing", method))
        assert isinstance(raised.value, UncertainWriteError) is uncertain
        assert "hibernating" in str(raised.value)
        assert run(lambda c: write(c, "/api/ok", "POST")) == {"id": "7"}


# --------------------------------------------------------------------------- pagination


def paged(rows_by_offset: dict[int, list[int]], total: int | None) -> Callable[..., httpx.Response]:
    """A ServiceNow-like table endpoint; records nothing, respx records the calls."""

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["sysparm_offset"])
        headers = {} if total is None else {"X-Total-Count": str(total)}
        return httpx.Response(200, json={"result": rows_by_offset[offset]}, headers=headers)

    return handler


def collect(route_path: str, page_size: int) -> Callable[[HttpClient], Awaitable[list[list[int]]]]:
    async def pages(client: HttpClient) -> list[list[int]]:
        strategy = OffsetPaging(page_size=page_size)
        return [
            page.items
            async for page in paginate(
                client, route_path, strategy, {"sysparm_query": "ORDERBYsys_id"}
            )
        ]

    return pages


def offsets(route: respx.Route) -> list[str]:
    return [call.request.url.params["sysparm_offset"] for call in route.calls]


def test_pagination_keeps_going_past_short_and_empty_pages_while_total_says_more() -> None:
    # Rows hidden by ACLs shorten pages (limit applied before ACL filtering).
    rows = {0: [1, 2], 2: [3], 4: [], 6: [7, 8], 8: [9]}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(TABLE).mock(side_effect=paged(rows, total=9))
        pages = run(collect(TABLE, page_size=2))
    assert pages == [[1, 2], [3], [7, 8], [9]]
    assert offsets(route) == ["0", "2", "4", "6", "8"]
    assert route.calls[0].request.url.params["sysparm_limit"] == "2"
    assert route.calls[0].request.url.params["sysparm_query"] == "ORDERBYsys_id"


def test_pagination_stops_at_total() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(TABLE).mock(side_effect=paged({0: [1, 2], 2: [3, 4]}, total=4))
        assert run(collect(TABLE, page_size=2)) == [[1, 2], [3, 4]]
    assert offsets(route) == ["0", "2"]


def test_pagination_without_total_stops_on_short_page() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(TABLE).mock(side_effect=paged({0: [1, 2], 2: [3]}, total=None))
        assert run(collect(TABLE, page_size=2)) == [[1, 2], [3]]
    assert offsets(route) == ["0", "2"]


def test_pagination_without_total_stops_on_empty_page() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(TABLE).mock(side_effect=paged({0: [1, 2], 2: []}, total=None))
        assert run(collect(TABLE, page_size=2)) == [[1, 2]]
    assert offsets(route) == ["0", "2"]


def test_pagination_of_empty_collection() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(TABLE).mock(side_effect=paged({0: []}, total=0))
        assert run(collect(TABLE, page_size=2)) == []


# --------------------------------------------------------------------------- statistics


def test_request_stats_count_every_attempt() -> None:
    async def calls(client: HttpClient) -> dict[str, object]:
        await client.request("GET", TABLE)
        await client.request("POST", TABLE, json={"name": "x"})
        return client.stats.snapshot()

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(TABLE).mock(
            side_effect=[httpx.Response(429), httpx.Response(200, content=b"0123456789")]
        )
        router.post(TABLE).mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(201, content=b"abc")]
        )
        snapshot = run(calls)
    assert snapshot == {
        "requests_sent": 4,
        "retries": 2,
        "by_method": {"GET": 2, "POST": 2},
        "by_status": {200: 1, 201: 1, 429: 1},
        "bytes_received": 13,
    }


# --------------------------------------------------------------------------- TLS


class RecordingAsyncClient:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.base_url = httpx.URL(kwargs["base_url"])

    async def aclose(self) -> None:
        pass


def test_ca_bundle_path_builds_a_verifying_context(monkeypatch: pytest.MonkeyPatch) -> None:
    cafiles: list[str | None] = []
    real = ssl.create_default_context

    def recording(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        cafiles.append(kwargs.get("cafile"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", recording)
    monkeypatch.setattr(client_module, "_AsyncClient", RecordingAsyncClient)
    client = HttpClient(BASE, verify=certifi.where())
    verify = client._client.kwargs["verify"]  # type: ignore[attr-defined]
    assert cafiles == [certifi.where()]
    assert isinstance(verify, ssl.SSLContext)
    assert verify.verify_mode == ssl.CERT_REQUIRED
    assert verify.check_hostname
    assert client._client.kwargs["transport"].ssl_context is verify  # type: ignore[attr-defined]


def test_tls_verification_is_on_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "_AsyncClient", RecordingAsyncClient)
    kwargs = HttpClient(BASE)._client.kwargs  # type: ignore[attr-defined]
    assert kwargs["verify"] is True
    assert kwargs["transport"].ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert kwargs["transport"].ssl_context.check_hostname


def test_disabling_tls_verification_is_explicit_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(client_module, "_AsyncClient", RecordingAsyncClient)
    client = HttpClient(BASE, verify=False)
    assert client._client.kwargs["verify"] is False  # type: ignore[attr-defined]
    transport = client._client.kwargs["transport"]  # type: ignore[attr-defined]
    assert transport.ssl_context.verify_mode == ssl.CERT_NONE
    assert "TLS certificate verification is disabled" in caplog.text


def test_missing_ca_bundle_fails_early() -> None:
    with pytest.raises(FileNotFoundError, match="CA bundle not found"):
        HttpClient(BASE, verify="/nonexistent/ca.pem")
