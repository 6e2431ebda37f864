"""409 lock conflicts retried through RetryPolicy.retry_when, X-RateLimit-Reset, retry_statuses."""

from __future__ import annotations

import dataclasses
import functools
import random
from typing import Any

import httpx
import pytest
import respx
from support import FakeSleep, run_client

from usm_config.http import (
    HttpClient,
    HttpStatusError,
    RetryPolicy,
    TransientError,
    UncertainWriteError,
    is_lock_conflict,
    status_body_contains,
)

BASE = "https://acme.atlassian.test"
WORKFLOWS = "/rest/api/3/workflows/create"
LOCKED = RetryPolicy(retry_when=is_lock_conflict)


#: Run a test with a client on BASE (see support.run_client).
run = functools.partial(run_client, BASE)


@pytest.fixture(autouse=True)
def upper_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make full jitter deterministic: always the ceiling."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


def error_collection(message: str) -> dict[str, Any]:
    return {"errorMessages": [message], "errors": {}}


# Jira's answers to a workflow, status or scheme write (jira.md §1.2, §2).
LOCK_CONFLICTS = {
    "failed to acquire lock": error_collection("Failed to acquire lock"),
    "task ongoing": error_collection(
        "Cannot perform the operation because another workflow configuration update task"
        " is ongoing."
    ),
    "structured": {
        "errors": [{"code": "CONFLICT", "message": "Could not acquire lock for workflow"}]
    },
}

OTHER_CONFLICTS = {
    "name clash": {
        "errors": [
            {"code": "NON_UNIQUE_WORKFLOW_NAME", "message": "A workflow named 'Incident' exists."}
        ]
    },
    "stale version": error_collection("Workflow version and version token must match"),
    "issue type name": error_collection("An issue type with this name already exists."),
}


@pytest.mark.parametrize("body", LOCK_CONFLICTS.values(), ids=LOCK_CONFLICTS.keys())
def test_a_post_refused_by_a_lock_conflict_is_sent_again_after_backoff(
    body: dict[str, Any],
) -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(WORKFLOWS).mock(
            side_effect=[
                httpx.Response(409, json=body),
                httpx.Response(409, json=body),
                httpx.Response(200, json={"workflows": [{"id": "w1"}]}),
            ]
        )
        response = run(
            lambda c: c.request("POST", WORKFLOWS, json={"workflows": []}),
            sleep=sleep,
            retry=LOCKED,
        )
    assert response.json() == {"workflows": [{"id": "w1"}]}
    assert route.call_count == 3
    assert [call.request.content for call in route.calls] == [b'{"workflows":[]}'] * 3
    assert sleep.delays == [0.25, 0.5]


@pytest.mark.parametrize("body", OTHER_CONFLICTS.values(), ids=OTHER_CONFLICTS.keys())
def test_other_conflicts_are_not_retried(body: dict[str, Any]) -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(WORKFLOWS).mock(return_value=httpx.Response(409, json=body))
        with pytest.raises(HttpStatusError) as caught:
            run(lambda c: c.request("POST", WORKFLOWS, json={}), sleep=sleep, retry=LOCKED)
    assert caught.value.status == 409
    assert route.call_count == 1
    assert sleep.delays == []


def test_lock_conflicts_are_not_retried_without_the_hook() -> None:
    body = LOCK_CONFLICTS["failed to acquire lock"]
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.put("/rest/api/3/workflowscheme/1").mock(
            return_value=httpx.Response(409, json=body)
        )
        with pytest.raises(HttpStatusError):
            run(lambda c: c.request("PUT", "/rest/api/3/workflowscheme/1", json={}))
    assert route.call_count == 1


def test_a_per_request_policy_overrides_the_clients_for_that_request_only() -> None:
    body = LOCK_CONFLICTS["task ongoing"]
    sleep = FakeSleep()

    async def calls(client: HttpClient) -> list[int]:
        locked = dataclasses.replace(client.retry, retry_when=is_lock_conflict, backoff_base=3.0)
        first = await client.request("POST", WORKFLOWS, json={}, retry=locked)
        try:
            await client.request("POST", WORKFLOWS, json={})
        except HttpStatusError as error:
            return [first.status_code, error.status]
        raise AssertionError("the second request was retried with the client's own policy")

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(WORKFLOWS).mock(
            side_effect=[
                httpx.Response(409, json=body),
                httpx.Response(200, json={}),
                httpx.Response(409, json=body),
            ]
        )
        assert run(calls, sleep=sleep) == [200, 409]
    assert route.call_count == 3
    assert sleep.delays == [3.0]


def test_exhausted_lock_conflicts_raise_transient_error() -> None:
    body = LOCK_CONFLICTS["failed to acquire lock"]
    policy = dataclasses.replace(LOCKED, max_attempts=3)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(WORKFLOWS).mock(return_value=httpx.Response(409, json=body))
        with pytest.raises(TransientError, match="Failed to acquire lock") as caught:
            run(lambda c: c.request("POST", WORKFLOWS, json={}), retry=policy)
    assert route.call_count == 3
    assert caught.value.status == 409


