"""Paged collections: one frozen dataclass per paging style, and one :func:`paginate` for all.

A strategy is pure: it names the request parameters of the first page, and from a response,
its decoded body and the paging parameters just sent it reads the page's items and the
parameters of the next page (``None`` after the last). :func:`paginate` does the requests
and guards against servers that never end.

=====================  =====================================  ================================
strategy               request                                last page when
=====================  =====================================  ================================
:class:`OffsetPaging`  ``sysparm_offset``/``sysparm_limit``   offset reaches ``X-Total-Count``
:class:`PageBeanPaging`  ``startAt``/``maxResults``           ``isLast``, empty or short page
:class:`PagedDtoPaging`  ``start``/``limit``                  ``isLastPage``
:class:`TokenPaging`   ``nextPageToken``/``maxResults``       no ``nextPageToken``
:class:`TopdeskPaging` ``start``/``page_size``                HTTP 200 or 204 (206: more)
:class:`UnpagedList`   none                                   always
=====================  =====================================  ================================
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from usm_config.aio import gather_bounded
from usm_config.http.errors import PaginationError

if TYPE_CHECKING:
    from usm_config.http.client import HttpClient

__all__ = [
    "DEFAULT_MAX_PAGES",
    "PAGES_IN_FLIGHT",
    "PAGE_WINDOW",
    "READ_AHEAD_AFTER",
    "OffsetPaging",
    "Page",
    "PageBeanPaging",
    "PageStep",
    "PagedDtoPaging",
    "PagingStrategy",
    "TokenPaging",
    "TopdeskPaging",
    "UnpagedList",
    "collect_items",
    "paginate",
    "total_count_header",
]

#: Pages :func:`paginate` reads at most before it decides the server never ends.
DEFAULT_MAX_PAGES = 10_000
#: Once a first page tells how many pages follow, :func:`paginate` asks for this many at a time,
#: checking them in windows of :data:`PAGE_WINDOW`, so a long collection is never held whole.
PAGES_IN_FLIGHT = 4
PAGE_WINDOW = 16
#: Pages of a collection whose pages tell no total that :func:`paginate` reads one after
#: another before it asks for the next ones side by side, guessed to be as long as the last.
READ_AHEAD_AFTER = 3


@dataclass(frozen=True)
class PageStep:
    """What a strategy read from one page: its items and the next page's paging parameters."""

    items: list[Any]
    next_params: dict[str, Any] | None


class PagingStrategy(Protocol):
    """A paging style. Implementations are frozen dataclasses without I/O."""

    def first_params(self) -> dict[str, Any]:
        """The paging parameters of the first request."""

    def read_page(self, response: httpx.Response, body: Any, sent: Mapping[str, Any]) -> PageStep:
        """Items and next parameters from ``response``, its decoded ``body`` (``None`` when
        it has no content) and the paging parameters ``sent`` with it.

        Raises :class:`ValueError` when the page does not have the expected shape.
        """


_Fetched = tuple[Any, "PageStep", httpx.Response]


@dataclass(frozen=True)
class Page:
    """One non-empty page: its items, the whole decoded body (for fields next to the items,
    such as the ``statuses`` of Jira's workflow search) and the response."""

    items: list[Any]
    body: Any
    response: httpx.Response


def total_count_header(name: str = "X-Total-Count") -> Callable[[httpx.Response], int | None]:
    """A callable reading an integer total from header ``name``; ``None`` when absent."""

    def total(response: httpx.Response) -> int | None:
        try:
            return int(response.headers[name])
        except (KeyError, ValueError):
            return None

    return total


