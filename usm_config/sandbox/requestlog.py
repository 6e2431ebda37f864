"""A thread-safe record of the requests an emulator answered, for tests and benchmarks.

An entry holds the full query (repeated parameters kept, in order) and the request body as
sent (decoded JSON, or text; bounded by :data:`MAX_LOGGED_BODY`). Requests that an API runs
inside one HTTP request (ServiceNow's Batch API) are entries of their own in the
``subrequests`` of that request's entry: the log counts HTTP requests, and
``entries(expand=True)`` lists every request the emulator served.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "LOGGED_BODY_EXTENSION",
    "MAX_LOGGED_BODY",
    "NOT_LOGGED",
    "SUBREQUESTS_EXTENSION",
    "LoggedRequest",
    "QueryItems",
    "RequestLog",
    "log_subrequest",
    "logged_body",
    "logged_json",
    "query_items",
]

#: Bodies longer than this many bytes are logged as their first bytes plus a marker.
MAX_LOGGED_BODY = 64 * 1024
_FORM = "application/x-www-form-urlencoded"
_SECRET_FIELD = re.compile(r"password|secret|token|assertion", re.IGNORECASE)

#: A query as sent: ``(name, value)`` pairs in order, repeated names kept.
QueryItems = tuple[tuple[str, str], ...]


class LoggedRequest(NamedTuple):
    """One request as the emulator saw it.

    ``query`` maps each parameter to its last value; ``query_items`` is the full query.
    ``body`` is the decoded JSON body, the text of any other body (form fields whose name
    says password, secret or token are masked), or ``None`` when there was none. ``status`` is
    the status the client was sent (or, for a dropped response, the status the app produced
    before the response was lost). ``injected_fault`` names the fault knob that fired
    (``"rate_429"``, ``"rate_5xx"``, ``"drop_after_commit"``) or is ``None``.
    ``subrequests`` are the requests served inside this one (a batch's items).
    """

    method: str
    path: str
    query: dict[str, str]
    status: int
    injected_fault: str | None = None
    query_items: QueryItems = ()
    body: Any = None
    subrequests: tuple[LoggedRequest, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON-ready dict (``query_items`` as ``[name, value]`` lists)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "query_items": [list(item) for item in self.query_items],
            "body": self.body,
            "status": self.status,
            "injected_fault": self.injected_fault,
            "subrequests": [sub.to_json() for sub in self.subrequests],
        }


def query_items(query_string: str | bytes) -> QueryItems:
    """The ``(name, value)`` pairs of a raw query string, blank values and repeats kept."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    return tuple(parse_qsl(query_string, keep_blank_values=True))


def logged_body(raw: bytes, content_type: str | None = None) -> Any:
    """What the log keeps of a request body: JSON decoded, else text, at most bounded."""
    if not raw:
        return None
    if len(raw) > MAX_LOGGED_BODY:
        text = raw[:MAX_LOGGED_BODY].decode("utf-8", "replace")
        return f"{text}…[{len(raw) - MAX_LOGGED_BODY} more bytes]"
    media = (content_type or "").split(";")[0].strip().lower()
    if media == _FORM:
        fields = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return urlencode([(k, "***" if _SECRET_FIELD.search(k) else v) for k, v in fields])
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace")


class RequestLog:
    """Append-only list of :class:`LoggedRequest`, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def record(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | Iterable[tuple[str, str]],
        status: int,
        injected_fault: str | None = None,
        *,
        body: Any = None,
        subrequests: Iterable[LoggedRequest] = (),
    ) -> None:
        """Record one request from its parts; ``query`` is a mapping or the full pairs."""
        items: QueryItems = tuple(query.items() if isinstance(query, Mapping) else query)
        self.append(
            LoggedRequest(
                method, path, dict(items), status, injected_fault, items, body, tuple(subrequests)
            )
        )

    def entries(self, *, expand: bool = False) -> list[LoggedRequest]:
        """A copy of every entry so far, oldest first; ``expand`` puts sub-requests after
        the request that carried them."""
        with self._lock:
            entries = list(self._entries)
        return list(_expand(entries)) if expand else entries

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def count(
        self,
        *,
        method: str | None = None,
        path_prefix: str = "",
        status: int | None = None,
        injected_fault: str | None = None,
        expand: bool = False,
    ) -> int:
        """Number of entries matching every given criterion (``expand``: as in entries)."""
        return sum(
            1
            for entry in self.entries(expand=expand)
            if (method is None or entry.method == method.upper())
            and entry.path.startswith(path_prefix)
            and (status is None or entry.status == status)
            and (injected_fault is None or entry.injected_fault == injected_fault)
        )

    def to_json(self) -> list[dict[str, Any]]:
        """The entries as JSON-ready dicts."""
        return [entry.to_json() for entry in self.entries()]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.entries())


def _expand(entries: Iterable[LoggedRequest]) -> Iterator[LoggedRequest]:
    for entry in entries:
        yield entry
        yield from _expand(entry.subrequests)


#: ASGI scope extension holding the list that collects the sub-requests of a request.
SUBREQUESTS_EXTENSION = "usm_config.sandbox.subrequests"


def log_subrequest(scope: Mapping[str, Any], entry: LoggedRequest) -> None:
    """Log ``entry`` as a sub-request of the request of ``scope`` (e.g. a Batch API item).

    It lands in that request's ``subrequests`` once the request is logged; outside a logged
    request (a control endpoint, or no request log) it is dropped.
    """
    collected = (scope.get("extensions") or {}).get(SUBREQUESTS_EXTENSION)
    if isinstance(collected, list):
        collected.append(entry)


#: ASGI scope extension holding what the log keeps of the request's body
#: (:func:`logged_body`), decoded once for the log and for the handler (:func:`logged_json`).
#: It describes that request alone: a sub-request's scope must not carry it over.
LOGGED_BODY_EXTENSION = "usm_config.sandbox.logged_body"

#: What :func:`logged_json` gives when the log holds no JSON of the body.
NOT_LOGGED: Any = object()


def logged_json(scope: Mapping[str, Any]) -> Any:
    """The request body's JSON as the log decoded it, or :data:`NOT_LOGGED` when the log holds
    none: no request log, no body, or a body it keeps as text (not JSON, a form, longer than
    :data:`MAX_LOGGED_BODY`) and ``null`` or a string, which a handler must decode itself to
    tell from those. The value is the log's: a handler must not change it.
    """
    logged = (scope.get("extensions") or {}).get(LOGGED_BODY_EXTENSION)
    return NOT_LOGGED if logged is None or isinstance(logged, str) else logged
