"""Request and response helpers every TOPdesk route module uses: media types, bodies, lists.

* content negotiation: an endpoint produces some media types (:attr:`Endpoint.produces`);
  :func:`negotiate` picks the one an ``Accept`` header asks for or answers 406, as TOPdesk
  does ("Incorrect 'Accept' header used for the endpoint", topdesk.md §2.3);
* :func:`respond` renders a JSON body in the negotiated media type;
* :func:`json_body` reads a request body, refusing other content types with 415;
* list helpers: :func:`filtered` (FIQL ``query``), :func:`select_fields` (``fields``), and the
  three paging styles (topdesk.md §2.4) in :func:`start_page_size`,
  :func:`page_start_page_size` and :func:`top`. TOPdesk answers 206 Partial Content when more
  results exist, 200 for the last page, 204 when there is nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from usm_topdesk.sandbox.errors import EmptyError, LegacyError, TopdeskError
from usm_topdesk.sandbox.fiql import FiqlError, parse
from usm_topdesk.sandbox.site import JSON, Row, public

__all__ = [
    "MALFORMED",
    "filtered",
    "json_body",
    "negotiate",
    "no_content",
    "not_acceptable",
    "page_start_page_size",
    "respond",
    "select_fields",
    "start_page_size",
    "top",
    "unsupported_media_type",
]

#: TOPdesk's text for a list request with bad parameters.
MALFORMED = "Input parameters malformed"
_MEDIA_KEY = "topdesk.media"


def not_acceptable() -> EmptyError:
    """406 without a body: the ``Accept`` header names no media type the endpoint produces."""
    return EmptyError(406, "Incorrect 'Accept' header used for the endpoint")


def unsupported_media_type() -> EmptyError:
    """415 without a body: the request body is not JSON."""
    return EmptyError(415, "Unsupported Media Type")


def _media_ranges(accept: str) -> list[str]:
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            continue
        if media:
            ranges.append(media.lower())
    return ranges


def negotiate(accept: str | None, produces: Sequence[str]) -> str:
    """The media type to answer in for ``accept``; raises a 406 (:func:`not_acceptable`).

    No header (or an empty one) gets the endpoint's default, the first of ``produces``.
    """
    if not accept or not accept.strip():
        return produces[0]
    for media in _media_ranges(accept):
        if media == "*/*":
            return produces[0]
        if media.endswith("/*"):
            family = media[:-1]
            found = next((p for p in produces if p.lower().startswith(family)), None)
            if found is not None:
                return found
            continue
        found = next((p for p in produces if p.lower() == media), None)
        if found is not None:
            return found
    raise not_acceptable()


def set_media(request: Request, media: str) -> None:
    """Remember the negotiated media type for :func:`respond`."""
    request.scope[_MEDIA_KEY] = media


def media(request: Request) -> str:
    """The media type negotiated for ``request`` (``application/json`` by default)."""
    return str(request.scope.get(_MEDIA_KEY, JSON))


def respond(request: Request, body: Any, status: int = 200) -> Response:
    """``body`` as JSON in the negotiated media type."""
    return Response(
        json.dumps(body, separators=(",", ":")).encode(),
        status_code=status,
        media_type=media(request),
    )


def no_content() -> Response:
    """204 without a body."""
    return Response(status_code=204)


async def json_body(request: Request) -> Any:
    """The decoded JSON body: 415 for a non-JSON content type, 400 (legacy) when malformed."""
    raw = await request.body()
    content_type = (request.headers.get("content-type") or JSON).split(";")[0].strip().lower()
    if content_type != JSON and not content_type.endswith("+json"):
        raise unsupported_media_type()
    if not raw.strip():
        raise LegacyError(400, "The request body is empty.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise LegacyError(400, "The request body could not be parsed.") from None


def filtered(
    request: Request,
    rows: Iterable[Row],
    *,
    fields: Collection[str] | None = None,
    default: Callable[[Row], bool] | None = None,
    error: Callable[[str], TopdeskError] | None = None,
) -> list[Row]:
    """``rows`` matching the FIQL ``query`` parameter; without it, those ``default`` keeps.

    TOPdesk ignores the legacy filters when ``query`` is given, and lists only active cards
    without it (``default``, e.g. not archived). ``fields`` limits what a query may name;
    ``error`` renders a bad query (a legacy 400 by default).
    """
    query = request.query_params.get("query")
    if query is None:
        return [row for row in rows if default is None or default(row)]
    try:
        predicate = parse(query, fields)
    except FiqlError as problem:
        raise (error or (lambda m: LegacyError(400, m)))(str(problem)) from None
    return [row for row in rows if predicate(public(row))]


def select_fields(row: Row, spec: str | None, default: Collection[str] | None = None) -> Row:
    """The public fields of ``row`` that ``spec`` (``fields=a,b``) names, plus ``id``.

    ``*`` or ``all`` names every field; without ``spec``, ``default`` (or every field).
    """
    shown = public(row)
    if spec is None or not spec.strip():
        if default is None:
            return shown
        names = set(default)
    elif spec.strip() in ("*", "all"):
        return shown
    else:
        names = {name.strip().split(".")[0] for name in spec.split(",") if name.strip()}
    names.add("id")
    return {key: value for key, value in shown.items() if key in names}


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise LegacyError(400, MALFORMED) from None
    if not low <= value <= high:
        raise LegacyError(400, MALFORMED)
    return value


def start_page_size(
    request: Request, rows: Sequence[Any], *, default: int = 10, cap: int = 100
) -> tuple[list[Any], int]:
    """One ``start``/``page_size`` page of ``rows`` and its status (200, 206 or 204).

    Supporting files: ``page_size`` 1..100, default 10 (spec supporting-files 2.7.11).
    """
    start = _int(request, "start", 0, 0, 2**31 - 1)
    size = _int(request, "page_size", default, 1, cap)
    page = list(rows[start : start + size])
    if not page:
        return [], 204
    return page, 206 if start + size < len(rows) else 200


def page_start_page_size(
    request: Request, rows: Sequence[Any], *, default: int, cap: int
) -> tuple[dict[str, Any] | None, int]:
    """One ``pageStart``/``pageSize`` page as ``{item, size, next}`` and its status.

    ``next`` is the URL of the following page, ``null`` on the last one; 204 has no body.
    """
    start = _int(request, "pageStart", 0, 0, 2**31 - 1)
    size = _int(request, "pageSize", default, 1, cap)
    page = list(rows[start : start + size])
    if not page:
        return None, 204
    more = start + size < len(rows)
    next_url = None
    if more:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "pageStart"]
        query.append(("pageStart", str(start + size)))
        next_url = f"{request.url.replace(query=None)}?{urlencode(query)}"
    return {"item": page, "size": len(page), "next": next_url}, 206 if more else 200


def top(
    request: Request, rows: Sequence[Any], *, default: int = 1000, cap: int = 10000
) -> list[Any]:
    """The first ``$top`` rows: lookup lists and ``/services`` are not paged (topdesk.md §2.4)."""
    return list(rows[: _int(request, "$top", default, 1, cap)])
