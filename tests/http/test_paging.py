"""paginate() against raw pages of every paging style, quirks included.

Each case is a table of exchanges: the paging parameters the client must send and the raw
response the server gives, then the items the caller must see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st
from support import FakeSleep

from usm_config.http import (
    PAGE_WINDOW,
    PAGES_IN_FLIGHT,
    READ_AHEAD_AFTER,
    HttpClient,
    HttpStatusError,
    OffsetPaging,
    PageBeanPaging,
    PagedDtoPaging,
    PaginationError,
    PagingStrategy,
    RetryPolicy,
    TokenPaging,
    TopdeskPaging,
    UnpagedList,
    collect_items,
    paginate,
)

BASE = "https://tool.example.test"
PATH = "/api/things"


@dataclass(frozen=True)
class Case:
    strategy: PagingStrategy
    exchanges: list[tuple[dict[str, str], httpx.Response]]
    items: list[Any]


def ok(body: Any, status: int = 200, total: int | None = None) -> httpx.Response:
    headers = {} if total is None else {"X-Total-Count": str(total)}
    return httpx.Response(status, json=body, headers=headers)


CASES = {
    # ---------------------------------------------------------------- ServiceNow offset/limit
    "offset: short pages (ACL-hidden rows) do not end it before X-Total-Count": Case(
        OffsetPaging(page_size=2),
        [
            ({"sysparm_limit": "2", "sysparm_offset": "0"}, ok({"result": [1]}, total=5)),
            ({"sysparm_limit": "2", "sysparm_offset": "2"}, ok({"result": []}, total=5)),
            ({"sysparm_limit": "2", "sysparm_offset": "4"}, ok({"result": [5]}, total=5)),
        ],
        [1, 5],
    ),
    "offset: without a total a short page is the last": Case(
        OffsetPaging(page_size=2, total_header=None),
        [
            ({"sysparm_limit": "2", "sysparm_offset": "0"}, ok({"result": [1, 2]})),
            ({"sysparm_limit": "2", "sysparm_offset": "2"}, ok({"result": [3]})),
        ],
        [1, 2, 3],
    ),
    # ---------------------------------------------------------------- Jira PageBean
    "PageBean: isLast true ends it": Case(
        PageBeanPaging(page_size=2),
        [
            (
                {"startAt": "0", "maxResults": "2"},
                ok({"startAt": 0, "maxResults": 2, "total": 3, "isLast": False, "values": [1, 2]}),
            ),
            (
                {"startAt": "2", "maxResults": "2"},
                ok({"startAt": 2, "maxResults": 2, "total": 3, "isLast": True, "values": [3]}),
            ),
        ],
        [1, 2, 3],
    ),
    "PageBean: a silently capped maxResults advances startAt by the values received": Case(
        PageBeanPaging(page_size=100),
        [
            (
                {"startAt": "0", "maxResults": "100"},
                ok({"startAt": 0, "maxResults": 2, "isLast": False, "values": ["a", "b"]}),
            ),
            (
                {"startAt": "2", "maxResults": "100"},
                ok({"startAt": 2, "maxResults": 2, "isLast": False, "values": ["c", "d"]}),
            ),
            (
                {"startAt": "4", "maxResults": "100"},
                ok({"startAt": 4, "maxResults": 2, "isLast": True, "values": ["e"]}),
            ),
        ],
        ["a", "b", "c", "d", "e"],
    ),
    "PageBean: an unreliable total does not end it while isLast is false": Case(
        PageBeanPaging(page_size=2),
        [
            (
                {"startAt": "0", "maxResults": "2"},
                ok({"startAt": 0, "maxResults": 2, "total": 2, "isLast": False, "values": [1, 2]}),
            ),
            (
                {"startAt": "2", "maxResults": "2"},
                ok({"startAt": 2, "maxResults": 2, "total": 2, "isLast": True, "values": [3]}),
            ),
        ],
        [1, 2, 3],
    ),
    "PageBean: isLast false on a short page is believed": Case(
        PageBeanPaging(page_size=3),
        [
            (
                {"startAt": "0", "maxResults": "3"},
                ok({"startAt": 0, "maxResults": 3, "isLast": False, "values": [1]}),
            ),
            (
                {"startAt": "1", "maxResults": "3"},
                ok({"startAt": 1, "maxResults": 3, "isLast": True, "values": [2]}),
            ),
        ],
        [1, 2],
    ),
    "PageBean: without isLast, a page shorter than the returned maxResults is the last": Case(
        PageBeanPaging(page_size=50),
        [
            (
                {"startAt": "0", "maxResults": "50"},
                ok({"startAt": 0, "maxResults": 2, "total": 3, "values": [1, 2]}),
            ),
            (
                {"startAt": "2", "maxResults": "50"},
                ok({"startAt": 2, "maxResults": 2, "total": 3, "values": [3]}),
            ),
        ],
        [1, 2, 3],
    ),
    "PageBean: without isLast or maxResults, only an empty page ends it": Case(
        PageBeanPaging(page_size=50),
        [
            ({"startAt": "0", "maxResults": "50"}, ok({"values": [1, 2]})),
            ({"startAt": "2", "maxResults": "50"}, ok({"values": [3]})),
            ({"startAt": "3", "maxResults": "50"}, ok({"values": []})),
        ],
        [1, 2, 3],
    ),
    "PageBean: an empty first page": Case(
        PageBeanPaging(),
        [
            (
                {"startAt": "0", "maxResults": "50"},
                ok({"startAt": 0, "maxResults": 50, "total": 0, "isLast": False, "values": []}),
            )
        ],
        [],
    ),
    # ---------------------------------------------------------------- JSM PagedDTO
    "PagedDTO: size < limit with isLastPage false is not the end (capped limit)": Case(
        PagedDtoPaging(page_size=100),
        [
            (
                {"start": "0", "limit": "100"},
                ok({"start": 0, "limit": 2, "size": 2, "isLastPage": False, "values": [1, 2]}),
            ),
            (
                {"start": "2", "limit": "100"},
                ok({"start": 2, "limit": 2, "size": 2, "isLastPage": False, "values": [3, 4]}),
            ),
            (
                {"start": "4", "limit": "100"},
                ok({"start": 4, "limit": 2, "size": 1, "isLastPage": True, "values": [5]}),
            ),
        ],
        [1, 2, 3, 4, 5],
    ),
    "PagedDTO: a single last page with _links": Case(
        PagedDtoPaging(),
        [
            (
                {"start": "0", "limit": "50"},
                ok(
                    {
                        "_links": {"base": BASE, "context": "", "self": f"{BASE}{PATH}"},
                        "start": 0,
                        "limit": 50,
                        "size": 1,
                        "isLastPage": True,
                        "values": [{"id": "10"}],
                    }
                ),
            )
        ],
        [{"id": "10"}],
    ),
    # ---------------------------------------------------------------- unpaged
    "unpaged: a plain JSON list": Case(
        UnpagedList(),
        [({}, ok([{"id": "1"}, {"id": "2"}]))],
        [{"id": "1"}, {"id": "2"}],
    ),
    "unpaged: a list under a key": Case(
        UnpagedList(item_key="values"),
        [({}, ok({"values": [7]}))],
        [7],
    ),
    # ---------------------------------------------------------------- token paging
    "token: nextPageToken is sent back until it is absent": Case(
        TokenPaging(item_key="issues", page_size=2),
        [
            ({"maxResults": "2"}, ok({"issues": [1, 2], "nextPageToken": "t1"})),
            (
                {"maxResults": "2", "nextPageToken": "t1"},
                ok({"issues": [3, 4], "nextPageToken": "t2"}),
            ),
            ({"maxResults": "2", "nextPageToken": "t2"}, ok({"issues": [5], "isLast": True})),
        ],
        [1, 2, 3, 4, 5],
    ),
    # ---------------------------------------------------------------- TOPdesk
    "TOPdesk: 206 means more, 200 is the last page": Case(
        TopdeskPaging(page_size=2),
        [
            ({"start": "0", "page_size": "2"}, ok([{"id": "a"}, {"id": "b"}], status=206)),
            ({"start": "2", "page_size": "2"}, ok([{"id": "c"}, {"id": "d"}], status=206)),
            ({"start": "4", "page_size": "2"}, ok([{"id": "e"}])),
        ],
        [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}, {"id": "e"}],
    ),
    "TOPdesk: 204 means none": Case(
        TopdeskPaging(),
        [({"start": "0", "page_size": "100"}, httpx.Response(204))],
        [],
    ),
    "TOPdesk: a silently lowered page_size advances by the items received": Case(
        TopdeskPaging(page_size=100),
        [
            ({"start": "0", "page_size": "100"}, ok([1, 2], status=206)),
            ({"start": "2", "page_size": "100"}, ok([3])),
        ],
        [1, 2, 3],
    ),
    "TOPdesk: pageStart/pageSize with items under 'item'": Case(
        TopdeskPaging(item_key="item", start_param="pageStart", size_param="pageSize", page_size=1),
        [
            ({"pageStart": "0", "pageSize": "1"}, ok({"item": ["p1"]}, status=206)),
            ({"pageStart": "1", "pageSize": "1"}, ok({"item": ["p2"]})),
        ],
        ["p1", "p2"],
    ),
}


def run_case(
    strategy: PagingStrategy,
    responses: list[httpx.Response],
    params: Mapping[str, Any] | None = None,
    *,
    max_pages: int = 10_000,
) -> tuple[list[Any], list[dict[str, str]]]:
    """Collect every item; return them and the query of every request sent."""

    async def main() -> list[Any]:
        async with HttpClient(BASE, sleep=FakeSleep(), retry=RetryPolicy(max_attempts=1)) as client:
            return await collect_items(client, PATH, strategy, params, max_pages=max_pages)

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(PATH).mock(side_effect=responses)
        try:
            items = asyncio.run(main())
        finally:
            sent = [dict(call.request.url.params) for call in route.calls]
    return items, sent


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_paging_style(case: Case) -> None:
    items, sent = run_case(case.strategy, [response for _, response in case.exchanges])
    assert sent == [params for params, _ in case.exchanges]
    assert items == case.items


def test_caller_params_travel_with_every_page() -> None:
    pages = [
        ok({"startAt": 0, "maxResults": 1, "isLast": False, "values": [1]}),
        ok({"startAt": 1, "maxResults": 1, "isLast": True, "values": [2]}),
    ]
    items, sent = run_case(PageBeanPaging(page_size=1), pages, {"expand": "values.transitions"})
    assert items == [1, 2]
    assert sent == [
        {"expand": "values.transitions", "startAt": "0", "maxResults": "1"},
        {"expand": "values.transitions", "startAt": "1", "maxResults": "1"},
    ]


def test_repeated_caller_params_stay_repeated_on_every_page() -> None:
    """Jira reads several projects' schemes at once: ``?projectId=1&projectId=2``."""
    pages = [
        ok({"startAt": 0, "maxResults": 1, "isLast": False, "values": [1]}),
        ok({"startAt": 1, "maxResults": 1, "isLast": True, "values": [2]}),
    ]
    projects = httpx.QueryParams([("projectId", "1"), ("projectId", "2")])

    async def main() -> list[Any]:
        async with HttpClient(BASE, sleep=FakeSleep(), retry=RetryPolicy(max_attempts=1)) as client:
            return await collect_items(client, PATH, PageBeanPaging(page_size=1), projects)

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(PATH).mock(side_effect=pages)
        assert asyncio.run(main()) == [1, 2]
    assert [call.request.url.params.multi_items() for call in route.calls] == [
        [("projectId", "1"), ("projectId", "2"), ("startAt", "0"), ("maxResults", "1")],
        [("projectId", "1"), ("projectId", "2"), ("startAt", "1"), ("maxResults", "1")],
    ]


