"""Asynchronous server tasks: 303 + Location or a taskId body, then polls to a final status."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx
from support import FakeSleep

from usm_config.http import (
    HttpClient,
    HttpError,
    RetryPolicy,
    TaskFailedError,
    TaskOutcome,
    TaskPolling,
    TaskTimeoutError,
    request_and_wait,
    started_task_id,
)

BASE = "https://acme.atlassian.test"
PUBLISH = "/rest/api/3/workflowscheme/update"
TASK = "/rest/api/3/task/10010"


def run(test: Callable[[HttpClient], Awaitable[Any]], sleep: FakeSleep) -> Any:
    async def main() -> Any:
        async with HttpClient(BASE, sleep=sleep, retry=RetryPolicy(max_attempts=2)) as client:
            return await test(client)

    return asyncio.run(main())


def task(status: str, **fields: Any) -> httpx.Response:
    body = {"self": f"{BASE}{TASK}", "id": "10010", "status": status, "progress": 0, **fields}
    return httpx.Response(200, json=body)


SEE_OTHER = httpx.Response(303, headers={"Location": f"{BASE}{TASK}"})
TASK_ID_BODY = httpx.Response(200, json={"taskId": "10010"})

FINISHED = {
    "303 + Location, enqueued then running then complete": (
        SEE_OTHER,
        [task("ENQUEUED"), task("RUNNING", progress=50), task("COMPLETE", progress=100)],
        [1.0, 2.0],
    ),
    "taskId in the body, complete at once": (TASK_ID_BODY, [task("COMPLETE")], []),
    "numeric taskId": (
        httpx.Response(200, json={"taskId": 10010}),
        [task("RUNNING"), task("COMPLETE", result="done")],
        [1.0],
    ),
    "Location on another host: the task is polled on the client's own host": (
        httpx.Response(303, headers={"Location": "https://elsewhere.test/rest/api/3/task/10010"}),
        [task("CANCEL_REQUESTED"), task("COMPLETE")],
        [1.0],
    ),
}


@pytest.mark.parametrize(("answer", "polls", "delays"), FINISHED.values(), ids=FINISHED.keys())
def test_a_write_that_starts_a_task_waits_for_it(
    answer: httpx.Response, polls: list[httpx.Response], delays: list[float]
) -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        write = router.post(PUBLISH).mock(return_value=answer)
        poll = router.get(TASK).mock(side_effect=polls)
        outcome: TaskOutcome = run(
            lambda c: request_and_wait(c, "POST", PUBLISH, json={"id": "1"}), sleep
        )
    assert write.call_count == 1
    assert poll.call_count == len(polls)
    assert outcome.response.status_code == answer.status_code
    assert outcome.task == polls[-1].json()
    assert sleep.delays == delays


ENDED_BADLY = {
    status: (status, "Migration of issues failed" if status == "FAILED" else None)
    for status in ("FAILED", "CANCELLED", "DEAD")
}


@pytest.mark.parametrize(("status", "message"), ENDED_BADLY.values(), ids=ENDED_BADLY.keys())
def test_a_task_that_ends_badly_raises(status: str, message: str | None) -> None:
    final = task(status, message=message) if message else task(status)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(PUBLISH).mock(return_value=SEE_OTHER)
        router.get(TASK).mock(side_effect=[task("RUNNING"), final])
        with pytest.raises(TaskFailedError) as caught:
            run(lambda c: request_and_wait(c, "POST", PUBLISH, json={}), FakeSleep())
    error = caught.value
    assert error.status == status
    assert error.task == final.json()
    assert f"task 10010 ({TASK}) ended {status}" in str(error)
    if message:
        assert str(error).endswith(f": {message}")


def test_a_task_still_running_after_the_last_poll_times_out() -> None:
    sleep = FakeSleep()
    polling = TaskPolling(max_polls=4, first_delay=0.5, max_delay=1.5)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(PUBLISH).mock(return_value=TASK_ID_BODY)
        poll = router.get(TASK).mock(return_value=task("RUNNING"))
        with pytest.raises(TaskTimeoutError, match="still RUNNING after 4 polls") as caught:
            run(lambda c: request_and_wait(c, "POST", PUBLISH, json={}, polling=polling), sleep)
    assert poll.call_count == 4
    assert sleep.delays == [0.5, 1.0, 1.5]
    assert caught.value.status == "RUNNING"


def test_a_poll_that_fails_transiently_is_retried() -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(PUBLISH).mock(return_value=SEE_OTHER)
        poll = router.get(TASK).mock(side_effect=[httpx.Response(503), task("COMPLETE")])
        outcome = run(lambda c: request_and_wait(c, "POST", PUBLISH, json={}), sleep)
    assert outcome.task is not None
    assert outcome.task["status"] == "COMPLETE"
    assert poll.call_count == 2


def test_a_write_that_starts_no_task_returns_its_answer() -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.put("/rest/api/3/workflowscheme/1").mock(
            return_value=httpx.Response(200, json={"id": 1, "name": "USM"})
        )
        outcome = run(
            lambda c: request_and_wait(c, "PUT", "/rest/api/3/workflowscheme/1", json={}), sleep
        )
    assert outcome.task is None
    assert outcome.response.json() == {"id": 1, "name": "USM"}


def test_a_303_without_location_is_an_error() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(PUBLISH).mock(return_value=httpx.Response(303))
        with pytest.raises(HttpError, match="303 without a task Location"):
            run(lambda c: request_and_wait(c, "POST", PUBLISH, json={}), FakeSleep())


def test_the_client_never_follows_a_303() -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        delete = router.delete("/rest/api/3/field/customfield_10001").mock(return_value=SEE_OTHER)
        poll = router.get(TASK).mock(return_value=task("COMPLETE"))
        response = run(
            lambda c: c.request("DELETE", "/rest/api/3/field/customfield_10001", expected={303}),
            FakeSleep(),
        )
    assert response.status_code == 303
    assert delete.call_count == 1
    assert poll.call_count == 0


def test_poll_path_and_status_names_are_configurable() -> None:
    polling = TaskPolling(
        path_template="/tas/api/jobs/{task_id}/state",
        task_id_field="jobId",
        status_field="state",
        message_field="error",
        done_statuses=frozenset({"done"}),
        failed_statuses=frozenset({"error"}),
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post("/tas/api/import").mock(return_value=httpx.Response(202, json={"jobId": "j-7"}))
        router.get("/tas/api/jobs/j-7/state").mock(
            side_effect=[
                httpx.Response(200, json={"state": "busy"}),
                httpx.Response(200, json={"state": "error", "error": "row 3: unknown branch"}),
            ]
        )
        with pytest.raises(TaskFailedError, match="ended error: row 3: unknown branch"):
            run(
                lambda c: request_and_wait(c, "POST", "/tas/api/import", polling=polling),
                FakeSleep(),
            )


TASK_IDS = {
    "303 Location": (SEE_OTHER, "10010"),
    "303 Location with trailing slash": (
        httpx.Response(303, headers={"Location": f"{BASE}{TASK}/"}),
        "10010",
    ),
    "taskId string": (TASK_ID_BODY, "10010"),
    "taskId number": (httpx.Response(200, json={"taskId": 7}), "7"),
    "taskId boolean": (httpx.Response(200, json={"taskId": True}), None),
    "taskId empty": (httpx.Response(200, json={"taskId": ""}), None),
    "no taskId": (httpx.Response(200, json={"id": "1"}), None),
    "list body": (httpx.Response(200, json=[{"taskId": "1"}]), None),
    "no body": (httpx.Response(204), None),
    "not JSON": (httpx.Response(200, text="<html/>"), None),
}


@pytest.mark.parametrize(("response", "task_id"), TASK_IDS.values(), ids=TASK_IDS.keys())
def test_started_task_id(response: httpx.Response, task_id: str | None) -> None:
    assert started_task_id(response) == task_id
