"""The ServiceNow emulator on the kit: Batch API items in the log and under the spec check,
the full query and the bodies in the log, OAuth secrets masked, control endpoints first."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from support import SPECS
from usm_servicenow import sandbox
from usm_servicenow.sandbox import create_app

from usm_config.sandbox.embedded import EmbeddedTransport
from usm_config.sandbox.requestlog import LoggedRequest

SPEC = SPECS / "servicenow" / "table.json"
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
    application = create_app(spec_path=SPEC)
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


def test_credentials_that_are_not_ascii_are_refused_with_401(app: Starlette) -> None:
    """A wrong password or client secret outside ASCII is a wrong credential, as on an
    instance: 401, not an error of the emulator."""
    form = {"grant_type": "password", "client_id": "usm-config", "client_secret": "pässwörd"}
    form |= {"username": "admin", "password": "admin"}

    async def scenario(client: httpx.AsyncClient) -> list[int]:
        token = await client.post("/oauth_token.do", data=form)
        table = await client.get(GROUPS, auth=("admin", "pässwörd"))
        return [token.status_code, table.status_code]

    assert run(app, scenario) == [401, 401]


def test_control_endpoints_win_over_the_catch_all_route(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> list[int]:
        return [
            (await client.get("/_sandbox/spec_violations")).status_code,
            (await client.get("/api/now/stats/incident")).status_code,
        ]

    assert run(app, scenario) == [200, 400]


def _mixed_batch() -> dict[str, Any]:
    """Inserts, reads, an update and a delete, and items every check refuses."""
    kept, gone = "a" * 32, "b" * 32
    wrong = base64.b64encode(b"admin:wrong").decode()
    record = f"{GROUPS}/{kept}"
    # What an apply's writes ask (usm_servicenow.client.write_url): the sys_id alone.
    written = "?sysparm_fields=sys_id&sysparm_exclude_reference_link=true"
    offerings = "/api/now/table/service_offering"
    items = [
        item("insert", "POST", GROUPS + "?sysparm_fields=sys_id", {"name": "Fast"}),
        item("insert-full", "POST", GROUPS, {"name": "Full", "sys_id": kept}),
        item("insert-gone", "POST", "/api/now/v2/table/sys_user_group", {"sys_id": gone}),
        {
            **item("other-host", "POST", GROUPS, {"name": "Elsewhere"}),
            "headers": [*JSON_HEADERS, {"name": "Host", "value": "other.example"}],
        },
        item("insert-sla", "POST", "/api/now/table/contract_sla" + written, {"name": "SLA"}),
        item(
            "insert-offering",
            "POST",
            offerings + written,
            {"name": "Offering", "support_group": kept, "active": True, "order": 3},
        ),
        item(
            "insert-shown",
            "POST",
            offerings
            + "?sysparm_fields=name,support_group,sys_created_on&sysparm_display_value=all",
            {"name": "Shown", "support_group": kept, "sys_created_on": "ignored"},
        ),
        item("insert-list", "POST", offerings + written, [{"name": "First"}, {"name": "Second"}]),
        item("insert-new-table", "POST", "/api/now/v2/table/u_custom" + written, {"u_x": "1"}),
        {
            **item("insert-no-body", "POST", offerings + written, {"name": "Quiet"}),
            "headers": [*JSON_HEADERS, {"name": "X-no-response-body", "value": "true"}],
        },
        {
            **item("insert-override", "POST", offerings + written, {"name": "Overridden"}),
            "headers": [*JSON_HEADERS, {"name": "X-HTTP-Method-Override", "value": "PUT"}],
        },
        {
            **item("insert-html", "POST", offerings + written, {"name": "Html"}),
            "headers": [
                {"name": "Content-Type", "value": "application/json; charset=utf-8"},
                {"name": "Accept", "value": "text/html"},
            ],
        },
        {
            **item("insert-text", "POST", offerings + written, {"name": "Text"}),
            "headers": [{"name": "Content-Type", "value": "text/plain"}],
        },
        {
            **item("insert-wrong-password", "POST", offerings + written, {"name": "x"}),
            "headers": [*JSON_HEADERS, {"name": "Authorization", "value": f"Basic {wrong}"}],
        },
        item("insert-with-id", "POST", f"{offerings}/{kept}" + written, {"name": "x"}),
        item("insert-bad-version", "POST", "/api/now/v3/table/service_offering", {"name": "x"}),
        item("insert-scalar", "POST", offerings + written, 7),
        item("duplicate", "POST", GROUPS, {"name": "Again", "sys_id": kept}),
        item("update", "PATCH", record + "?sysparm_fields=name,description", {"description": "x"}),
        item("read", "GET", record + "?sysparm_display_value=all"),
        item("head", "HEAD", record),
        item("list", "GET", GROUPS + "?sysparm_query=nameSTARTSWITHF^ORDERBYname&sysparm_limit=1"),
        item("delete", "DELETE", f"{GROUPS}/{gone}"),
        item("deleted", "GET", f"{GROUPS}/{gone}"),
        item("empty-v1", "GET", "/api/now/v1/table/sys_user_group?name=nobody"),
        item("read-only", "POST", "/api/now/table/sys_choice", {"name": "x"}),
        item("bad-table", "POST", "/api/now/table/Bad-Table", {"name": "x"}),
        item("bad-version", "GET", "/api/now/v9/table/sys_user_group"),
        item("bad-param", "GET", GROUPS + "?sysparm_limt=1"),
        item("not-an-object", "POST", GROUPS, "not an object"),
        item("not-allowed", "PUT", GROUPS, {"name": "x"}),
        item("other-api", "GET", "/api/now/stats/incident"),
        item("nested", "POST", "/api/now/v1/batch", {"rest_requests": []}),
        {**item("bad-base64", "POST", GROUPS), "body": "***"},
        {**item("bad-json", "POST", GROUPS), "body": base64.b64encode(b"{").decode()},
        {
            **item("form", "POST", GROUPS),
            "headers": [{"name": "Content-Type", "value": "application/x-www-form-urlencoded"}],
            "body": base64.b64encode(b"name=x&password=y").decode(),
        },
        {**item("no-body", "POST", GROUPS), "headers": []},
        {**item("no-auth", "GET", GROUPS), "headers": [{"name": "Authorization", "value": "x"}]},
        {
            **item("wrong-password", "GET", GROUPS),
            "headers": [{"name": "Authorization", "value": f"Basic {wrong}"}],
        },
    ]
    items[1]["exclude_response_headers"] = True
    return {"batch_request_id": "mixed", "rest_requests": items}


def _serve_mixed_batch(monkeypatch: pytest.MonkeyPatch, checked: bool) -> tuple[Any, ...]:
    ids = iter(range(1, 1000))
    monkeypatch.setattr(sandbox.uuid, "uuid4", lambda: uuid.UUID(int=next(ids)))
    app = create_app(
        spec_path=SPEC if checked else None,
        now=lambda: datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        read_only_tables={"sys_choice"},
    )

    async def scenario(client: httpx.AsyncClient) -> Any:
        return (await client.post("/api/now/v1/batch", json=_mixed_batch())).json()

    answer = run(app, scenario)
    for served in answer["serviced_requests"]:
        del served["execution_time"]  # wall time, not behaviour
    store = app.state.store
    rows = {table: store.rows(table) for table in store.tables()}
    log = [entry.to_json() for entry in app.state.request_log.entries()]
    store.close()
    return answer, log, list(app.state.spec_violations), rows


@pytest.mark.parametrize("checked", [True, False], ids=["spec", "no-spec"])
def test_batch_items_answer_alike_with_and_without_the_router(
    monkeypatch: pytest.MonkeyPatch, checked: bool
) -> None:
    """Items a Table API route takes skip the app's router, and plain inserts the Table API
    handler too; what the batch answers, logs, checks against the spec and stores is byte for
    byte what the router gives, with and without a spec to check against."""
    plainly: list[Any] = []
    insert_plainly = sandbox._Emulator._insert_plainly

    def spy(self: Any, plain: Any, headers: Any, body: dict[str, Any]) -> Any:
        answer = insert_plainly(self, plain, headers, body)
        if answer is not None:
            plainly.append((plain.table, body.get("name"), answer[0]))
        return answer

    monkeypatch.setattr(sandbox._Emulator, "_insert_plainly", spy)
    direct = _serve_mixed_batch(monkeypatch, checked)

    async def through_router(
        self: Any,
        shared: Any,
        method: str,
        path: str,
        query: str,
        headers: Any,
        body: bytes,
        parsed: Any,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        scope = sandbox._subrequest_scope(shared, method, path, query, headers)
        return await sandbox._route(shared.outer, scope, sandbox._receive_once(body))

    monkeypatch.setattr(sandbox._Emulator, "_dispatch", through_router)
    routed = _serve_mixed_batch(monkeypatch, checked)
    assert direct == routed
    # A spec check needs the request: no insert is plain then.
    assert (
        plainly == []
        if checked
        else [
            ("sys_user_group", "Fast", 201),
            ("sys_user_group", "Full", 201),
            ("sys_user_group", None, 201),
            ("sys_user_group", "Elsewhere", 201),
            ("contract_sla", "SLA", 201),
            ("service_offering", "Offering", 201),
            ("service_offering", "Shown", 201),
            ("u_custom", None, 201),
            ("service_offering", "Quiet", 201),
            ("sys_user_group", "Again", 403),
        ]
    )
    answer = direct[0]
    statuses = {served["id"]: served["status_code"] for served in answer["serviced_requests"]}
    assert statuses == {
        "insert": 201,
        "insert-sla": 201,
        "insert-offering": 201,
        "insert-shown": 201,
        "insert-list": 201,
        "insert-new-table": 201,
        "insert-no-body": 201,
        "insert-override": 400 if checked else 405,
        "insert-html": 406,
        "insert-text": 415,
        "insert-wrong-password": 401,
        "insert-with-id": 400 if checked else 405,
        "insert-bad-version": 400,
        "insert-scalar": 400,
        "insert-full": 201,
        "insert-gone": 201,
        "other-host": 201,
        "duplicate": 403,
        "update": 200,
        "read": 200,
        "head": 200,
        "list": 200,
        "delete": 204,
        "deleted": 404,
        "empty-v1": 404,
        "read-only": 403,
        "bad-table": 404,
        "bad-version": 400,
        "bad-param": 400 if checked else 200,
        "not-an-object": 400,
        "not-allowed": 400 if checked else 405,
        "other-api": 400,
        "nested": 400,
        "bad-base64": 400,
        "bad-json": 400,
        "form": 415,
        "no-body": 400,
        "no-auth": 401,
        "wrong-password": 401,
    }