def test_pages_carry_the_body_next_to_the_items() -> None:
    body = {"isLast": True, "values": [{"id": "w1"}], "statuses": [{"id": "s1"}]}

    async def main() -> list[Any]:
        async with HttpClient(BASE, sleep=FakeSleep()) as client:
            return [
                page.body["statuses"] async for page in paginate(client, PATH, PageBeanPaging())
            ]

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(PATH).mock(return_value=ok(body))
        assert asyncio.run(main()) == [[{"id": "s1"}]]


# --------------------------------------------------------------------------- guards

NEVER_ENDING = {
    "PagedDTO: isLastPage false on an empty page does not advance": (
        PagedDtoPaging(),
        [ok({"start": 0, "limit": 50, "size": 0, "isLastPage": False, "values": []})],
        "repeats",
    ),
    "token: the same token again": (
        TokenPaging(),
        [ok({"values": [1], "nextPageToken": "same"})] * 2,
        "repeats",
    ),
    "TOPdesk: 206 on an empty page": (
        TopdeskPaging(),
        [ok([], status=206)],
        "repeats",
    ),
    "TOPdesk: 206 for ever, bounded by max_pages": (
        TopdeskPaging(page_size=1),
        [ok([n], status=206) for n in range(3)],
        "more than 3 pages",
    ),
}


