"""The JSM emulator's service desk API, ITSM template, fresh-site baseline and UI simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jira_examples import SERVICE_DESK, example
from starlette.applications import Starlette
from usm_jsm.sandbox import create_app
from usm_jsm.sandbox.baseline import baseline
from usm_jsm.sandbox.itsm_template import FIELD_CONFIGURATION_SCHEME, instantiate, template
from usm_jsm.sandbox.servicedesk import experimental_operations
from usm_jsm.sandbox.site import (
    ISSUE_TYPE,
    ISSUE_TYPE_SCHEME,
    PROJECT,
    WORKFLOW,
    WORKFLOW_SCHEME,
    Site,
)

from usm_config.sandbox.serve import run_in_thread

AUTH = ("admin@example.com", "sandbox-token")
OPT_IN = {"X-ExperimentalApi": "opt-in"}
API = "/rest/servicedeskapi"
KEY = "ITSM"
PROJECT_ID = "10000"


def _project(site: Site, key: str = KEY, project_id: str = PROJECT_ID) -> dict[str, Any]:
    return site.insert(PROJECT, {"id": project_id, "key": key, "name": f"{key} desk"})


@pytest.fixture
def app() -> Starlette:
    """A fresh site with one service project created from the ITSM template."""
    app = create_app()
    site: Site = app.state.site
    instantiate(site, _project(site))
    return app


@pytest.fixture
def site(app: Starlette) -> Site:
    """The state of ``app``'s site."""
    state: Site = app.state.site
    return state


@pytest.fixture
def client(app: Starlette) -> Iterator[httpx.Client]:
    """An HTTP client of ``app`` served on loopback, logged in as the site's administrator."""
    with run_in_thread(app) as url, httpx.Client(base_url=url, auth=AUTH, timeout=10) as http:
        yield http


def _issue_type_id(site: Site, name: str) -> str:
    found = site.find(ISSUE_TYPE, name=name)
    assert found is not None
    return str(found["id"])


# ------------------------------------------------------------------ experimental operations

#: One concrete request per experimental operation the desk API serves.
EXPERIMENTAL_REQUESTS = [
    ("GET", f"{API}/requesttype", None),
    ("POST", f"{API}/servicedesk/1/requesttype", {"name": "X", "issueTypeId": "10000"}),
    ("DELETE", f"{API}/servicedesk/1/requesttype/2", None),
    ("GET", f"{API}/servicedesk/1/requesttype/1/property", None),
    ("PUT", f"{API}/servicedesk/1/requesttype/1/property/colour", "blue"),
    ("GET", f"{API}/servicedesk/1/requesttype/1/property/colour", None),
    ("DELETE", f"{API}/servicedesk/1/requesttype/1/property/colour", None),
]


@pytest.mark.parametrize(("method", "path", "body"), EXPERIMENTAL_REQUESTS)
def test_experimental_operations_need_the_opt_in_header(
    client: httpx.Client, method: str, path: str, body: Any
) -> None:
    refused = client.request(method, path, json=body)
    assert refused.status_code == 412
    assert refused.json()["errorMessage"].startswith("This API is experimental.")
    assert set(refused.json()["i18nErrorMessage"]) == {"i18nKey", "parameters"}
    if path.endswith("/property/colour") and method != "PUT":
        client.put(f"{API}/servicedesk/1/requesttype/1/property/colour", json=1, headers=OPT_IN)
    accepted = client.request(method, path, json=body, headers=OPT_IN)
    assert accepted.status_code in {200, 201, 204}, accepted.text


def test_the_experimental_flags_are_the_specs() -> None:
    assert "POST /rest/servicedeskapi/servicedesk/{serviceDeskId}/requesttype" in (
        experimental_operations()
    )
    assert "GET /rest/servicedeskapi/servicedesk/{serviceDeskId}/requesttype" not in (
        experimental_operations()
    )


# ------------------------------------------------------------------ service desk references


