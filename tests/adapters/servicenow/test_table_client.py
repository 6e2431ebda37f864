"""The ServiceNow Table/Batch API client and the adapter's read paths, against respx mocks.

Covers servicenow.md §1.1-1.9: batched first pages, per-round batches, unserviced requests,
the page-by-page fallback, X-Total-Count driven paging (short and empty pages), v2 empty
results, error envelopes, write safety and request counting.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import respx
from support import FakeSleep
from usm_servicenow import client as api
from usm_servicenow.adapter import ADAPTER

from usm_config.engine.contract import Write
from usm_config.http import (
    AuthenticationError,
    HttpClient,
    HttpError,
    HttpStatusError,
    NotFoundError,
    PermissionDeniedError,
    UncertainWriteError,
    UnexpectedAnswer,
)

BASE = "https://example.service-now.test"
BATCH = "/api/now/v1/batch"
PASSWORD = "pa$$w0rd-Zq81"


def run(
    test: Callable[[HttpClient], Awaitable[Any]],
    *,
    sleep: FakeSleep | None = None,
    secrets: list[str] | None = None,
    auth: httpx.Auth | None = None,
) -> tuple[Any, HttpClient]:
    """Run ``test`` with a fresh client; returns its result and the (closed) client."""

    async def main() -> tuple[Any, HttpClient]:
        async with HttpClient(
            BASE, sleep=sleep or FakeSleep(), secrets=secrets or [], auth=auth
        ) as client:
            return await test(client), client

    return asyncio.run(main())


def expect_error(test: Callable[[HttpClient], Awaitable[Any]], **kwargs: Any) -> BaseException:
    """Run ``test`` and return the exception it raised."""

    async def wrapped(client: HttpClient) -> BaseException:
        try:
            await test(client)
        except Exception as exc:
            return exc
        raise AssertionError("no exception raised")

    exc, _ = run(wrapped, **kwargs)
    assert isinstance(exc, BaseException)
    return exc


def b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.b64encode(raw).decode()


def rows_of(table: str, start: int, count: int) -> list[dict[str, str]]:
    return [
        {"sys_id": f"{table}-{i:04d}", "name": f"{table} {i}"} for i in range(start, start + count)
    ]


def served(
    rid: str, rows: list[dict[str, Any]] | None, total: int | None = None, status: int = 200
) -> dict[str, Any]:
    headers = [{"name": "Content-Type", "value": "application/json"}]
    if total is not None:
        headers.append({"name": "X-Total-Count", "value": str(total)})
    return {
        "id": rid,
        "status_code": status,
        "status_text": "OK",
        "execution_time": 3,
        "headers": headers,
        "body": b64({"result": rows}),
    }


def batch_answer(
    serviced: list[dict[str, Any]], unserviced: list[str] | None = None
) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "batch_request_id": "read",
            "serviced_requests": serviced,
            "unserviced_requests": unserviced or [],
        },
    )


def sub_requests(request: httpx.Request) -> list[dict[str, Any]]:
    body = json.loads(request.content)
    assert body["batch_request_id"]
    return list(body["rest_requests"])


def split(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    return parts.path, parse_qsl(parts.query, keep_blank_values=True)


def list_params(
    fields: str, offset: int, query: str = "ORDERBYsys_id", limit: int = 1000
) -> list[tuple[str, str]]:
    return [
        ("sysparm_fields", fields),
        ("sysparm_exclude_reference_link", "true"),
        ("sysparm_display_value", "false"),
        ("sysparm_query", query),
        ("sysparm_limit", str(limit)),
        ("sysparm_offset", str(offset)),
    ]


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Page size 2, so multi-page reads need only a handful of rows."""
    monkeypatch.setattr(api, "PAGE_SIZE", 2)
    yield 2


#: ``{offset: (rows, X-Total-Count or None)}`` of one table.
Pages = dict[int, tuple[list[dict[str, Any]], int | None]]


class FakeInstance:
    """Serves list pages from a script, through the Batch API or page-by-page GETs.

    ``pages[table][offset] = (rows, total)``; ``total=None`` omits X-Total-Count. Records the
    ``(table, offset)`` of every page asked for.
    """

    def __init__(self, pages: dict[str, Pages]):
        self.pages = pages
        self.asked: list[tuple[str, int]] = []

    def _page(self, path: str, params: dict[str, str]) -> tuple[list[dict[str, Any]], int | None]:
        table = path.rsplit("/", 1)[-1]
        offset = int(params["sysparm_offset"])
        self.asked.append((table, offset))
        return self.pages[table][offset]

    def batch(self, request: httpx.Request) -> httpx.Response:
        answers = []
        for sub in sub_requests(request):
            path, params = split(sub["url"])
            rows, total = self._page(path, dict(params))
            answers.append(served(sub["id"], rows, total))
        return batch_answer(answers)

    def get(self, request: httpx.Request) -> httpx.Response:
        rows, total = self._page(request.url.path, dict(request.url.params))
        headers = {} if total is None else {"X-Total-Count": str(total)}
        return httpx.Response(200, json={"result": rows}, headers=headers)

    def mount(self, router: respx.Router, mode: str) -> respx.Route:
        """Serve through the Batch API, or refuse it (``get``); returns the batch route."""
        if mode == "batch":
            return router.post(BATCH).mock(side_effect=self.batch)
        route = router.post(BATCH).mock(
            return_value=httpx.Response(
                404,
                json={"error": {"message": "Requested URI does not represent any resource"}},
            )
        )
        router.get(path__regex=r"^/api/now/v2/table/\w+$").mock(side_effect=self.get)
        return route


MODES = pytest.mark.parametrize("mode", ["batch", "get"])


# --------------------------------------------------------------------------- batched reads


