"""Asynchronous server tasks: recognise a write that started one, and poll it to its end.

Jira answers some writes (workflow updates with migration, scheme publish and switch, field and
priority deletes, project deletes) with ``303 See Other`` and ``Location: …/rest/api/3/task/{id}``,
or with a body holding ``taskId``; ``GET /rest/api/3/task/{id}`` then answers
``{id, status, progress, result, message}`` until ``status`` is final
(https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-tasks/).
:class:`TaskPolling` holds those names, so other tools' task endpoints fit by configuration.

The client never follows redirects, so the 303 reaches :func:`request_and_wait` instead of
being turned into a ``GET`` of the task by httpx.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from usm_config.http.errors import HttpError, TaskFailedError, TaskTimeoutError

if TYPE_CHECKING:
    from usm_config.http.client import HttpClient
    from usm_config.http.retry import RetryPolicy

__all__ = [
    "JIRA_TASKS",
    "TaskOutcome",
    "TaskPolling",
    "request_and_wait",
    "started_task_id",
    "wait_for_task",
]


@dataclass(frozen=True)
class TaskPolling:
    """Where a task is polled, how its status reads, and how long to wait for it.

    The first poll is sent at once; the delay before poll ``n + 1`` is
    ``min(max_delay, first_delay * 2 ** (n - 1))``, awaited with the client's ``sleep``. A status
    neither in ``done_statuses`` nor in ``failed_statuses`` (ENQUEUED, RUNNING,
    CANCEL_REQUESTED, or a missing one) means "poll again", at most ``max_polls`` times.
    """

    path_template: str = "/rest/api/3/task/{task_id}"
    task_id_field: str = "taskId"
    status_field: str = "status"
    message_field: str = "message"
    done_statuses: frozenset[str] = frozenset({"COMPLETE"})
    failed_statuses: frozenset[str] = frozenset({"FAILED", "CANCELLED", "DEAD"})
    max_polls: int = 60
    first_delay: float = 1.0
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_polls < 1:
            raise ValueError("max_polls must be at least 1")
        if min(self.first_delay, self.max_delay) < 0:
            raise ValueError("first_delay and max_delay must not be negative")

    def delay_after(self, poll_number: int) -> float:
        """Seconds to wait after poll number ``poll_number`` (1 for the first poll)."""
        exponent = min(max(poll_number - 1, 0), 64)
        return min(self.max_delay, self.first_delay * 2.0**exponent)


#: Jira Cloud and Data Center: ``/rest/api/3/task/{id}``, final COMPLETE, FAILED, CANCELLED, DEAD.
JIRA_TASKS = TaskPolling()


@dataclass(frozen=True)
class TaskOutcome:
    """The answer to a write, and the final task body if the write started a task."""

    response: httpx.Response
    task: dict[str, Any] | None


def started_task_id(response: httpx.Response, polling: TaskPolling = JIRA_TASKS) -> str | None:
    """The id of the task ``response`` started, or ``None`` if it started none.

    A 303's ``Location`` gives the id as its last path segment (only the id is kept: the task
    is polled on the client's own host, so credentials never go to a host the server names).
    Otherwise a JSON object body may hold it under ``polling.task_id_field``.
    """
    if response.status_code == 303:
        location = response.headers.get("Location", "")
        segments = [part for part in httpx.URL(location).path.split("/") if part]
        return segments[-1] if segments else None
    if not response.content:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    task_id = body.get(polling.task_id_field)
    if isinstance(task_id, bool) or not isinstance(task_id, str | int):
        return None
    return str(task_id) or None


async def wait_for_task(
    client: HttpClient, task_id: str, polling: TaskPolling = JIRA_TASKS
) -> dict[str, Any]:
    """Poll task ``task_id`` until a final status and return its last body.

    Raises :class:`TaskFailedError` for a status in ``polling.failed_statuses`` and
    :class:`TaskTimeoutError` when the task is still running after ``polling.max_polls``
    polls. Every poll goes through :meth:`HttpClient.get_json`, so transient failures of a
    poll are retried like any other ``GET``.
    """
    path = polling.path_template.format(task_id=task_id)
    url = client.redact(path)
    task: dict[str, Any] = {}
    for poll in range(1, polling.max_polls + 1):
        body = await client.get_json(path)
        if not isinstance(body, dict):
            raise HttpError(f"GET {url} returned a task that is not a JSON object")
        task = body
        status = task.get(polling.status_field)
        if status in polling.done_statuses:
            return task
        if status in polling.failed_statuses:
            message = task.get(polling.message_field)
            detail = f": {client.redact(str(message))}" if message else ""
            raise TaskFailedError(url, task, f"task {task_id} ({url}) ended {status}{detail}")
        if poll < polling.max_polls:
            await client.sleep(polling.delay_after(poll))
    raise TaskTimeoutError(
        url,
        task,
        f"task {task_id} ({url}) still {task.get(polling.status_field) or 'unknown'}"
        f" after {polling.max_polls} polls",
    )


async def request_and_wait(
    client: HttpClient,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    idempotent: bool | None = None,
    expected: Collection[int] = (),
    retry: RetryPolicy | None = None,
    polling: TaskPolling = JIRA_TASKS,
) -> TaskOutcome:
    """Send a write that may start a task; if it does, wait for the task to end.

    A ``303 See Other`` is accepted (never followed) next to 2xx and ``expected``. The other
    arguments are those of :meth:`HttpClient.request`. Raises what :func:`wait_for_task`
    raises, and :class:`HttpError` for a 303 that names no task.
    """
    response = await client.request(
        method,
        path,
        params=params,
        json=json,
        idempotent=idempotent,
        expected={*expected, 303},
        retry=retry,
    )
    task_id = started_task_id(response, polling)
    if task_id is None:
        if response.status_code == 303:
            url = client.redact(str(response.request.url))
            raise HttpError(f"{method.upper()} {url} answered 303 without a task Location")
        return TaskOutcome(response, None)
    return TaskOutcome(response, await wait_for_task(client, task_id, polling))
