"""Real Jira clients (``jira`` and ``atlassian-python-api``) read the emulator on 127.0.0.1.

``populated_site`` writes records through the emulator's own REST API, as an administrator's
script would; the tests then read them back through both clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from atlassian import Jira, ServiceDesk
from jira import JIRA
from usm_jsm.sandbox import create_app
from usm_jsm.sandbox.itsm_template import TEMPLATE_KEY, template

from usm_config.sandbox.serve import run_in_thread

EMAIL, TOKEN = "admin@example.com", "sandbox-token"
OPT_IN = {"X-ExperimentalApi": "opt-in"}
KEY = "HELP"


@dataclass(frozen=True)
class Populated:
    """The served site and the records ``populated_site`` wrote."""

    url: str
    project_id: str
    component: str
    group: str
    request_type: str


@pytest.fixture
def populated_site(tmp_path: Path) -> Iterator[Populated]:
    """The emulator served on loopback with a service project, a component, a group and a
    request type, written through its REST API."""
    app = create_app(db_path=tmp_path / "jsm.sqlite3")
    with (
        run_in_thread(app) as url,
        httpx.Client(base_url=url, auth=(EMAIL, TOKEN), timeout=10) as http,
    ):
        me = http.get("/rest/api/3/myself").json()["accountId"]
        project = http.post(
            "/rest/api/3/project",
            json={
                "key": KEY,
                "name": "Help desk",
                "projectTypeKey": "service_desk",
                "projectTemplateKey": TEMPLATE_KEY,
                "leadAccountId": me,
            },
        )
        assert project.status_code == 201, project.text
        component = http.post(
            "/rest/api/3/component", json={"name": "E-mail", "project": KEY}
        ).json()
        group = http.post("/rest/api/3/group", json={"name": "service-desk-agents"})
        assert group.status_code == 201, group.text
        desk = http.get(f"/rest/servicedeskapi/servicedesk/projectKey:{KEY}").json()
        incident = next(
            t for t in http.get("/rest/api/3/issuetype").json() if t["name"] == "[System] Incident"
        )
        created = http.post(
            f"/rest/servicedeskapi/servicedesk/{desk['id']}/requesttype",
            json={"name": "Report an outage", "issueTypeId": incident["id"]},
            headers=OPT_IN,
        )
        assert created.status_code == 200, created.text
        yield Populated(
            url, project.json()["id"], component["name"], "service-desk-agents", "Report an outage"
        )


@pytest.fixture
def jira_client(populated_site: Populated, request: pytest.FixtureRequest) -> JIRA:
    """``jira.JIRA`` logged in with the site's API token."""
    client = JIRA(populated_site.url, basic_auth=(EMAIL, TOKEN), max_retries=0)
    request.addfinalizer(client.close)
    return client


def test_jira_reads_the_site(jira_client: JIRA, populated_site: Populated) -> None:
    assert jira_client.server_info()["versionNumbers"][0] >= 1001
    assert KEY in [p.key for p in jira_client.projects()]
    issue_types = {t.name for t in jira_client.issue_types()}
    assert {"Task", "Sub-task", "[System] Incident", "[System] Change"} <= issue_types
    assert {"Open", "Waiting for support", "Closed"} <= {s.name for s in jira_client.statuses()}
    assert [p.name for p in jira_client.priorities()] == [
        "Highest",
        "High",
        "Medium",
        "Low",
        "Lowest",
    ]
    assert {"Request Type", "Time to resolution"} <= {f["name"] for f in jira_client.fields()}
    components = jira_client.project_components(KEY)
    assert [c.name for c in components] == [populated_site.component]
    assert populated_site.group in jira_client.groups()


def test_jira_reads_the_service_desk(jira_client: JIRA, populated_site: Populated) -> None:
    assert jira_client.supports_service_desk()
    desks = jira_client.service_desks()
    assert [d.projectKey for d in desks] == [KEY]
    names = [t.name for t in jira_client.request_types(desks[0])]
    assert names == [t["name"] for t in template()["requestTypes"]] + [populated_site.request_type]


def test_atlassian_reads_the_site_and_the_service_desk(populated_site: Populated) -> None:
    jira = Jira(url=populated_site.url, username=EMAIL, password=TOKEN, cloud=True)
    desk = ServiceDesk(url=populated_site.url, username=EMAIL, password=TOKEN, cloud=True)

    desks = desk.get_service_desks()
    assert [d["projectKey"] for d in desks] == [KEY]
    desk_id = desks[0]["id"]
    request_types = desk.get_request_types(desk_id)["values"]
    assert populated_site.request_type in [t["name"] for t in request_types]
    queues = desk.get_queues(desk_id, include_count=True)["values"]
    assert [q["name"] for q in queues] == [q["name"] for q in template()["queues"]]
    assert all(q["issueCount"] == 0 for q in queues)

    assert "Waiting for customer" in {s["name"] for s in jira.get_all_statuses()}
    schemes = jira.get("rest/api/3/issuetypescheme")["values"]
    assert f"{KEY}: Jira Service Management Issue Type Scheme" in {s["name"] for s in schemes}
    workflows = jira.get("rest/api/3/workflows/search")["values"]
    assert f"{KEY}: Incident Management workflow for Jira Service Management" in {
        w["name"] for w in workflows
    }