def test_first_pages_of_all_tables_go_in_one_batch() -> None:
    tables = {"sys_user_group": (("name", "active"), ""), "cmn_schedule": (("name",), "")}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(BATCH).mock(
            return_value=batch_answer(
                [
                    served("0", rows_of("g", 0, 2), total=2),
                    served("1", rows_of("s", 0, 1), total=1),
                ]
            )
        )
        rows, client = run(lambda c: api.read_tables(c, tables))
    assert rows == {"sys_user_group": rows_of("g", 0, 2), "cmn_schedule": rows_of("s", 0, 1)}
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    subs = sub_requests(request)
    assert [(s["id"], s["method"]) for s in subs] == [("0", "GET"), ("1", "GET")]
    assert all(s["headers"] == [{"name": "Accept", "value": "application/json"}] for s in subs)
    assert not any(s.get("exclude_response_headers") for s in subs)  # X-Total-Count is needed
    assert split(subs[0]["url"]) == (
        "/api/now/v2/table/sys_user_group",
        list_params("sys_id,name,active", 0),
    )
    assert split(subs[1]["url"]) == (
        "/api/now/v2/table/cmn_schedule",
        list_params("sys_id,name", 0),
    )
    assert subs[0]["url"].startswith(
        "/api/now/v2/table/sys_user_group?sysparm_fields=sys_id%2Cname%2Cactive"
        "&sysparm_exclude_reference_link=true&sysparm_display_value=false"
        "&sysparm_query=ORDERBYsys_id&sysparm_limit=1000&sysparm_offset=0"
    )
    assert client.stats.requests_sent == 1


def test_a_filter_is_combined_with_the_stable_order() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(BATCH).mock(return_value=batch_answer([served("0", [], total=0)]))
        rows, _ = run(lambda c: api.query_table(c, "sys_choice", ["value"], "name=incident"))
    assert rows == []
    _, params = split(sub_requests(route.calls.last.request)[0]["url"])
    assert dict(params)["sysparm_query"] == "name=incident^ORDERBYsys_id"


def test_the_second_round_asks_every_remaining_page_of_the_tables_with_more_rows(
    small_pages: int,
) -> None:
    tables = {"a": (("name",), ""), "b": (("name",), ""), "c": (("name",), "")}
    instance = FakeInstance(
        {
            "a": {
                0: (rows_of("a", 0, 2), 5),
                2: (rows_of("a", 2, 2), 5),
                4: (rows_of("a", 4, 1), 5),
            },
            "b": {0: (rows_of("b", 0, 1), 1)},
            "c": {0: (rows_of("c", 0, 2), 3), 2: (rows_of("c", 2, 1), 3)},
        }
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        batch = instance.mount(router, "batch")
        rows, client = run(lambda c: api.read_tables(c, tables))
    assert rows == {"a": rows_of("a", 0, 5), "b": rows_of("b", 0, 1), "c": rows_of("c", 0, 3)}
    per_call = [
        [(split(s["url"])[0].rsplit("/", 1)[-1], dict(split(s["url"])[1])) for s in subs]
        for subs in (sub_requests(call.request) for call in batch.calls)
    ]
    asked = [[(table, q["sysparm_offset"]) for table, q in call] for call in per_call]
    # The first pages in one call; then the three remaining pages at once, a call each.
    assert asked[0] == [("a", "0"), ("b", "0"), ("c", "0")]
    assert sorted(asked[1:]) == [[("a", "2")], [("a", "4")], [("c", "2")]]
    assert all(q["sysparm_limit"] == "2" for call in per_call for _, q in call)
    assert client.stats.requests_sent == 4


@pytest.mark.parametrize(("limit", "sizes"), [(50, [3, 3, 3]), (2, [2, 2, 2, 2, 1])])
def test_later_pages_are_spread_over_a_few_calls_within_the_batch_limit(
    monkeypatch: pytest.MonkeyPatch, small_pages: int, limit: int, sizes: list[int]
) -> None:
    monkeypatch.setattr(api, "BATCH_LIMIT", limit)
    pages: Pages = {o: (rows_of("t", o, 2 if o < 18 else 1), 19) for o in range(0, 20, 2)}
    instance = FakeInstance({"t": pages})
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        batch = instance.mount(router, "batch")
        rows, client = run(lambda c: api.read_tables(c, {"t": (("name",), "")}))
    assert rows["t"] == rows_of("t", 0, 19)
    assert [len(sub_requests(call.request)) for call in batch.calls] == [1, *sizes]
    assert sorted(offset for _, offset in instance.asked) == list(range(0, 20, 2))
    assert client.stats.requests_sent == 1 + len(sizes)


def test_pages_read_one_by_one_go_a_few_at_a_time(small_pages: int) -> None:
    pages: Pages = {o: (rows_of("t", o, 2), 20) for o in range(0, 20, 2)}
    instance = FakeInstance({"t": pages})
    in_flight: list[int] = []
    most = 0

    async def get(request: httpx.Request) -> httpx.Response:
        nonlocal most
        in_flight.append(1)
        most = max(most, len(in_flight))
        await asyncio.sleep(0.01)
        in_flight.pop()
        return instance.get(request)

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(return_value=httpx.Response(403, json={"error": {}}))
        router.get("/api/now/v2/table/t").mock(side_effect=get)
        rows, _ = run(lambda c: api.read_tables(c, {"t": (("name",), "")}))
    assert rows["t"] == rows_of("t", 0, 20)
    assert most == api.READ_CALLS


def test_unserviced_requests_are_asked_again_in_the_next_round() -> None:
    tables = {"a": (("name",), ""), "b": (("name",), ""), "c": (("name",), "")}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(BATCH).mock(
            side_effect=[
                batch_answer([served("0", rows_of("a", 0, 1), total=1)], unserviced=["1", "2"]),
                batch_answer(
                    [served("1", rows_of("c", 0, 2), total=2)], unserviced=["0"]
                ),  # ids are per batch: "1" is now table c, "0" table b
                batch_answer([served("0", rows_of("b", 0, 1), total=1)]),
            ]
        )
        rows, client = run(lambda c: api.read_tables(c, tables))
    assert rows == {"a": rows_of("a", 0, 1), "b": rows_of("b", 0, 1), "c": rows_of("c", 0, 2)}
    asked = [
        [(split(s["url"])[0].rsplit("/", 1)[-1], s["id"]) for s in sub_requests(call.request)]
        for call in route.calls
    ]
    assert asked == [[("a", "0"), ("b", "1"), ("c", "2")], [("b", "0"), ("c", "1")], [("b", "0")]]
    assert client.stats.requests_sent == 3


def test_a_batch_that_services_nothing_falls_back_instead_of_looping() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        batch = router.post(BATCH).mock(return_value=batch_answer([], unserviced=["0"]))
        get = router.get("/api/now/v2/table/a").mock(
            return_value=httpx.Response(
                200, json={"result": rows_of("a", 0, 1)}, headers={"X-Total-Count": "1"}
            )
        )
        rows, _ = run(lambda c: api.read_tables(c, {"a": (("name",), "")}))
    assert rows == {"a": rows_of("a", 0, 1)}
    assert (batch.call_count, get.call_count) == (1, 1)


def test_more_tables_than_the_batch_limit_are_split_into_several_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api, "BATCH_LIMIT", 2)
    tables = dict.fromkeys(("a", "b", "c"), (("name",), ""))
    instance = FakeInstance({t: {0: (rows_of(t, 0, 1), 1)} for t in tables})
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        batch = instance.mount(router, "batch")
        rows, client = run(lambda c: api.read_tables(c, tables))
    assert rows == {t: rows_of(t, 0, 1) for t in tables}
    assert [len(sub_requests(call.request)) for call in batch.calls] == [2, 1]
    assert client.stats.requests_sent == 2


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, HttpStatusError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (500, HttpStatusError),
    ],
)
def test_a_failed_sub_request_raises_with_a_redacted_body(
    status: int, error_class: type[HttpStatusError]
) -> None:
    envelope = {
        "error": {"message": "Operation Failed", "detail": f"echo of password={PASSWORD}"},
        "status": "failure",
    }
    item = {"id": "0", "status_code": status, "headers": [], "body": b64(envelope)}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(BATCH).mock(return_value=batch_answer([item]))
        exc = expect_error(
            lambda c: api.read_tables(c, {"sys_user_group": (("name",), "")}), secrets=[PASSWORD]
        )
    assert type(exc) is error_class
    assert isinstance(exc, HttpStatusError)
    assert exc.status == status
    assert exc.method == "GET"
    assert exc.url == "/api/now/v2/table/sys_user_group"
    assert "Operation Failed" in str(exc)
    assert "Operation Failed" in exc.body_excerpt
    assert PASSWORD not in str(exc) + repr(exc) + exc.body_excerpt
    assert "***" in exc.body_excerpt
    assert route.call_count == 1  # a sub-request failure is not "Batch API unavailable"