@dataclass(frozen=True)
class OffsetPaging:
    """Offset and limit with a total-count header (ServiceNow Table API).

    The offset advances by ``page_size``, not by the rows received, and a short or even empty
    page does not end the loop while ``offset < total``: ServiceNow applies the limit before
    ACL filtering, so hidden rows shorten pages, and stopping early would make a plan create
    records that already exist. Without a total, a page shorter than ``page_size`` is the
    last one. ``page_size`` must not exceed the server's own cap, or rows between the cap and
    ``page_size`` are skipped.
    """

    item_key: str | None = "result"
    size_param: str = "sysparm_limit"
    offset_param: str = "sysparm_offset"
    page_size: int = 1000
    max_page_size: int = 10_000
    total_header: str | None = "X-Total-Count"

    def __post_init__(self) -> None:
        _check_page_size(self.page_size, self.max_page_size)

    def first_params(self) -> dict[str, Any]:
        """``limit = page_size, offset = 0``."""
        return {self.size_param: self.page_size, self.offset_param: 0}

    def read_page(self, response: httpx.Response, body: Any, sent: Mapping[str, Any]) -> PageStep:
        """See the class docstring."""
        items = items_under(body, self.item_key)
        total = self._total(response)
        # A server that ignores the limit and sends more has served those rows too.
        offset = sent[self.offset_param] + max(self.page_size, len(items))
        last = offset >= total if total is not None else len(items) < self.page_size
        return PageStep(items, None if last else {**sent, self.offset_param: offset})

    @property
    def stride_param(self) -> str:
        """The parameter each page moves on by a page's length (see :func:`paginate`)."""
        return self.offset_param

    def _total(self, response: httpx.Response) -> int | None:
        if self.total_header is None:
            return None
        return total_count_header(self.total_header)(response)


@dataclass(frozen=True)
class _StartAndSize:
    """Paging by a start index and a page size, advancing by the items each page brought."""

    item_key: str | None = "values"
    start_param: str = "start"
    size_param: str = "limit"
    page_size: int = 50
    max_page_size: int = 1000

    def __post_init__(self) -> None:
        _check_page_size(self.page_size, self.max_page_size)

    def first_params(self) -> dict[str, Any]:
        """The start at 0 and the page size."""
        return {self.start_param: 0, self.size_param: self.page_size}

    @property
    def stride_param(self) -> str:
        """The parameter each page moves on by a page's length (see :func:`paginate`)."""
        return self.start_param

    def _step(self, items: list[Any], last: bool, sent: Mapping[str, Any]) -> PageStep:
        next_start = sent[self.start_param] + len(items)
        return PageStep(items, None if last else {**sent, self.start_param: next_start})


