"""The state of one emulated Jira Cloud site, over the emulator kit's record store.

Rows are kept in the vendor's JSON shape, as a GET returns them but without ``self`` links
(those are rendered per request from the base URL). Keys starting with ``_`` are the
emulator's own bookkeeping (a project's schemes and issue count, a task's poll count) and are
never rendered.

Route modules declare :class:`Endpoint` lists; a handler receives the request and the
:class:`Site` and raises :class:`usm_jsm.sandbox.errors.JiraApiError` or
:class:`~usm_jsm.sandbox.errors.JsmApiError` to answer an error.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_config.sandbox.clock import in_utc
from usm_config.sandbox.store import RecordStore, Row
from usm_jsm.sandbox.errors import JiraApiError

__all__ = [
    "COMPONENT",
    "FIELD",
    "FIELD_CONTEXT",
    "FIELD_OPTION",
    "GROUP",
    "ISSUE_TYPE",
    "ISSUE_TYPE_SCHEME",
    "PRIORITY",
    "PROJECT",
    "QUEUE",
    "REQUEST_TYPE",
    "REQUEST_TYPE_GROUP",
    "SERVICE_DESK",
    "STATUS",
    "STATUS_CATEGORY",
    "TABLES",
    "TASK",
    "USER",
    "WORKFLOW",
    "WORKFLOW_SCHEME",
    "Endpoint",
    "Handler",
    "Row",
    "Site",
    "merged",
    "public",
    "require",
]

STATUS = "status"
STATUS_CATEGORY = "statuscategory"
ISSUE_TYPE = "issuetype"
ISSUE_TYPE_SCHEME = "issuetypescheme"
WORKFLOW = "workflow"
WORKFLOW_SCHEME = "workflowscheme"
FIELD = "field"
FIELD_CONTEXT = "field_context"
FIELD_OPTION = "field_option"
PRIORITY = "priority"
PROJECT = "project"
COMPONENT = "component"
GROUP = "group"
USER = "user"
TASK = "task"
SERVICE_DESK = "servicedesk"
REQUEST_TYPE = "requesttype"
REQUEST_TYPE_GROUP = "requesttypegroup"
QUEUE = "queue"

#: Every table of a site, in the order a fresh site creates them.
TABLES = (
    STATUS_CATEGORY,
    STATUS,
    ISSUE_TYPE,
    ISSUE_TYPE_SCHEME,
    WORKFLOW,
    WORKFLOW_SCHEME,
    FIELD,
    FIELD_CONTEXT,
    FIELD_OPTION,
    PRIORITY,
    PROJECT,
    COMPONENT,
    GROUP,
    USER,
    TASK,
    SERVICE_DESK,
    REQUEST_TYPE,
    REQUEST_TYPE_GROUP,
    QUEUE,
)


def public(row: Row) -> Row:
    """``row`` without the emulator's ``_``-prefixed bookkeeping keys."""
    return {key: value for key, value in row.items() if not key.startswith("_")}


@dataclass
class _Index:
    """The ids of a table's rows by a key of theirs, as they were at ``version`` of the store."""

    version: int
    ids: dict[Hashable, set[str]] = field(default_factory=dict)

    def add(self, key: Hashable, row_id: str) -> None:
        self.ids.setdefault(key, set()).add(row_id)

    def discard(self, key: Hashable, row_id: str) -> None:
        found = self.ids.get(key)
        if found is not None:
            found.discard(row_id)


def _account_id(email: str) -> str:
    # Cloud account ids of this form: "<6-digit org prefix>:<uuid>".
    return f"712020:{uuid.uuid5(uuid.NAMESPACE_URL, 'mailto:' + email.lower())}"


