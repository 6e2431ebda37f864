"""The ServiceNow emulator on the kit: Batch API items in the log and under the spec check,
the full query and the bodies in the log, OAuth secrets masked, control endpoints first."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from usm_servicenow.sandbox import create_app

from usm_config.sandbox.embedded import EmbeddedTransport
from usm_config.sandbox.requestlog import LoggedRequest

SPEC = Path(__file__).resolve().parents[3] / "shared/specs/servicenow/table.json"
GROUPS = "/api/now/table/sys_user_group"
JSON_HEADERS = [
    {"name": "Content-Type", "value": "application/json"},
    {"name": "Accept", "value": "application/json"},
]


def run(app: Starlette, scenario: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(
            transport=EmbeddedTransport(app),
            base_url="http://sn.test",
            auth=("admin", "admin"),
            headers={"Accept": "application/json"},
        ) as client:
            return await scenario(client)

    return asyncio.run(main())


def item(item_id: str, method: str, url: str, body: Any = None) -> dict[str, Any]:
    sub: dict[str, Any] = {"id": item_id, "method": method, "url": url, "headers": JSON_HEADERS}
    if body is not None:
        sub["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    return sub


@pytest.fixture
def app() -> Iterator[Starlette]:
    application = create_app(spec_path=SPEC if SPEC.is_file() else None)
    yield application
    application.state.store.close()


def test_batch_items_are_logged_as_sub_requests_of_the_batch(app: Starlette) -> None:
    batch = {
        "batch_request_id": "b1",
        "rest_requests": [
            item("create", "POST", GROUPS, {"name": "Batched"}),
            item("list", "GET", GROUPS + "?sysparm_fields=name&name=Batched&name=Other"),
        ],
    }

    async def scenario(client: httpx.AsyncClient) -> None:
        assert (await client.post("/api/now/v1/batch", json=batch)).status_code == 200

    run(app, scenario)
    (entry,) = app.state.request_log.entries()
    assert (entry.method, entry.path, entry.status) == ("POST", "/api/now/v1/batch", 200)
    assert entry.body["batch_request_id"] == "b1"
    assert entry.subrequests == (
        LoggedRequest("POST", GROUPS, {}, 201, None, (), {"name": "Batched"}),
        LoggedRequest(
            "GET",
            GROUPS,
            {"sysparm_fields": "name", "name": "Other"},
            200,
            None,
            (("sysparm_fields", "name"), ("name", "Batched"), ("name", "Other")),
        ),
    )
    assert [e.method for e in app.state.request_log.entries(expand=True)] == ["POST", "POST", "GET"]


@pytest.mark.skipif(not SPEC.is_file(), reason="ServiceNow Table API export absent")
def test_batch_items_are_checked_against_the_spec(app: Starlette) -> None:
    batch = {"rest_requests": [item("bad", "GET", GROUPS + "?sysparm_limt=1")]}

    async def scenario(client: httpx.AsyncClient) -> Any:
        return (await client.post("/api/now/v1/batch", json=batch)).json()

    answer = run(app, scenario)
    assert answer["serviced_requests"][0]["status_code"] == 400
    assert app.state.spec_violations == [
        "GET /api/now/table/{tableName}: query parameter 'sysparm_limt' is not declared"
    ]
    assert app.state.request_log.entries()[0].subrequests[0].status == 400


def test_oauth_secrets_are_masked_in_the_log(app: Starlette) -> None:
    form = {
        "grant_type": "password",
        "client_id": "usm-config",
        "client_secret": "sandbox-secret",
        "username": "admin",
        "password": "admin",
    }

    async def scenario(client: httpx.AsyncClient) -> None:
        granted = await client.post("/oauth_token.do", data=form)
        assert granted.status_code == 200
        listing = await client.get("/_sandbox/requests")
        assert "sandbox-secret" not in listing.text

    run(app, scenario)
    (entry,) = app.state.request_log.entries()
    assert entry.body == (
        "grant_type=password&client_id=usm-config&client_secret=%2A%2A%2A"
        "&username=admin&password=%2A%2A%2A"
    )


def test_control_endpoints_win_over_the_catch_all_route(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> list[int]:
        return [
            (await client.get("/_sandbox/spec_violations")).status_code,
            (await client.get("/api/now/stats/incident")).status_code,
        ]

    assert run(app, scenario) == [200, 400]