@pytest.mark.parametrize(
    "lost",
    [httpx.ReadTimeout("timed out"), httpx.Response(502), httpx.Response(500)],
    ids=["read-timeout", "502", "500"],
)
def test_a_lost_answer_to_a_write_stays_uncertain_with_the_hook(
    lost: Exception | httpx.Response,
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(WORKFLOWS).mock(side_effect=[lost, httpx.Response(200, json={})])
        with pytest.raises(UncertainWriteError):
            run(lambda c: c.request("POST", WORKFLOWS, json={}), retry=LOCKED)
    assert route.call_count == 1


def test_a_lock_conflict_with_retry_after_waits_as_told() -> None:
    sleep = FakeSleep()
    body = LOCK_CONFLICTS["failed to acquire lock"]
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(WORKFLOWS).mock(
            side_effect=[
                httpx.Response(409, json=body, headers={"Retry-After": "9"}),
                httpx.Response(200, json={}),
            ]
        )
        run(lambda c: c.request("POST", WORKFLOWS, json={}), sleep=sleep, retry=LOCKED)
    assert sleep.delays == [9.0]


def test_status_body_contains_matches_status_and_phrase_ignoring_case() -> None:
    request = httpx.Request("POST", f"{BASE}{WORKFLOWS}")
    busy = status_body_contains(423, ["resource busy"])
    assert busy(httpx.Response(423, text="Resource BUSY, retry", request=request))
    assert not busy(httpx.Response(409, text="resource busy", request=request))
    assert not busy(httpx.Response(423, text="locked for good", request=request))


# --------------------------------------------------------------------------- rate limits

RATE_LIMIT_DELAYS = {
    "Retry-After seconds": ({"Retry-After": "7"}, 7.0),
    "Retry-After wins over X-RateLimit-Reset": (
        {
            "Date": "Fri, 27 Nov 2026 10:14:00 GMT",
            "Retry-After": "4",
            "X-RateLimit-Reset": "2026-11-27T10:15Z",
        },
        4.0,
    ),
    "X-RateLimit-Reset against the server's Date": (
        {"Date": "Fri, 27 Nov 2026 10:14:30 GMT", "X-RateLimit-Reset": "2026-11-27T10:15Z"},
        30.0,
    ),
    "X-RateLimit-Reset with seconds and offset": (
        {
            "Date": "Fri, 27 Nov 2026 10:14:30 GMT",
            "X-RateLimit-Reset": "2026-11-27T11:15:10+01:00",
        },
        40.0,
    ),
    "X-RateLimit-Reset capped at max_retry_after": (
        {"Date": "Fri, 27 Nov 2026 10:14:00 GMT", "X-RateLimit-Reset": "2026-11-27T12:00Z"},
        120.0,
    ),
    "X-RateLimit-Reset already passed: back-off": (
        {"Date": "Fri, 27 Nov 2026 10:15:20 GMT", "X-RateLimit-Reset": "2026-11-27T10:15Z"},
        0.25,
    ),
    "X-RateLimit-Reset unreadable: back-off": ({"X-RateLimit-Reset": "soon"}, 0.25),
    "no header: back-off": ({}, 0.25),
}


@pytest.mark.parametrize(
    ("headers", "delay"), RATE_LIMIT_DELAYS.values(), ids=RATE_LIMIT_DELAYS.keys()
)
def test_a_429_waits_as_long_as_the_server_asks(headers: dict[str, str], delay: float) -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/rest/api/3/status").mock(
            side_effect=[httpx.Response(429, headers=headers), httpx.Response(200, json=[])]
        )
        run(lambda c: c.request("GET", "/rest/api/3/status"), sleep=sleep)
    assert sleep.delays == [delay]


def test_x_ratelimit_reset_on_a_503_is_not_a_wait_instruction() -> None:
    sleep = FakeSleep()
    headers = {"Date": "Fri, 27 Nov 2026 10:14:00 GMT", "X-RateLimit-Reset": "2026-11-27T10:15Z"}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/rest/api/3/status").mock(
            side_effect=[httpx.Response(503, headers=headers), httpx.Response(200, json=[])]
        )
        run(lambda c: c.request("GET", "/rest/api/3/status"), sleep=sleep)
    assert sleep.delays == [0.25]


def test_retry_statuses_are_part_of_the_policy() -> None:
    sleep = FakeSleep()
    policy = RetryPolicy(retry_statuses=frozenset({413, 429, 503}))
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get("/rest/api/3/field").mock(
            side_effect=[httpx.Response(413), httpx.Response(502), httpx.Response(200, json=[])]
        )
        with pytest.raises(HttpStatusError) as caught:
            run(lambda c: c.request("GET", "/rest/api/3/field"), sleep=sleep, retry=policy)
    assert caught.value.status == 502
    assert route.call_count == 2
    assert sleep.delays == [0.25]