@pytest.mark.parametrize(
    ("reference", "status"),
    [
        ("1", 200),
        (KEY, 200),
        (f"projectKey:{KEY}", 200),
        (f"projectId:{PROJECT_ID}", 200),
        ("serviceDeskId:1", 200),
        ("2", 404),
        ("NOPE", 404),
        ("projectId:1", 404),
        ("serviceDeskId:2", 404),
        ("projectKey:NOPE", 404),
    ],
)
def test_a_service_desk_is_named_by_id_key_or_prefixed_form(
    client: httpx.Client, reference: str, status: int
) -> None:
    response = client.get(f"{API}/servicedesk/{reference}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["id"] == "1"
        assert response.json()["projectKey"] == KEY
        assert response.json()["projectTypeKey"] == "service_desk"
    else:
        assert set(response.json()) == {"errorMessage", "i18nErrorMessage"}


# ------------------------------------------------------------------ request types


def test_creating_a_request_type_answers_200_with_no_groups(
    client: httpx.Client, site: Site
) -> None:
    issue_type = _issue_type_id(site, "[System] Service request")
    created = client.post(
        f"{API}/servicedesk/1/requesttype",
        json={
            "name": "Order a badge",
            "description": "Badges",
            "helpText": "",
            "issueTypeId": issue_type,
        },
        headers=OPT_IN,
    )
    assert created.status_code == 200
    body = created.json()
    assert body["groupIds"] == []
    assert body["issueTypeId"] == issue_type
    fields = client.get(f"{API}/servicedesk/1/requesttype/{body['id']}/field").json()
    assert [f["fieldId"] for f in fields["requestTypeFields"]] == ["summary"]

    def search(hidden: str) -> list[str]:
        page = client.get(
            f"{API}/servicedesk/1/requesttype",
            params={"searchQuery": "badge", "includeHiddenRequestTypesInSearch": hidden},
        ).json()
        return [value["name"] for value in page["values"]]

    assert search("false") == []
    assert search("True") == ["Order a badge"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "With groups", "issueTypeId": "10000", "groupIds": ["1"]}, 400),
        ({"name": "With icon", "issueTypeId": "10000", "iconId": "10527"}, 400),
        ({"name": "", "issueTypeId": "10000"}, 400),
        ({"issueTypeId": "10000"}, 400),
        ({"name": "No type", "issueTypeId": "99999"}, 404),
        ({"name": "Plain", "issueTypeId": "10000"}, 200),
    ],
)
def test_request_type_create_is_strict(
    client: httpx.Client, body: dict[str, Any], status: int
) -> None:
    response = client.post(f"{API}/servicedesk/1/requesttype", json=body, headers=OPT_IN)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("method", ["PUT", "PATCH", "POST"])
def test_a_request_type_cannot_be_updated(client: httpx.Client, method: str) -> None:
    response = client.request(
        method, f"{API}/servicedesk/1/requesttype/1", json={"name": "Renamed"}, headers=OPT_IN
    )
    assert response.status_code == 405
    assert client.get(f"{API}/servicedesk/1/requesttype/1").json()["name"] == "Get IT help"


def test_deleting_a_request_type_answers_204_and_it_is_gone(client: httpx.Client) -> None:
    assert client.delete(f"{API}/servicedesk/1/requesttype/1", headers=OPT_IN).status_code == 204
    assert client.get(f"{API}/servicedesk/1/requesttype/1").status_code == 404
    assert client.delete(f"{API}/servicedesk/1/requesttype/1", headers=OPT_IN).status_code == 404


@pytest.mark.parametrize(
    ("extra", "limit", "size", "last"),
    [(0, None, 18, True), (0, 5, 5, False), (0, 100, 18, True), (40, 100, 50, False)],
)
def test_request_type_pages_cap_the_limit_silently(
    client: httpx.Client, extra: int, limit: int | None, size: int, last: bool
) -> None:
    for number in range(extra):
        client.post(
            f"{API}/servicedesk/1/requesttype",
            json={"name": f"Extra {number}", "issueTypeId": "10000"},
            headers=OPT_IN,
        )
    params = {} if limit is None else {"limit": limit}
    page = client.get(f"{API}/servicedesk/1/requesttype", params=params).json()
    assert (page["size"], page["isLastPage"]) == (size, last)
    assert page["limit"] == (limit or 50)
    assert ("next" in page["_links"]) is not last


