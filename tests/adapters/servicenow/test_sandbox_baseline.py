"""The ServiceNow emulator starts like a fresh instance: out-of-box records, table hierarchy."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from usm_servicenow.sandbox import create_app
from usm_servicenow.sandbox_baseline import baseline, platform_choices

from usm_config.sandbox.embedded import EmbeddedTransport

BASE = "http://sn.sandbox.test"


def run(app: Starlette, scenario: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(
            transport=EmbeddedTransport(app),
            base_url=BASE,
            auth=("admin", "admin"),
            headers={"Accept": "application/json"},
        ) as client:
            return await scenario(client)

    return asyncio.run(main())


def test_the_baseline_file_names_its_sources_and_holds_the_base_system_states() -> None:
    data = baseline()
    assert set(data["_source"]) >= {"general", "sys_choice", "extends"}
    states = platform_choices()
    assert states[("change_request", "state")] == {
        "-5": "New",
        "-4": "Assess",
        "-3": "Authorize",
        "-2": "Scheduled",
        "-1": "Implement",
        "0": "Review",
        "3": "Closed",
        "4": "Canceled",
    }
    assert list(states[("problem", "state")]) == ["101", "102", "103", "104", "106", "107"]
    ids = [row["sys_id"] for rows in data["tables"].values() for row in rows]
    assert len(ids) == len(set(ids))


def test_a_fresh_sandbox_serves_the_out_of_box_records(tmp_path: Path) -> None:
    app = create_app(db_path=tmp_path / "state.sqlite3")

    async def scenario(client: httpx.AsyncClient) -> Any:
        schedules = await client.get(
            "/api/now/table/cmn_schedule", params={"sysparm_query": "name=8-5 weekdays"}
        )
        [schedule] = schedules.json()["result"]
        assert schedule["sys_id"] == "08fcd0830a0a0b2600079f56b1adb9ae"
        assert schedule["sys_class_name"] == "cmn_schedule"
        lookup = await client.get("/api/now/v2/table/dl_u_priority")
        assert lookup.headers["X-Total-Count"] == "9"
        await client.delete(f"/api/now/table/cmn_schedule/{schedule['sys_id']}")
        reset = await client.post("/_sandbox/reset")
        assert reset.status_code == 200
        again = await client.get(f"/api/now/table/cmn_schedule/{schedule['sys_id']}")
        assert again.status_code == 200  # a reset re-seeds the out-of-box records

    run(app, scenario)
    # A restart over the same state does not seed twice.
    second = create_app(db_path=tmp_path / "state.sqlite3")
    assert len(second.state.store.rows("dl_u_priority")) == 9
    empty = create_app(baseline=False)
    assert empty.state.store.rows("sys_choice") == []


def test_parent_tables_return_their_children_with_sys_class_name() -> None:
    app = create_app()

    async def scenario(client: httpx.AsyncClient) -> Any:
        service = await client.post(
            "/api/now/table/cmdb_ci_service_business", json={"name": "Digitale werkplek"}
        )
        sys_id = service.json()["result"]["sys_id"]
        assert service.json()["result"]["sys_class_name"] == "cmdb_ci_service_business"
        incident = await client.post(
            "/api/now/table/incident", json={"short_description": "Printer down"}
        )
        incident_id = incident.json()["result"]["sys_id"]
        for parent in ("cmdb_ci_service", "cmdb_ci"):
            rows = (
                await client.get(
                    f"/api/now/table/{parent}",
                    params={"sysparm_query": "name=Digitale werkplek"},
                )
            ).json()["result"]
            assert [(r["sys_id"], r["sys_class_name"]) for r in rows] == [
                (sys_id, "cmdb_ci_service_business")
            ]
        classes = {
            r["sys_class_name"]
            for r in (await client.get("/api/now/table/cmdb_ci")).json()["result"]
        }
        assert classes == {"cmdb_ci_service", "cmdb_ci_service_business"}
        tasks = (await client.get("/api/now/table/task")).json()["result"]
        assert [(t["sys_id"], t["sys_class_name"]) for t in tasks] == [(incident_id, "incident")]
        # The parent table's columns only: short_description is a task column.
        assert tasks[0]["short_description"] == "Printer down"
        one = await client.get(f"/api/now/table/task/{incident_id}")
        assert one.json()["result"]["sys_class_name"] == "incident"
        patched = await client.patch(
            f"/api/now/table/cmdb_ci/{sys_id}", json={"short_description": "Laptop"}
        )
        assert patched.status_code == 200
        child = await client.get(f"/api/now/table/cmdb_ci_service_business/{sys_id}")
        assert child.json()["result"]["short_description"] == "Laptop"
        # A parent's record is not its child's: reading the child table by it is a 404.
        email = (
            await client.get(
                "/api/now/table/cmdb_ci_service", params={"sysparm_query": "name=Email"}
            )
        ).json()["result"][0]
        missing = await client.get(f"/api/now/table/cmdb_ci_service_business/{email['sys_id']}")
        assert missing.status_code == 404
        gone = await client.delete(f"/api/now/table/task/{incident_id}")
        assert gone.status_code == 204
        assert (await client.get("/api/now/table/incident")).json()["result"] == []

    run(app, scenario)


def test_an_instance_without_the_batch_api_answers_400_no_resource() -> None:
    app = create_app(batch_api=False)

    async def scenario(client: httpx.AsyncClient) -> Any:
        answer = await client.post("/api/now/v1/batch", json={"rest_requests": []})
        assert answer.status_code == 400
        assert answer.json()["error"]["message"] == "Requested URI does not represent any resource"
        entry = (await client.get("/_sandbox/requests")).json()["requests"][-1]
        assert (entry["method"], entry["path"], entry["status"]) == (
            "POST",
            "/api/now/v1/batch",
            400,
        )

    run(app, scenario)