@dataclass(frozen=True)
class PageBeanPaging(_StartAndSize):
    """Jira platform ``PageBean``: ``{startAt, maxResults, total, isLast, values}``.

    ``total`` may change between pages and ``isLast`` is not returned by every operation
    (https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#pagination), so the
    last page is one with ``isLast: true``, an empty one, or, when ``isLast`` is absent, one
    shorter than the ``maxResults`` the server answered with. The server lowers
    ``maxResults`` silently, so the next ``startAt`` is ``startAt + len(values)``.
    """

    start_param: str = "startAt"
    size_param: str = "maxResults"

    def read_page(self, response: httpx.Response, body: Any, sent: Mapping[str, Any]) -> PageStep:
        """See the class docstring."""
        items = items_under(body, self.item_key)
        is_last = body.get("isLast")
        served_size = body.get("maxResults")
        short = isinstance(served_size, int) and len(items) < served_size
        last = not items or is_last is True or (not isinstance(is_last, bool) and short)
        return self._step(items, last, sent)

    def later_pages(self, body: Any, sent: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The paging parameters of every page after a full first one, from its ``total`` and
        the ``maxResults`` the server answered with; none when either is missing."""
        total, served = body.get("total"), body.get("maxResults")
        if type(total) is not int or type(served) is not int or served < 1:
            return []
        if len(items_under(body, self.item_key)) != served or body.get("isLast") is True:
            return []
        start = sent[self.start_param] + served
        return [{**sent, self.start_param: at} for at in range(start, total, served)]


@dataclass(frozen=True)
class PagedDtoPaging(_StartAndSize):
    """Jira Service Management ``PagedDTO``: ``{start, limit, size, isLastPage, values}``.

    The server caps ``limit`` silently, so a page with ``size < limit`` and
    ``isLastPage: false`` is not the last one
    (https://developer.atlassian.com/cloud/jira/service-desk/rest/intro/#pagination). The next
    ``start`` is ``start`` plus the values received (what ``size`` counts). Without
    ``isLastPage``, an empty page is the last one.
    """

    def read_page(self, response: httpx.Response, body: Any, sent: Mapping[str, Any]) -> PageStep:
        """See the class docstring."""
        items = items_under(body, self.item_key)
        is_last = body.get("isLastPage")
        last = is_last is True or (not isinstance(is_last, bool) and not items)
        return self._step(items, last, sent)


@dataclass(frozen=True)
class TokenPaging:
    """Token paging (Jira ``/search/jql``, usage endpoints): the response's ``token_field``
    is sent back as ``token_param`` and is absent on the last page."""

    item_key: str = "values"
    token_param: str = "nextPageToken"
    token_field: str = "nextPageToken"
    size_param: str = "maxResults"
    page_size: int = 50
    max_page_size: int = 5000

    def __post_init__(self) -> None:
        _check_page_size(self.page_size, self.max_page_size)

    def first_params(self) -> dict[str, Any]:
        """``maxResults = page_size`` and no token."""
        return {self.size_param: self.page_size}

    def read_page(self, response: httpx.Response, body: Any, sent: Mapping[str, Any]) -> PageStep:
        """See the class docstring."""
        items = items_under(body, self.item_key)
        token = body.get(self.token_field)
        if not isinstance(token, str) or not token:
            return PageStep(items, None)
        return PageStep(items, {self.size_param: self.page_size, self.token_param: token})


@dataclass(frozen=True)
class TopdeskPaging(_StartAndSize):
    """TOPdesk ``start``/``page_size`` (or ``pageStart``/``pageSize``) lists.

    The status says whether more exist: 206 Partial Content means more, 200 means this was
    the last page, 204 No Content means there is nothing. TOPdesk sends no ``Content-Range``;
    the next ``start`` is ``start`` plus the items received. ``item_key`` is ``None`` where
    the body is a plain list (operators, operator groups) and ``"item"`` for persons v2.
    """

    item_key: str | None = None
    size_param: str = "page_size"
    page_size: int = 100
    max_page_size: int = 100

    def read_page(self, response: httpx.Response, body: Any, sent: Mapping[str, Any]) -> PageStep:
        """See the class docstring."""
        if response.status_code == 204:
            return PageStep([], None)
        return self._step(items_under(body, self.item_key), response.status_code != 206, sent)


@dataclass(frozen=True)
class UnpagedList:
    """A collection returned whole, as a JSON list (``item_key=None``) or under a key."""

    item_key: str | None = None

    def first_params(self) -> dict[str, Any]:
        """No paging parameters."""
        return {}

    def read_page(self, response: httpx.Response, body: Any, sent: Mapping[str, Any]) -> PageStep:
        """The one page."""
        return PageStep(items_under(body, self.item_key), None)


def items_under(body: Any, key: str | None) -> list[Any]:
    """``body`` itself (``key=None``) or ``body[key]``, which must be a JSON list."""
    if key is None:
        found = body
        where = "the body"
    else:
        if not isinstance(body, dict):
            raise ValueError(f"expected a JSON object with {key!r}, got {_kind(body)}")
        found = body.get(key)
        where = repr(key)
    if not isinstance(found, list):
        raise ValueError(f"expected a list in {where}, got {_kind(found)}")
    return found


async def paginate(
    client: HttpClient,
    path: str,
    strategy: PagingStrategy,
    params: Mapping[str, Any] | None = None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> AsyncIterator[Page]:
    """Yield the non-empty pages of the collection at ``path``, paged by ``strategy``.

    ``params`` are sent with every request, next to the strategy's paging parameters; pass
    :class:`httpx.QueryParams` to repeat a parameter (``?projectId=1&projectId=2``). Every
    request goes through :meth:`HttpClient.request` (retries and redaction included). Raises
    :class:`PaginationError` when a page has an unexpected shape, when the next request would
    repeat the last one (a server that does not advance), or when more than ``max_pages``
    pages would be read.

    Later pages are asked for side by side where the pages allow it, each checked to lead to
    the next one asked for exactly as read one by one; where one does not (the collection
    changed, the server pages differently), the rest is dropped and the read goes on page by
    page from there:

    * a strategy with ``later_pages(body, sent)`` may name, from the first page, the paging
      parameters of all the pages after it (a Jira ``PageBean`` with its ``total``): those are
      asked for :data:`PAGES_IN_FLIGHT` at a time;
    * a strategy with a ``stride_param`` (a start or an offset) pages without a total after
      :data:`READ_AHEAD_AFTER` pages read one by one: the next pages are guessed to be as long
      as the last one, two and then :data:`PAGES_IN_FLIGHT` at a time. At most that many less
      one are asked for past the end, and an error on a page past the end is not the read's.
    """
    fixed = httpx.QueryParams(params or {})

    async def fetch(sent: dict[str, Any], number: int) -> tuple[Any, PageStep, httpx.Response]:
        response = await client.request("GET", path, params=fixed.merge(sent))
        body = client.json_body(response) if response.content else None
        try:
            step = strategy.read_page(response, body, sent)
        except ValueError as exc:
            url = client.redact(str(response.request.url))
            raise PaginationError(url, number, f"unexpected page: {exc}") from None
        return body, step, response

    async def guessed(sent: dict[str, Any], number: int) -> _Fetched | Exception:
        # A guessed page may lie past the end, where a server may answer with an error: it
        # is the read's error only if the read gets that far.
        try:
            return await fetch(sent, number)
        except Exception as exc:
            return exc

    stride_param: str | None = getattr(strategy, "stride_param", None)
    paging = strategy.first_params()
    planned: list[dict[str, Any]] = []  # the pages after ``paging`` a total told of, in order
    stride = 0  # how far the last page moved the stride parameter on
    number = 0
    while True:
        guessing = False
        if planned:
            window, planned = planned[:PAGE_WINDOW], planned[PAGE_WINDOW:]
        elif stride_param is not None and stride > 0 and number >= READ_AHEAD_AFTER:
            ahead = min(PAGES_IN_FLIGHT, 2 ** (number - READ_AHEAD_AFTER + 1))
            ahead = max(1, min(ahead, max_pages - number))
            start = paging[stride_param]
            window = [{**paging, stride_param: start + k * stride} for k in range(ahead)]
            guessing = ahead > 1
        else:
            window = [paging]
        if number + len(window) > max_pages:
            raise PaginationError(client.redact(path), max_pages, f"more than {max_pages} pages")
        fetched = await gather_bounded(
            (
                guessed(sent, number + 1 + i) if guessing and i else fetch(sent, number + 1 + i)
                for i, sent in enumerate(window)
            ),
            PAGES_IN_FLIGHT,
        )
        for i, (sent, outcome) in enumerate(zip(window, fetched, strict=True)):
            if isinstance(outcome, Exception):
                raise outcome
            body, step, response = outcome
            number += 1
            if step.items:
                yield Page(step.items, body, response)
            if step.next_params is None:
                return
            if step.next_params == sent:
                url = client.redact(str(response.request.url))
                raise PaginationError(url, number, "the next page request repeats this one")
            paging = step.next_params
            if stride_param is not None:
                moved = paging.get(stride_param, 0) - sent.get(stride_param, 0)
                stride = moved if stride >= 0 and isinstance(moved, int) else stride
            if number == 1:
                later = getattr(strategy, "later_pages", None)
                planned = later(body, sent) if later is not None and body is not None else []
                if planned[:1] != [paging]:
                    planned = []
            following = window[i + 1 :] + planned[:1]
            if following and following[0] != paging:
                planned = []  # the collection moved: on page by page from here,
                stride = -1  # guessing no more
                break


async def collect_items(
    client: HttpClient,
    path: str,
    strategy: PagingStrategy,
    params: Mapping[str, Any] | None = None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> list[Any]:
    """Every item of the collection at ``path``, in order (see :func:`paginate`)."""
    return [
        item
        async for page in paginate(client, path, strategy, params, max_pages=max_pages)
        for item in page.items
    ]


def _check_page_size(page_size: int, max_page_size: int) -> None:
    if not 1 <= page_size <= max_page_size:
        raise ValueError(f"page_size must be between 1 and {max_page_size}, not {page_size}")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
