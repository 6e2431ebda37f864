"""The ServiceNow emulator: Table API, queries, auth, OAuth, Batch API, faults, persistence.

These tests exercise the APIs on an instance without out-of-box records (``baseline=False``),
so that counts and orders are the tests' own; ``test_sandbox_baseline`` covers the records a
fresh sandbox holds and the table hierarchy.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from support import SPECS
from usm_servicenow import sandbox
from usm_servicenow.sandbox import error_envelope

from usm_config.sandbox.embedded import EmbeddedTransport
from usm_config.sandbox.faults import FaultConfig
from usm_config.sandbox.serve import run_in_thread

BASE = "http://sn.sandbox.test"
GROUPS = "/api/now/table/sys_user_group"
SPEC = SPECS / "servicenow" / "table.json"
SYS_ID = re.compile(r"[0-9a-f]{32}")
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")

create_app = functools.partial(sandbox.create_app, baseline=False)
Scenario = Callable[[httpx.AsyncClient], Awaitable[Any]]


class Clock:
    """A settable clock for sys fields and token expiry."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


ADMIN = ("admin", "admin")


def run(
    app: Starlette, scenario: Scenario, *, auth: httpx.Auth | tuple[str, str] | None = ADMIN
) -> Any:
    """Run ``scenario`` with a client logged in as ``auth`` (``None``: anonymous)."""

    async def main() -> Any:
        async with httpx.AsyncClient(
            transport=EmbeddedTransport(app),
            base_url=BASE,
            auth=auth,
            headers={"Accept": "application/json"},
        ) as client:
            return await scenario(client)

    return asyncio.run(main())


@pytest.fixture
def app() -> Iterator[Starlette]:
    application = create_app()
    yield application
    application.state.store.close()


async def make_groups(client: httpx.AsyncClient, *names: str, **extra: str) -> list[str]:
    ids = []
    for name in names:
        response = await client.post(GROUPS, json={"name": name, **extra})
        assert response.status_code == 201, response.text
        ids.append(response.json()["result"]["sys_id"])
    return ids


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()["result"]]


# --------------------------------------------------------------------------- records


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (UTC, ["12:00:00", "12:00:00", "12:00:01", "12:00:00", "12:00:02"]),
        (None, ["12:00:00", "12:00:00", "12:00:01", "12:00:00", "12:00:02"]),
        (
            timezone(timedelta(hours=2)),
            ["10:00:00", "10:00:00", "10:00:01", "10:00:00", "10:00:02"],
        ),
    ],
    ids=["utc", "naive", "utc+2"],
)
def test_sys_fields_hold_the_utc_second_of_the_clock(
    zone: timezone | None, expected: list[str]
) -> None:
    """A record's timestamps are the clock's second in UTC (a naive clock is read as UTC),
    whichever second the writes before it were made in, forwards or back."""
    moments = iter([0.2, 0.999, 1.0, 0.5, 2.0])
    start = datetime(2026, 3, 1, 12, 0, 0, tzinfo=zone)

    def clock() -> datetime:
        return start + timedelta(seconds=next(moments))

    app = create_app(now=clock)

    async def scenario(client: httpx.AsyncClient) -> list[str]:
        stamps = []
        for index in range(len(expected)):
            created = await client.post(GROUPS, json={"name": f"G{index}"})
            assert created.status_code == 201, created.text
            result = created.json()["result"]
            assert result["sys_updated_on"] == result["sys_created_on"]
            stamps.append(result["sys_created_on"])
        return stamps

    assert run(app, scenario) == [f"2026-03-01 {second}" for second in expected]