@pytest.mark.parametrize("padding", [261, 455])
def test_a_secret_cut_at_the_excerpt_limit_leaks_no_prefix(padding: int) -> None:
    # The secret straddles a truncation point (300 or 500 characters into the error text).
    detail = "x" * padding + PASSWORD + "y" * 600
    item = {
        "id": "0",
        "status_code": 500,
        "headers": [],
        "body": b64({"error": {"message": "boom", "detail": detail}}),
    }
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(return_value=batch_answer([item]))
        exc = expect_error(lambda c: api.read_tables(c, {"t": ((), "")}), secrets=[PASSWORD])
    assert isinstance(exc, HttpStatusError)
    assert PASSWORD[:5] not in str(exc) + exc.body_excerpt


def test_a_non_json_sub_request_error_still_raises_http_status_error() -> None:
    html = b"<html><body>Transaction cancelled: maximum execution time exceeded</body></html>"
    item = {"id": "0", "status_code": 500, "headers": [], "body": b64(html)}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(return_value=batch_answer([item]))
        exc = expect_error(lambda c: api.read_tables(c, {"t": ((), "")}))
    assert type(exc) is HttpStatusError
    assert "Transaction cancelled" in str(exc)


@pytest.mark.parametrize(
    "body",
    [b64(b"not json"), "%%% not base64 %%%", b64({"result": {"sys_id": "1"}}), b64([1, 2])],
)
def test_a_malformed_successful_sub_request_raises_servicenow_error(body: str) -> None:
    item = {"id": "0", "status_code": 200, "headers": [], "body": body}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(return_value=batch_answer([item]))
        exc = expect_error(lambda c: api.read_tables(c, {"t": ((), "")}))
    assert isinstance(exc, api.ServiceNowError)
    assert isinstance(exc, HttpError)


def test_a_row_that_is_not_an_object_is_refused_not_left_out() -> None:
    """A row left out would be planned as missing, and created a second time."""
    rows: list[Any] = [{"sys_id": "1", "name": "Desk"}, 7]
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(return_value=batch_answer([served("0", rows, total=2)]))
        exc = expect_error(lambda c: api.read_tables(c, {"sys_user_group": ((), "")}))
    assert isinstance(exc, api.ServiceNowError)
    assert "sys_user_group: the answer's result list holds a number where" in str(exc)


def test_a_row_without_a_sys_id_is_an_answer_of_another_shape() -> None:
    rows = [{"sys_id": "1", "name": "Desk"}, {"name": "Other desk"}]
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(return_value=batch_answer([served("0", rows, total=2)]))
        exc = expect_error(lambda c: ADAPTER.read(c, ["sys_user_group"]))
    assert isinstance(exc, UnexpectedAnswer)
    assert str(exc).startswith(
        "reading sys_user_group: an answer is JSON, but not shaped as the tool's API "
        "documents: a value lacks 'sys_id' (at usm_servicenow/adapter.py:"
    )


