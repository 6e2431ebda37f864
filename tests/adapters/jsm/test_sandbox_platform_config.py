"""The JSM emulator's platform configuration API: issue types and their schemes, custom
fields with contexts and options, priorities, projects, components and groups
(jira.md §1.5-§1.8, §7)."""

from __future__ import annotations

from typing import Any

import pytest
from jsm_platform_support import Api
from usm_jsm.sandbox import create_app

ITSM = "com.atlassian.servicedesk:simplified-it-service-management"
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"
CASCADING = "com.atlassian.jira.plugin.system.customfieldtypes:cascadingselect"


@pytest.fixture
def api() -> Api:
    return Api(create_app())


def _lead(api: Api) -> str:
    return str(api.ok("GET", "myself")["accountId"])


# ---------------------------------------------------------------------- request tables

#: (request, body, expected status, a key the answer's errors or errorMessages mention)
REFUSALS: list[tuple[str, str, Any, int, str]] = [
    ("POST", "issuetype", {"name": "Task"}, 409, "already exists"),
    ("POST", "issuetype", {"name": "x" * 61}, 400, "name"),
    ("POST", "issuetypescheme", {"name": "Empty", "issueTypeIds": []}, 400, "issueTypeIds"),
    ("POST", "issuetypescheme", {"name": "Odd", "issueTypeIds": ["999"]}, 400, "999"),
    ("DELETE", "issuetypescheme/10000", None, 400, "default"),
    ("DELETE", "issuetypescheme/10000/issuetype/10000", None, 400, "default"),
    ("POST", "field", {"name": "Risk", "type": "nope:nothing"}, 400, "type"),
    ("PUT", "field/summary", {"name": "Title"}, 400, "not a custom field"),
    ("POST", "priority", {"name": "Medium", "statusColor": "#ffffff"}, 400, "name"),
    ("DELETE", "priority/3", None, 400, "default"),
    ("PUT", "priority/move", {"position": "First"}, 400, "ids"),
    ("PUT", "priority/move", {"ids": ["1"]}, 400, "either after or position"),
    ("PUT", "priority/move", {"ids": ["1"], "after": "2", "position": "Last"}, 400, "either"),
    ("PUT", "priority/move", {"ids": ["1", "1"], "position": "Last"}, 400, "duplicates"),
    ("PUT", "priority/move", {"ids": ["1"], "after": "1"}, 400, "duplicates"),
    ("PUT", "priority/move", {"ids": ["1"], "position": "Middle"}, 400, "First or Last"),
    ("PUT", "priority/move", {"ids": ["99"], "position": "First"}, 404, "99"),
    ("PUT", "priority/move", {"ids": ["1"], "after": "99"}, 404, "99"),
    ("POST", "group", {"name": "site-admins"}, 400, "already exists"),
    ("DELETE", "group", None, 400, "groupId"),
    ("POST", "component", {"name": "Mail", "project": "NOPE"}, 404, "project"),
    ("GET", "project/NOPE", None, 404, "NOPE"),
    ("GET", "issuetype/424242", None, 404, "424242"),
    ("GET", "workflowscheme/424242", None, 404, "424242"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "mentions"), REFUSALS)
def test_refusals_carry_an_error_collection(
    api: Api, method: str, path: str, body: Any, status: int, mentions: str
) -> None:
    response = api.call(method, path, body)
    assert response.status_code == status, response.text
    errors = response.json()
    assert set(errors) == {"errorMessages", "errors"}
    assert mentions in " ".join(
        [*errors["errorMessages"], *errors["errors"], *errors["errors"].values()]
    )


def _project_body(api: Api, **changes: Any) -> dict[str, Any]:
    body = {
        "key": "SUP",
        "name": "Support",
        "projectTypeKey": "software",
        "leadAccountId": _lead(api),
    }
    return {**body, **changes}


PROJECT_REFUSALS = [
    ({"key": "sup"}, "projectKey"),
    ({"key": "ABCDEFGHIJK"}, "projectKey"),
    ({"leadAccountId": None}, "projectLead"),
    ({"leadAccountId": "712020:nobody"}, "projectLead"),
    ({"projectTypeKey": "kanban"}, "projectTypeKey"),
    ({"projectTemplateKey": ITSM}, "projectTemplateKey"),  # a service desk template
]


@pytest.mark.parametrize(("changes", "error_key"), PROJECT_REFUSALS)
def test_project_create_checks_key_lead_and_type(
    api: Api, changes: dict[str, Any], error_key: str
) -> None:
    response = api.call("POST", "project", _project_body(api, **changes))
    assert response.status_code == 400
    assert error_key in response.json()["errors"]


