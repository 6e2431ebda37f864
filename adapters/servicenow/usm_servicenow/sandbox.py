"""A local emulator of the ServiceNow REST APIs the adapter uses (not a mock: it keeps state).

:func:`create_app` returns a Starlette app serving, per servicenow.md §1:

* the Table API, generic over any table name (``/api/now[/v1|/v2]/table/{table}[/{sys_id}]``):
  string values, sys fields, reference links, display values, ``sysparm_fields``, paging with
  ``X-Total-Count`` and ``Link``, a subset of encoded queries (:mod:`.sandbox_query`), the
  real error envelopes;
* the Batch API (``POST /api/now/v1/batch``) with base64 bodies, dispatching each
  sub-request to the same Table API handlers;
* ``POST /oauth_token.do`` (password, client_credentials and refresh_token grants) and basic
  auth; by default user ``admin``/``admin`` and OAuth client ``usm-config``/``sandbox-secret``;
* optional checking of every Table API request (Batch API items included) against the
  instance's OpenAPI export.

The app is built with :func:`usm_config.sandbox.app.build_emulator_app`, which adds fault
injection, the request log (a batch's items are logged as sub-requests of the batch) and the
control endpoints under ``/_sandbox/``. ``app.state`` holds ``store``
(:class:`.sandbox_store.RecordStore`), ``request_log``
(:class:`usm_config.sandbox.requestlog.RequestLog`) and ``spec_violations`` (``list[str]``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import URL, Headers, QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import Message, Scope

from usm_config.sandbox.app import SpecGuard, build_emulator_app
from usm_config.sandbox.auth import SandboxAuth, TokenRegistry, Unauthenticated, same_secret
from usm_config.sandbox.clock import in_utc
from usm_config.sandbox.errors import EmulatorError
from usm_config.sandbox.faults import FaultConfig
from usm_config.sandbox.jsontext import encoder
from usm_config.sandbox.openapi_check import OpenApiRequestChecker
from usm_config.sandbox.requestlog import (
    LOGGED_BODY_EXTENSION,
    NOT_LOGGED,
    LoggedRequest,
    QueryItems,
    log_subrequest,
    logged_body,
    logged_json,
    query_items,
)
from usm_servicenow.sandbox_baseline import TableTree, seed
from usm_servicenow.sandbox_query import Condition, EncodedQuery, parse_query, sort_rows
from usm_servicenow.sandbox_store import DuplicateRecord, RecordStore, Row

__all__ = [
    "DEFAULT_OAUTH_CLIENTS",
    "DEFAULT_TABLES",
    "DEFAULT_USERS",
    "REFERENCE_FIELDS",
    "create_app",
    "error_envelope",
]

#: Tables that exist in a fresh sandbox (besides the baseline's), so reading them gives
#: ``[]``, not a 404.
DEFAULT_TABLES = (
    "task",
    "incident",
    "change_request",
    "cmdb_ci",
    "sys_user_group",
    "sys_user",
    "sys_user_role",
    "core_company",
    "cmn_schedule",
    "cmn_schedule_span",
    "cmdb_ci_service",
    "cmdb_ci_service_business",
    "service_offering",
    "sys_choice",
    "dl_u_priority",
    "contract_sla",
    "sc_category",
    "sc_cat_item",
    "sc_catalog",
    "chg_model",
    "sttrm_state",
    "sttrm_state_transition",
    "problem",
    "kb_knowledge_base",
    "kb_knowledge",
    "kb_category",
    "sys_template",
)
DEFAULT_USERS: Mapping[str, str] = {"admin": "admin"}
DEFAULT_OAUTH_CLIENTS: Mapping[str, str] = {"usm-config": "sandbox-secret"}

#: Reference fields → target table. The real instance reads this from its dictionary; the
#: emulator also treats any sys_id that exists in some table as a reference to it.
REFERENCE_FIELDS: Mapping[str, str] = {
    "assignment_group": "sys_user_group",
    "support_group": "sys_user_group",
    "manager": "sys_user",
    "assigned_to": "sys_user",
    "owned_by": "sys_user",
    "managed_by": "sys_user",
    "company": "core_company",
    "schedule": "cmn_schedule",
    "service": "cmdb_ci_service",
    "service_offering": "service_offering",
    "kb_knowledge_base": "kb_knowledge_base",
    "kb_category": "kb_category",
    "sc_catalog": "sc_catalog",
    "cat_item": "sc_cat_item",
    "template": "sys_template",
    "model": "chg_model",
    "from_state": "sttrm_state",
    "to_state": "sttrm_state",
}
#: Reference fields whose target depends on the table.
_TABLE_REFERENCE_FIELDS: Mapping[tuple[str, str], str] = {
    ("sys_user_group", "parent"): "sys_user_group",
    ("sc_cat_item", "category"): "sc_category",
    ("sc_category", "parent"): "sc_category",
    ("kb_category", "parent_id"): "kb_category",
    ("service_offering", "parent"): "cmdb_ci_service",
}
_DISPLAY_FIELDS = ("name", "number", "label", "title")
_SYS_ID = re.compile(r"[0-9a-f]{32}")
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_VERSIONS = ("v1", "v2")
_REFRESH_TTL_S = 100 * 24 * 3600
_TABLE_PATHS = (
    "/api/now/table/{table}",
    "/api/now/table/{table}/{sys_id}",
    "/api/now/{version}/table/{table}",
    "/api/now/{version}/table/{table}/{sys_id}",
)
_TABLE_TEMPLATE = "/api/now/table/{tableName}"
_RECORD_TEMPLATE = "/api/now/table/{tableName}/{sys_id}"
_PHRASES: Mapping[int, str] = {status.value: status.phrase for status in HTTPStatus}
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


#: Starlette's JSONResponse's ``json.dumps`` (its arguments), built once.
_encode_json = encoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class _JSONResponse(JSONResponse):
    """Starlette's JSONResponse byte for byte, encoded by one encoder for every response
    rather than one built per response by ``json.dumps``."""

    def render(self, content: Any) -> bytes:
        return _encode_json(content).encode("utf-8")


def error_envelope(
    status: int, message: str, detail: str | None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The Table API error response: ``{"error": {"message", "detail"}, "status": "failure"}``."""
    return _ApiError(status, message, detail, headers).response()