@pytest.mark.parametrize(
    "path",
    [
        "/servicedesk",
        "/organization",
        "/servicedesk/{serviceDeskId}/queue",
        "/servicedesk/{serviceDeskId}/requesttype",
        "/servicedesk/{serviceDeskId}/requesttypegroup",
    ],
)
def test_pages_carry_the_fields_of_the_vendors_example_page(
    client: httpx.Client, path: str
) -> None:
    vendors = example(SERVICE_DESK, API + path)
    page = client.get(API + path.replace("{serviceDeskId}", "1"), headers=OPT_IN).json()
    assert set(page) == set(vendors)
    assert page["_expands"] == vendors["_expands"] == []


def test_request_type_properties_round_trip(client: httpx.Client) -> None:
    url = f"{API}/servicedesk/1/requesttype/1/property/usm"
    assert client.put(url, json={"id": "x"}, headers=OPT_IN).status_code == 201
    assert client.put(url, json={"id": "y"}, headers=OPT_IN).status_code == 200
    assert client.get(url, headers=OPT_IN).json() == {"key": "usm", "value": {"id": "y"}}
    keys = client.get(f"{API}/servicedesk/1/requesttype/1/property", headers=OPT_IN).json()
    assert [k["key"] for k in keys["keys"]] == ["usm"]
    assert client.delete(url, headers=OPT_IN).status_code == 204
    assert client.get(url, headers=OPT_IN).status_code == 404


# ------------------------------------------------------------------ groups and queues


@pytest.mark.parametrize(
    ("path", "method"),
    [("requesttypegroup", "POST"), ("queue", "POST"), ("queue/1", "PUT"), ("queue/1", "DELETE")],
)
def test_groups_and_queues_are_read_only(client: httpx.Client, path: str, method: str) -> None:
    response = client.request(method, f"{API}/servicedesk/1/{path}", json={"name": "New"})
    assert response.status_code == 405


@pytest.mark.parametrize(("flag", "counted"), [(None, False), ("false", False), ("True", True)])
def test_queues_count_issues_only_when_asked(
    client: httpx.Client, flag: str | None, counted: bool
) -> None:
    params = {} if flag is None else {"includeCount": flag}
    queues = client.get(f"{API}/servicedesk/1/queue", params=params).json()["values"]
    assert all(("issueCount" in queue) is counted for queue in queues)
    single = client.get(f"{API}/servicedesk/1/queue/{queues[0]['id']}", params=params).json()
    assert single["name"] == queues[0]["name"]


# ------------------------------------------------------------------ the ITSM template


def test_the_template_gives_the_project_its_data(client: httpx.Client, site: Site) -> None:
    data = template()
    types = client.get(f"{API}/servicedesk/1/requesttype").json()["values"]
    assert [t["name"] for t in types] == [t["name"] for t in data["requestTypes"]]
    names = {str(row["id"]): row["name"] for row in site.rows(ISSUE_TYPE)}
    assert [names[t["issueTypeId"]] for t in types] == [
        next(i["name"] for i in data["issueTypes"] if i["ref"] == t["issueType"])
        for t in data["requestTypes"]
    ]
    groups = client.get(f"{API}/servicedesk/1/requesttypegroup").json()["values"]
    assert [g["name"] for g in groups] == data["requestTypeGroups"]
    queues = client.get(f"{API}/servicedesk/1/queue").json()["values"]
    assert [(q["name"], q["jql"]) for q in queues] == [
        (q["name"], q["jql"].replace("{key}", KEY)) for q in data["queues"]
    ]
    expected = {spec["name"].replace("{key}", KEY) for spec in data["workflows"]}
    assert expected <= {row["name"] for row in site.rows(WORKFLOW)}
    scheme_names = {row["name"] for row in site.rows(WORKFLOW_SCHEME)}
    assert data["workflowScheme"]["name"].replace("{key}", KEY) in scheme_names
    assert data["issueTypeScheme"]["name"].replace("{key}", KEY) in {
        row["name"] for row in site.rows(ISSUE_TYPE_SCHEME)
    }


