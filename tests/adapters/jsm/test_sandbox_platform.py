"""The JSM emulator's platform API: auth, site reads, statuses, workflows, workflow schemes,
async tasks, lock conflicts, faults, spec checks and persistence (jira.md §1.1-§1.4, §2, §3)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from jsm_platform_support import ADMIN, BASE, Api
from support import SPECS
from usm_jsm.client import WorkflowMissing, read_workflow
from usm_jsm.sandbox import create_app
from usm_jsm.sandbox.site import PROJECT

from usm_config.http import HttpClient, NotFoundError, RetryPolicy
from usm_config.sandbox.embedded import EmbeddedTransport
from usm_config.sandbox.faults import FaultConfig

JIRA_SPECS = SPECS / "jira"


@pytest.fixture
def api() -> Api:
    return Api(create_app())


# ---------------------------------------------------------------------- auth and site


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Authorization": "Basic YWRtaW5AZXhhbXBsZS5jb206c2FuZGJveC10b2tlbg=="}, 200),
        ({"Authorization": "Basic YWRtaW5AZXhhbXBsZS5jb206d3Jvbmc="}, 401),  # wrong token
        ({"Authorization": "Bearer sandbox-pat"}, 200),
        ({"Authorization": "Bearer other"}, 401),
        ({}, 401),
    ],
)
def test_basic_email_token_and_bearer_pat_are_the_only_logins(
    headers: dict[str, str], status: int
) -> None:
    app = create_app()

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=EmbeddedTransport(app), base_url=BASE) as client:
            return await client.get("/rest/api/3/myself", headers=headers)

    response = asyncio.run(send())
    assert response.status_code == status
    if status == 401:
        assert response.json()["errorMessages"][0].startswith("You are not authenticated")


def test_myself_is_the_login_and_user_search_finds_it(api: Api) -> None:
    me = api.ok("GET", "myself")
    assert me["emailAddress"] == ADMIN[0]
    assert [u["accountId"] for u in api.ok("GET", "user/search", query="admin")] == [
        me["accountId"]
    ]
    info = api.ok("GET", "/rest/api/2/serverInfo")
    assert (info["deploymentType"], info["versionNumbers"][0]) == ("Cloud", 1001)


def test_status_categories_are_the_four_of_every_site(api: Api) -> None:
    categories = {c["id"]: (c["key"], c["name"]) for c in api.ok("GET", "statuscategory")}
    assert categories == {
        1: ("undefined", "No Category"),
        2: ("new", "To Do"),
        4: ("indeterminate", "In Progress"),
        3: ("done", "Done"),
    }


# ---------------------------------------------------------------------- statuses


def _create_status(api: Api, name: str, category: str = "TODO", description: str = "") -> str:
    body = {
        "scope": {"type": "GLOBAL"},
        "statuses": [{"name": name, "statusCategory": category, "description": description}],
    }
    created = api.ok("POST", "statuses", body)
    return str(created[0]["id"])


def test_statuses_round_trip_through_bulk_and_legacy_reads(api: Api) -> None:
    first = _create_status(api, "Accepted", "IN_PROGRESS", "Picked up")
    second = _create_status(api, "Parked")
    by_id = api.call("GET", f"statuses?id={first}&id={second}").json()
    assert [(s["name"], s["statusCategory"]) for s in by_id] == [
        ("Accepted", "IN_PROGRESS"),
        ("Parked", "TODO"),
    ]
    legacy = api.ok("GET", "status/Accepted")
    assert (legacy["id"], legacy["statusCategory"]["key"]) == (first, "indeterminate")
    # An update without a description clears it, like every status upsert.
    update = {"statuses": [{"id": first, "name": "Accepted", "statusCategory": "DONE"}]}
    assert api.call("PUT", "statuses", update).status_code == 204
    assert api.ok("GET", "statuses", id=first)[0]["description"] == ""
    assert api.call("DELETE", "statuses", id=second).status_code == 204
    assert api.call("GET", "status/Parked").status_code == 404


@pytest.mark.parametrize(
    ("params", "max_results", "count", "is_last"),
    [
        ({}, 200, 200, False),
        ({"maxResults": 1000}, 200, 200, False),  # capped silently
        ({"maxResults": 10, "startAt": 210}, 10, 7, True),
        ({"searchString": "status-00"}, 200, 10, True),
    ],
)
def test_status_search_pages_with_a_cap_of_200(
    params: dict[str, Any], max_results: int, count: int, is_last: bool
) -> None:
    api = Api(create_app())
    baseline = api.ok("GET", "statuses/search")["total"]
    extra = 217 - baseline
    statuses = [{"name": f"status-{i:03}", "statusCategory": "TODO"} for i in range(extra)]
    api.ok("POST", "statuses", {"scope": {"type": "GLOBAL"}, "statuses": statuses})
    page = api.ok("GET", "statuses/search", **params)
    assert (page["maxResults"], len(page["values"]), page["isLast"]) == (
        max_results,
        count,
        is_last,
    )
    assert ("nextPage" in page) is not is_last


# ---------------------------------------------------------------------- workflows


def workflow_request(name: str = "Incident flow") -> dict[str, Any]:
    """A create request with one new and one existing status, transitions out of order."""
    return {
        "scope": {"type": "GLOBAL"},
        "statuses": [
            {"statusReference": "s-open", "name": "Logged", "statusCategory": "TODO"},
            {
                "statusReference": "s-done",
                "id": "10001",
                "name": "Done",
                "statusCategory": "DONE",
                "description": "Finished",
            },
        ],
        "workflows": [
            {
                "name": name,
                "description": "",
                "statuses": [
                    {"statusReference": "s-open", "properties": {}},
                    {"statusReference": "s-done", "properties": {}},
                ],
                "transitions": [
                    {"id": "1", "name": "Create", "type": "INITIAL", "toStatusReference": "s-open"},
                    {
                        "id": "11",
                        "name": "Resolve",
                        "type": "DIRECTED",
                        "toStatusReference": "s-done",
                        "links": [{"fromStatusReference": "s-open"}],
                        "validators": [
                            {
                                "ruleKey": "system:validate-field-value",
                                "parameters": {
                                    "ruleType": "fieldRequired",
                                    "fieldsRequired": "assignee",
                                },
                            }
                        ],
                    },
                    {"id": "21", "name": "Reopen", "type": "GLOBAL", "toStatusReference": "s-open"},
                ],
            }
        ],
    }


def _break(path: list[Any], value: Any) -> dict[str, Any]:
    body = workflow_request()
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


_DELETE = object()
_T = ["workflows", 0, "transitions"]

INVALID_WORKFLOWS = [
    (
        "a transition without id",
        _break([*_T, 0, "id"], _DELETE),
        "MISSING_FIELD",
        "Missing required field 'payload.workflows.[0].transitions.[0].id'",
    ),
    (
        "the first transition is not INITIAL",
        _break(_T, list(reversed(workflow_request()["workflows"][0]["transitions"]))),
        "INITIAL_TRANSITION_NOT_FIRST",
        "must be its INITIAL transition",
    ),
    (
        "INITIAL with conditions",
        _break(
            [*_T, 0, "conditions"],
            {
                "operation": "ALL",
                "conditions": [{"ruleKey": "system:restrict-issue-transition", "parameters": {}}],
            },
        ),
        "INITIAL_TRANSITION_HAS_CONDITIONS",
        "can't have conditions",
    ),
    (
        "GLOBAL with links",
        _break([*_T, 2, "links"], [{"fromStatusReference": "s-open"}]),
        "GLOBAL_TRANSITION_HAS_LINKS",
        "GLOBAL transition can't have links",
    ),
    (
        "a status not among the request's statuses",
        _break(["statuses"], workflow_request()["statuses"][:1]),
        "UNKNOWN_STATUS_REFERENCE",
        "'s-done' is not among the request's statuses",
    ),
    (
        "a rule parameter that is no string",
        _break([*_T, 1, "validators", 0, "parameters", "fieldsRequired"], ["assignee"]),
        "INVALID_RULE_PARAMETERS",
        "must be strings",
    ),
    (
        "the name of an existing workflow",
        _break(["workflows", 0, "name"], "jira"),
        "NON_UNIQUE_WORKFLOW_NAME",
        "'jira' already exists",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "code", "message"), INVALID_WORKFLOWS, ids=[c[0] for c in INVALID_WORKFLOWS]
)
def test_workflow_payloads_are_checked_strictly(
    api: Api, case: str, body: dict[str, Any], code: str, message: str
) -> None:
    report = api.ok("POST", "workflows/create/validation", {"payload": body})
    assert code in [e["code"] for e in report["errors"]], report
    refused = api.call("POST", "workflows/create", body)
    assert refused.status_code == 400
    assert any(message in m for m in refused.json()["errorMessages"]), refused.json()
    assert api.ok("GET", "workflows/search")["total"] == 1  # nothing written


def test_workflow_create_orders_transitions_upserts_statuses_and_keeps_rule_ids(api: Api) -> None:
    created = api.ok("POST", "workflows/create", workflow_request())
    workflow = created["workflows"][0]
    assert [t["type"] for t in workflow["transitions"]] == ["GLOBAL", "INITIAL", "DIRECTED"]
    assert workflow["version"]["versionNumber"] == 0
    rule_id = workflow["transitions"][2]["validators"][0]["id"]
    assert rule_id
    statuses = {s["name"]: s for s in created["statuses"]}
    assert statuses["Done"]["id"] == "10001"
    assert statuses["Done"]["description"] == "Finished"  # the upsert wrote it
    read = api.ok("POST", "workflows", {"workflowNames": ["Incident flow"]})
    assert read["workflows"][0]["transitions"][2]["validators"][0]["id"] == rule_id
    assert {s["id"] for s in read["statuses"]} == {s["id"] for s in created["statuses"]}
    search = api.ok("GET", "workflows/search", queryString="incident")
    assert "transitions" not in search["values"][0]
    expanded = api.ok(
        "GET", "workflows/search", expand="values.transitions", queryString="incident"
    )
    assert len(expanded["values"][0]["transitions"]) == 3


@pytest.mark.parametrize(
    "body", [{"workflowIds": ["00000000-0000-0000-0000-000000000000"]}, {"workflowNames": ["nope"]}]
)
def test_reading_an_unknown_workflow_answers_404(api: Api, body: dict[str, Any]) -> None:
    assert api.call("POST", "workflows", body).status_code == 404


def _update_request(workflow: dict[str, Any], statuses: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "statuses": statuses,
        "workflows": [
            {
                "id": workflow["id"],
                "version": workflow["version"],
                "statuses": [
                    {"statusReference": s["statusReference"], "properties": {}} for s in statuses
                ],
                "transitions": [
                    t
                    for t in workflow["transitions"]
                    if t["toStatusReference"] in {s["statusReference"] for s in statuses}
                    and all(
                        link["fromStatusReference"] in {s["statusReference"] for s in statuses}
                        for link in t["links"]
                    )
                ],
            }
        ],
    }


def test_workflow_update_needs_the_current_version_and_bumps_it(api: Api) -> None:
    created = api.ok("POST", "workflows/create", workflow_request())
    workflow, statuses = created["workflows"][0], created["statuses"]
    body = _update_request(workflow, statuses)
    updated = api.ok("POST", "workflows/update", body)["workflows"][0]
    assert updated["version"]["versionNumber"] == 1
    rule = updated["transitions"][2]["validators"][0]
    assert rule["id"] == workflow["transitions"][2]["validators"][0]["id"]
    stale = api.call("POST", "workflows/update", body)
    assert stale.status_code == 409
    assert stale.json()["errorMessages"] == ["Workflow version and version token must match"]


def _use_in_project(api: Api, workflow_name: str) -> str:
    scheme = api.ok(
        "POST", "workflowscheme", {"name": "ITSM scheme", "defaultWorkflow": workflow_name}
    )
    site = api.app.state.site
    site.insert(PROJECT, {"id": "10500", "key": "ITSM", "name": "ITSM", "_issueCount": 3})
    site.replace(PROJECT, {**site.get(PROJECT, "10500"), "_workflowSchemeId": str(scheme["id"])})
    return str(scheme["id"])


def test_removing_a_status_of_a_workflow_in_use_migrates_issues_in_a_task(api: Api) -> None:
    created = api.ok("POST", "workflows/create", workflow_request())
    workflow, statuses = created["workflows"][0], created["statuses"]
    _use_in_project(api, "Incident flow")
    done = next(s for s in statuses if s["name"] == "Done")
    kept = [s for s in statuses if s is not done]
    body = _update_request(workflow, kept)
    check = api.ok("POST", "workflows/update/validation", {"payload": body})
    assert [e["code"] for e in check["errors"]] == ["MISSING_STATUS_MAPPING"]
    assert api.call("POST", "workflows/update", body).status_code == 400
    mapping = {"oldStatusReference": done["id"], "newStatusReference": kept[0]["statusReference"]}
    body["workflows"][0]["defaultStatusMappings"] = [mapping]
    answer = api.ok("POST", "workflows/update", body)
    polls = [api.ok("GET", f"task/{answer['taskId']}")["status"] for _ in range(4)]
    assert polls == ["ENQUEUED", "RUNNING", "COMPLETE", "COMPLETE"]


def test_deleting_workflows_only_when_inactive_and_unattached(api: Api) -> None:
    answer = api.ok("POST", "workflows/create", workflow_request())
    created = answer["workflows"][0]
    spare = workflow_request("Spare")
    logged = next(s for s in answer["statuses"] if s["name"] == "Logged")
    spare["statuses"][0]["id"] = logged["id"]  # an existing status is given by id
    other = api.ok("POST", "workflows/create", spare)["workflows"][0]
    scheme_id = _use_in_project(api, "Incident flow")
    system = api.ok("POST", "workflows", {"workflowNames": ["jira"]})["workflows"][0]
    assert api.call("DELETE", f"workflow/{created['id']}").status_code == 400  # active
    assert api.call("DELETE", f"workflow/{system['id']}").status_code == 400  # system
    assert api.call("DELETE", f"workflow/{other['id']}").status_code == 204
    assert api.call("DELETE", f"workflow/{other['id']}").status_code == 404
    assert (
        api.call("DELETE", "statuses", id=created["statuses"][0]["statusReference"]).status_code
        == 400
    )
    assert scheme_id


def test_lock_conflicts_refuse_writes_without_writing() -> None:
    api = Api(create_app(lock_conflict_rate=1.0))
    refused = api.call("POST", "workflows/create", workflow_request())
    assert (refused.status_code, refused.json()["errorMessages"]) == (
        409,
        ["Failed to acquire lock"],
    )
    assert (
        api.call(
            "POST",
            "statuses",
            {"scope": {"type": "GLOBAL"}, "statuses": [{"name": "X", "statusCategory": "TODO"}]},
        ).status_code
        == 409
    )
    assert api.ok("GET", "workflows/search")["total"] == 1
    assert api.call("GET", "status/X").status_code == 404


# ---------------------------------------------------------------------- workflow schemes


def test_workflow_schemes_follow_the_classic_rules(api: Api) -> None:
    api.ok("POST", "workflows/create", workflow_request())
    scheme = api.ok(
        "POST",
        "workflowscheme",
        {
            "name": "Service scheme",
            "defaultWorkflow": "jira",
            "issueTypeMappings": {"10000": "Incident flow"},
        },
    )
    assert (scheme["issueTypeMappings"], scheme["draft"]) == ({"10000": "Incident flow"}, False)
    scheme_id = scheme["id"]
    renamed = api.ok("PUT", f"workflowscheme/{scheme_id}", {"name": "Service desk scheme"})
    assert renamed["name"] == "Service desk scheme"
    site = api.app.state.site
    site.insert(PROJECT, {"id": "10600", "key": "SD", "name": "SD", "_issueCount": 0})
    assert (
        api.call(
            "PUT",
            "workflowscheme/project",
            {"projectId": "10600", "workflowSchemeId": str(scheme_id)},
        ).status_code
        == 204
    )
    found = api.ok("GET", "workflowscheme/project", projectId="10600")
    assert found["values"][0]["workflowScheme"]["id"] == scheme_id
    change = {"issueTypeMappings": {}}
    assert api.call("PUT", f"workflowscheme/{scheme_id}", change).status_code == 400
    draft = api.ok("PUT", f"workflowscheme/{scheme_id}", {**change, "updateDraftIfNeeded": True})
    assert (draft["draft"], draft["originalIssueTypeMappings"]) == (
        True,
        {"10000": "Incident flow"},
    )
    assert api.call("DELETE", f"workflowscheme/{scheme_id}").status_code == 400  # active
    site.replace(PROJECT, {**site.get(PROJECT, "10600"), "_issueCount": 5})
    back = {"projectId": "10600", "workflowSchemeId": "10000"}
    assert api.call("PUT", "workflowscheme/project", back).status_code == 400  # has issues


# ---------------------------------------------------------------------- plumbing


def test_requests_violating_the_spec_are_refused_and_recorded() -> None:
    api = Api(create_app(spec_dir=JIRA_SPECS))
    bad = {"scope": {"type": "GLOBAL"}, "statuses": [{"name": "X", "statusCategory": "LATER"}]}
    refused = api.call("POST", "statuses", bad)
    assert refused.status_code == 400 and refused.json()["errorMessages"]
    assert api.call("GET", "nowhere").status_code == 400
    assert api.call("GET", "/rest/api/2/statuses/search").status_code == 200
    violations = api.ok("GET", "/_sandbox/spec_violations")["spec_violations"]
    assert len(violations) >= 2


def test_faults_answer_jira_429_with_whole_second_retry_after() -> None:
    api = Api(create_app(faults=FaultConfig(rate_429=1.0, retry_after_s=2.4)))
    response = api.call("GET", "myself")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.headers["x-ratelimit-reset"].endswith("Z")
    assert "errorMessages" in response.json()


def test_state_persists_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "jira.sqlite3"
    first = Api(create_app(db_path=db))
    status_id = _create_status(first, "Persisted")
    first.ok("POST", "workflows/create", workflow_request())
    second = Api(create_app(db_path=db))
    assert second.ok("GET", "statuses", id=status_id)[0]["name"] == "Persisted"
    assert second.ok("GET", "workflows/search")["total"] == 2
    assert len(second.ok("GET", "user/search", query="admin")) == 1
    assert second.ok("GET", "myself")["emailAddress"] == ADMIN[0]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            httpx.Response(404, json={"errorMessages": ["Workflow with id 'x' was not found."]}),
            NotFoundError,
        ),
        (httpx.Response(200, json={"statuses": [], "workflows": []}), WorkflowMissing),
    ],
    ids=["404, as observed", "empty, as the spec allows"],
)
def test_an_update_of_a_workflow_gone_from_jira_fails_plainly(
    answer: httpx.Response, error: type[Exception]
) -> None:
    """An update reads the workflow's version first. Jira answers 404 for an id it no longer
    has (jira.md §3); an empty answer, which the spec allows, fails as plainly."""

    async def read() -> None:
        async with HttpClient(BASE, retry=RetryPolicy(max_attempts=1)) as client:
            await read_workflow(client, "x")

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post("/rest/api/3/workflows").mock(return_value=answer)
        with pytest.raises(error) as caught:
            asyncio.run(read())
    if error is WorkflowMissing:
        assert "no workflow with id x" in str(caught.value) and "plan again" in str(caught.value)
