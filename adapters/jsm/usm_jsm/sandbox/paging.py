"""The two paging envelopes of Jira Cloud (jira.md §2 "Pagination models").

* platform ``PageBean``: request ``startAt``/``maxResults``; response ``{self, nextPage,
  maxResults, startAt, total, isLast, values}``. ``maxResults`` above the operation's cap is
  lowered silently and the response states the value used;
* service desk ``PagedDTO``: request ``start``/``limit``; response ``{_expands, size, start,
  limit, isLastPage, values, _links{base, context, next, prev, self}}`` (``_expands`` is empty:
  every page the emulator serves is of objects with nothing to expand, as the vendor's
  examples of these operations show). The limit is capped
  silently but echoed as requested, so a capped first page has ``size < limit`` and
  ``isLastPage: false``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload
from urllib.parse import urlencode

from starlette.requests import Request

from usm_jsm.sandbox.errors import JiraApiError, JsmApiError

__all__ = ["PLATFORM_PAGE_LIMITS", "PageLimit", "Rendered", "page_bean", "paged_dto"]


@dataclass(frozen=True)
class PageLimit:
    """``default`` page size when none is asked, ``cap`` the most one page holds."""

    default: int
    cap: int
    has_total: bool = True


#: Per operation (method and v3 path template): the spec's default ``maxResults`` and the cap.
#: Caps: ``/project/search`` 100 (spec text), ``/statuses/search`` 200, ``/field/search`` and
#: ``/group/bulk`` 50; elsewhere the emulator caps at 100, the largest page the spec's
#: examples show for these operations.
PLATFORM_PAGE_LIMITS: Mapping[str, PageLimit] = {
    "GET /statuses/search": PageLimit(200, 200),
    "GET /workflows/search": PageLimit(50, 100),
    "GET /workflowscheme": PageLimit(50, 100),
    "GET /issuetypescheme": PageLimit(50, 100),
    "GET /issuetypescheme/mapping": PageLimit(50, 100),
    "GET /issuetypescheme/project": PageLimit(50, 100),
    "GET /field/search": PageLimit(50, 50),
    "GET /field/{fieldId}/context": PageLimit(50, 100),
    "GET /field/{fieldId}/context/issuetypemapping": PageLimit(50, 100),
    "GET /field/{fieldId}/context/projectmapping": PageLimit(50, 100),
    "GET /field/{fieldId}/context/{contextId}/option": PageLimit(100, 100),
    "GET /priority/search": PageLimit(50, 100),
    "GET /project/search": PageLimit(50, 100),
    "GET /project/{projectIdOrKey}/component": PageLimit(50, 100),
    "GET /group/bulk": PageLimit(50, 50),
}


class Rendered(Sequence[Any]):
    """``rows`` as ``render`` shows them, each one rendered only when a page takes it: a
    project's 5,000 components were rendered whole for every page of 50."""

    def __init__(self, rows: Sequence[Any], render: Callable[[Any], Any]) -> None:
        self.rows = rows
        self.render = render

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self.render(row) for row in self.rows[index]]
        return self.render(self.rows[index])


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise JiraApiError(400, [f"The value '{raw}' is not valid for '{name}'."]) from None


def _with_query(request: Request, **params: int) -> str:
    query = {k: v for k, v in request.query_params.multi_items() if k not in params}
    pairs = [*query.items(), *((k, str(v)) for k, v in params.items())]
    return f"{request.url.replace(query=None)}?{urlencode(pairs)}"


def page_bean(
    request: Request, values: Sequence[Any], operation: str, **extra: Any
) -> dict[str, Any]:
    """One platform page of ``values`` for ``operation`` (a key of :data:`PLATFORM_PAGE_LIMITS`).

    ``extra`` keys are added to the envelope (``GET /workflows/search`` adds ``statuses``).
    """
    limit = PLATFORM_PAGE_LIMITS[operation]
    start_at = max(_int_param(request, "startAt", 0), 0)
    max_results = _int_param(request, "maxResults", limit.default)
    max_results = limit.cap if max_results <= 0 else min(max_results, limit.cap)
    page = list(values[start_at : start_at + max_results])
    is_last = start_at + len(page) >= len(values)
    body: dict[str, Any] = {"self": str(request.url)}
    if not is_last:
        body["nextPage"] = _with_query(request, startAt=start_at + max_results)
    body.update({"maxResults": max_results, "startAt": start_at})
    if limit.has_total:
        body["total"] = len(values)
    body.update({"isLast": is_last, "values": page, **extra})
    return body


def paged_dto(
    request: Request, values: Sequence[Any], *, default_limit: int = 50, cap: int = 50
) -> dict[str, Any]:
    """One service desk page of ``values``: ``start``/``limit`` from the query, limit capped."""

    def number(name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise JsmApiError(
                400, f"The value '{raw}' is not valid for '{name}'.", "sd.rest.error.invalid.param"
            ) from None

    start = max(number("start", 0), 0)
    limit = number("limit", default_limit)
    if limit <= 0:
        limit = default_limit
    served = min(limit, cap)
    page = list(values[start : start + served])
    is_last = start + served >= len(values)
    base = str(request.base_url).rstrip("/")
    links: dict[str, str] = {"self": str(request.url), "base": base, "context": ""}
    if not is_last:
        links["next"] = _with_query(request, start=start + len(page), limit=limit)
    if start > 0:
        links["prev"] = _with_query(request, start=max(start - limit, 0), limit=limit)
    return {
        "_expands": [],
        "size": len(page),
        "start": start,
        "limit": limit,
        "isLastPage": is_last,
        "values": page,
        "_links": links,
    }