def test_project_template_excludes_scheme_ids(api: Api) -> None:
    body = _project_body(
        api, projectTypeKey="service_desk", projectTemplateKey=ITSM, workflowScheme=10000
    )
    response = api.call("POST", "project", body)
    assert response.status_code == 400
    assert "workflowScheme" in response.json()["errorMessages"][0]


# ---------------------------------------------------------------------- issue types


def test_issue_types_join_the_default_scheme_and_schemes_manage_members(api: Api) -> None:
    created = api.call("POST", "issuetype", {"name": "Incident", "description": "Outage"})
    assert created.status_code == 201
    incident = created.json()
    assert (incident["hierarchyLevel"], incident["subtask"]) == (0, False)
    assert incident["iconUrl"].startswith("https://")
    default_members = api.ok("GET", "issuetypescheme/mapping", issueTypeSchemeId="10000")
    assert incident["id"] in [m["issueTypeId"] for m in default_members["values"]]
    scheme = api.call("POST", "issuetypescheme", {"name": "ITSM", "issueTypeIds": ["10000"]})
    assert scheme.status_code == 201
    scheme_id = scheme.json()["issueTypeSchemeId"]
    assert (
        api.call(
            "PUT", f"issuetypescheme/{scheme_id}/issuetype", {"issueTypeIds": [incident["id"]]}
        ).status_code
        == 204
    )
    assert (
        api.call(
            "PUT", f"issuetypescheme/{scheme_id}/issuetype", {"issueTypeIds": [incident["id"]]}
        ).status_code
        == 400
    )
    assert api.call("DELETE", f"issuetypescheme/{scheme_id}/issuetype/10000").status_code == 204
    assert (
        api.call("DELETE", f"issuetypescheme/{scheme_id}/issuetype/{incident['id']}").status_code
        == 400
    )  # last one
    members = api.ok("GET", "issuetypescheme/mapping", issueTypeSchemeId=scheme_id)["values"]
    assert [m["issueTypeId"] for m in members] == [incident["id"]]
    renamed = api.call("PUT", f"issuetype/{incident['id']}", {"name": "Major incident"})
    assert renamed.json()["name"] == "Major incident"
    assert [t["name"] for t in api.ok("GET", "/rest/api/2/issuetype")][-1] == "Major incident"


# ---------------------------------------------------------------------- custom fields


def test_custom_fields_contexts_and_cascading_options(api: Api) -> None:
    field = api.call("POST", "field", {"name": "Category", "type": CASCADING})
    assert field.status_code == 201
    field_id = field.json()["id"]
    assert field_id.startswith("customfield_")
    assert field.json()["schema"]["custom"] == CASCADING
    contexts = api.ok("GET", f"field/{field_id}/context")["values"]
    assert [(c["isGlobalContext"], c["isAnyIssueType"]) for c in contexts] == [(True, True)]
    context_id = contexts[0]["id"]
    options = f"field/{field_id}/context/{context_id}/option"
    parents = api.ok("POST", options, {"options": [{"value": "Hardware"}, {"value": "Software"}]})
    hardware = parents["options"][0]["id"]
    child = api.ok("POST", options, {"options": [{"value": "Laptop", "optionId": hardware}]})
    assert child["options"][0]["optionId"] == hardware
    assert api.call("POST", options, {"options": [{"value": "hardware"}]}).status_code == 400
    too_many = {"options": [{"value": f"v{i}"} for i in range(1001)]}
    assert api.call("POST", options, too_many).status_code == 400
    listed = api.ok("GET", options)["values"]
    assert [(o["value"], o.get("optionId")) for o in listed] == [
        ("Hardware", None),
        ("Software", None),
        ("Laptop", hardware),
    ]
    assert [o["value"] for o in api.ok("GET", options, onlyOptions="true")["values"]] == [
        "Hardware",
        "Software",
    ]
    api.ok("PUT", options, {"options": [{"id": hardware, "value": "Devices", "disabled": True}]})
    assert api.call("DELETE", f"{options}/{hardware}").status_code == 204
    assert [o["value"] for o in api.ok("GET", options)["values"]] == ["Software"]
    scoped = api.call(
        "POST",
        f"field/{field_id}/context",
        {"name": "Incidents", "projectIds": ["10000"], "issueTypeIds": ["10000"]},
    )
    assert scoped.status_code == 201
    assert (
        api.call("POST", f"field/{field_id}/context", {"name": "Second global"}).status_code == 409
    )
    mapping = api.ok("GET", f"field/{field_id}/context/issuetypemapping")["values"]
    assert {"contextId": scoped.json()["id"], "issueTypeId": "10000"} in mapping