@pytest.mark.parametrize(
    ("strategy", "responses", "reason"), NEVER_ENDING.values(), ids=NEVER_ENDING.keys()
)
def test_a_server_that_never_ends_raises(
    strategy: PagingStrategy, responses: list[httpx.Response], reason: str
) -> None:
    with pytest.raises(PaginationError, match=reason) as caught:
        run_case(strategy, responses, max_pages=3)
    assert caught.value.pages == len(responses)


BAD_SHAPES = {
    "unpaged object": (UnpagedList(), ok({"values": []}), "expected a list in the body, got dict"),
    "PageBean list": (PageBeanPaging(), ok([1]), "expected a JSON object with 'values', got list"),
    "PagedDTO no values": (PagedDtoPaging(), ok({"size": 0}), "expected a list in 'values'"),
}


@pytest.mark.parametrize(
    ("strategy", "response", "message"), BAD_SHAPES.values(), ids=BAD_SHAPES.keys()
)
def test_a_page_of_unexpected_shape_raises(
    strategy: PagingStrategy, response: httpx.Response, message: str
) -> None:
    with pytest.raises(PaginationError, match=message):
        run_case(strategy, [response])


@pytest.mark.parametrize(
    "make",
    [
        lambda: PageBeanPaging(page_size=0),
        lambda: PagedDtoPaging(page_size=1001),
        lambda: TokenPaging(page_size=5001),
        lambda: TopdeskPaging(page_size=101),
        lambda: OffsetPaging(page_size=10_001),
    ],
)
def test_page_size_outside_the_strategy_bounds_is_refused(make: Any) -> None:
    with pytest.raises(ValueError, match="page_size must be between 1 and"):
        make()