#: What answers in the API's place (a developer instance asleep, a proxy cutting the answer
#: short, an empty body, JSON of another shape), and what a read says of it. A write so
#: answered may have happened: it is uncertain.
NON_JSON = "HTTP 200 with a non-JSON body"
NOT_BATCH = "sys_user_group: the answer to /api/now/v1/batch is not a Batch API answer"
NOT_THE_API = {
    "hibernating": (
        httpx.Response(
            200,
            text="<html><body>Your instance is hibernating. Sign in to wake it up.</body></html>",
            headers={"Content-Type": "text/html"},
        ),
        f"{NON_JSON} (text/html): <html><body>Your instance is hibernating",
    ),
    "cut short": (
        httpx.Response(
            200, text='{"serviced_requests": [{"id"', headers={"Content-Type": "application/json"}
        ),
        f"{NON_JSON} (application/json)",
    ),
    "empty": (
        httpx.Response(200, text="", headers={"Content-Type": "application/json"}),
        f"{NON_JSON} (application/json)",
    ),
    "a list": (httpx.Response(200, json=[1, 2, 3]), NOT_BATCH),
    "items not objects": (httpx.Response(200, json={"serviced_requests": ["0"]}), NOT_BATCH),
}


@pytest.mark.parametrize(("answer", "said"), NOT_THE_API.values(), ids=NOT_THE_API.keys())
def test_a_read_answered_by_something_else_than_the_api_says_what_it_got(
    answer: httpx.Response, said: str
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(return_value=answer)
        exc = expect_error(lambda c: api.read_tables(c, {"sys_user_group": ((), "")}))
    assert isinstance(exc, HttpError)
    assert said in str(exc)


@pytest.mark.parametrize(("answer", "said"), NOT_THE_API.values(), ids=NOT_THE_API.keys())
def test_a_batch_of_writes_answered_by_something_else_than_the_api_is_uncertain(
    answer: httpx.Response, said: str
) -> None:
    """The writes of the call may have happened: the engine looks each record up before it
    writes it again (UncertainWriteError), instead of failing on an unreadable answer."""
    writes = [Write("create", "sys_user_group", {"name": "Desk"})]
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(BATCH).mock(return_value=answer)
        exc = expect_error(lambda c: ADAPTER.write_batch(c, writes))
    assert isinstance(exc, UncertainWriteError)
    assert said.removeprefix("sys_user_group: ") in str(exc)
    assert route.call_count == 1


@pytest.mark.parametrize(("answer", "said"), NOT_THE_API.values(), ids=NOT_THE_API.keys())
def test_a_single_create_answered_by_something_else_than_the_api_is_uncertain(
    answer: httpx.Response, said: str
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(GROUPS).mock(return_value=answer)
        exc = expect_error(
            lambda c: api.create_record(c, "sys_user_group", {"name": "x"}, ("name",))
        )
    assert isinstance(exc, UncertainWriteError)
    assert route.call_count == 1


def test_a_create_answered_with_a_sys_id_no_new_record_has_is_uncertain() -> None:
    answer = httpx.Response(201, json={"result": {"sys_id": "global", "name": "x"}})
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(GROUPS).mock(return_value=answer)
        exc = expect_error(
            lambda c: api.create_record(c, "sys_user_group", {"name": "x"}, ("name",))
        )
    assert isinstance(exc, UncertainWriteError)
    assert "the answer's sys_id is not a new record's" in str(exc)


def test_the_batch_post_is_retried_like_a_read() -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(BATCH).mock(
            side_effect=[
                httpx.RemoteProtocolError("Server disconnected without sending a response."),
                httpx.Response(503),
                batch_answer([served("0", [], total=0)]),
            ]
        )
        rows, client = run(lambda c: api.read_tables(c, {"t": ((), "")}), sleep=sleep)
    assert rows == {"t": []}
    assert route.call_count == 3
    assert len(sleep.delays) == 2
    assert client.stats.requests_sent == 3


# --------------------------------------------------------------------------- pagination rules


@MODES
def test_a_short_page_does_not_end_the_read_while_the_total_says_more(mode: str) -> None:
    # The limit applies before ACL filtering: 1000 rows asked, 998 visible, 1500 in total.
    instance = FakeInstance(
        {"t": {0: (rows_of("t", 0, 998), 1500), 1000: (rows_of("t", 1000, 499), 1500)}}
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        instance.mount(router, mode)
        rows, _ = run(lambda c: api.read_tables(c, {"t": (("name",), "")}))
    assert rows["t"] == rows_of("t", 0, 998) + rows_of("t", 1000, 499)
    assert instance.asked == [("t", 0), ("t", 1000)]


@MODES
def test_an_empty_page_continues_until_the_offset_reaches_the_total(
    mode: str, small_pages: int
) -> None:
    instance = FakeInstance(
        {"t": {0: (rows_of("t", 0, 2), 7), 2: ([], 7), 4: ([], 7), 6: (rows_of("t", 6, 1), 7)}}
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        instance.mount(router, mode)
        rows, _ = run(lambda c: api.read_tables(c, {"t": (("name",), "")}))
    assert rows["t"] == rows_of("t", 0, 2) + rows_of("t", 6, 1)
    assert instance.asked == [("t", 0), ("t", 2), ("t", 4), ("t", 6)]


@MODES
def test_without_a_total_a_short_page_ends_the_read(mode: str, small_pages: int) -> None:
    instance = FakeInstance(
        {
            "t": {
                0: (rows_of("t", 0, 2), None),
                2: (rows_of("t", 2, 2), None),
                4: (rows_of("t", 4, 1), None),
            }
        }
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        instance.mount(router, mode)
        rows, _ = run(lambda c: api.read_tables(c, {"t": (("name",), "")}))
    assert rows["t"] == rows_of("t", 0, 5)
    assert instance.asked == [("t", 0), ("t", 2), ("t", 4)]


@MODES
def test_without_a_total_an_empty_page_ends_the_read(mode: str, small_pages: int) -> None:
    instance = FakeInstance({"t": {0: (rows_of("t", 0, 2), None), 2: ([], None)}})
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        instance.mount(router, mode)
        rows, _ = run(lambda c: api.read_tables(c, {"t": (("name",), "")}))
    assert rows["t"] == rows_of("t", 0, 2)
    assert instance.asked == [("t", 0), ("t", 2)]


def test_a_total_seen_once_keeps_driving_the_read(small_pages: int) -> None:
    # Only the first page carries X-Total-Count; a later short page must not end the read.
    instance = FakeInstance(
        {
            "t": {
                0: (rows_of("t", 0, 2), 5),
                2: (rows_of("t", 2, 1), None),
                4: (rows_of("t", 4, 1), None),
            }
        }
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        instance.mount(router, "batch")
        rows, _ = run(lambda c: api.read_tables(c, {"t": (("name",), "")}))
    assert [r["sys_id"] for r in rows["t"]] == ["t-0000", "t-0001", "t-0002", "t-0004"]
    assert instance.asked == [("t", 0), ("t", 2), ("t", 4)]


@MODES
def test_the_v2_empty_result_gives_no_rows(mode: str) -> None:
    instance = FakeInstance({"t": {0: ([], 0)}})
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        instance.mount(router, mode)
        rows, client = run(lambda c: api.read_tables(c, {"t": (("name",), "")}))
    assert rows == {"t": []}
    assert client.stats.requests_sent == (1 if mode == "batch" else 2)


def test_the_v2_empty_result_without_a_total_gives_no_rows() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(return_value=httpx.Response(403, json={"error": {}}))
        route = router.get("/api/now/v2/table/t").mock(
            return_value=httpx.Response(200, json={"result": []})
        )
        rows, _ = run(lambda c: api.read_tables(c, {"t": (("name",), "")}))
    assert rows == {"t": []}
    assert route.call_count == 1


INVALID_TABLE = {"error": {"message": "Invalid table u_nope", "detail": None}, "status": "failure"}


def test_an_invalid_table_on_a_list_get_is_not_found_with_the_vendor_message() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(return_value=httpx.Response(404))
        route = router.get("/api/now/v2/table/u_nope").mock(
            return_value=httpx.Response(404, json=INVALID_TABLE)
        )
        exc = expect_error(lambda c: api.read_tables(c, {"u_nope": (("name",), "")}))
    assert isinstance(exc, NotFoundError)
    assert exc.status == 404
    assert "Invalid table u_nope" in str(exc)
    assert route.call_count == 1  # a 404 is not retried


def test_an_invalid_table_in_a_batch_is_not_found_with_the_vendor_message() -> None:
    item = {"id": "0", "status_code": 404, "headers": [], "body": b64(INVALID_TABLE)}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(BATCH).mock(return_value=batch_answer([item]))
        exc = expect_error(lambda c: api.read_tables(c, {"u_nope": (("name",), "")}))
    assert isinstance(exc, NotFoundError)
    assert "Invalid table u_nope" in str(exc)
    assert route.call_count == 1  # no fallback to GETs: the table is missing, not the Batch API


# --------------------------------------------------------------------------- fallback


NO_RESOURCE = {"error": {"message": "Requested URI does not represent any resource"}}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"error": {"message": "not allowed"}}),
        (403, {"error": {"message": "not allowed"}}),
        # An instance without the Batch API (servicenow.md §1.6: 400, URI doesn't match).
        (400, NO_RESOURCE),
    ],
)
def test_a_refused_batch_api_falls_back_to_page_by_page_gets(
    status: int, body: dict[str, Any], small_pages: int
) -> None:
    tables = {"sys_user_group": (("name", "email"), ""), "core_company": (("name",), "")}
    pages = {
        ("sys_user_group", "0"): (rows_of("g", 0, 2), 3),
        ("sys_user_group", "2"): (rows_of("g", 2, 1), 3),
        ("core_company", "0"): (rows_of("c", 0, 1), 1),
    }

    def answer(request: httpx.Request) -> httpx.Response:
        rows, total = pages[
            request.url.path.rsplit("/", 1)[-1], request.url.params["sysparm_offset"]
        ]
        return httpx.Response(200, json={"result": rows}, headers={"X-Total-Count": str(total)})

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        batch = router.post(BATCH).mock(return_value=httpx.Response(status, json=body))
        get = router.get(path__regex=r"^/api/now/v2/table/").mock(side_effect=answer)
        rows, client = run(lambda c: api.read_tables(c, tables))
    assert rows == {"sys_user_group": rows_of("g", 0, 3), "core_company": rows_of("c", 0, 1)}
    assert batch.call_count == 1  # later rounds do not ask the Batch API again
    asked = [
        (call.request.url.path, list(call.request.url.params.multi_items())) for call in get.calls
    ]
    assert asked == [
        ("/api/now/v2/table/sys_user_group", list_params("sys_id,name,email", 0, limit=2)),
        ("/api/now/v2/table/core_company", list_params("sys_id,name", 0, limit=2)),
        ("/api/now/v2/table/sys_user_group", list_params("sys_id,name,email", 2, limit=2)),
    ]
    assert client.stats.requests_sent == 4
    assert client.stats.by_method == {"POST": 1, "GET": 3}


def test_a_batch_refused_in_a_later_chunk_reads_only_the_unfinished_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api, "BATCH_LIMIT", 1)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(
            side_effect=[
                batch_answer([served("0", rows_of("a", 0, 1), total=1)]),
                httpx.Response(403),
            ]
        )
        get = router.get("/api/now/v2/table/b").mock(
            return_value=httpx.Response(
                200, json={"result": rows_of("b", 0, 1)}, headers={"X-Total-Count": "1"}
            )
        )
        rows, client = run(lambda c: api.read_tables(c, {"a": ((), ""), "b": ((), "")}))
    assert rows == {"a": rows_of("a", 0, 1), "b": rows_of("b", 0, 1)}
    assert get.call_count == 1
    assert client.stats.requests_sent == 3


def test_another_400_on_the_batch_api_is_not_a_fallback() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(
            return_value=httpx.Response(400, json={"error": {"message": "Invalid body"}})
        )
        exc = expect_error(lambda c: api.read_tables(c, {"t": ((), "")}))
    assert isinstance(exc, HttpStatusError) and exc.status == 400


def test_writes_of_a_refused_batch_go_one_by_one_and_later_batches_are_not_tried() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        batch = router.post(BATCH).mock(return_value=httpx.Response(400, json=NO_RESOURCE))
        created = router.post("/api/now/table/sys_user_group").mock(
            return_value=httpx.Response(201, json={"result": {"sys_id": "a" * 32}})
        )
        deleted = router.delete(f"/api/now/table/sys_user_group/{'b' * 32}").mock(
            return_value=httpx.Response(204)
        )
        refused = router.patch(f"/api/now/table/sys_user_group/{'c' * 32}").mock(
            return_value=httpx.Response(
                403, json={"error": {"message": "Operation Failed"}, "status": "failure"}
            )
        )

        async def writes(client: Any) -> Any:
            first = await api.batch_write(
                client,
                [
                    ("POST", "/api/now/table/sys_user_group?sysparm_fields=sys_id", {"name": "x"}),
                    ("DELETE", f"/api/now/table/sys_user_group/{'b' * 32}", None),
                ],
            )
            second = await api.batch_write(
                client,
                [("PATCH", f"/api/now/table/sys_user_group/{'c' * 32}", {"name": "y"})],
            )
            return first, second

        (first, second), _ = run(writes)
    assert batch.call_count == 1
    assert [a.status for a in first] == [201, 204]
    assert first[0].payload == {"result": {"sys_id": "a" * 32}}
    assert created.calls[0].request.url.params["sysparm_fields"] == "sys_id"
    assert deleted.call_count == 1
    assert second[0].status == 403
    assert second[0].payload["error"]["message"] == "Operation Failed"
    assert refused.call_count == 1


def test_batched_writes_ask_for_the_sys_id_alone_and_settle_by_it() -> None:
    new_id, old_id = "a" * 32, "b" * 32
    writes = [
        Write("create", "sys_user_group", {"name": "Desk", "active": True}),
        Write("update", "sys_user_group", {"name": "Ops"}, old_id),
        Write("delete", "sys_user_group", {}, "c" * 32),
    ]
    answers = [
        served("0", None) | {"status_code": 201, "body": b64({"result": {"sys_id": new_id}})},
        served("1", None) | {"body": b64({"result": {"sys_id": old_id}})},
        served("2", None) | {"status_code": 204, "body": ""},
    ]
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(BATCH).mock(return_value=batch_answer(answers))
        outcomes, _ = run(lambda c: ADAPTER.write_batch(c, writes))
    assert [o.target_id for o in outcomes] == [new_id, old_id, "c" * 32]
    urls = [(sub["method"], sub["url"]) for sub in sub_requests(route.calls.last.request)]
    fields = "sysparm_fields=sys_id&sysparm_exclude_reference_link=true"
    assert urls == [
        ("POST", f"/api/now/table/sys_user_group?{fields}"),
        ("PATCH", f"/api/now/table/sys_user_group/{old_id}?{fields}"),
        ("DELETE", f"/api/now/table/sys_user_group/{'c' * 32}"),
    ]


def test_a_write_the_batch_answer_does_not_settle_is_looked_up_not_sent_again() -> None:
    """Sub-requests the batch's time quota left out are listed as unserviced and sent again;
    one listed nowhere, one whose body cannot be read, and a create whose answer names no
    sys_id may have been carried out: the engine looks each up by its key first."""
    writes = [Write("create", "sys_user_group", {"name": n}) for n in "ABCDE"] + [
        Write("update", "sys_user_group", {"name": "F"}, "f" * 32),
        Write("create", "sys_user_group", {"name": "G"}),
    ]
    created = {"status_code": 201, "body": b64({"result": {"sys_id": "a" * 32}})}
    answers = [
        served("0", None) | created,
        served("2", None) | {"status_code": 201, "body": "%%% not base64"},
        served("3", None) | {"status_code": 201, "body": b64({"result": {"sys_id": None}})},
        served("5", None) | {"body": b64({"result": 7})},
        served("6", None) | created | {"status_code": 1.5},
    ]
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(return_value=batch_answer(answers, unserviced=["4"]))
        outcomes, _ = run(lambda c: ADAPTER.write_batch(c, writes))
    settled = [(o.target_id, o.retryable, o.uncertain) for o in outcomes]
    assert settled == [
        ("a" * 32, False, False),
        (None, False, True),  # listed nowhere
        (None, False, True),  # a body that is not base64
        (None, False, True),  # created, no sys_id named
        (None, True, False),  # unserviced: not carried out
        ("f" * 32, False, False),  # an update's record is known
        (None, False, True),  # a status that is no HTTP status
    ]


def test_a_401_on_the_batch_api_is_not_a_fallback() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(BATCH).mock(
            return_value=httpx.Response(
                401,
                json={
                    "error": {
                        "message": "User Not Authenticated",
                        "detail": "Required to provide Auth information",
                    },
                    "status": "failure",
                },
            )
        )
        exc = expect_error(lambda c: api.read_tables(c, {"t": ((), "")}))
    assert isinstance(exc, AuthenticationError)
    assert "User Not Authenticated" in str(exc)


# --------------------------------------------------------------------------- writes

GROUPS = "/api/now/table/sys_user_group"
GROUP_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
CREATED = {"sys_id": GROUP_ID, "name": "Service Desk", "description": "L1"}


def test_create_record_posts_json_and_returns_the_result() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(GROUPS).mock(
            return_value=httpx.Response(
                201, json={"result": CREATED}, headers={"Location": f"{BASE}{GROUPS}/{GROUP_ID}"}
            )
        )
        row, client = run(
            lambda c: api.create_record(
                c,
                "sys_user_group",
                {"name": "Service Desk", "description": "L1"},
                ("name", "description"),
            )
        )
    assert row == CREATED
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert json.loads(request.content) == {"name": "Service Desk", "description": "L1"}
    assert list(request.url.params.multi_items()) == [
        ("sysparm_fields", "sys_id,name,description"),
        ("sysparm_exclude_reference_link", "true"),
    ]
    assert client.stats.requests_sent == 1


def test_a_create_without_a_record_in_the_answer_is_uncertain() -> None:
    """A 201 whose answer names no record: the record may exist, and is looked up."""
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(GROUPS).mock(return_value=httpx.Response(201, json={"result": {}}))
        exc = expect_error(
            lambda c: api.create_record(c, "sys_user_group", {"name": "x"}, ("name",))
        )
    assert isinstance(exc, UncertainWriteError)
    assert "(writing sys_user_group: the answer holds no record)" in str(exc)


def test_a_create_whose_connection_drops_is_uncertain_and_not_retried() -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(GROUPS).mock(
            side_effect=httpx.RemoteProtocolError("Server disconnected without sending a response.")
        )
        exc = expect_error(
            lambda c: api.create_record(c, "sys_user_group", {"name": "x"}, ("name",)), sleep=sleep
        )
    assert isinstance(exc, UncertainWriteError)
    assert exc.method == "POST"
    assert route.call_count == 1
    assert sleep.delays == []


def test_a_create_answered_502_is_uncertain_and_not_retried() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(GROUPS).mock(return_value=httpx.Response(502))
        exc = expect_error(
            lambda c: api.create_record(c, "sys_user_group", {"name": "x"}, ("name",))
        )
    assert isinstance(exc, UncertainWriteError)
    assert route.call_count == 1


def test_a_rate_limited_create_is_retried_after_retry_after() -> None:
    sleep = FakeSleep()
    limited = {
        "error": {
            "message": "Rate limit exceeded",
            "detail": "Rate limit of 100 requests per hour for Table API exceeded",
        },
        "status": "failure",
    }
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(GROUPS).mock(
            side_effect=[
                httpx.Response(429, json=limited, headers={"Retry-After": "7"}),
                httpx.Response(201, json={"result": CREATED}),
            ]
        )
        row, client = run(
            lambda c: api.create_record(c, "sys_user_group", {"name": "Service Desk"}, ("name",)),
            sleep=sleep,
        )
    assert row == CREATED
    assert route.call_count == 2
    assert sleep.delays == [7.0]
    assert client.stats.requests_sent == 2
    assert client.stats.retries == 1


def test_update_record_patches_the_given_fields() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.patch(f"{GROUPS}/{GROUP_ID}").mock(
            return_value=httpx.Response(200, json={"result": {**CREATED, "description": "L2"}})
        )
        row, _ = run(
            lambda c: api.update_record(
                c, "sys_user_group", GROUP_ID, {"description": "L2"}, ("name", "description")
            )
        )
    assert row["description"] == "L2"
    request = route.calls.last.request
    assert request.method == "PATCH"
    assert json.loads(request.content) == {"description": "L2"}
    assert request.url.params["sysparm_fields"] == "sys_id,name,description"
    assert request.url.params["sysparm_exclude_reference_link"] == "true"


def test_a_502_on_patch_is_retried() -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.patch(f"{GROUPS}/{GROUP_ID}").mock(
            side_effect=[httpx.Response(502), httpx.Response(200, json={"result": CREATED})]
        )
        row, client = run(
            lambda c: api.update_record(c, "sys_user_group", GROUP_ID, {"name": "x"}, ("name",)),
            sleep=sleep,
        )
    assert row == CREATED
    assert route.call_count == 2
    assert len(sleep.delays) == 1
    assert client.stats.requests_sent == 2


def test_delete_record_accepts_204() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.delete(f"{GROUPS}/{GROUP_ID}").mock(return_value=httpx.Response(204))
        result, client = run(lambda c: api.delete_record(c, "sys_user_group", GROUP_ID))
    assert result is None
    assert route.call_count == 1
    assert route.calls.last.request.method == "DELETE"
    assert client.stats.by_status == {204: 1}


def test_a_404_on_delete_is_not_found() -> None:
    no_record = {
        "error": {
            "message": "No Record found",
            "detail": "Record doesn't exist or ACL restricts the record retrieval",
        },
        "status": "failure",
    }
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.delete(f"{GROUPS}/{GROUP_ID}").mock(
            return_value=httpx.Response(404, json=no_record)
        )
        exc = expect_error(lambda c: api.delete_record(c, "sys_user_group", GROUP_ID))
    assert isinstance(exc, NotFoundError)
    assert "No Record found" in str(exc)
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("status", "message", "error_class"),
    [
        (400, "Exception while reading request", HttpStatusError),
        (401, "User Not Authenticated", AuthenticationError),
        (403, "Operation Failed", PermissionDeniedError),
    ],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_error_envelopes_map_to_classes_and_never_show_the_password(
    status: int, message: str, error_class: type[HttpStatusError], method: str
) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        # A misbehaving server echoing credentials back in every spelling it has.
        detail = f"login admin/{PASSWORD} auth {request.headers['Authorization']}"
        return httpx.Response(
            status,
            json={"error": {"message": message, "detail": detail}, "status": "failure"},
        )

    async def write(client: HttpClient) -> Any:
        if method == "POST":
            return await api.create_record(client, "sys_user_group", {"name": "x"}, ("name",))
        return await api.update_record(client, "sys_user_group", GROUP_ID, {"name": "x"}, ("name",))

    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.route(method=method, path__startswith=GROUPS).mock(side_effect=echo)
        exc = expect_error(
            write, secrets=[PASSWORD], auth=httpx.BasicAuth("admin", PASSWORD), sleep=sleep
        )
    assert type(exc) is error_class
    assert isinstance(exc, HttpStatusError)
    assert exc.status == status
    assert message in str(exc)
    basic = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    for text in (str(exc), repr(exc), exc.body_excerpt, exc.url):
        assert PASSWORD not in text
        assert basic not in text
    assert route.call_count == 1
    assert sleep.delays == []


# --------------------------------------------------------------------------- adapter.find


def find_query(kind: str, key: tuple[str, ...]) -> tuple[list[Any], dict[str, str]]:
    spec = ADAPTER.kinds[kind]
    row = {"sys_id": GROUP_ID, **{f: f"{f}-value" for f in spec.owned_fields}}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(BATCH).mock(return_value=batch_answer([served("0", [row], total=1)]))
        records, _ = run(lambda c: ADAPTER.find(c, kind, key))
    (sub,) = sub_requests(route.calls.last.request)
    path, params = split(sub["url"])
    assert path == f"/api/now/v2/table/{kind}"
    return records, dict(params)


def test_find_filters_on_the_plain_key_fields() -> None:
    records, params = find_query("sys_user_group", ("Service Desk",))
    assert params["sysparm_query"] == "name=Service Desk^ORDERBYsys_id"
    assert params["sysparm_fields"] == "sys_id," + ",".join(
        ADAPTER.kinds["sys_user_group"].owned_fields
    )
    (record,) = records
    assert record.kind == "sys_user_group"
    assert record.target_id == GROUP_ID
    assert record.fields["name"] == "name-value"


def test_find_dot_walks_reference_key_fields() -> None:
    """An entry's key holds its schedule's name: the filter reaches it through the reference,
    so a holiday many schedules share is not read from all of them."""
    spec = ADAPTER.kinds["cmn_schedule_span"]
    assert spec.key_fields == ("schedule", "name")
    assert "schedule" in spec.references
    _, params = find_query("cmn_schedule_span", ("Weekdays 8-17", "Holiday 2026-12-25"))
    assert params["sysparm_query"] == (
        "schedule.name=Weekdays 8-17^name=Holiday 2026-12-25^ORDERBYsys_id"
    )
    _, params = find_query("sttrm_state", ("USM change", "-5"))
    assert params["sysparm_query"] == "sttrm_model.name=USM change^state_value=-5^ORDERBYsys_id"


def test_find_reads_the_whole_table_when_a_value_holds_a_caret() -> None:
    _, params = find_query("sys_user_group", ("R&D ^NQ ops",))
    assert params["sysparm_query"] == "ORDERBYsys_id"


# --------------------------------------------------------------------------- request counting


def test_twenty_tables_of_one_page_each_cost_one_request() -> None:
    tables = {f"u_table_{i:02d}": (("name",), "") for i in range(20)}
    instance = FakeInstance({t: {0: (rows_of(t, 0, 3), 3)} for t in tables})
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        batch = instance.mount(router, "batch")
        rows, client = run(lambda c: api.read_tables(c, tables))
    assert all(rows[t] == rows_of(t, 0, 3) for t in tables)
    assert len(sub_requests(batch.calls.last.request)) == 20
    assert client.stats.requests_sent == 1
    assert client.stats.by_method == {"POST": 1}


def test_twenty_tables_without_the_batch_api_cost_one_request_per_page() -> None:
    tables = {f"u_table_{i:02d}": (("name",), "") for i in range(20)}
    instance = FakeInstance({t: {0: (rows_of(t, 0, 3), 3)} for t in tables})
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        instance.mount(router, "get")
        _, client = run(lambda c: api.read_tables(c, tables))
    assert client.stats.requests_sent == 21
    assert client.stats.by_method == {"POST": 1, "GET": 20}


def test_adapter_read_uses_one_batch_for_all_kinds() -> None:
    kinds = list(ADAPTER.kinds)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(BATCH).mock(
            side_effect=lambda request: batch_answer(
                [served(s["id"], [], total=0) for s in sub_requests(request)]
            )
        )
        records, client = run(lambda c: ADAPTER.read(c, kinds))
    assert records == []
    tables = [split(s["url"])[0].rsplit("/", 1)[-1] for s in sub_requests(route.calls.last.request)]
    assert tables == kinds
    assert client.stats.requests_sent == 1


@pytest.mark.parametrize("batch", [True, False], ids=["batch API", "page by page"])
def test_queries_of_one_table_are_read_side_by_side_and_joined_in_order(batch: bool) -> None:
    """A scope too long for one request line is split over several queries of one table."""
    answers = {
        "name=a^ORDERBYsys_id": rows_of("a", 0, 2),
        "name=b^ORDERBYsys_id": rows_of("b", 0, 1),
    }

    def batch_call(request: httpx.Request) -> httpx.Response:
        asked = [
            (r["id"], dict(split(r["url"])[1])["sysparm_query"]) for r in sub_requests(request)
        ]
        return batch_answer([served(i, answers[q], total=len(answers[q])) for i, q in asked])

    def get(request: httpx.Request) -> httpx.Response:
        rows = answers[request.url.params["sysparm_query"]]
        return httpx.Response(200, json={"result": rows}, headers={"X-Total-Count": str(len(rows))})

    queries = [("t", ("name",), "name=a"), ("t", ("name",), "name=b"), ("u", (), "name=a")]
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post(BATCH).mock(side_effect=batch_call if batch else lambda _: httpx.Response(403))
        router.get("/api/now/v2/table/t").mock(side_effect=get)
        router.get("/api/now/v2/table/u").mock(side_effect=get)
        rows, client = run(lambda c: api.read_queries(c, queries))
    assert rows == {"t": rows_of("a", 0, 2) + rows_of("b", 0, 1), "u": rows_of("a", 0, 2)}
    assert client.stats.requests_sent == (1 if batch else 4)
