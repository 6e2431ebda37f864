"""ServiceNow Table API and Batch API calls. HTTP only: no decisions about what to change.

Reads follow the rules in the Table API documentation
(https://www.servicenow.com/docs/bundle/zurich-api-reference/page/integrate/inbound-rest/concept/c_TableAPI.html):
the v2 list endpoint (v1 answers 404 on an empty result), explicit ``sysparm_fields``, raw
values with ``sysparm_exclude_reference_link=true``, a stable ``ORDERBYsys_id`` and offset
paging that trusts ``X-Total-Count`` rather than page length, because the limit is applied
before ACL filtering and pages can come back short while more rows exist.

Reads go in rounds of Batch API requests
(https://www.servicenow.com/docs/bundle/zurich-api-reference/page/integrate/inbound-rest/concept/batch-api.html):
the first pages of all tables in one, then every remaining page of each table whose first page
gave its ``X-Total-Count``, so a plan takes two rounds however large its tables are (without a
total, a table is read a page per round until a short page). Later pages are spread over a few
calls sent together, since an instance serves one batch's sub-requests one after another.

An instance without the Batch API, or a user who may not use it, answers 403, 404 or 400
"Requested URI does not represent any resource" (the Table API's answer to a URL that names no
resource, r_RESTAPIHTTPResponseCodes); then reads and writes fall back to one Table API request
each (pages of a round still side by side), for the rest of the client's life, and say so once.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Any
from urllib.parse import parse_qsl, urlencode

from usm_config.aio import gather_bounded
from usm_config.http import (
    AuthenticationError,
    HttpClient,
    HttpError,
    HttpStatusError,
    NotFoundError,
    PermissionDeniedError,
    json_kind,
    read_shaped,
    total_count_header,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
#: The order every read asks for, after its filter: offset paging needs a stable one.
ORDER_BY = "ORDERBYsys_id"
LIST_PATH = "/api/now/v2/table/{table}"
RECORD_PATH = "/api/now/table/{table}/{sys_id}"
CREATE_PATH = "/api/now/table/{table}"
BATCH_PATH = "/api/now/v1/batch"
#: Sub-requests per Batch API call; instances cap the batch's run time, not its length.
BATCH_LIMIT = 50
#: Calls a read keeps in flight: an instance runs a batch's sub-requests one after another
#: but separate calls side by side, so the pages of a round are spread over this many.
READ_CALLS = 4
#: At most this many later pages (full ones) per call, so answers are parsed while the next
#: ones are served, and a read holds only a few pages' raw answers at once.
LATER_PAGES_PER_CALL = 4


class ServiceNowError(HttpError):
    """The instance answered, but not in the way the Table API documents."""


class _BatchRefused(Exception):
    """The Batch API endpoint itself answered 404, 403 or 400 'no resource'."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


_NO_RESOURCE = "Requested URI does not represent any resource"
#: Clients whose instance refused the Batch API: they use the Table API alone from then on.
_WITHOUT_BATCH: weakref.WeakSet[HttpClient] = weakref.WeakSet()


def _refused(exc: HttpStatusError) -> bool:
    """True when the Batch API endpoint's error says the API is not there for this user."""
    if isinstance(exc, NotFoundError | PermissionDeniedError):
        return True
    return exc.status == 400 and _NO_RESOURCE in exc.body_excerpt


def _without_batch(client: HttpClient, status: int) -> None:
    if client not in _WITHOUT_BATCH:
        _WITHOUT_BATCH.add(client)
        log.warning(
            "%s refused the Batch API (HTTP %d); reading and writing with one Table API "
            "request each",
            client.base_url,
            status,
        )


def batch_available(client: HttpClient) -> bool:
    """False once the instance behind ``client`` has refused the Batch API."""
    return client not in _WITHOUT_BATCH