def test_field_delete_answers_303_with_a_task(api: Api) -> None:
    field_id = api.call("POST", "field", {"name": "Risk", "type": SELECT}).json()["id"]
    deleted = api.call("DELETE", f"field/{field_id}")
    assert deleted.status_code == 303
    assert deleted.headers["location"].endswith(f"/rest/api/3/task/{deleted.json()['id']}")
    assert field_id not in [f["id"] for f in api.ok("GET", "field")]


@pytest.mark.parametrize(("max_results", "served"), [(None, 50), (10, 10), (500, 50)])
def test_field_search_pages_are_capped_at_50(
    api: Api, max_results: int | None, served: int
) -> None:
    for index in range(40):
        api.ok("POST", "field", {"name": f"Field {index}", "type": SELECT})
    params = {} if max_results is None else {"maxResults": max_results}
    page = api.ok("GET", "field/search", **params)
    assert (page["maxResults"], len(page["values"]), page["isLast"]) == (served, served, False)
    custom = api.ok("GET", "field/search", type="custom", maxResults=50)
    assert all(v["id"].startswith("customfield_") for v in custom["values"])


# ---------------------------------------------------------------------- priorities, groups


def test_priorities_create_search_and_delete_through_a_task(api: Api) -> None:
    created = api.call("POST", "priority", {"name": "Critical", "statusColor": "#ff0000"})
    assert (created.status_code, list(created.json())) == (201, ["id"])
    priority_id = created.json()["id"]
    found = api.ok("GET", "priority/search", priorityName="crit")
    assert [p["id"] for p in found["values"]] == [priority_id]
    assert (
        api.call("PUT", f"priority/{priority_id}", {"description": "Drop all"}).status_code == 204
    )
    assert api.ok("GET", f"priority/{priority_id}")["description"] == "Drop all"
    deleted = api.call("DELETE", f"priority/{priority_id}")
    assert deleted.status_code == 303 and "/task/" in deleted.headers["location"]
    assert len(api.ok("GET", "priority")) == 5


@pytest.mark.parametrize(
    ("move", "order"),
    [
        ({"ids": ["10000"], "position": "First"}, ["Critical", "Highest", "High", "Medium"]),
        ({"ids": ["10000", "10001"], "after": "2"}, ["Highest", "High", "Critical", "Moderate"]),
        ({"ids": ["1"], "position": "Last"}, ["High", "Medium", "Low", "Lowest"]),
    ],
)
def test_priorities_are_listed_in_their_order_which_a_move_changes(
    api: Api, move: dict[str, Any], order: list[str]
) -> None:
    """A new priority comes last (issues sort by the priorities' order); ``/priority/move``
    places priorities first, last or after another, in the order its ``ids`` give."""
    for name in ("Critical", "Moderate"):
        created = api.call("POST", "priority", {"name": name, "statusColor": "#ff0000"})
        assert created.status_code == 201
    names = [p["name"] for p in api.ok("GET", "priority")]
    assert names == ["Highest", "High", "Medium", "Low", "Lowest", "Critical", "Moderate"]
    assert api.call("PUT", "priority/move", move).status_code == 204
    assert [p["name"] for p in api.ok("GET", "priority")][:4] == order
    found = api.ok("GET", "priority/search")["values"]
    assert [p["name"] for p in found][:4] == order
    # A priority created after a move still comes last.
    later = api.call("POST", "priority", {"name": "Later", "statusColor": "#00ff00"})
    assert later.status_code == 201
    assert api.ok("GET", "priority")[-1]["name"] == "Later"


def _cascading(api: Api) -> tuple[str, dict[str, str]]:
    """A cascading field's global context with options A, B, C and cascading options x, y
    under A: the options path and every option's id by value."""
    field_id = api.ok("POST", "field", {"name": "Category", "type": CASCADING})["id"]
    context_id = api.ok("GET", f"field/{field_id}/context")["values"][0]["id"]
    options = f"field/{field_id}/context/{context_id}/option"
    tops = api.ok("POST", options, {"options": [{"value": v} for v in "ABC"]})["options"]
    ids = {o["value"]: o["id"] for o in tops}
    kids = [{"value": v, "optionId": ids["A"]} for v in "xy"]
    ids.update({o["value"]: o["id"] for o in api.ok("POST", options, {"options": kids})["options"]})
    return options, ids