def test_crud_round_trip_keeps_strings_and_sys_fields() -> None:
    clock = Clock()
    app = create_app(now=clock)

    async def scenario(client: httpx.AsyncClient) -> None:
        created = await client.post(
            GROUPS,
            json={"name": "Service Desk", "active": True, "order": 3, "sys_created_by": "x"},
        )
        assert created.status_code == 201
        record = created.json()["result"]
        sys_id = record["sys_id"]
        assert SYS_ID.fullmatch(sys_id)
        assert created.headers["Location"] == f"{BASE}{GROUPS}/{sys_id}"
        assert record == {
            "sys_id": sys_id,
            "name": "Service Desk",
            "active": "true",
            "order": "3",
            "sys_class_name": "sys_user_group",
            "sys_created_on": "2026-03-01 12:00:00",
            "sys_created_by": "admin",
            "sys_updated_on": "2026-03-01 12:00:00",
            "sys_updated_by": "admin",
            "sys_mod_count": "0",
        }
        assert (await client.get(f"{GROUPS}/{sys_id}")).json() == {"result": record}

        clock.advance(60)
        patched = await client.patch(
            f"{GROUPS}/{sys_id}", json={"order": None, "sys_mod_count": "99"}
        )
        assert patched.status_code == 200
        assert patched.json()["result"] | {} == record | {
            "order": "",
            "sys_updated_on": "2026-03-01 12:01:00",
            "sys_mod_count": "1",
        }
        clock.advance(60)
        put = await client.put(f"{GROUPS}/{sys_id}", json={"description": "first line"})
        result = put.json()["result"]
        assert (result["name"], result["description"], result["sys_mod_count"]) == (
            "Service Desk",
            "first line",
            "2",
        )
        # A write that changes nothing is not a modification.
        clock.advance(60)
        same = await client.patch(f"{GROUPS}/{sys_id}", json={"description": "first line"})
        assert same.json()["result"]["sys_mod_count"] == "2"
        assert same.json()["result"]["sys_updated_on"] == "2026-03-01 12:02:00"

        deleted = await client.delete(f"{GROUPS}/{sys_id}")
        assert (deleted.status_code, deleted.content) == (204, b"")
        missing = await client.get(f"{GROUPS}/{sys_id}")
        assert missing.status_code == 404
        assert missing.json() == {
            "error": {
                "message": "No Record found",
                "detail": "Record doesn't exist or ACL restricts the record retrieval",
            },
            "status": "failure",
        }
        for method in ("PATCH", "PUT", "DELETE"):
            response = await client.request(method, f"{GROUPS}/{sys_id}", json={"name": "x"})
            assert response.status_code == 404

    run(app, scenario)
    app.state.store.close()


def test_post_honours_a_supplied_sys_id_only_when_valid(app: Starlette) -> None:
    wanted = "0123456789abcdef0123456789abcdef"

    async def scenario(client: httpx.AsyncClient) -> None:
        first = await client.post(GROUPS, json={"sys_id": wanted, "name": "A"})
        assert first.json()["result"]["sys_id"] == wanted
        duplicate = await client.post(GROUPS, json={"sys_id": wanted, "name": "B"})
        assert duplicate.status_code == 403
        assert duplicate.json()["error"]["message"] == "Operation Failed"
        other = await client.post(GROUPS, json={"sys_id": "not-a-sys-id", "name": "C"})
        assert SYS_ID.fullmatch(other.json()["result"]["sys_id"])
        assert other.json()["result"]["sys_id"] != "not-a-sys-id"

    run(app, scenario)