# A failed sub-request raises the class HttpClient would raise for the same status on a GET.
_SUB_REQUEST_ERRORS: dict[int, type[HttpStatusError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}


@dataclass
class _TableRead:
    """One table's read: the pages received so far, by offset, and what is left to ask."""

    table: str
    fields: tuple[str, ...]
    query: str
    total: int | None = None
    #: No total was given and a page came back short: that was the last one.
    ended: bool = False
    pages: dict[int, list[Any]] = field(default_factory=dict)

    def params(self, offset: int) -> dict[str, str]:
        return {
            "sysparm_fields": ",".join(("sys_id", *self.fields)),
            "sysparm_exclude_reference_link": "true",
            "sysparm_display_value": "false",
            "sysparm_query": self.query,
            "sysparm_limit": str(PAGE_SIZE),
            "sysparm_offset": str(offset),
        }

    def wanted(self) -> list[int]:
        """Offsets still to ask for: every missing one once a total is known, else the next."""
        if not self.pages:
            return [0]
        if self.total is not None:
            return [o for o in range(0, self.total, PAGE_SIZE) if o not in self.pages]
        return [] if self.ended else [max(self.pages) + PAGE_SIZE]

    def take(self, offset: int, page: list[Any], total: int | None) -> None:
        """Keep a page; a total, once seen, drives the read even when later pages lack it."""
        self.pages[offset] = page
        if total is not None:
            self.total = total
        elif self.total is None and len(page) < PAGE_SIZE:
            self.ended = True

    def rows(self) -> list[Any]:
        return [row for offset in sorted(self.pages) for row in self.pages[offset]]


def _query(extra: str) -> str:
    return f"{extra}^{ORDER_BY}" if extra else ORDER_BY


def _as_read(table: str, row: dict[str, Any]) -> dict[str, Any]:
    return row


async def read_tables(
    client: HttpClient,
    tables: Mapping[str, tuple[tuple[str, ...], str]],
    keep: Callable[[str, dict[str, Any]], Any] = _as_read,
) -> dict[str, list[Any]]:
    """Read whole tables: ``{table: (fields, encoded filter)}`` → ``{table: rows}``.

    ``keep(table, row)`` is what is kept of each row, as soon as its page arrives (a large
    read then never holds every row's dict at once); by default the row itself.
    """
    return await read_queries(
        client, [(table, fields, where) for table, (fields, where) in tables.items()], keep
    )


async def read_queries(
    client: HttpClient,
    queries: Sequence[tuple[str, tuple[str, ...], str]],
    keep: Callable[[str, dict[str, Any]], Any] = _as_read,
) -> dict[str, list[Any]]:
    """:func:`read_tables` for ``(table, fields, encoded filter)`` queries, several of which
    may read one table (a filter too long for one request line, split): ``{table: rows}``,
    the rows of a table's queries in their order. A row two of them match comes twice."""
    tables = ", ".join(sorted({table for table, _, _ in queries}))
    return await read_shaped(client, tables, _read_queries(client, queries, keep))


async def _read_queries(
    client: HttpClient,
    queries: Sequence[tuple[str, tuple[str, ...], str]],
    keep: Callable[[str, dict[str, Any]], Any],
) -> dict[str, list[Any]]:
    reads = [_TableRead(table, fields, _query(where)) for table, fields, where in queries]
    use_batch = batch_available(client)
    while wanted := [(read, offset) for read in reads for offset in read.wanted()]:
        if not use_batch:
            await gather_bounded(
                (_get_page(client, read, offset, keep) for read, offset in wanted), READ_CALLS
            )
            continue
        try:
            if await _batch_round(client, wanted, keep):
                continue
            # Nothing serviced: asking again would loop for ever.
            log.debug("Batch API serviced no request; reading page by page")
        except _BatchRefused as exc:
            _without_batch(client, exc.status)
        use_batch = False
    rows: dict[str, list[Any]] = {}
    for read in reads:
        rows.setdefault(read.table, []).extend(read.rows())
    return rows


async def _get_page(
    client: HttpClient,
    read: _TableRead,
    offset: int,
    keep: Callable[[str, dict[str, Any]], Any],
) -> None:
    response = await client.request(
        "GET", LIST_PATH.format(table=read.table), params=read.params(offset)
    )
    page = _result_list(client.json_body(response), read.table)
    read.take(offset, [keep(read.table, row) for row in page], total_count_header()(response))


async def _batch_round(
    client: HttpClient,
    wanted: Sequence[tuple[_TableRead, int]],
    keep: Callable[[str, dict[str, Any]], Any],
) -> int:
    """One round of batched page reads; returns how many sub-requests were serviced.

    First pages go together (most tables fit in one). Later pages are full ones of large
    tables: they are spread over up to :data:`READ_CALLS` calls sent together, since an instance
    runs one batch's sub-requests one after another and separate calls side by side.
    """
    if any(offset for _, offset in wanted):
        size = min(BATCH_LIMIT, LATER_PAGES_PER_CALL, -(-len(wanted) // READ_CALLS))
    else:
        size = BATCH_LIMIT
    chunks = [wanted[start : start + size] for start in range(0, len(wanted), size)]
    return sum(
        await gather_bounded((_batch_call(client, chunk, keep) for chunk in chunks), READ_CALLS)
    )


async def _batch_call(
    client: HttpClient,
    chunk: Sequence[tuple[_TableRead, int]],
    keep: Callable[[str, dict[str, Any]], Any],
) -> int:
    """One Batch API call of page reads; returns how many of them were serviced."""
    asked = {str(i): page for i, page in enumerate(chunk)}
    body = {
        "batch_request_id": "read",
        "rest_requests": [
            {
                "id": rid,
                "method": "GET",
                "url": LIST_PATH.format(table=read.table) + "?" + urlencode(read.params(offset)),
                "headers": [{"name": "Accept", "value": "application/json"}],
            }
            for rid, (read, offset) in asked.items()
        ],
    }
    # A batch of GETs changes nothing, so it is safe to retry like any read.
    try:
        response = await client.request("POST", BATCH_PATH, json=body, idempotent=True)
    except HttpStatusError as exc:
        if _refused(exc):
            raise _BatchRefused(exc.status) from None
        raise
    served = _serviced(client.json_body(response), f"reading {_tables(chunk)}")
    serviced = 0
    for rid, (read, offset) in asked.items():
        item = served.get(rid)
        if item is None:
            continue  # unserviced (batch time quota): asked again next round
        serviced += 1
        status = int(item.get("status_code", 0))
        content = _sub_request_body(item, read.table)
        if status != 200:
            # Redact before HttpStatusError truncates, so no secret prefix survives a cut.
            excerpt = client.redact(content[:50_000].decode("utf-8", "replace"))
            cls = _SUB_REQUEST_ERRORS.get(status, HttpStatusError)
            raise cls(status, "GET", LIST_PATH.format(table=read.table), excerpt)
        try:
            payload = json.loads(content) if content else {}
        except ValueError:
            raise ServiceNowError(
                f"reading {read.table}: the batch answer's body is not JSON"
            ) from None
        page = _result_list(payload, read.table)
        headers = {h["name"].lower(): h["value"] for h in item.get("headers") or []}
        read.take(
            offset,
            [keep(read.table, row) for row in page],
            _int_or_none(headers.get("x-total-count")),
        )
    return serviced


def _serviced(answer: Any, doing: str) -> dict[str, Mapping[str, Any]]:
    """The sub-responses of a Batch API answer by their id; a JSON answer of another shape
    (a proxy's or a login page's) is refused, naming what was being done."""
    items = answer.get("serviced_requests", []) if isinstance(answer, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ServiceNowError(
            f"{doing}: the answer to {BATCH_PATH} is not a Batch API answer "
            "(an object with a 'serviced_requests' list)"
        )
    return {str(item.get("id")): item for item in items}


def _tables(chunk: Sequence[tuple[_TableRead, int]]) -> str:
    return ", ".join(sorted({read.table for read, _ in chunk}))


def _sub_request_body(item: Mapping[str, Any], table: str) -> bytes:
    try:
        return base64.b64decode(item.get("body") or "", validate=True)
    except (TypeError, ValueError):
        raise ServiceNowError(f"reading {table}: the batch answer's body is not base64") from None


def _http_status(value: Any) -> int | None:
    """An HTTP status as a sub-response states it (a number, or its digits), else None."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if type(value) is int and 100 <= value <= 599:
        return value
    return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _result_list(payload: Any, table: str) -> list[dict[str, Any]]:
    result = payload.get("result") if isinstance(payload, dict) else None
    if not isinstance(result, list):
        raise ServiceNowError(f"reading {table}: the answer holds no result list")
    for row in result:
        if not isinstance(row, dict):
            # A row left out would be planned as missing, and created a second time.
            raise ServiceNowError(
                f"reading {table}: the answer's result list holds {json_kind(row)} "
                "where the Table API returns rows as objects"
            )
    return result


async def query_table(
    client: HttpClient, table: str, fields: Sequence[str], where: str
) -> list[dict[str, Any]]:
    """Rows of ``table`` matching the encoded query ``where`` (all pages)."""
    return (await read_tables(client, {table: (tuple(fields), where)}))[table]


async def create_record(
    client: HttpClient, table: str, values: Mapping[str, Any], fields: Sequence[str]
) -> dict[str, Any]:
    """POST one record; returns the stored row (owned fields and sys_id). An answer that
    names no new record may follow a create that happened: :class:`UncertainWriteError`."""
    response = await client.request(
        "POST",
        CREATE_PATH.format(table=table),
        params=_write_params(fields),
        json=dict(values),
    )
    try:
        row = _result_record(client.write_answer(response), table)
        if not is_new_sys_id(row["sys_id"]):
            raise ServiceNowError(f"writing {table}: the answer's sys_id is not a new record's")
    except ServiceNowError as exc:
        raise client.uncertain_write(response, exc) from None
    return row


def is_new_sys_id(value: Any) -> bool:
    """Whether ``value`` is a sys_id ServiceNow gives a record it creates: 32 lowercase hex
    digits. (Out-of-box records may have others, such as the global scope's ``global``.)"""
    return isinstance(value, str) and _NEW_SYS_ID.fullmatch(value) is not None


_NEW_SYS_ID = re.compile(r"[0-9a-f]{32}")


async def update_record(
    client: HttpClient, table: str, sys_id: str, values: Mapping[str, Any], fields: Sequence[str]
) -> dict[str, Any]:
    """PATCH the given fields of one record; returns the stored row."""
    response = await client.request(
        "PATCH",
        RECORD_PATH.format(table=table, sys_id=sys_id),
        params=_write_params(fields),
        json=dict(values),
    )
    return _result_record(client.write_answer(response), table)


async def delete_record(client: HttpClient, table: str, sys_id: str) -> None:
    """DELETE one record (204)."""
    await client.request("DELETE", RECORD_PATH.format(table=table, sys_id=sys_id))


@dataclass(frozen=True)
class BatchAnswer:
    """One sub-response of a Batch API call: ``status`` 0 means it was not serviced, and
    ``uncertain`` that the answer does not say whether it was (it lists the sub-request
    neither as serviced nor as unserviced, or its body cannot be read)."""

    status: int
    payload: Any = None
    uncertain: bool = False


async def batch_write(
    client: HttpClient, requests: Sequence[tuple[str, str, Mapping[str, Any] | None]]
) -> list[BatchAnswer]:
    """Send ``(method, path with query, JSON body)`` requests in one Batch API call.

    The call is not idempotent: when its answer is lost the HTTP layer raises
    ``UncertainWriteError`` and the caller checks every write on its own. When the instance
    refuses the Batch API (nothing was written), the writes go one by one through the Table
    API instead (:func:`write_one`), and so do all later ones.
    """
    if not batch_available(client):
        return [await write_one(client, *request) for request in requests]
    try:
        response = await client.request(
            "POST", BATCH_PATH, content=_write_body(requests), headers=_JSON_BODY
        )
    except HttpStatusError as exc:
        if not _refused(exc):
            raise
        _without_batch(client, exc.status)
        return [await write_one(client, *request) for request in requests]
    try:
        answer = client.write_answer(response)
        served = _serviced(answer, "writing")
    except ServiceNowError as exc:
        raise client.uncertain_write(response, exc) from None
    # Sub-requests the batch's time quota left out are listed as not executed (servicenow.md
    # §1.9) and may be sent again; one the answer lists nowhere may have been carried out.
    unserviced = answer.get("unserviced_requests")
    not_run = {str(i) for i in unserviced} if isinstance(unserviced, list) else set()
    answers = []
    for index in range(len(requests)):
        item = served.get(str(index))
        if item is None:
            answers.append(BatchAnswer(0, uncertain=str(index) not in not_run))
            continue
        status = _http_status(item.get("status_code"))
        if status is None:
            # Serviced, with no status that can be read: it may have been carried out.
            answers.append(BatchAnswer(0, uncertain=True))
            continue
        try:
            raw = base64.b64decode(item.get("body") or "", validate=True)
            payload = json.loads(raw) if raw else None
        except (TypeError, ValueError):
            # An answer we cannot read says nothing about the write: settle it on its own.
            answers.append(BatchAnswer(0, uncertain=True))
            continue
        answers.append(BatchAnswer(status, payload))
    return answers


_JSON_BODY = {"Content-Type": "application/json"}
#: What every write sub-request carries besides its id, method, URL and body.
_WRITE_SUB_REQUEST = (
    '"headers":[{"name":"Content-Type","value":"application/json"},'
    '{"name":"Accept","value":"application/json"}],"exclude_response_headers":true'
)
#: Sub-request bodies without the spaces ``json.dumps`` puts after separators: base64 makes
#: every byte of them four thirds of a byte on the wire. A body may be any mapping.
_COMPACT = json.JSONEncoder(separators=(",", ":"), default=dict)


def _write_body(requests: Sequence[tuple[str, str, Mapping[str, Any] | None]]) -> bytes:
    """The Batch API body of ``requests``, each sub-request's body base64 of its JSON.

    Written out as text, each part once: built as dicts and passed as ``json=``, the whole
    document, base64 bodies included, was encoded a second time on every call of a large
    apply (1,000 calls of 50 writes).
    """
    text = encode_basestring_ascii
    parts = []
    for index, (method, url, payload) in enumerate(requests):
        body = (
            ""
            if payload is None
            else f',"body":"{base64.b64encode(_COMPACT.encode(payload).encode()).decode()}"'
        )
        parts.append(
            f'{{"id":"{index}","method":{text(method)},"url":{text(url)},'
            f"{_WRITE_SUB_REQUEST}{body}}}"
        )
    return f'{{"batch_request_id":"write","rest_requests":[{",".join(parts)}]}}'.encode()


async def write_one(
    client: HttpClient, method: str, url: str, payload: Mapping[str, Any] | None
) -> BatchAnswer:
    """One write of a refused batch as its own Table API request, answered like a sub-request.

    A failed write becomes its status and error body, as the batch would have reported it;
    an answer lost after the commit still raises ``UncertainWriteError``, which the caller
    settles like a lost batch.
    """
    path, _, query = url.partition("?")
    params = dict(parse_qsl(query))
    try:
        if payload is None:
            response = await client.request(method, path, params=params)
        else:
            response = await client.request(method, path, params=params, json=dict(payload))
    except HttpStatusError as exc:
        try:
            detail: Any = json.loads(exc.body_excerpt)
        except ValueError:
            detail = {"error": {"message": exc.body_excerpt}}
        return BatchAnswer(exc.status, detail)
    return BatchAnswer(
        response.status_code, client.write_answer(response) if response.content else None
    )


def write_url(method: str, table: str, sys_id: str | None, fields: Sequence[str]) -> str:
    """The Table API path (with query) of one write, as a Batch API sub-request names it."""
    if method == "POST":
        path = CREATE_PATH.format(table=table)
    else:
        path = RECORD_PATH.format(table=table, sys_id=sys_id)
    return path if method == "DELETE" else f"{path}?{_write_query(tuple(fields))}"


@functools.cache
def _write_query(fields: tuple[str, ...]) -> str:
    """The encoded query of a write returning ``fields``: the same for every record of a kind,
    so it is encoded once, not once per write of a large apply."""
    return urlencode(_write_params(fields))


def _write_params(fields: Sequence[str]) -> dict[str, str]:
    return {
        "sysparm_fields": ",".join(("sys_id", *fields)),
        "sysparm_exclude_reference_link": "true",
    }


def _result_record(payload: Any, table: str) -> dict[str, Any]:
    result = payload.get("result") if isinstance(payload, dict) else None
    if not isinstance(result, dict) or not result.get("sys_id"):
        raise ServiceNowError(f"writing {table}: the answer holds no record")
    return result