@pytest.mark.parametrize(
    ("move", "listed"),
    [
        ({"ids": ["C"], "position": "First"}, "C A B x y"),
        ({"ids": ["A"], "position": "Last"}, "B C A x y"),
        ({"ids": ["C", "A"], "after": "B"}, "B C A x y"),
        ({"ids": ["y"], "position": "First"}, "A B C y x"),
        ({"ids": ["x"], "after": "y"}, "A B C y x"),
    ],
)
def test_options_are_listed_first_then_cascading_ones_each_in_their_order(
    api: Api, move: dict[str, Any], listed: str
) -> None:
    """Options come first, then cascading options, "in the order they display in Jira" (the
    spec); ``…/option/move`` reorders options, or the cascading options of one parent."""
    options, ids = _cascading(api)
    body = {"customFieldOptionIds": [ids[v] for v in move["ids"]]}
    where = {"after": ids[move["after"]]} if "after" in move else {"position": move["position"]}
    body.update(where)
    assert api.call("PUT", f"{options}/move", body).status_code == 204
    assert " ".join(o["value"] for o in api.ok("GET", options)["values"]) == listed


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        ({"customFieldOptionIds": ["A", "x"], "position": "First"}, 400, "different parents"),
        ({"customFieldOptionIds": ["x"], "after": "B"}, 400, "different parents"),
        ({"customFieldOptionIds": ["A"], "after": "A"}, 400, "the after ID"),
        ({"customFieldOptionIds": ["A", "A"], "position": "First"}, 400, "each once"),
        ({"customFieldOptionIds": ["A"]}, 400, "either after or position"),
        ({"customFieldOptionIds": ["A"], "position": "Top"}, 400, "First or Last"),
        ({"customFieldOptionIds": ["99"], "position": "First"}, 404, "99"),
    ],
)
def test_an_option_move_jira_would_refuse_is_refused(
    api: Api, body: dict[str, Any], status: int, said: str
) -> None:
    options, ids = _cascading(api)
    ids["99"] = "99"
    sent = {**body, "customFieldOptionIds": [ids[v] for v in body["customFieldOptionIds"]]}
    if "after" in body:
        sent["after"] = ids[body["after"]]
    answer = api.call("PUT", f"{options}/move", sent)
    assert answer.status_code == status
    assert said.casefold() in answer.text.casefold()


def test_groups_create_page_pick_and_delete(api: Api) -> None:
    for index in range(60):
        assert api.call("POST", "group", {"name": f"team-{index:02}"}).status_code == 201
    page = api.ok("GET", "group/bulk", maxResults=100)
    assert (page["maxResults"], len(page["values"]), page["isLast"]) == (50, 50, False)
    picked = api.ok("GET", "groups/picker", query="team-0", maxResults=5)
    assert (picked["total"], len(picked["groups"])) == (10, 5)
    assert api.call("DELETE", "group", groupname="team-00").status_code == 200
    assert api.call("DELETE", "group", groupname="team-00").status_code == 404


# ---------------------------------------------------------------------- projects, components


def test_project_create_answers_partially_and_reads_back_whole(api: Api) -> None:
    created = api.call("POST", "project", _project_body(api, description="First line"))
    assert created.status_code == 201
    assert set(created.json()) == {"self", "id", "key"}
    project = api.ok("GET", "project/SUP")
    assert (project["id"], project["description"], project["lead"]["accountId"]) == (
        str(created.json()["id"]),
        "First line",
        _lead(api),
    )
    assert api.call("POST", "project", _project_body(api, name="Other")).status_code == 400
    summary = api.ok("GET", "project/search")["values"][0]
    assert "description" not in summary
    expanded = api.ok("GET", "project/search", expand="description,lead")["values"][0]
    assert expanded["description"] == "First line"
    assert [p["key"] for p in api.ok("GET", "/rest/api/2/project")] == ["SUP"]
    updated = api.ok("PUT", "project/SUP", {"name": "Support desk"})
    assert updated["name"] == "Support desk"


def test_project_properties_are_kept_like_jira_keeps_them(api: Api) -> None:
    """Entity properties: what usm-config's owner marker is written to (jira.md §1.6)."""
    api.ok("POST", "project", _project_body(api))
    path = "project/SUP/properties/usm-config.owner"
    missing = api.call("GET", path)
    assert missing.status_code == 404
    assert missing.json()["errorMessages"] == [
        "The property with key 'usm-config.owner' does not exist."
    ]
    assert api.call("PUT", path, {"owner": "a"}).status_code == 201
    assert api.call("PUT", path, {"owner": "b"}).status_code == 200
    assert api.ok("GET", path) == {"key": "usm-config.owner", "value": {"owner": "b"}}
    (key,) = api.ok("GET", "project/SUP/properties")["keys"]
    assert key["self"].endswith("/properties/usm-config.owner")
    assert "usm-config.owner" not in str(api.ok("GET", "project/SUP")), "not a project field"
    assert api.call("PUT", path, "x" * 40000).status_code == 400
    assert api.call("DELETE", path).status_code == 204
    assert api.call("DELETE", path).status_code == 404
    assert api.call("GET", "project/NOPE/properties/usm-config.owner").status_code == 404