def test_tables_are_created_on_first_write_and_unknown_ones_are_invalid(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        invalid = await client.get("/api/now/table/u_custom")
        assert invalid.status_code == 404
        assert invalid.json() == {
            "error": {"message": "Invalid table u_custom", "detail": None},
            "status": "failure",
        }
        assert (await client.post("/api/now/table/u_custom", json={"u_a": 1})).status_code == 201
        assert len((await client.get("/api/now/table/u_custom")).json()["result"]) == 1

    run(app, scenario)


def test_x_no_response_body_and_method_override(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        quiet = {"X-no-response-body": "true"}
        created = await client.post(GROUPS, json={"name": "A"}, headers=quiet)
        assert (created.status_code, created.content) == (201, b"")
        sys_id = created.headers["Location"].rsplit("/", 1)[1]
        updated = await client.patch(f"{GROUPS}/{sys_id}", json={"name": "B"}, headers=quiet)
        assert (updated.status_code, updated.content) == (200, b"")
        override = {"X-HTTP-Method-Override": "DELETE"}
        deleted = await client.post(f"{GROUPS}/{sys_id}", headers=override)
        assert deleted.status_code == 204
        head = await client.head(GROUPS)
        assert (head.status_code, head.content, head.headers["X-Total-Count"]) == (200, b"", "0")

    run(app, scenario)


def test_concurrent_writes_are_all_stored(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return await asyncio.gather(
            *(client.post(GROUPS, json={"name": f"G{i}"}) for i in range(25))
        )

    responses = run(app, scenario)
    assert {r.status_code for r in responses} == {201}
    assert len(app.state.store.records("sys_user_group")) == 25


# --------------------------------------------------------------------------- lists


def test_v1_answers_an_empty_list_with_404_and_v2_with_an_empty_result(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        v1 = await client.get("/api/now/v1/table/cmn_schedule")
        assert v1.status_code == 404
        assert v1.json()["error"]["message"] == "No Record found"
        for path in ("/api/now/v2/table/cmn_schedule", "/api/now/table/cmn_schedule"):
            response = await client.get(path)
            assert (response.status_code, response.json()) == (200, {"result": []})
        await client.post("/api/now/v1/table/cmn_schedule", json={"name": "24x7"})
        assert names(await client.get("/api/now/v1/table/cmn_schedule")) == ["24x7"]
        unknown = await client.get("/api/now/v3/table/cmn_schedule")
        assert unknown.status_code == 400
        assert unknown.json()["error"]["message"].startswith("Requested URI does not represent")

    run(app, scenario)


def test_pagination_headers_and_following_link_next(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        await make_groups(client, "A", "B", "C", "D", "E")
        first = await client.get(GROUPS, params={"sysparm_limit": 2})
        assert first.headers["X-Total-Count"] == "5"
        assert names(first) == ["A", "B"]
        links = first.links
        assert set(links) == {"first", "next", "last"}
        assert "sysparm_offset=2" in links["next"]["url"]
        assert "sysparm_offset=4" in links["last"]["url"]
        middle = await client.get(GROUPS, params={"sysparm_limit": 2, "sysparm_offset": 2})
        assert set(middle.links) == {"first", "prev", "next", "last"}
        seen: list[str] = []
        url: str | None = GROUPS + "?sysparm_limit=2"
        while url:
            page = await client.get(url)
            seen += names(page)
            url = page.links.get("next", {}).get("url")
        assert seen == ["A", "B", "C", "D", "E"]
        bare = await client.get(
            GROUPS,
            params={"sysparm_no_count": "true", "sysparm_suppress_pagination_header": "true"},
        )
        assert "X-Total-Count" not in bare.headers
        assert "Link" not in bare.headers
        bad = await client.get(GROUPS, params={"sysparm_limit": "lots"})
        assert bad.status_code == 400

    run(app, scenario)


def test_default_order_is_insertion_and_orderby_sorts(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        ids = await make_groups(client, "b", "c", "a")
        assert names(await client.get(GROUPS)) == ["b", "c", "a"]
        by_id = await client.get(GROUPS, params={"sysparm_query": "ORDERBYsys_id"})
        assert [r["sys_id"] for r in by_id.json()["result"]] == sorted(ids)
        desc = await client.get(GROUPS, params={"sysparm_query": "ORDERBYDESCname"})
        assert names(desc) == ["c", "b", "a"]

    run(app, scenario)


def test_pages_of_a_listing_see_every_write_made_between_them(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        ids = await make_groups(client, "b", "d", "f")
        by_name = {"sysparm_query": "ORDERBYname", "sysparm_limit": 2}
        assert names(await client.get(GROUPS, params=by_name)) == ["b", "d"]
        await make_groups(client, "a")
        assert names(await client.get(GROUPS, params=by_name)) == ["a", "b"]
        await client.patch(f"{GROUPS}/{ids[2]}", json={"name": "c"})
        page = {**by_name, "sysparm_offset": 2}
        assert names(await client.get(GROUPS, params=page)) == ["c", "d"]
        await client.delete(f"{GROUPS}/{ids[1]}")
        assert names(await client.get(GROUPS, params=page)) == ["c"]
        filtered = {"sysparm_query": "nameIN" + "a,c^ORDERBYDESCname"}
        assert names(await client.get(GROUPS, params=filtered)) == ["c", "a"]

    run(app, scenario)


def test_hidden_rows_make_pages_short_while_the_total_counts_them() -> None:
    app = create_app(hidden_rows={"sys_user_group": "nameSTARTSWITHsecret"})

    async def scenario(client: httpx.AsyncClient) -> None:
        ids = await make_groups(client, "a", "secret-1", "secret-2", "b", "c")
        first = await client.get(GROUPS, params={"sysparm_limit": 2})
        assert (names(first), first.headers["X-Total-Count"]) == (["a"], "5")
        second = await client.get(GROUPS, params={"sysparm_limit": 2, "sysparm_offset": 2})
        assert names(second) == ["b"]
        assert (await client.get(f"{GROUPS}/{ids[1]}")).status_code == 404

    run(app, scenario)
    app.state.store.close()


QUERY_CASES = [
    ("name=alpha", ["alpha"]),
    ("name!=alpha", ["beta", "gamma", "delta"]),
    ("nameINalpha,gamma", ["alpha", "gamma"]),
    ("nameNOT INalpha,gamma", ["beta", "delta"]),
    ("nameSTARTSWITHga", ["gamma"]),
    ("nameENDSWITHta", ["beta", "delta"]),
    ("nameLIKEelt", ["delta"]),
    ("nameNOTLIKEa", []),
    ("descriptionISEMPTY", ["beta", "delta"]),
    ("descriptionISNOTEMPTY", ["alpha", "gamma"]),
    ("order>5", ["gamma", "delta"]),
    ("order>=5", ["beta", "gamma", "delta"]),
    ("order<5", ["alpha"]),
    ("order<=5", ["alpha", "beta"]),
    ("orderBETWEEN5@10", ["beta", "gamma"]),
    ("name=alpha^ORname=beta", ["alpha", "beta"]),
    ("order>1^name=beta^ORname=gamma", ["beta", "gamma"]),
    ("name=alpha^NQname=delta", ["alpha", "delta"]),
    ("name=alpha^EQ", ["alpha"]),
    ("order>1^ORDERBYDESCorder", ["delta", "gamma", "beta"]),
    ("nameANYTHING", ["alpha", "beta", "gamma", "delta"]),
]


@pytest.mark.parametrize(("query", "expected"), QUERY_CASES)
def test_encoded_query_operators(app: Starlette, query: str, expected: list[str]) -> None:
    async def scenario(client: httpx.AsyncClient) -> list[str]:
        for name, order, description in (
            ("alpha", 1, "first"),
            ("beta", 5, ""),
            ("gamma", 10, "third"),
            ("delta", 100, ""),
        ):
            await client.post(
                GROUPS, json={"name": name, "order": order, "description": description}
            )
        return names(await client.get(GROUPS, params={"sysparm_query": query}))

    assert run(app, scenario) == expected


def test_conditions_on_unknown_fields_are_silently_dropped(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        await make_groups(client, "A", "B")
        # The real hazard: a typo in a look-up returns every row instead of none.
        assert names(await client.get(GROUPS, params={"sysparm_query": "nmae=A"})) == ["A", "B"]
        assert names(await client.get(GROUPS, params={"sysparm_query": "name=B^nmae=A"})) == ["B"]
        assert names(await client.get(GROUPS, params={"sysparm_query": "name~A"})) == ["A", "B"]
        # Plain name=value filters work and follow the same rule.
        assert names(await client.get(GROUPS, params={"name": "A"})) == ["A"]
        assert names(await client.get(GROUPS, params={"nmae": "A"})) == ["A", "B"]

    run(app, scenario)


def test_sysparm_fields_ignores_unknown_fields_and_dot_walks(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        (parent,) = await make_groups(client, "Parent")
        await client.post(GROUPS, json={"name": "Child", "parent": parent})
        response = await client.get(
            GROUPS,
            params={
                "sysparm_query": "name=Child",
                "sysparm_fields": "name,no_such_field,sys_id,parent.name,description",
                "sysparm_exclude_reference_link": "true",
            },
        )
        (row,) = response.json()["result"]
        assert list(row) == ["name", "sys_id", "parent.name"]
        assert row["parent.name"] == "Parent"
        walked = await client.get(GROUPS, params={"sysparm_query": "parent.name=Parent"})
        assert names(walked) == ["Child"]

    run(app, scenario)


# --------------------------------------------------------------------------- references


def test_reference_links_display_values_and_exclusion(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        (group,) = await make_groups(client, "Network")
        schedule = (await client.post("/api/now/table/cmn_schedule", json={"name": "24x7"})).json()
        schedule_id = schedule["result"]["sys_id"]
        created = await client.post(
            "/api/now/table/cmdb_ci_service",
            json={"name": "Email", "support_group": group, "schedule": schedule_id},
        )
        service = created.json()["result"]
        assert service["support_group"] == {
            "link": f"{BASE}/api/now/table/sys_user_group/{group}",
            "value": group,
        }
        assert service["name"] == "Email"
        path = f"/api/now/table/cmdb_ci_service/{service['sys_id']}"

        async def read(**params: str) -> dict[str, Any]:
            result: dict[str, Any] = (await client.get(path, params=params)).json()["result"]
            return result

        plain = await read(sysparm_exclude_reference_link="true")
        assert (plain["support_group"], plain["schedule"]) == (group, schedule_id)
        shown = await read(sysparm_display_value="true")
        assert shown["support_group"] == {
            "display_value": "Network",
            "link": f"{BASE}/api/now/table/sys_user_group/{group}",
        }
        assert shown["name"] == "Email"
        shown_bare = await read(sysparm_display_value="true", sysparm_exclude_reference_link="true")
        assert (shown_bare["support_group"], shown_bare["schedule"]) == ("Network", "24x7")
        every = await read(sysparm_display_value="all")
        assert every["schedule"] == {
            "display_value": "24x7",
            "link": f"{BASE}/api/now/table/cmn_schedule/{schedule_id}",
            "value": schedule_id,
        }
        assert every["name"] == {"display_value": "Email", "value": "Email"}
        every_bare = await read(sysparm_display_value="all", sysparm_exclude_reference_link="true")
        assert every_bare["support_group"] == {"display_value": "Network", "value": group}
        # A reference written back in its read shape stores the plain sys_id.
        await client.patch(path, json={"support_group": service["support_group"]})
        assert app.state.store.get("cmdb_ci_service", service["sys_id"])["support_group"] == group

    run(app, scenario)


def test_dangling_reference_of_a_known_field_still_links(app: Starlette) -> None:
    gone = "ffffffffffffffffffffffffffffffff"

    async def scenario(client: httpx.AsyncClient) -> None:
        created = await client.post(
            "/api/now/table/service_offering",
            json={"name": "Gold", "support_group": gone, "u_note": gone},
            params={"sysparm_display_value": "all"},
        )
        result = created.json()["result"]
        assert result["support_group"] == {
            "display_value": "",
            "link": f"{BASE}/api/now/table/sys_user_group/{gone}",
            "value": gone,
        }
        # An unknown field whose value is no existing record stays a plain value.
        assert result["u_note"] == {"display_value": gone, "value": gone}

    run(app, scenario)


# --------------------------------------------------------------------------- errors


def test_unauthenticated_and_wrong_password_answer_401(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        assert (await client.get(GROUPS, auth=ADMIN)).status_code == 200
        for auth in (httpx.USE_CLIENT_DEFAULT, ("admin", "wrong"), ("ghost", "admin")):
            response = await client.get(GROUPS, auth=auth)
            assert response.status_code == 401
            assert response.json() == {
                "error": {
                    "message": "User Not Authenticated",
                    "detail": "Required to provide Auth information",
                },
                "status": "failure",
            }
            assert response.headers["WWW-Authenticate"].startswith("Basic")
        bogus = await client.get(GROUPS, headers={"Authorization": "Bearer not-issued"})
        assert bogus.status_code == 401

    run(app, scenario, auth=None)


def test_read_only_tables_and_forbidden_writes_answer_403() -> None:
    app = create_app(
        read_only_tables={"sys_choice"}, forbidden_writes={("sys_user_group", "delete")}
    )

    async def scenario(client: httpx.AsyncClient) -> None:
        denied = await client.post("/api/now/table/sys_choice", json={"name": "incident"})
        assert denied.status_code == 403
        assert denied.json()["error"] == {
            "message": "Operation Failed",
            "detail": "ACL Exception Insert Failed due to security constraints",
        }
        (group,) = await make_groups(client, "A")
        assert (await client.patch(f"{GROUPS}/{group}", json={"name": "B"})).status_code == 200
        removal = await client.delete(f"{GROUPS}/{group}")
        assert removal.status_code == 403
        assert "Delete Failed" in removal.json()["error"]["detail"]
        assert (await client.get("/api/now/table/sys_choice")).status_code == 200

    run(app, scenario)
    assert app.state.store.records("sys_choice") == []
    app.state.store.close()


def test_header_and_body_checks(app: Starlette) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        html = await client.get(GROUPS, headers={"Accept": "text/html"})
        assert html.status_code == 406
        request = client.build_request("GET", GROUPS)
        del request.headers["Accept"]
        assert (await client.send(request)).status_code == 400
        text = await client.post(GROUPS, content=b"name=x", headers={"Content-Type": "text/plain"})
        assert text.status_code == 415
        broken = await client.post(
            GROUPS, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert broken.status_code == 400
        assert broken.json()["error"]["message"] == "Exception while reading request"
        collection_delete = await client.delete(GROUPS)
        assert collection_delete.status_code == 405
        nowhere = await client.get("/api/now/nothing")
        assert nowhere.status_code == 400

    run(app, scenario)
    assert app.state.store.records("sys_user_group") == []


def test_error_envelope_helper() -> None:
    response = error_envelope(404, "No Record found", None)
    assert response.status_code == 404
    assert json.loads(bytes(response.body)) == {
        "error": {"message": "No Record found", "detail": None},
        "status": "failure",
    }


# --------------------------------------------------------------------------- faults


def test_rate_429_has_the_servicenow_envelope_and_writes_nothing() -> None:
    app = create_app(faults=FaultConfig(rate_429=1.0, retry_after_s=3, seed=1))

    async def scenario(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(GROUPS, json={"name": "A"})

    response = run(app, scenario)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json() == {
        "error": {
            "message": "Rate limit exceeded",
            "detail": "Rate limit of 100 requests per hour for Table API exceeded",
        },
        "status": "failure",
    }
    assert app.state.store.records("sys_user_group") == []
    assert app.state.request_log.count(injected_fault="rate_429") == 1
    app.state.store.close()


def test_rate_5xx_answers_503_and_writes_nothing() -> None:
    app = create_app(faults=FaultConfig(rate_5xx=1.0, seed=1))

    async def scenario(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(GROUPS, json={"name": "A"})

    response = run(app, scenario)
    assert response.status_code == 503
    assert response.json()["status"] == "failure"
    assert app.state.store.records("sys_user_group") == []
    app.state.store.close()


def test_drop_after_commit_loses_the_response_but_keeps_the_record() -> None:
    app = create_app(faults=FaultConfig(drop_after_commit=1.0, seed=1))

    async def scenario(client: httpx.AsyncClient) -> list[str]:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(GROUPS, json={"name": "Lost response"})
        return names(await client.get(GROUPS))

    assert run(app, scenario) == ["Lost response"]
    log = app.state.request_log.entries()
    assert [(e.method, e.status, e.injected_fault) for e in log] == [
        ("POST", 201, "drop_after_commit"),
        ("GET", 200, None),
    ]
    app.state.store.close()


def test_control_endpoints_need_no_auth_and_get_no_faults() -> None:
    app = create_app(faults=FaultConfig(rate_5xx=1.0, seed=1))
    app.state.store.insert("sys_user_group", {"sys_id": "a" * 32, "name": "Seeded"})

    async def scenario(client: httpx.AsyncClient) -> None:
        dump = await client.get("/_sandbox/tables/sys_user_group")
        assert dump.json() == {"result": [{"sys_id": "a" * 32, "name": "Seeded"}]}
        assert (await client.get(GROUPS, auth=ADMIN)).status_code == 503
        requests = (await client.get("/_sandbox/requests")).json()["requests"]
        assert [(r["path"], r["status"], r["injected_fault"]) for r in requests] == [
            (GROUPS, 503, "rate_5xx")
        ]
        assert (await client.post("/_sandbox/reset")).status_code == 200
        assert (await client.get("/_sandbox/tables/sys_user_group")).json() == {"result": []}
        assert (await client.get("/_sandbox/tables/u_gone")).status_code == 404
        assert (await client.get("/_sandbox/requests")).json() == {"requests": []}

    run(app, scenario, auth=None)
    app.state.store.close()


# --------------------------------------------------------------------------- OAuth


def oauth_form(**fields: str) -> dict[str, str]:
    return {"client_id": "usm-config", "client_secret": "sandbox-secret", **fields}


def test_oauth_password_client_credentials_and_refresh() -> None:
    clock = Clock()
    app = create_app(now=clock, token_ttl_s=600)

    async def scenario(client: httpx.AsyncClient) -> None:
        granted = await client.post(
            "/oauth_token.do",
            data=oauth_form(grant_type="password", username="admin", password="admin"),
        )
        assert granted.status_code == 200
        token = granted.json()
        assert set(token) == {
            "access_token",
            "refresh_token",
            "scope",
            "token_type",
            "expires_in",
        }
        assert (token["scope"], token["token_type"], token["expires_in"]) == (
            "useraccount",
            "Bearer",
            600,
        )
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        created = await client.post(GROUPS, json={"name": "Via OAuth"}, headers=bearer)
        assert created.json()["result"]["sys_created_by"] == "admin"

        clock.advance(601)
        assert (await client.get(GROUPS, headers=bearer)).status_code == 401
        refreshed = await client.post(
            "/oauth_token.do",
            data=oauth_form(grant_type="refresh_token", refresh_token=token["refresh_token"]),
        )
        assert refreshed.status_code == 200
        renewed = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        assert (await client.get(GROUPS, headers=renewed)).status_code == 200

        machine = await client.post(
            "/oauth_token.do", data=oauth_form(grant_type="client_credentials")
        )
        assert machine.status_code == 200
        assert "refresh_token" not in machine.json()
        robot = {"Authorization": f"Bearer {machine.json()['access_token']}"}
        assert (await client.get(GROUPS, headers=robot)).status_code == 200

        for form in (
            oauth_form(grant_type="password", username="admin", password="nope"),
            {**oauth_form(grant_type="client_credentials"), "client_secret": "nope"},
            oauth_form(grant_type="refresh_token", refresh_token="forged"),
        ):
            denied = await client.post("/oauth_token.do", data=form)
            assert denied.status_code == 401
            assert denied.json() == {
                "error": "access_denied",
                "error_description": "access_denied",
            }
        odd = await client.post("/oauth_token.do", data=oauth_form(grant_type="implicit"))
        assert odd.status_code == 400

    run(app, scenario, auth=None)
    app.state.store.close()


# --------------------------------------------------------------------------- Batch API


def b64(data: Any) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_batch_round_trip_with_base64_bodies_and_unserviced_ids() -> None:
    app = create_app(batch_max_requests=3)
    json_headers = [
        {"name": "Content-Type", "value": "application/json"},
        {"name": "Accept", "value": "application/json"},
    ]

    async def scenario(client: httpx.AsyncClient) -> dict[str, Any]:
        batch = {
            "batch_request_id": "b1",
            "rest_requests": [
                {
                    "id": "create",
                    "method": "POST",
                    "url": GROUPS,
                    "headers": json_headers,
                    "body": b64({"name": "Batched"}),
                },
                {
                    "id": "list",
                    "method": "GET",
                    "url": GROUPS + "?sysparm_query=name%3DBatched&sysparm_fields=name",
                    "headers": json_headers[1:],
                    "exclude_response_headers": True,
                },
                {"id": "missing", "method": "GET", "url": f"{GROUPS}/{'0' * 32}"},
                {"id": "late-1", "method": "GET", "url": GROUPS},
                {"id": "late-2", "method": "GET", "url": GROUPS},
            ],
        }
        response = await client.post("/api/now/v1/batch", json=batch)
        assert response.status_code == 200
        result: dict[str, Any] = response.json()
        return result

    result = run(app, scenario)
    assert result["batch_request_id"] == "b1"
    assert result["unserviced_requests"] == ["late-1", "late-2"]
    served = {item["id"]: item for item in result["serviced_requests"]}
    assert list(served) == ["create", "list", "missing"]
    create = served["create"]
    assert (create["status_code"], create["status_text"]) == (201, "Created")
    assert json.loads(base64.b64decode(create["body"]))["result"]["name"] == "Batched"
    assert any(h["name"].lower() == "location" for h in create["headers"])
    listing = served["list"]
    assert listing["headers"] == []
    assert json.loads(base64.b64decode(listing["body"])) == {"result": [{"name": "Batched"}]}
    missing = served["missing"]
    assert (missing["status_code"], missing["error_message"]) == (404, "No Record found")
    # Sub-requests are no separate HTTP requests: one log entry for the batch.
    assert [(e.method, e.path) for e in app.state.request_log] == [("POST", "/api/now/v1/batch")]
    app.state.store.close()


def test_batch_needs_auth_and_drops_apply_to_the_outer_response() -> None:
    app = create_app(faults=FaultConfig(drop_after_commit=1.0, seed=2))
    batch = {
        "batch_request_id": "1",
        "rest_requests": [
            {"id": "1", "method": "POST", "url": GROUPS, "body": b64({"name": "Kept"})}
        ],
    }

    async def scenario(client: httpx.AsyncClient) -> None:
        anonymous = await client.post("/api/now/v1/batch", json=batch)
        assert anonymous.status_code == 401
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/api/now/v1/batch", json=batch, auth=ADMIN)

    run(app, scenario, auth=None)
    assert [r["name"] for r in app.state.store.records("sys_user_group")] == ["Kept"]
    app.state.store.close()


# --------------------------------------------------------------------------- state


def test_state_persists_across_app_instances(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    first = create_app(db_path=db)

    async def write(client: httpx.AsyncClient) -> str:
        (group,) = await make_groups(client, "Durable")
        await client.post("/api/now/table/u_custom", json={"u_value": "x"})
        await client.patch(f"{GROUPS}/{group}", json={"description": "kept"})
        return group

    group = run(first, write)
    first.state.store.close()
    second = create_app(db_path=db)

    async def read(client: httpx.AsyncClient) -> None:
        record = (await client.get(f"{GROUPS}/{group}")).json()["result"]
        assert (record["name"], record["description"], record["sys_mod_count"]) == (
            "Durable",
            "kept",
            "1",
        )
        assert len((await client.get("/api/now/table/u_custom")).json()["result"]) == 1
        # Columns survive too, so a query on them is not dropped.
        custom = await client.get("/api/now/table/u_custom", params={"u_value": "y"})
        assert custom.json() == {"result": []}

    run(second, read)
    second.state.store.close()


def test_spec_violations_are_recorded_and_answered_400() -> None:
    app = create_app(spec_path=SPEC)

    async def scenario(client: httpx.AsyncClient) -> None:
        fine = await client.get(
            GROUPS,
            params={"sysparm_limit": 5, "sysparm_offset": 0, "name": "A", "sysparm_fields": "name"},
        )
        assert fine.status_code == 200
        bad = await client.get(GROUPS, params={"sysparm_limt": 5})
        assert bad.status_code == 400
        assert "sysparm_limt" in bad.json()["error"]["detail"]
        wrong_place = await client.post(GROUPS, json={"name": "A"}, params={"sysparm_limit": 1})
        assert wrong_place.status_code == 400

    run(app, scenario)
    assert app.state.spec_violations == [
        "GET /api/now/table/{tableName}: query parameter 'sysparm_limt' is not declared",
        "POST /api/now/table/{tableName}: query parameter 'sysparm_limit' is not declared",
    ]
    assert app.state.store.records("sys_user_group") == []
    app.state.store.close()


def test_real_http_server_drops_the_response_after_the_commit() -> None:
    app = create_app(faults=FaultConfig(drop_after_commit=1.0, seed=5))
    with (
        run_in_thread(app) as base_url,
        httpx.Client(base_url=base_url, auth=("admin", "admin"), timeout=5) as client,
    ):
        with pytest.raises(httpx.TransportError):
            client.post(GROUPS, json={"name": "Committed"})
        listing = client.get(GROUPS)
        assert [r["name"] for r in listing.json()["result"]] == ["Committed"]
        assert "x-sandbox-dropped" not in listing.headers
    assert STAMP.fullmatch(app.state.store.records("sys_user_group")[0]["sys_created_on"])
    app.state.store.close()
