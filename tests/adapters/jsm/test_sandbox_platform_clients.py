"""Real Jira clients (``jira``, atlassian-python-api) read through the served emulator what
the other one wrote, over the platform API versions 2 and 3 on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import jira
import pytest
import requests
from atlassian import Jira
from usm_jsm.sandbox import create_app

from usm_config.sandbox.serve import run_in_thread

LOGIN = ("admin@example.com", "sandbox-token")


@pytest.fixture
def url() -> Iterator[str]:
    with run_in_thread(create_app()) as served:
        yield served


def test_atlassian_writes_and_jira_reads(url: str, request: pytest.FixtureRequest) -> None:
    reader = jira.JIRA(server=url, basic_auth=LOGIN)
    request.addfinalizer(reader.close)
    writer = Jira(url=url, username=LOGIN[0], password=LOGIN[1], cloud=True)
    request.addfinalizer(writer.close)
    lead = reader.myself()["accountId"]
    writer.create_project_from_raw_json(
        {"key": "SUP", "name": "Support", "projectTypeKey": "software", "leadAccountId": lead}
    )
    reader.create_component("Mail", "SUP", description="E-mail")
    writer.create_component(
        {
            "name": "Calendar",
            "project": "SUP",
            "leadAccountId": lead,
            "assigneeType": "COMPONENT_LEAD",
        }
    )
    assert [p.key for p in reader.projects()] == ["SUP"]
    calendar = next(c for c in reader.project_components("SUP") if c.name == "Calendar")
    assert (calendar.lead.accountId, calendar.realAssignee.accountId) == (lead, lead)
    assert calendar.realAssigneeType == "COMPONENT_LEAD"
    assert reader.project("SUP").lead.accountId == lead
    assert [c["name"] for c in writer.get_project_components("SUP")] == ["Mail", "Calendar"]
    assert {s.name for s in reader.statuses()} >= {"Open", "Done"}
    assert [p["name"] for p in writer.get_all_priorities()][2] == "Medium"


def test_wrong_token_is_refused_to_real_clients(url: str, request: pytest.FixtureRequest) -> None:
    client = Jira(url=url, username=LOGIN[0], password="wrong", cloud=True)
    request.addfinalizer(client.close)
    with pytest.raises(requests.HTTPError, match="401"):
        client.projects()