def test_a_second_project_reuses_the_issue_types(client: httpx.Client, site: Site) -> None:
    before = len(site.rows(ISSUE_TYPE))
    instantiate(site, _project(site, "OPS", "10001"))
    assert len(site.rows(ISSUE_TYPE)) == before
    desks = client.get(f"{API}/servicedesk").json()["values"]
    assert [(d["id"], d["projectKey"]) for d in desks] == [("1", KEY), ("2", "OPS")]


def test_a_clashing_field_configuration_scheme_answers_500_after_the_project(
    client: httpx.Client,
    site: Site,
) -> None:
    name = template()["fieldConfigurationScheme"]["name"].replace("{key}", "DUP")
    site.insert(
        FIELD_CONFIGURATION_SCHEME, {"id": site.new_id(FIELD_CONFIGURATION_SCHEME), "name": name}
    )
    project = _project(site, "DUP", "10002")
    with pytest.raises(Exception) as raised:
        instantiate(site, project)
    assert getattr(raised.value, "status", None) == 500
    assert site.get(PROJECT, "10002") is not None
    assert client.get(f"{API}/servicedesk/DUP").status_code == 404


# ------------------------------------------------------------------ the fresh-site baseline


@pytest.mark.parametrize("table", sorted(baseline()["tables"]))
def test_a_fresh_site_holds_the_baseline(table: str) -> None:
    site: Site = create_app().state.site
    key = baseline().get("keys", {}).get(table, "id")
    stored = {str(row[key]): row for row in site.rows(table)}
    for row in baseline()["tables"][table]:
        assert {k: v for k, v in stored[str(row[key])].items() if k in row} == row


def test_the_baseline_states_its_sources() -> None:
    assert set(baseline()["_source"]) == set(baseline()["tables"])


# ------------------------------------------------------------------ the UI simulator


def test_the_ui_creates_and_deletes_queues(client: httpx.Client) -> None:
    ui = "/_sandbox/ui/servicedesk/1/queue"
    created = httpx.post(
        f"{client.base_url}{ui}", json={"name": "Major incidents", "jql": f"project = {KEY}"}
    )
    assert created.status_code == 201
    queue_id = created.json()["id"]
    names = [q["name"] for q in client.get(f"{API}/servicedesk/1/queue").json()["values"]]
    assert names[-1] == "Major incidents"
    assert client.post(ui, json={"name": "major incidents", "jql": "x"}).status_code == 400
    assert client.delete(f"{ui}/{queue_id}").status_code == 204
    assert client.get(f"{API}/servicedesk/1/queue/{queue_id}").status_code == 404


def test_the_ui_keeps_the_last_queue(client: httpx.Client) -> None:
    ui = "/_sandbox/ui/servicedesk/1/queue"
    queues = client.get(f"{API}/servicedesk/1/queue").json()["values"]
    for queue in queues[:-1]:
        assert client.delete(f"{ui}/{queue['id']}").status_code == 204
    assert client.delete(f"{ui}/{queues[-1]['id']}").status_code == 400


def test_the_ui_shows_a_request_type_in_a_new_group(client: httpx.Client) -> None:
    created = client.post(
        f"{API}/servicedesk/1/requesttype",
        json={"name": "Order a badge", "issueTypeId": "10000"},
        headers=OPT_IN,
    ).json()
    group = client.post("/_sandbox/ui/servicedesk/1/requesttypegroup", json={"name": "Facilities"})
    assert group.status_code == 201
    group_id = group.json()["id"]
    moved = client.put(f"/_sandbox/ui/servicedesk/1/requesttype/{created['id']}/group/{group_id}")
    assert moved.status_code == 204
    listed = client.get(f"{API}/servicedesk/1/requesttype", params={"groupId": group_id}).json()
    assert [value["name"] for value in listed["values"]] == ["Order a badge"]