# ------------------------------------------------------- later pages asked for side by side


class CountingServer:
    """A paged listing that notes the start of every page asked for and the requests in
    flight at once (``most``, and ``firsts``: how many when each was asked)."""

    start_param = "start"

    def __init__(self) -> None:
        self.asked: list[int] = []
        self.in_flight = 0
        self.most = 0
        self.firsts: list[int] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        start = int(request.url.params[self.start_param])
        self.asked.append(start)
        self.in_flight += 1
        self.firsts.append(self.in_flight)
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        return self.page(start)

    def page(self, start: int) -> httpx.Response:
        """The answer for the page at ``start``."""
        raise NotImplementedError


def collect(server: CountingServer, strategy: PagingStrategy) -> list[Any]:
    """Every item ``server`` lists, read with ``strategy``."""

    async def main() -> list[Any]:
        async with HttpClient(BASE, sleep=FakeSleep(), retry=RetryPolicy(max_attempts=1)) as client:
            return await collect_items(client, PATH, strategy)

    with respx.mock(base_url=BASE) as router:
        router.get(PATH).mock(side_effect=server)
        return asyncio.run(main())


class PageBeanServer(CountingServer):
    """A Jira-like PageBean listing of ``items`` with ``cap`` as the page size it answers
    with (``later_cap`` from the second page on), ``total`` as it reports it (default: the
    truth) and ``isLast`` from the truth."""

    start_param = "startAt"

    def __init__(
        self,
        items: list[int],
        cap: int,
        *,
        later_cap: int | None = None,
        total: int | None = None,
    ) -> None:
        super().__init__()
        self.items, self.cap, self.later_cap, self.total = items, cap, later_cap, total

    def page(self, start: int) -> httpx.Response:
        cap = self.cap if start == 0 or self.later_cap is None else self.later_cap
        values = self.items[start : start + cap]
        total = len(self.items) if self.total is None else self.total
        last = start + len(values) >= len(self.items)
        body = {"startAt": start, "maxResults": cap, "total": total, "isLast": last}
        return ok({**body, "values": values})