class _ApiError(EmulatorError):
    def __init__(
        self,
        status: int,
        message: str,
        detail: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, headers=headers)
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "detail": self.detail}, "status": "failure"}


def _not_found() -> _ApiError:
    return _ApiError(
        404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"
    )


def _invalid_table(table: str) -> _ApiError:
    return _ApiError(404, f"Invalid table {table}", None)


def _fault_body(status: int) -> tuple[bytes, dict[str, str]]:
    if status == 429:
        message = "Rate limit exceeded"
        detail = "Rate limit of 100 requests per hour for Table API exceeded"
        headers = {"content-type": "application/json", "x-ratelimit-limit": "100"}
    else:
        message = "Service Unavailable"
        detail = "The instance is temporarily unavailable (sandbox fault injection)"
        headers = {"content-type": "application/json"}
    body = {"error": {"message": message, "detail": detail}, "status": "failure"}
    return json.dumps(body).encode(), headers


def _to_string(value: Any) -> str:
    """Store every value as the instance does: a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict) and "value" in value:  # a {"link", "value"} read back
        return _to_string(value["value"])
    return json.dumps(value)


@functools.lru_cache(maxsize=64)
def _accepts_json(accept: str) -> bool:
    """Whether an Accept header allows JSON (the same few values arrive again and again)."""
    media = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return any(m in ("application/json", "*/*", "application/*") for m in media)


#: What ``sysparm_fields`` lists when it asks for no field but ``sys_id``.
_SYS_ID_ONLY = ((), ("sys_id",))


@functools.lru_cache(maxsize=256)
def _wanted_fields(raw: str) -> tuple[str, ...]:
    """The names a ``sysparm_fields`` value lists, once each, in order."""
    return tuple(dict.fromkeys(f.strip() for f in raw.split(",") if f.strip()))


def _param(request: Request, name: str, default: str | None = None) -> str | None:
    """A query parameter's (last) value: ``query_params.get`` without the KeyError that
    Starlette raises and catches for every parameter a request leaves out."""
    params = request.query_params
    return params[name] if name in params else default  # noqa: SIM401 (no KeyError)


def _flag(request: Request, name: str) -> bool:
    return (_param(request, name) or "").lower() == "true"


def _no_response_body(headers: Mapping[str, str]) -> bool:
    return (headers.get("x-no-response-body") or "").lower() == "true"


@dataclass(frozen=True)
class _Rendering:
    """How a request asks for records (servicenow.md §1.2, §1.4): ``sysparm_display_value``
    (lowercased), ``sysparm_exclude_reference_link``, ``sysparm_fields`` as sent, and the
    base URL of reference links."""

    mode: str
    exclude_links: bool
    fields: str | None
    base: str

    @classmethod
    def of(cls, request: Request) -> _Rendering:
        return cls(
            (_param(request, "sysparm_display_value", "false") or "").lower(),
            _flag(request, "sysparm_exclude_reference_link"),
            _param(request, "sysparm_fields"),
            str(request.base_url).rstrip("/"),
        )


@dataclass(frozen=True)
class _Options:
    oauth_clients: Mapping[str, str]
    token_ttl_s: float
    read_only_tables: frozenset[str]
    forbidden_writes: frozenset[tuple[str, str]]
    hidden_rows: Mapping[str, EncodedQuery]
    batch_max_requests: int
    batch_api: bool


class _Emulator:
    """Handlers and state behind one app."""

    def __init__(
        self,
        store: RecordStore,
        options: _Options,
        users: Mapping[str, str],
        spec: SpecGuard,
        now: Callable[[], datetime],
        tree: TableTree,
    ) -> None:
        self.store = store
        self.tree = tree
        self.options = options
        self.spec = spec
        self.now = now
        self.tokens = TokenRegistry(self._utcnow)
        self.refresh_tokens = TokenRegistry(self._utcnow)
        self.auth = SandboxAuth(users, issued=self.tokens)
        #: Authorization headers with Basic credentials that were accepted → their user.
        self._basic_users: dict[str, str] = {}
        self._listed: dict[tuple[str, EncodedQuery], list[Row]] = {}
        self._listed_at = -1
        #: The second the last timestamp was of (from, until) and its text.
        self._stamped = (datetime.min.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC), "")
        #: The Table API's routes, also used to serve Batch API items without the router.
        self.table_routes = tuple(
            Route(path, self.table_api, methods=_ALL_METHODS) for path in _TABLE_PATHS
        )

    # ------------------------------------------------------------------ plumbing

    def _utcnow(self) -> datetime:
        return in_utc(self.now())

    def _timestamp(self) -> str:
        # The same second gives the same text: formatted once (a batch writes many a second).
        moment = self.now()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        start, end, text = self._stamped
        if start <= moment < end:
            return text
        second = moment.astimezone(UTC).replace(microsecond=0)
        text = second.strftime("%Y-%m-%d %H:%M:%S")
        self._stamped = (second, second + timedelta(seconds=1), text)
        return text

    def _authenticate(self, headers: Mapping[str, str]) -> str:
        """The user a request's headers (Starlette's, or lowercased names) authenticate."""
        header = headers.get("authorization")
        user = self._basic_users.get(header) if header else None
        if user is not None:
            return user
        try:
            user = self.auth.authenticate(headers)
        except Unauthenticated:
            raise _ApiError(
                401,
                "User Not Authenticated",
                "Required to provide Auth information",
                {"WWW-Authenticate": 'Basic realm="Service-now"'},
            ) from None
        if header and header[:6].lower() == "basic ":
            # Basic credentials name the same user every time (the users do not change;
            # tokens expire, so they are checked each time): every item of a batch carries them.
            self._basic_users[header] = user
        return user

    @staticmethod
    def _check_accept(headers: Mapping[str, str]) -> None:
        # servicenow.md §1.1: Accept is required on every call; missing → 400.
        accept = headers.get("accept")
        if accept is None:
            raise _ApiError(400, "Accept header is required", "Send Accept: application/json")
        if not _accepts_json(accept):
            raise _ApiError(406, "Not Acceptable", f"Cannot produce {accept}; use application/json")

    @staticmethod
    def _check_content_type(headers: Mapping[str, str]) -> None:
        content_type = headers.get("content-type")
        if content_type is None:
            raise _ApiError(400, "Content-Type header is required", "Send application/json")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise _ApiError(415, "Unsupported Media Type", f"{content_type} is not supported")

    @classmethod
    async def _json_body(cls, request: Request) -> Any:
        cls._check_content_type(request.headers)
        try:
            return await request.json()
        except (ValueError, UnicodeDecodeError):
            raise _ApiError(
                400, "Exception while reading request", "The payload is not valid JSON."
            ) from None

    async def _record_body(self, request: Request) -> dict[str, Any]:
        body = await self._json_body(request)
        # servicenow.md §1.1: one record per write; further records are silently ignored.
        if isinstance(body, list) and body:
            body = body[0]
        if not isinstance(body, dict):
            raise _ApiError(400, "Exception while reading request", "Expected a JSON object.")
        return body

    async def _check_spec(self, request: Request, method: str, has_sys_id: bool) -> None:
        if self.spec.checker is None:
            return
        template = _RECORD_TEMPLATE if has_sys_id else _TABLE_TEMPLATE
        path = template.replace("{tableName}", request.path_params["table"]).replace(
            "{sys_id}", request.path_params.get("sys_id", "")
        )
        listing = method == "GET" and not has_sys_id

        # Plain name=value filters are documented for GET list but are no sysparm_ parameter.
        def plain_filter(name: str) -> bool:
            return listing and not name.startswith("sysparm_")

        violations = await self.spec.check(
            request, method=method, path=path, allow_param=plain_filter
        )
        if violations:
            raise _ApiError(400, "Request not allowed by the Table API spec", "; ".join(violations))

    def _check_write_allowed(self, table: str, operation: str) -> None:
        if table in self.options.read_only_tables or (
            (table, operation) in self.options.forbidden_writes
        ):
            raise _ApiError(
                403,
                "Operation Failed",
                f"ACL Exception {operation.capitalize()} Failed due to security constraints",
            )

    def _matches(self, query: EncodedQuery, row: Row) -> bool:
        return query.matches(lambda field: self._value(row, field))

    def _hidden(self, table: str, row: Row) -> bool:
        query = self.options.hidden_rows.get(table)
        return query is not None and self._matches(query, row)

    # ------------------------------------------------------------------ values

    def _value(self, row: Row, field: str) -> str:
        """A field of ``row``, dot-walking through references (``assignment_group.name``)."""
        head, _, rest = field.partition(".")
        value = str(row.get(head, ""))
        if not rest:
            return value
        located = self.store.locate(value) if _SYS_ID.fullmatch(value) else None
        return "" if located is None else self._value(located[1], rest)

    def _columns(self, table: str) -> list[str]:
        """The columns of ``table``: its own and those it inherits from its parents."""
        names: list[str] = []
        for owner in [*reversed(self.tree.ancestors(table)), table]:
            names.extend(self.tree.declared.get(owner, ()))
            names.extend(self.store.columns(owner))
        return list(dict.fromkeys(names))

    def _known(self, table: str) -> Callable[[str], bool]:
        columns = set(self._columns(table))
        return lambda field: field.partition(".")[0] in columns

    def _rows(self, table: str) -> list[Row]:
        """The records of ``table`` and of every table extending it (a parent table's read
        returns its children's records, each with its ``sys_class_name``)."""
        return [row for t in self.tree.family(table) for row in self.store.records(t)]

    def _home(self, table: str, sys_id: str) -> str | None:
        """The table (``table`` or one extending it) that stores record ``sys_id``."""
        return next((t for t in self.tree.family(table) if self.store.get(t, sys_id)), None)

    def _reference_table(self, table: str, field: str, value: str) -> str | None:
        # The length first: most values are no sys_id, and most of those are not 32 long.
        if field == "sys_id" or len(value) != 32 or not _SYS_ID.fullmatch(value):
            return None
        located = self.store.locate(value)
        if located is not None:
            return located[0]
        return _TABLE_REFERENCE_FIELDS.get((table, field)) or REFERENCE_FIELDS.get(field)

    def _display(self, sys_id: str) -> str:
        located = self.store.locate(sys_id)
        if located is None:
            return ""
        row = located[1]
        return next((row[f] for f in _DISPLAY_FIELDS if row.get(f)), sys_id)

    def _render(self, request: Request, table: str, rows: list[Row]) -> list[dict[str, Any]]:
        """Records shaped by sysparm_fields, sysparm_display_value and the reference links."""
        return self._render_as(_Rendering.of(request), table, rows)

    def _render_as(
        self, rendering: _Rendering, table: str, rows: list[Row]
    ) -> list[dict[str, Any]]:
        """Records shaped as ``rendering`` says.

        Without sysparm_fields every column of the table is returned, "" where a record has
        no value (servicenow.md §1.1: unset fields read as the type's null value).
        """
        mode, exclude_links, base = rendering.mode, rendering.exclude_links, rendering.base
        fields = self._fields_param(rendering.fields, table)
        if fields is not None:
            return [self._render_one(table, row, fields, mode, exclude_links, base) for row in rows]
        columns = self._columns(table)
        own = set(columns)

        def names(row: Row) -> list[str]:
            # A child record read through its parent table shows the parent's columns only.
            extra = [k for k in row if k in own or k.startswith("sys_")]
            return list(dict.fromkeys([*columns, *extra]))

        return [self._render_one(table, row, names(row), mode, exclude_links, base) for row in rows]

    def _render_one(
        self,
        table: str,
        row: Row,
        names: list[str],
        mode: str,
        exclude_links: bool,
        base: str,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            if "." in name:
                value = self._value(row, name)
                parent_field, _, leaf = name.rpartition(".")
                parent = self._value(row, parent_field)
                located = self.store.locate(parent) if parent else None
                target = self._reference_table(located[0] if located else table, leaf, value)
            else:  # the row's own field (what _value reads without a dot)
                value = str(row.get(name, ""))
                target = self._reference_table(table, name, value)
            out[name] = self._shape(value, target, mode, exclude_links, base)
        return out

    def _shape(
        self, value: str, target: str | None, mode: str, exclude_links: bool, base: str
    ) -> Any:
        # servicenow.md §1.4: references are {"link", "value"}; display_value=true gives
        # {"display_value", "link"}; all gives {"display_value", "value"} (+ link).
        if target is None:
            return {"display_value": value, "value": value} if mode == "all" else value
        link = {} if exclude_links else {"link": f"{base}/api/now/table/{target}/{value}"}
        if mode == "true":
            display = self._display(value)
            return display if exclude_links else {"display_value": display, **link}
        if mode == "all":
            return {"display_value": self._display(value), **link, "value": value}
        return value if exclude_links else {**link, "value": value}

    def _fields_param(self, raw: str | None, table: str) -> list[str] | None:
        if not raw:
            return None
        # servicenow.md §1.2: unknown fields in sysparm_fields are silently ignored.
        wanted = _wanted_fields(raw)
        if wanted in _SYS_ID_ONLY:
            return list(wanted)  # every record has one: no need to gather the table's columns
        known = self._known(table)
        return [f for f in wanted if f == "sys_id" or known(f)]

    # ------------------------------------------------------------------ Table API

    async def table_api(self, request: Request) -> Response:
        """``/api/now[/v1|/v2]/table/{table}[/{sys_id}]``: every method."""
        try:
            return await self._table_api(request)
        except _ApiError as error:
            return error.response()

    async def _table_api(self, request: Request) -> Response:
        method = request.method
        override = request.headers.get("x-http-method-override")
        if method == "POST" and override:
            method = override.upper()
        version = request.path_params.get("version")
        if version is not None and version not in _VERSIONS:
            raise _unknown_uri(request)
        user = self._authenticate(request.headers)
        self._check_accept(request.headers)
        table: str = request.path_params["table"]
        sys_id: str | None = request.path_params.get("sys_id")
        await self._check_spec(request, "GET" if method == "HEAD" else method, sys_id is not None)
        if not _TABLE_NAME.fullmatch(table):
            raise _invalid_table(table)
        if (method not in ("GET", "HEAD", "POST") and sys_id is None) or (
            method == "POST" and sys_id is not None
        ):
            raise _ApiError(405, "Method not Supported", f"{method} is not supported here")
        if method == "POST":
            return await self._insert(request, table, user)
        if not self.store.has_table(table):
            raise _invalid_table(table)
        if method in ("GET", "HEAD"):
            if sys_id is None:
                response = self._list(request, table, version)
            else:
                row = self._row(table, sys_id)
                response = _JSONResponse({"result": self._render(request, table, [row])[0]})
            if method == "HEAD":
                return Response(status_code=response.status_code, headers=dict(response.headers))
            return response
        assert sys_id is not None
        if method in ("PUT", "PATCH"):
            return await self._update(request, table, sys_id, user)
        if method == "DELETE":
            self._row(table, sys_id)
            self._check_write_allowed(table, "delete")
            self.store.delete(self._home(table, sys_id) or table, sys_id)
            return Response(status_code=204)
        raise _ApiError(405, "Method not Supported", f"{method} is not supported here")

    def _row(self, table: str, sys_id: str) -> Row:
        home = self._home(table, sys_id)
        row = self.store.get(home, sys_id) if home else None
        if row is None or self._hidden(table, row):
            raise _not_found()
        return row

    def _list(self, request: Request, table: str, version: str | None) -> Response:
        params = request.query_params
        limit = _int_param(request, "sysparm_limit", 10000, minimum=1)
        offset = _int_param(request, "sysparm_offset", 0, minimum=0)
        query = parse_query(params.get("sysparm_query", ""))
        plain = [
            Condition(name, "=", value)
            for name, value in params.multi_items()
            if not name.startswith("sysparm_")
        ]
        # Like the real instance (servicenow.md §1.3, glide.invalid_query.returns_no_rows
        # defaults to false), conditions on fields the table does not have are dropped
        # silently: a typo widens the result instead of failing.
        query = query.and_(plain).restrict(self._known(table))
        rows = self._listing(table, query)
        total = len(rows)
        # The limit applies before ACL filtering (§1.5): hidden rows shorten the page.
        page = [r for r in rows[offset : offset + limit] if not self._hidden(table, r)]
        headers: dict[str, str] = {}
        if not _flag(request, "sysparm_no_count"):
            headers["X-Total-Count"] = str(total)
        if not _flag(request, "sysparm_suppress_pagination_header"):
            headers["Link"] = _link_header(request, total, offset, limit)
        if not page and version == "v1":
            # §1.1: v1 answers an empty list with 404; v2 and the unversioned API with [].
            error = _not_found()
            return error_envelope(404, error.message, error.detail, headers)
        return _JSONResponse({"result": self._render(request, table, page)}, headers=headers)

    def _listing(self, table: str, query: EncodedQuery) -> list[Row]:
        """The rows of ``table`` that ``query`` selects, in its order (hidden rows included).

        Kept until the store's next write: paging through a large table asks for the same
        listing once per page, and filtering and sorting all of it every time made reading a
        table grow with the square of its size.
        """
        version = self.store.version
        if self._listed_at != version:
            self._listed.clear()
            self._listed_at = version
        key = (table, query)
        rows = self._listed.get(key)
        if rows is None:
            rows = self._rows(table)
            if query.groups:
                rows = [row for row in rows if self._matches(query, row)]
            rows = self._listed[key] = sort_rows(rows, query.order_by, self._value)
        return rows

    def _incoming(self, body: Mapping[str, Any]) -> Row:
        # servicenow.md §1.1: sys_* fields are not writable.
        return {
            k: v if type(v) is str else _to_string(v)
            for k, v in body.items()
            if not k.startswith("sys_")
        }

    async def _insert(self, request: Request, table: str, user: str) -> Response:
        self._check_write_allowed(table, "insert")
        row = self._create(table, await self._record_body(request), user)
        location, body = self._created(
            table, row, _Rendering.of(request), _no_response_body(request.headers)
        )
        headers = {"Location": location}
        if body is None:
            return Response(status_code=201, headers=headers)
        return Response(body, status_code=201, headers=headers, media_type="application/json")

    def _create(self, table: str, body: Mapping[str, Any], user: str) -> Row:
        """Insert the record ``body`` describes (sys fields set here) and return it as stored."""
        wanted = body.get("sys_id")
        sys_id = wanted if isinstance(wanted, str) and _SYS_ID.fullmatch(wanted) else None
        stamp = self._timestamp()
        row: Row = {
            "sys_id": sys_id or uuid.uuid4().hex,
            **self._incoming(body),
            "sys_class_name": table,
            "sys_created_on": stamp,
            "sys_created_by": user,
            "sys_updated_on": stamp,
            "sys_updated_by": user,
            "sys_mod_count": "0",
        }
        try:
            row = self.store.insert(table, row)
        except DuplicateRecord:
            raise _ApiError(
                403, "Operation Failed", "Unique Key violation detected by database"
            ) from None
        return row

    def _created(
        self, table: str, row: Row, rendering: _Rendering, no_body: bool
    ) -> tuple[str, bytes | None]:
        """The ``Location`` of an inserted record and the body answering its insert (a
        JSON-encoded ``{"result": ...}``; ``None`` when the request asked for no body)."""
        location = f"{rendering.base}/api/now/table/{table}/{row['sys_id']}"
        if no_body:
            return location, None
        return location, _encode_json(
            {"result": self._render_as(rendering, table, [row])[0]}
        ).encode()

    async def _update(self, request: Request, table: str, sys_id: str, user: str) -> Response:
        current = self._row(table, sys_id)
        self._check_write_allowed(table, "update")
        table = self._home(table, sys_id) or table
        changes = self._incoming(await self._record_body(request))
        row = {**current, **changes}
        # (inference) Like GlideRecord.update(), a write that changes nothing is not a
        # modification: sys_mod_count and sys_updated_on stay as they are.
        if row != current:
            if not _flag(request, "sysparm_suppress_auto_sys_field"):
                row["sys_updated_on"] = self._timestamp()
                row["sys_updated_by"] = user
                row["sys_mod_count"] = str(int(current.get("sys_mod_count") or 0) + 1)
            row = self.store.update(table, sys_id, row)
        if _no_response_body(request.headers):
            return Response(status_code=200)
        return _JSONResponse({"result": self._render(request, table, [row])[0]})

    # ------------------------------------------------------------------ OAuth

    async def oauth_token(self, request: Request) -> Response:
        """``POST /oauth_token.do`` (servicenow.md §1.8)."""
        if request.method != "POST":
            return JSONResponse({"error": "invalid_request"}, status_code=405)
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        denied = JSONResponse(
            {"error": "access_denied", "error_description": "access_denied"}, status_code=401
        )
        client_id = form.get("client_id", "")
        secret = self.options.oauth_clients.get(client_id)
        if secret is None or not same_secret(secret, form.get("client_secret", "")):
            return denied
        grant = form.get("grant_type")
        if grant == "password":
            user = form.get("username", "")
            if not self.auth.check_password(user, form.get("password", "")):
                return denied
            refresh = self.refresh_tokens.issue(user, ttl_s=_REFRESH_TTL_S, client_id=client_id)
        elif grant == "client_credentials":
            # The real instance acts as the client's configured "OAuth Application User".
            user, refresh = client_id, ""
        elif grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            known = self.refresh_tokens.lookup(refresh)
            if known is None or known.client_id != client_id:
                return denied
            user = known.user
        else:
            return JSONResponse(
                {"error": "unsupported_grant_type", "error_description": f"{grant}"},
                status_code=400,
            )
        ttl = self.options.token_ttl_s
        access = self.tokens.issue(user, ttl_s=ttl, client_id=client_id)
        body: dict[str, Any] = {
            "access_token": access,
            "refresh_token": refresh,
            "scope": "useraccount",
            "token_type": "Bearer",
            "expires_in": int(ttl),
        }
        if not refresh:
            del body["refresh_token"]
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    # ------------------------------------------------------------------ Batch API

    async def batch(self, request: Request) -> Response:
        """``POST /api/now/v1/batch`` (servicenow.md §1.9)."""
        if not self.options.batch_api:
            # An instance without the Batch API (or a user who may not use it) answers like
            # for any URL that names no REST resource (r_RESTAPIHTTPResponseCodes).
            return _unknown_uri(request).response()
        try:
            if request.method != "POST":
                raise _ApiError(405, "Method not Supported", f"{request.method} is not supported")
            self._authenticate(request.headers)
            self._check_accept(request.headers)
            self._check_content_type(request.headers)
            # A batch's body is large: the log's decoding of it serves here too.
            body = logged_json(request.scope)
            if body is NOT_LOGGED:
                body = await self._json_body(request)
            subrequests = body.get("rest_requests") if isinstance(body, dict) else None
            if not isinstance(subrequests, list):
                raise _ApiError(400, "Exception while reading request", "rest_requests missing")
        except _ApiError as error:
            return error.response()
        serviced: list[dict[str, Any]] = []
        unserviced: list[str] = []
        shared = _BatchShared(request)
        # Each sub-request stands on its own (one failing leaves the others), but their writes
        # are committed together before the call answers.
        with self.store.together():
            for index, raw in enumerate(subrequests):
                sub: dict[str, Any] = raw if isinstance(raw, dict) else {}
                sub_id = str(sub.get("id", index))
                if index >= self.options.batch_max_requests:
                    unserviced.append(sub_id)
                    continue
                serviced.append(await self._serve_subrequest(shared, sub_id, sub))
        return _JSONResponse(
            {
                "batch_request_id": body.get("batch_request_id"),
                "serviced_requests": serviced,
                "unserviced_requests": unserviced,
            }
        )

    async def _serve_subrequest(
        self, shared: _BatchShared, sub_id: str, sub: Mapping[str, Any]
    ) -> dict[str, Any]:
        started = time.perf_counter()
        raw_headers = sub.get("headers") or []
        try:
            content = base64.b64decode(str(sub.get("body") or ""), validate=True)
        except binascii.Error:
            status, out_headers, out_body = _subrequest_error(400, "Body is not valid base64")
        else:
            line = shared.line(
                str(sub.get("method", "GET")),
                str(sub.get("url", "")),
                tuple(
                    [
                        (str(h.get("name", "")).lower(), str(h.get("value", "")))
                        for h in raw_headers
                        if isinstance(h, dict)
                    ]
                ),
                bool(content),
            )
            logged = logged_body(content, line.headers.get("content-type"))
            if line.nested:
                status, out_headers, out_body = _subrequest_error(400, "Batch requests nest not")
            else:
                # What the log decoded is the body's JSON unless it came back as text (not
                # JSON, too long or a form): the handler need not decode it again.
                parsed = logged if content and not isinstance(logged, str) else _UNPARSED
                status, out_headers, out_body = await self._dispatch(
                    shared, line.method, line.path, line.query, line.headers, content, parsed
                )
            items = line.query_items
            log_subrequest(
                shared.outer.scope,
                LoggedRequest(line.method, line.path, dict(items), status, None, items, logged),
            )
        item: dict[str, Any] = {
            "id": sub_id,
            "status_code": status,
            "status_text": _PHRASES[status],
            "headers": []
            if sub.get("exclude_response_headers")
            else [{"name": k, "value": v} for k, v in out_headers],
            "body": base64.b64encode(out_body).decode(),
            "execution_time": round((time.perf_counter() - started) * 1000),
        }
        if status >= 400:
            try:
                item["error_message"] = json.loads(out_body)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                item["error_message"] = _PHRASES[status]
        return item

    async def _dispatch(
        self,
        shared: _BatchShared,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        parsed: Any,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Run one Batch sub-request (no faults; the caller logs it); ``parsed`` is the
        body's JSON when the caller decoded it already, else ``_UNPARSED``.

        A request that one of :attr:`table_routes` takes goes straight to its handler, with
        the scope the router would have built, as an :class:`_ItemRequest`; anything else
        goes through the app's router. Both answer alike, since no route the router tries
        before the Table API's (the ``/_sandbox/`` control endpoints, ``/oauth_token.do``, the
        Batch API) takes a path with ``/table/`` in it; a method a route refuses goes through
        the router, which answers 405. Skipping the router and the ASGI messages for the
        thousands of inserts of a large apply keeps a sub-request's cost to what the Table API
        itself does. A plain insert (:class:`_PlainInsert`) goes shorter still.
        """
        target = shared.target(self, method, path, query, headers)
        if target.insert is not None and type(parsed) is dict:
            answer = self._insert_plainly(target.insert, headers, parsed)
            if answer is not None:
                return answer
        if target.routed is None:
            return await _route(shared.outer, dict(target.scope), _receive_once(body))
        item = _ItemRequest(dict(target.routed), body, parsed, headers, shared)
        return _item_answer(await self.table_api(item))

    def _plain_insert(
        self, scope: Scope, headers: Mapping[str, str], shared: _BatchShared
    ) -> _PlainInsert | None:
        """What serves a sub-request with this routed scope and these headers as a plain
        insert, or ``None`` when the Table API handler must: any check of
        :meth:`_table_api` and :meth:`_insert` that does not look at the body or the
        credentials refuses it, or it asks for more than an insert."""
        params = scope["path_params"]
        table = params["table"]
        if (
            scope["method"] != "POST"
            or headers.get("x-http-method-override")
            or params.get("version") not in (None, *_VERSIONS)
            or "sys_id" in params
            or self.spec.checker is not None
            or not _TABLE_NAME.fullmatch(table)
        ):
            return None
        try:
            self._check_accept(headers)
            self._check_write_allowed(table, "insert")
            self._check_content_type(headers)
        except _ApiError:
            return None
        request = _ItemRequest(dict(scope), b"", _UNPARSED, headers, shared)
        return _PlainInsert(table, _Rendering.of(request), _no_response_body(headers))

    def _insert_plainly(
        self, plain: _PlainInsert, headers: Mapping[str, str], body: dict[str, Any]
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """:meth:`_insert` of a plain insert's record, answered as the handler answers it;
        ``None`` when its credentials fail (the handler then answers that)."""
        try:
            user = self._authenticate(headers)
        except _ApiError:
            return None
        try:
            row = self._create(plain.table, body, user)
        except _ApiError as error:
            return _item_answer(error.response())
        location, out = self._created(plain.table, row, plain.rendering, plain.no_body)
        # The headers Starlette gives Response(out, 201, {"Location": ...}, media_type).
        if out is None:
            return 201, [("location", location), ("content-length", "0")], b""
        return (
            201,
            [
                ("location", location),
                ("content-length", str(len(out))),
                ("content-type", "application/json"),
            ],
            out,
        )

    # ------------------------------------------------------------------ fallback

    async def unknown_uri(self, request: Request) -> Response:
        """Anything else."""
        return _unknown_uri(request).response()


def _unknown_uri(request: Request) -> _ApiError:
    return _ApiError(400, "Requested URI does not represent any resource", None)


def _int_param(request: Request, name: str, default: int, *, minimum: int) -> int:
    raw = _param(request, name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise _ApiError(400, f"Invalid {name}", f"{name} must be an integer >= {minimum}")
    return value


def _link_header(request: Request, total: int, offset: int, limit: int) -> str:
    """RFC 5988 ``Link`` with first/prev/next/last (servicenow.md §1.5)."""

    def url(at: int) -> str:
        return str(request.url.include_query_params(sysparm_limit=limit, sysparm_offset=at))

    links = [(0, "first")]
    if offset > 0:
        links.append((max(offset - limit, 0), "prev"))
    if offset + limit < total:
        links.append((offset + limit, "next"))
    links.append((max(total - 1, 0) // limit * limit, "last"))
    return ",".join(f'<{url(at)}>;rel="{rel}"' for at, rel in links)


def _subrequest_error(status: int, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps({"error": {"message": message, "detail": None}, "status": "failure"})
    return status, [("content-type", "application/json")], body.encode()


#: A body the batch did not decode (see :meth:`_ItemRequest.json`).
_UNPARSED: Any = object()


def _item_answer(response: Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """A handler's response as a Batch API item reports it: status, headers, body."""
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
    return response.status_code, headers, bytes(response.body)


@dataclass(frozen=True)
class _ItemLine:
    """A Batch API item's method, URL and headers as it is served: names lowercased, and the
    ``Accept``, ``Content-Type`` (with a body) and ``Authorization`` it goes without taken
    from the batch, unless it is a nested batch; ``query_items`` is its query as logged."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    nested: bool
    query_items: QueryItems


@dataclass(frozen=True)
class _PlainInsert:
    """An insert into ``table`` that every check not looking at its body or credentials
    passes (see :meth:`_Emulator._plain_insert`), and how its answer renders the record."""

    table: str
    rendering: _Rendering
    no_body: bool


@dataclass(frozen=True)
class _Target:
    """Where a Batch API item goes: ``scope`` is its ASGI scope, ``routed`` that scope as
    the Table API route that takes it completes it (``None``: the router serves it) and
    ``insert`` says it is a plain insert."""

    scope: dict[str, Any]
    routed: dict[str, Any] | None
    insert: _PlainInsert | None


class _BatchShared:
    """What the items of one Batch API call share: the batch's request, and what follows
    from the request lines, headers, query strings and base URLs its items have in common,
    each worked out once per batch (the items of an apply's batch differ in their bodies).
    """

    def __init__(self, outer: Request) -> None:
        self.outer = outer
        #: The batch's scope without what routing added to it, nor the batch's logged body.
        self.scope = {
            k: v for k, v in outer.scope.items() if k not in ("path_params", "endpoint", "route")
        }
        extensions = self.scope.get("extensions")
        if extensions and LOGGED_BODY_EXTENSION in extensions:
            self.scope["extensions"] = {
                k: v for k, v in extensions.items() if k != LOGGED_BODY_EXTENSION
            }
        #: The batch's Authorization header, which an item without its own is sent with.
        self.authorization = outer.headers.get("authorization")
        self._queries: dict[bytes, QueryParams] = {}
        self._query_items: dict[str, QueryItems] = {}
        self._base_urls: dict[str | None, URL] = {}
        self._lines: dict[tuple[str, str, tuple[tuple[str, str], ...], bool], _ItemLine] = {}
        self._targets: dict[tuple[str, str, str, tuple[tuple[str, str], ...]], _Target] = {}

    def line(
        self, method: str, url: str, headers: tuple[tuple[str, str], ...], has_body: bool
    ) -> _ItemLine:
        """An item's :class:`_ItemLine` from its method, URL, ``(lowercased name, value)``
        headers and whether it has a body."""
        key = (method, url, headers, has_body)
        line = self._lines.get(key)
        if line is None:
            split = urlsplit(url)
            served = dict(headers)
            nested = split.path.rstrip("/").endswith("/batch")
            if not nested:
                served.setdefault("accept", "application/json")
                if has_body:
                    served.setdefault("content-type", "application/json")
                if self.authorization is not None:
                    served.setdefault("authorization", self.authorization)
            items = self.query_items(split.query)
            line = _ItemLine(method.upper(), split.path, split.query, served, nested, items)
            self._lines[key] = line
        return line

    def target(
        self,
        emulator: _Emulator,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
    ) -> _Target:
        """Where an item with this request line and these headers goes."""
        key = (method, path, query, tuple(headers.items()))
        target = self._targets.get(key)
        if target is None:
            scope = _subrequest_scope(self, method, path, query, headers)
            routed = None
            for route in emulator.table_routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    routed = {**scope, **child_scope}
                    break
                if match is Match.PARTIAL:
                    break
            insert = None if routed is None else emulator._plain_insert(routed, headers, self)
            target = self._targets[key] = _Target(scope, routed, insert)
        return target

    def query_params(self, query_string: bytes) -> QueryParams:
        params = self._queries.get(query_string)
        if params is None:
            params = self._queries[query_string] = QueryParams(query_string)
        return params

    def query_items(self, query_string: str) -> QueryItems:
        items = self._query_items.get(query_string)
        if items is None:
            items = self._query_items[query_string] = query_items(query_string)
        return items

    def base_url(self, request: Request) -> URL:
        # Within a batch an item's base URL depends only on its Host header: the rest of its
        # scope (scheme, server, root path) is the batch's.
        host = request.headers.get("host")
        url = self._base_urls.get(host)
        if url is None:
            url = self._base_urls[host] = Request(request.scope).base_url
        return url


class _ItemHeaders(Headers):
    """An item's headers (names lowercased, one value each) with lookups by dict."""

    def __init__(self, values: Mapping[str, str], raw: list[tuple[bytes, bytes]]) -> None:
        super().__init__(raw=raw)
        self._values = values

    def __getitem__(self, key: str) -> str:
        return self._values[key.lower()]

    def __contains__(self, key: Any) -> bool:
        return isinstance(key, str) and key.lower() in self._values

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key.lower(), default)


class _ItemRequest(Request):
    """A Batch API item as the Table API handler reads it: the request the router would build,
    with its headers looked up by dict, its body at hand and what it shares with the other
    items of the batch (query string, base URL) parsed once (:class:`_BatchShared`)."""

    def __init__(
        self,
        scope: Scope,
        body: bytes,
        parsed: Any,
        headers: Mapping[str, str],
        shared: _BatchShared,
    ) -> None:
        super().__init__(scope)
        self._item_body = body
        self._parsed = parsed
        self._item_headers = _ItemHeaders(headers, scope["headers"])
        self._shared = shared

    async def body(self) -> bytes:
        return self._item_body

    async def json(self) -> Any:
        # The batch decoded the body for the log already (handlers do not change it).
        return await super().json() if self._parsed is _UNPARSED else self._parsed

    @property
    def headers(self) -> Headers:
        return self._item_headers

    @property
    def query_params(self) -> QueryParams:
        return self._shared.query_params(self.scope["query_string"])

    @property
    def base_url(self) -> URL:
        return self._shared.base_url(self)


def _subrequest_scope(
    shared: _BatchShared, method: str, path: str, query: str, headers: Mapping[str, str]
) -> dict[str, Any]:
    """The ASGI scope of a Batch sub-request: the batch's, with the item's request line."""
    return {
        **shared.scope,
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
    }


def _receive_once(body: bytes) -> Callable[[], Awaitable[Message]]:
    """An ASGI ``receive`` handing over ``body`` in one message, then a disconnect."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _route(
    outer: Request, scope: dict[str, Any], receive: Callable[[], Awaitable[Message]]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run one Batch sub-request through the app's router."""
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    await outer.app.router(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    out_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], out_headers, content


def create_app(
    *,
    db_path: str | Path | None = None,
    faults: FaultConfig = FaultConfig(),  # noqa: B008 (frozen, so a shared default is safe)
    users: Mapping[str, str] = DEFAULT_USERS,
    spec_path: Path | None = None,
    now: Callable[[], datetime] | None = None,
    oauth_clients: Mapping[str, str] = DEFAULT_OAUTH_CLIENTS,
    token_ttl_s: float = 1800,
    extra_tables: Iterable[str] = (),
    read_only_tables: Collection[str] = (),
    forbidden_writes: Collection[tuple[str, str]] = (),
    hidden_rows: Mapping[str, str] | None = None,
    batch_max_requests: int = 100,
    batch_api: bool = True,
    baseline: bool = True,
) -> Starlette:
    """Build a ServiceNow emulator app.

    ``db_path``: SQLite file holding the records (``None``: in memory). ``faults``: latency,
    429/503 and dropped responses. ``users``: basic-auth users (default ``admin``/``admin``).
    ``spec_path``: an OpenAPI export of the Table API; when given, every Table API request is
    checked against it and a violation is recorded in ``app.state.spec_violations`` and
    answered 400. ``now``: the clock for sys fields and token expiry (default: UTC now).
    ``oauth_clients``: client id → secret for ``/oauth_token.do`` (default ``usm-config``/
    ``sandbox-secret``); access tokens live ``token_ttl_s``. ``extra_tables``: tables that
    exist from the start besides :data:`DEFAULT_TABLES`. ``read_only_tables``: writes answer
    403; ``forbidden_writes``: ``(table, "insert"|"update"|"delete")`` pairs answering 403.
    ``hidden_rows``: table → encoded query of rows an ACL hides: they count in
    ``X-Total-Count`` and take their place in a page (so pages come back short) but are never
    returned. ``batch_max_requests``: sub-requests beyond it come back as unserviced ids.
    ``batch_api=False`` answers the Batch API like an instance without it: 400 "Requested URI
    does not represent any resource". ``baseline`` seeds a fresh store with the out-of-box
    records of :mod:`.sandbox_baseline`; ``False`` starts it empty.
    """
    tree = TableTree.from_baseline()
    store = RecordStore(
        db_path,
        tables=dict.fromkeys([*DEFAULT_TABLES, *sorted(tree.tables()), *extra_tables]),
        seed=seed if baseline else None,
    )
    spec = SpecGuard(
        OpenApiRequestChecker.from_file(
            spec_path,
            # The export omits sysparm_offset on GET list, though the API documents it (§1.2).
            extra_params={f"GET {_TABLE_TEMPLATE}": {"sysparm_offset"}},
        )
        if spec_path is not None
        else None
    )
    options = _Options(
        oauth_clients=dict(oauth_clients),
        token_ttl_s=token_ttl_s,
        read_only_tables=frozenset(read_only_tables),
        forbidden_writes=frozenset(forbidden_writes),
        hidden_rows={t: parse_query(q) for t, q in (hidden_rows or {}).items()},
        batch_max_requests=batch_max_requests,
        batch_api=batch_api,
    )
    emulator = _Emulator(
        store, options, dict(users), spec, now or (lambda: datetime.now(UTC)), tree
    )

    def route(path: str, endpoint: Callable[[Request], Awaitable[Response]]) -> Route:
        return Route(path, endpoint, methods=_ALL_METHODS)

    routes = [
        route("/oauth_token.do", emulator.oauth_token),
        route("/api/now/v1/batch", emulator.batch),
        *emulator.table_routes,
        route("/{path:path}", emulator.unknown_uri),
    ]
    return build_emulator_app(routes, store=store, error_body=_fault_body, faults=faults, spec=spec)