class Site:
    """One site's records, id generation, lookups, async tasks and lock conflicts.

    ``lock_conflict_rate`` is the probability that a workflow, status or scheme write is
    refused with 409 "Failed to acquire lock" (drawn from a random sequence seeded with
    ``seed``).
    """

    def __init__(
        self,
        store: RecordStore,
        *,
        now: Callable[[], datetime] | None = None,
        lock_conflict_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        if not 0 <= lock_conflict_rate <= 1:
            raise ValueError(f"lock_conflict_rate must be in [0, 1], not {lock_conflict_rate}")
        self.store = store
        self._now = now or (lambda: datetime.now(UTC))
        self.lock_conflict_rate = lock_conflict_rate
        self._random = random.Random(seed)
        self._lock = threading.RLock()
        self._indexes: dict[tuple[str, Callable[[Row], Hashable]], _Index] = {}

    # ------------------------------------------------------------------ time

    def now(self) -> datetime:
        """The site's clock, in UTC."""
        return in_utc(self._now())

    def timestamp(self) -> str:
        """Now as Jira writes it: ``2025-01-31T12:00:00.000+0000``."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.") + "000+0000"

    def millis(self) -> int:
        """Now in epoch milliseconds."""
        return int(self.now().timestamp() * 1000)

    # ------------------------------------------------------------------ rows

    def get(self, table: str, row_id: str | int) -> Row | None:
        """One row by id, or ``None``."""
        return self.store.get(table, str(row_id))

    def rows(self, table: str) -> list[Row]:
        """Every row of ``table`` in creation order."""
        return self.store.rows(table)

    def find(self, table: str, **match: Any) -> Row | None:
        """The first row whose fields equal ``match`` (strings compared case-insensitively)."""

        def same(left: Any, right: Any) -> bool:
            if isinstance(left, str) and isinstance(right, str):
                return left.casefold() == right.casefold()
            return bool(left == right)

        return next(
            (row for row in self.rows(table) if all(same(row.get(k), v) for k, v in match.items())),
            None,
        )

    def name_taken(self, table: str, name: object, other_than: str | None = None) -> bool:
        """Whether a row of ``table`` other than ``other_than`` is called ``name`` (Jira
        compares names case-insensitively)."""
        clash = self.find(table, name=name)
        return clash is not None and clash["id"] != other_than

    def ids_by(self, table: str, key: Callable[[Row], Hashable], value: Hashable) -> set[str]:
        """The ids of the rows of ``table`` whose ``key(row)`` is ``value``.

        Jira finds a name among thousands of components through an index; so does the
        emulator, or each create would scan every row. The index (one per table and ``key``
        function) is rebuilt when the store changed other than through this site's writes.
        """
        with self._lock:
            index = self._indexes.get((table, key))
            if index is None or index.version != self.store.version:
                index = _Index(self.store.version)
                for row in self.rows(table):
                    index.add(key(row), str(row["id"]))
                self._indexes[(table, key)] = index
            return set(index.ids.get(value, ()))

    def insert(self, table: str, row: Row, row_id: str | None = None) -> Row:
        """Add ``row`` keyed by ``row_id``, else its ``id``, else the next numeric id."""
        with self._lock:
            current = self._current_indexes(table)
            stored = self.store.insert(table, row, row_id)
            self._follow(current, None, stored)
            return stored

    def replace(self, table: str, row: Row, row_id: str | None = None) -> Row:
        """Store ``row`` as the new version of the row ``row_id`` (default: its ``id``)."""
        target = str(row["id"] if row_id is None else row_id)
        with self._lock:
            current = self._current_indexes(table)
            before = self.store.get(table, target) if current else None
            stored = self.store.update(table, target, row)
            self._follow(current, before, stored)
            return stored

    def delete(self, table: str, row_id: str | int) -> bool:
        """Delete one row; ``False`` if it did not exist."""
        with self._lock:
            current = self._current_indexes(table)
            before = self.store.get(table, str(row_id)) if current else None
            deleted = self.store.delete(table, str(row_id))
            self._follow(current, before, None)
            return deleted

    def _current_indexes(self, table: str) -> list[tuple[Callable[[Row], Hashable], _Index]]:
        """The indexes of ``table`` that hold the rows as they are now."""
        version = self.store.version
        return [
            (key, index)
            for (name, key), index in self._indexes.items()
            if name == table and index.version == version
        ]

    def _follow(
        self,
        indexes: list[tuple[Callable[[Row], Hashable], _Index]],
        before: Row | None,
        after: Row | None,
    ) -> None:
        """Bring ``indexes`` (current before a write) up to date with the write."""
        for key, index in indexes:
            if before is not None:
                index.discard(key(before), str(before["id"]))
            if after is not None:
                index.add(key(after), str(after["id"]))
            index.version = self.store.version

    def new_id(self, table: str) -> str:
        """The next numeric id of ``table`` (``"10000"``, ``"10001"``, …)."""
        return self.store.next_id(table)

    @staticmethod
    def new_uuid() -> str:
        """A fresh UUID, as Jira gives workflows, versions and groups."""
        return str(uuid.uuid4())

    # ------------------------------------------------------------------ lookups

    def status(self, id_or_name: str) -> Row | None:
        """A status by id, else by name."""
        return self.get(STATUS, id_or_name) or self.find(STATUS, name=id_or_name)

    def project(self, id_or_key: str | int) -> Row | None:
        """A project by id, else by key (case-insensitive, as Jira resolves keys)."""
        return self.get(PROJECT, id_or_key) or self.find(PROJECT, key=str(id_or_key))

    def user(self, account_id: str) -> Row | None:
        """A user by account id."""
        return self.get(USER, account_id)

    def user_by_email(self, email: str) -> Row | None:
        """A user by e-mail address."""
        return self.find(USER, emailAddress=email)

    def ensure_users(self, emails: Iterable[str]) -> None:
        """Create an active Atlassian account for each e-mail that has none yet (and whose
        account id, made from the address, is not taken by an account whose address changed)."""
        for email in emails:
            if self.user_by_email(email) is None and self.user(_account_id(email)) is None:
                name = email.split("@")[0].replace(".", " ").title()
                self.insert(
                    USER,
                    {
                        "accountId": _account_id(email),
                        "accountType": "atlassian",
                        "emailAddress": email,
                        "displayName": name,
                        "active": True,
                        "timeZone": "Etc/UTC",
                        "locale": "en_US",
                    },
                    row_id=_account_id(email),
                )

    # ------------------------------------------------------------------ tasks

    def start_task(self, description: str, submitted_by: str = "", result: Any = None) -> Row:
        """Record an async task; :meth:`poll_task` moves it ENQUEUED → RUNNING → COMPLETE."""
        now = self.millis()
        return self.insert(
            TASK,
            {
                "description": description,
                "status": "ENQUEUED",
                "progress": 0,
                "submitted": now,
                "submittedBy": submitted_by,
                "elapsedRuntime": 0,
                "lastUpdate": now,
                "_result": result,
                "_polls": 0,
            },
        )

    #: Status and progress a task shows on its first, second and later polls.
    TASK_STAGES = (("ENQUEUED", 0), ("RUNNING", 50), ("COMPLETE", 100))

    def poll_task(self, task_id: str) -> Row | None:
        """The task as one more poll sees it, advancing it one stage."""
        with self._lock:
            task = self.get(TASK, task_id)
            if task is None:
                return None
            polls = int(task["_polls"])
            status, progress = self.TASK_STAGES[min(polls, len(self.TASK_STAGES) - 1)]
            now = self.millis()
            task = {**task, "status": status, "progress": progress, "_polls": polls + 1}
            task["lastUpdate"] = now
            task["elapsedRuntime"] = now - int(task["submitted"])
            if status != "ENQUEUED":
                task.setdefault("started", task["submitted"])
            if status == "COMPLETE":
                task.setdefault("finished", now)
                task["message"] = "Task completed"
                if task.get("_result") is not None:
                    task["result"] = task["_result"]
            return self.replace(TASK, task)

    # ------------------------------------------------------------------ conflicts

    def check_lock(self) -> None:
        """Refuse a workflow, status or scheme write at ``lock_conflict_rate`` (jira.md §1.2)."""
        with self._lock:
            refused = self._random.random() < self.lock_conflict_rate
        if refused:
            raise JiraApiError(409, ["Failed to acquire lock"])


#: A route handler: the request and the site in, a response out.
Handler = Callable[[Request, Site], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """One route: a path under the app root, its methods and its handler.

    Platform routes under ``/rest/api/3`` are served under ``/rest/api/2`` too, as on Cloud
    (the ``jira`` package and atlassian-python-api use version 2).
    """

    path: str
    methods: tuple[str, ...]
    handler: Handler


def require(row: Row | None, message: str) -> Row:
    """``row``, or a 404 ErrorCollection with ``message``."""
    if row is None:
        raise JiraApiError(404, [message])
    return row


def merged(row: Row, changes: Mapping[str, Any]) -> Row:
    """A copy of ``row`` with ``changes`` applied."""
    return {**row, **changes}