def read(server: PageBeanServer, page_size: int = 50) -> list[Any]:
    return collect(server, PageBeanPaging(page_size=page_size))


def test_a_total_brings_the_later_pages_a_few_at_a_time() -> None:
    server = PageBeanServer(list(range(1230)), cap=50)
    assert read(server) == list(range(1230))
    assert sorted(server.asked) == list(range(0, 1230, 50))
    assert server.most == PAGES_IN_FLIGHT


def test_a_total_that_overstates_ends_at_the_last_page_within_one_window() -> None:
    server = PageBeanServer(list(range(120)), cap=50, total=5000)
    assert read(server) == list(range(120))
    assert len(server.asked) <= 1 + PAGE_WINDOW


def test_a_total_that_understates_is_read_on_to_the_end() -> None:
    server = PageBeanServer(list(range(330)), cap=50, total=120)
    assert read(server) == list(range(330))
    needed = list(range(0, 330, 50))
    # Past the total, the pages are read ahead: a few may be asked for past the end.
    assert sorted(server.asked)[: len(needed)] == needed
    assert len(server.asked) <= len(needed) + PAGES_IN_FLIGHT - 1


@pytest.mark.parametrize("later_cap", [20, 40, 70])
def test_later_pages_of_another_size_go_on_page_by_page(later_cap: int) -> None:
    server = PageBeanServer(list(range(400)), cap=50, later_cap=later_cap)
    assert read(server, page_size=100) == list(range(400))
    # The first page and the seven its total told of, then one page after another, unguessed.
    later = server.firsts[8:]
    assert later and set(later) == {1}


@given(
    size=st.integers(0, 700),
    cap=st.integers(1, 120),
    later_cap=st.none() | st.integers(1, 120),
    total=st.none() | st.integers(0, 900),
)
@settings(max_examples=60, deadline=None)
def test_every_item_is_read_once_in_order(
    size: int, cap: int, later_cap: int | None, total: int | None
) -> None:
    server = PageBeanServer(list(range(size)), cap=cap, later_cap=later_cap, total=total)
    assert read(server, page_size=120) == list(range(size))


# ------------------------------------------------ pages without a total, read ahead


