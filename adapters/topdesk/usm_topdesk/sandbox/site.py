"""The state of one emulated TOPdesk tenant, over the emulator kit's record store.

Rows are kept in the vendor's JSON shape, as a GET answers them. Keys starting with ``_`` are
the emulator's own bookkeeping (a person's or operator's archiving reason, a knowledge item's
translations) and are never rendered. Ids are UUIDs, as TOPdesk gives every card.

Route modules declare :class:`Endpoint` lists; a handler receives the request and the
:class:`Site` and raises a :class:`usm_topdesk.sandbox.errors.TopdeskError` to answer an error.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_config.sandbox.clock import in_utc
from usm_config.sandbox.store import RecordStore, Row

__all__ = [
    "ARCHIVING_REASON",
    "BRANCH",
    "CALL_TYPE",
    "CATEGORY",
    "CHANGE_STATUS",
    "CHANGE_TEMPLATE",
    "CLOSURE_CODE",
    "DEESCALATION_REASON",
    "DEPARTMENT",
    "DURATION",
    "ENTRY_TYPE",
    "ESCALATION_REASON",
    "IMPACT",
    "JSON",
    "KB_FOLDER",
    "KB_ITEM",
    "KB_STATUS",
    "OPERATIONS_TYPE",
    "OPERATOR",
    "OPERATOR_FREE_FIELD",
    "OPERATOR_GROUP",
    "PERSON",
    "PRIORITY",
    "PROCESSING_STATUS",
    "SERVICE",
    "SERVICE_WINDOW",
    "SLA",
    "TABLES",
    "TIMESPENT_REASON",
    "URGENCY",
    "Endpoint",
    "Handler",
    "Row",
    "Site",
    "public",
]

OPERATOR = "operator"
OPERATOR_GROUP = "operatorgroup"
PERSON = "person"
BRANCH = "branch"
DEPARTMENT = "department"
SERVICE = "service"
#: SLA services: one row per contract × service × service level (incident 4.2.6 SlaService).
SLA = "sla"
#: Categories and subcategories: one tree, a subcategory has a ``parent``.
CATEGORY = "category"
CALL_TYPE = "call_type"
ENTRY_TYPE = "entry_type"
IMPACT = "impact"
URGENCY = "urgency"
PRIORITY = "priority"
DURATION = "duration"
PROCESSING_STATUS = "processing_status"
CLOSURE_CODE = "closure_code"
ESCALATION_REASON = "escalation_reason"
DEESCALATION_REASON = "deescalation_reason"
ARCHIVING_REASON = "archiving_reason"
TIMESPENT_REASON = "timespent_reason"
SERVICE_WINDOW = "service_window"
CHANGE_TEMPLATE = "change_template"
CHANGE_STATUS = "change_status"
OPERATIONS_TYPE = "operations_type"
KB_FOLDER = "kb_folder"
KB_ITEM = "kb_item"
KB_STATUS = "kb_status"
#: Optional drop-down list entries of operators; rows carry ``_tab`` and ``_searchlist``.
OPERATOR_FREE_FIELD = "operator_free_field"

#: Every table of a tenant, in the order a fresh tenant creates them.
TABLES = (
    BRANCH,
    DEPARTMENT,
    PERSON,
    OPERATOR,
    OPERATOR_GROUP,
    SERVICE,
    SLA,
    CATEGORY,
    CALL_TYPE,
    ENTRY_TYPE,
    IMPACT,
    URGENCY,
    DURATION,
    PRIORITY,
    PROCESSING_STATUS,
    CLOSURE_CODE,
    ESCALATION_REASON,
    DEESCALATION_REASON,
    ARCHIVING_REASON,
    TIMESPENT_REASON,
    SERVICE_WINDOW,
    CHANGE_TEMPLATE,
    CHANGE_STATUS,
    OPERATIONS_TYPE,
    KB_FOLDER,
    KB_ITEM,
    KB_STATUS,
    OPERATOR_FREE_FIELD,
)

#: The media type nearly every TOPdesk endpoint produces and consumes.
JSON = "application/json"


def public(row: Row) -> Row:
    """``row`` without the emulator's ``_``-prefixed bookkeeping keys."""
    return {key: value for key, value in row.items() if not key.startswith("_")}


class Site:
    """One tenant's records, clock and name lookups."""

    def __init__(self, store: RecordStore, *, now: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self._now = now or (lambda: datetime.now(UTC))
        #: Serialises check-then-write sequences (a name check and the insert after it).
        self.lock = threading.RLock()

    # ------------------------------------------------------------------ time

    def now(self) -> datetime:
        """The tenant's clock, in UTC."""
        return in_utc(self._now())

    def timestamp(self) -> str:
        """Now as TOPdesk writes it: ``2025-01-31T12:00:00.000+0000``."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    # ------------------------------------------------------------------ rows

    def get(self, table: str, row_id: str) -> Row | None:
        """One row by id, or ``None``; ids compare case-insensitively, as UUIDs do."""
        return self.store.get(table, row_id) or self.store.get(table, row_id.lower())

    def rows(self, table: str) -> list[Row]:
        """Every row of ``table`` in creation order."""
        return self.store.rows(table)

    def named(self, table: str, name: str, field: str = "name") -> Row | None:
        """The first row whose ``field`` equals ``name``, ignoring case (TOPdesk's uniqueness
        checks are case-insensitive)."""
        wanted = name.casefold()
        return next(
            (
                row
                for row in self.rows(table)
                if isinstance(row.get(field), str) and row[field].casefold() == wanted
            ),
            None,
        )

    def insert(self, table: str, row: Row) -> Row:
        """Add ``row`` under a new UUID (or its own ``id``) and return it as stored."""
        row_id = str(row.get("id") or uuid.uuid4())
        return self.store.insert(table, {**row, "id": row_id}, row_id)

    def replace(self, table: str, row: Row) -> Row:
        """Store ``row`` as the new version of the row with its ``id``."""
        return self.store.update(table, str(row["id"]), row)

    def merge(self, table: str, row_id: str, changes: dict[str, Any]) -> Row:
        """Set the fields in ``changes`` on one row."""
        return self.store.merge(table, row_id, changes)

    def delete(self, table: str, row_id: str) -> bool:
        """Delete one row; ``False`` if it did not exist."""
        return self.store.delete(table, row_id)

    def insert_all(self, table: str, rows: Iterable[Row]) -> None:
        """Insert several rows (the baseline)."""
        for row in rows:
            self.insert(table, dict(row))

    # ------------------------------------------------------------------ people

    def operator_by_login(self, login: str) -> Row | None:
        """The operator whose ``loginName`` is ``login``."""
        return self.named(OPERATOR, login, field="loginName")

    def ref(self, row: Row | None, name_field: str = "name") -> dict[str, Any] | None:
        """``{id, name}`` of a row, as TOPdesk nests a linked card; ``None`` stays ``None``."""
        if row is None:
            return None
        return {"id": row["id"], "name": row.get(name_field)}


#: A route handler: the request and the site in, a response out.
Handler = Callable[[Request, Site], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """One route: a path under the app root, its methods, its handler, what it produces.

    ``produces`` are the media types the endpoint answers in, the first being the default; an
    ``Accept`` header naming none of them (nor a wildcard) is answered 406. ``module`` names
    the licensed TOPdesk module the endpoint belongs to (see ``create_app(unlicensed=...)``).
    """

    path: str
    methods: tuple[str, ...]
    handler: Handler
    produces: tuple[str, ...] = (JSON,)
    module: str = "core"
