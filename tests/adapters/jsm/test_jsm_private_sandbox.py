"""The JSM emulator's internal endpoints: queues, SLA metrics and calendars (private_api).

They keep the rules public code shows: a project keeps one queue, queue names are unique in
it, a goal's calendar must be the project's, a status condition names an existing status, a
calendar a goal uses is not deleted. They answer only logged-in requests and are exempt from
the OpenAPI check, which describes none of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsm_platform_support import Api
from support import SPECS
from usm_jsm.sandbox import create_app
from usm_jsm.sandbox.itsm_template import instantiate
from usm_jsm.sandbox.site import PROJECT, QUEUE, SERVICE_DESK, Site

JIRA_SPECS = SPECS / "jira"
KEY = "ITSM"
QUEUES = f"/rest/servicedesk/1/servicedesk/{KEY}/queues"
METRICS = f"/rest/servicedesk/1/servicedesk/agent/{KEY}/sla/metrics"
CALENDARS = "/rest/workinghours/1/api/calendar"
DIALOG = f"/rest/workinghours/1/internal/dialog/{KEY}"
OFFICE = {
    "name": "Office hours",
    "timezoneId": "Europe/Amsterdam",
    "workingTimes": [{"weekday": "monday", "start": 28_800_000, "end": 61_200_000}],
    "holidays": [{"name": "Christmas", "iso8601Date": "2026-12-25", "recurring": False}],
}


def _app(**kw: Any) -> tuple[Api, Site]:
    app = create_app(**kw)
    site: Site = app.state.site
    instantiate(site, site.insert(PROJECT, {"id": "10000", "key": KEY, "name": "ITSM desk"}))
    return Api(app), site


@pytest.fixture
def api() -> Api:
    return _app()[0]


def _desk(site: Site) -> str:
    desk = site.find(SERVICE_DESK, projectKey=KEY)
    assert desk is not None
    return str(desk["id"])


def _metric(stop_status: str, calendar_id: int | None) -> dict[str, Any]:
    goal: dict[str, Any] = {"jqlQuery": "priority = High", "duration": 14_400_000}
    if calendar_id is not None:
        goal["calendarId"] = calendar_id
    return {
        "name": "Time to response",
        "config": {
            "definition": {
                "start": [
                    {
                        "pluginKey": "com.atlassian.servicedesk",
                        "factoryKey": "issue-created-sla-condition-factory",
                        "conditionId": "issue-created-hit-condition",
                    }
                ],
                "stop": [
                    {
                        "pluginKey": "com.atlassian.servicedesk",
                        "factoryKey": "status-sla-condition-factory",
                        "conditionId": stop_status,
                    }
                ],
                "pause": [],
            },
            "goals": [goal, {"jqlQuery": "", "defaultGoal": True}],
        },
    }


def test_a_queue_written_internally_is_read_publicly_with_its_project_clause() -> None:
    api, site = _app()
    created = api.ok("POST", QUEUES, {"name": "Incident: open", "jql": "issuetype = Incident"})
    assert isinstance(created["id"], int)
    desk = _desk(site)
    listed = api.ok("GET", f"/rest/servicedeskapi/servicedesk/{desk}/queue")["values"]
    ours = next(q for q in listed if q["name"] == "Incident: open")
    assert ours["jql"] == f"project = {KEY} AND issuetype = Incident"
    api.ok(
        "PUT", f"{QUEUES}/{created['id']}", {"name": "Urgent incidents", "jql": "priority = High"}
    )
    assert site.get(QUEUE, str(created["id"]))["jql"] == f"project = {KEY} AND priority = High"


def test_queue_names_are_unique_and_the_last_queue_stays() -> None:
    api, site = _app()
    taken = site.rows(QUEUE)[0]["name"]
    assert api.call("POST", QUEUES, {"name": taken.upper(), "jql": "x = y"}).status_code == 400
    ids = [int(q["id"]) for q in site.rows(QUEUE)]
    assert len(ids) > 1
    refused = api.call("PUT", QUEUES, {"deleted": ids})
    assert refused.status_code == 400 and "at least one queue" in refused.json()["errorMessage"]
    assert api.call("PUT", QUEUES, {"deleted": [999]}).status_code == 404
    api.ok("PUT", QUEUES, {"deleted": ids[1:]})
    assert [q["id"] for q in site.rows(QUEUE)] == [str(ids[0])]


def test_calendars_are_written_and_listed_in_the_dialog(api: Api) -> None:
    created = api.ok("POST", f"{CALENDARS}/{KEY}", OFFICE)
    assert api.call("POST", f"{CALENDARS}/{KEY}", OFFICE).status_code == 400  # same name
    (listed,) = api.ok("GET", DIALOG)["calendars"]
    assert listed["id"] == created["id"] and listed["deletable"] is True
    assert listed["workingTimes"] == OFFICE["workingTimes"]
    changed = {**OFFICE, "workingTimes": [{"weekday": "fri", "start": 0, "end": 1}]}
    assert api.call("PUT", f"{CALENDARS}/{KEY}/{created['id']}", changed).status_code == 400
    api.ok("PUT", f"{CALENDARS}/{KEY}/{created['id']}", {**OFFICE, "timezoneId": "UTC"})
    assert api.ok("GET", DIALOG)["calendars"][0]["timezoneId"] == "UTC"
    api.ok("DELETE", f"{CALENDARS}/{created['id']}")
    assert api.ok("GET", DIALOG)["calendars"] == []


def test_sla_metrics_name_their_status_conditions_and_check_calendars() -> None:
    api, site = _app()
    status = site.rows("status")[0]
    assert api.call("POST", METRICS, _metric(status["id"], 999)).status_code == 400
    assert api.call("POST", METRICS, _metric("99999", None)).status_code == 400
    calendar = api.ok("POST", f"{CALENDARS}/{KEY}", OFFICE)
    created = api.ok("POST", METRICS, _metric(status["id"], calendar["id"]))
    (metric,) = api.ok("GET", METRICS)["timeMetrics"]
    assert metric["id"] == created["id"]
    stop = metric["config"]["definition"]["stop"][0]
    assert stop["name"] == f"Entered Status: {status['name']}"
    assert metric["config"]["definition"]["start"][0]["name"] == "Issue Created"
    # A calendar in use stays.
    assert api.ok("GET", DIALOG)["calendars"][0]["deletable"] is False
    assert api.call("DELETE", f"{CALENDARS}/{calendar['id']}").status_code == 400
    renamed = {**_metric(status["id"], calendar["id"]), "name": "Time to first response"}
    api.ok("PUT", f"{METRICS}/{created['id']}", renamed)
    assert api.ok("GET", METRICS)["timeMetrics"][0]["name"] == "Time to first response"
    api.ok("DELETE", f"{METRICS}/{created['id']}")
    api.ok("DELETE", f"{CALENDARS}/{calendar['id']}")


def test_a_project_without_a_service_desk_is_not_found(api: Api) -> None:
    assert (
        api.call("GET", "/rest/servicedesk/1/servicedesk/agent/NOPE/sla/metrics").status_code == 404
    )


def test_internal_endpoints_need_a_login_but_no_spec() -> None:
    api, _ = _app(spec_dir=JIRA_SPECS)
    api.ok("POST", QUEUES, {"name": "Mine", "jql": "priority = High"})
    api.ok("GET", DIALOG)
    assert api.ok("GET", "/_sandbox/spec_violations")["spec_violations"] == []
    assert Api(api.app, auth=None).call("GET", DIALOG).status_code == 401