class StartServer(CountingServer):
    """A listing of ``items`` paged by a start index and no total: JSM's ``PagedDTO``
    (``isLastPage``) or TOPdesk's (206 while more follow, 204 for none). ``caps`` are the
    lengths of its pages in order (the last one from then on); ``strict`` answers 400 past
    the end, as some servers do."""

    def __init__(
        self, items: list[int], caps: list[int], *, style: str = "jsm", strict: bool = False
    ) -> None:
        super().__init__()
        self.items, self.caps, self.style, self.strict = items, caps, style, strict

    def cap(self, start: int) -> int:
        # The length of a page depends on where it starts, so a page asked twice is the same:
        # the n-th of ``caps`` from the n-th page's start on, the last one past them all.
        at = 0
        for cap in self.caps:
            if at >= start:
                return cap
            at += cap
        return self.caps[-1]

    def page(self, start: int) -> httpx.Response:
        if self.strict and start > len(self.items):
            return httpx.Response(400, json={"errorMessage": "start is out of range"})
        cap = self.cap(start)
        values = self.items[start : start + cap]
        more = start + len(values) < len(self.items)
        if self.style == "topdesk":
            if not values:
                return httpx.Response(204)
            return ok(values, status=206 if more else 200)
        body = {"start": start, "limit": cap, "size": len(values)}
        return ok({**body, "isLastPage": not more, "values": values})


def read_from(server: StartServer) -> list[Any]:
    if server.style == "topdesk":
        return collect(server, TopdeskPaging(page_size=100))
    return collect(server, PagedDtoPaging(page_size=100))


@pytest.mark.parametrize("style", ["jsm", "topdesk"])
def test_a_long_list_without_a_total_is_read_ahead_a_few_pages_at_a_time(style: str) -> None:
    server = StartServer(list(range(2000)), caps=[50], style=style)
    assert read_from(server) == list(range(2000))
    needed = list(range(0, 2000, 50))
    assert sorted(server.asked)[: len(needed)] == needed
    assert len(server.asked) <= len(needed) + PAGES_IN_FLIGHT - 1
    assert server.most == PAGES_IN_FLIGHT
    # The first pages go one after another: a short list costs no request past its end.
    assert server.firsts[:READ_AHEAD_AFTER] == [1] * READ_AHEAD_AFTER


@pytest.mark.parametrize("pages", range(1, READ_AHEAD_AFTER + 1))
def test_a_list_of_a_few_pages_is_read_page_by_page(pages: int) -> None:
    server = StartServer(list(range(50 * pages - 7)), caps=[50])
    assert read_from(server) == list(range(50 * pages - 7))
    assert server.asked == [50 * n for n in range(pages)]


def test_a_page_past_the_end_that_the_server_refuses_is_not_the_reads_error() -> None:
    server = StartServer(list(range(660)), caps=[50], strict=True)
    assert read_from(server) == list(range(660))
    assert any(start > 660 for start in server.asked)


def test_a_page_the_read_needs_that_fails_fails_the_read() -> None:
    class Failing(StartServer):
        def page(self, start: int) -> httpx.Response:
            if start == 400:
                return httpx.Response(403, json={"errorMessage": "no"})
            return super().page(start)

    with pytest.raises(HttpStatusError) as caught:
        read_from(Failing(list(range(1000)), caps=[50]))
    assert caught.value.status == 403


def test_a_wrong_guess_ends_the_guessing() -> None:
    # Six pages of 50, then pages of 30: the window of four after the fifth page asks for 250,
    # 300, 350 and 400, and the page at 300 leads to 330.
    server = StartServer(list(range(1000)), caps=[50] * 6 + [30])
    assert read_from(server) == list(range(1000))
    needed = list(range(0, 300, 50)) + list(range(300, 1000, 30))
    assert sorted(server.asked) == sorted([*needed, 350, 400])
    later = [n for start, n in zip(server.asked, server.firsts, strict=True) if start > 400]
    assert later and set(later) == {1}  # one page after another from there


@given(
    size=st.integers(0, 900),
    caps=st.lists(st.integers(1, 100), min_size=1, max_size=12),
    style=st.sampled_from(["jsm", "topdesk"]),
    strict=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_every_item_of_a_list_without_a_total_is_read_once_in_order(
    size: int, caps: list[int], style: str, strict: bool
) -> None:
    server = StartServer(list(range(size)), caps=caps, style=style, strict=strict)
    assert read_from(server) == list(range(size))