def test_itsm_template_projects_get_a_service_desk(api: Api) -> None:
    body = _project_body(
        api, key="ITSM", name="IT", projectTypeKey="service_desk", projectTemplateKey=ITSM
    )
    created = api.call("POST", "project", body)
    assert created.status_code == 201, created.text
    project_id = str(created.json()["id"])
    schemes = api.ok("GET", "workflowscheme/project", projectId=project_id)["values"]
    assert schemes[0]["workflowScheme"]["name"] != "Default Workflow Scheme"
    desks = api.ok("GET", "/rest/servicedeskapi/servicedesk")["values"]
    assert project_id in [d["projectId"] for d in desks]


def test_components_belong_to_one_project(api: Api) -> None:
    api.ok("POST", "project", _project_body(api))
    created = api.call(
        "POST", "component", {"name": "Mail", "project": "SUP", "description": "E-mail"}
    )
    assert created.status_code == 201
    component = created.json()
    assert (component["project"], component["assigneeType"]) == ("SUP", "PROJECT_DEFAULT")
    assert api.call("POST", "component", {"name": "mail", "project": "SUP"}).status_code == 400
    api.ok("PUT", f"component/{component['id']}", {"description": "Mail and calendar"})
    assert [c["description"] for c in api.ok("GET", "project/SUP/components")] == [
        "Mail and calendar"
    ]
    page = api.ok("GET", "project/SUP/component")
    assert (page["total"], page["values"][0]["issueCount"]) == (1, 0)
    assert api.call("DELETE", f"component/{component['id']}").status_code == 204
    assert api.call("GET", f"component/{component['id']}").status_code == 404


def _assignees(component: dict[str, Any]) -> tuple[Any, ...]:
    """Who a component names and who gets its issues, by account id (``None``: nobody)."""
    ids = [(component.get(f) or {}).get("accountId") for f in ("lead", "assignee", "realAssignee")]
    return (component["isAssigneeTypeValid"], component["realAssigneeType"], *ids)


def test_component_assignees_follow_the_leads_and_the_project_default() -> None:
    """Jira works out who gets a component's issues when it shows the component: a type with
    no user to match is not valid and falls back to the project's default (jira.md §1.8)."""
    app = create_app(users={"admin@example.com": "sandbox-token", "kim@example.com": "k"})
    api = Api(app)
    kim = app.state.site.user_by_email("kim@example.com")["accountId"]
    admin = _lead(api)
    api.ok("POST", "project", _project_body(api))
    for wrong in ({"assigneeType": "ME"}, {"leadAccountId": "nobody"}):
        refused = api.call("POST", "component", {"name": "Mail", "project": "SUP", **wrong})
        assert (refused.status_code, list(refused.json()["errors"])) == (400, list(wrong))
    made = api.ok("POST", "component", {"name": "Mail", "project": "SUP"})
    path = f"component/{made['id']}"
    assert _assignees(made) == (True, "UNASSIGNED", None, None, None)
    assert "leadAccountId" not in made

    component_lead = api.ok("PUT", path, {"assigneeType": "COMPONENT_LEAD"})
    assert _assignees(component_lead) == (False, "UNASSIGNED", None, None, None)
    led = api.ok("PUT", path, {"leadAccountId": kim})
    assert (led["leadAccountId"], _assignees(led)) == (kim, (True, "COMPONENT_LEAD", kim, kim, kim))

    api.ok("PUT", "project/SUP", {"assigneeType": "PROJECT_LEAD"})
    default = api.ok("PUT", path, {"assigneeType": "PROJECT_DEFAULT", "leadAccountId": None})
    assert _assignees(default) == (True, "PROJECT_LEAD", None, admin, admin)
    assert "leadAccountId" not in default
    assert _assignees(api.ok("GET", "project/SUP/components")[0]) == _assignees(default)
    page = api.ok("GET", "project/SUP/component")["values"][0]
    assert (_assignees(page), page["issueCount"]) == (_assignees(default), 0)

    api.ok("PUT", "project/SUP", {"leadAccountId": kim})
    assert _assignees(api.ok("GET", path)) == (True, "PROJECT_LEAD", None, kim, kim)
    unassigned = api.ok("PUT", path, {"assigneeType": "UNASSIGNED"})
    assert _assignees(unassigned) == (True, "UNASSIGNED", None, None, None)
