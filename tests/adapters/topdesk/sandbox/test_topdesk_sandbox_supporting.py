"""Supporting files in the TOPdesk emulator: operator groups, operators, persons, branches,
departments and drop-down entries (supporting-files 2.7.11; topdesk.md §2.4, §2.7, §3.2, §8)."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from topdesk_sandbox_support import BRANCH, TOPDESK_SPECS, Api, new_group, new_operator
from usm_topdesk.sandbox import create_app
from usm_topdesk.sandbox.baseline import baseline

REASON = baseline()["tables"]["archiving_reason"][0]["id"]
PERSON_V2 = "application/x.topdesk-collection-person-v2+json"


@pytest.fixture
def api() -> Api:
    return Api(create_app())


# ---------------------------------------------------------------------- operator groups


def test_an_operator_group_is_created_with_every_task_flag_off(api: Api) -> None:
    created = new_group(api, "Service desk")
    assert created["status"] == "operatorGroup"
    assert created["branch"]["id"] == BRANCH
    assert created["firstLineCallOperator"] is False
    assert api.ok("GET", f"operatorgroups/id/{created['id']}") == created


def test_task_flags_are_refused_on_create_and_set_with_patch(api: Api) -> None:
    body = {"groupName": "Service desk", "branch": {"id": BRANCH}, "firstLineCallOperator": True}
    response = api.call("POST", "operatorgroups", body)
    assert response.status_code == 400
    assert response.json() == [{"message": 'The field "firstLineCallOperator" does not exist.'}]
    created = new_group(api, "Service desk")
    patched = api.ok("PATCH", f"operatorgroups/id/{created['id']}", {"firstLineCallOperator": True})
    assert patched["firstLineCallOperator"] is True
    assert patched["secondLineCallOperator"] is False


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"branch": {"id": BRANCH}}, 400, "Mandatory field 'groupName' is missing."),
        ({"groupName": "Desk"}, 400, "Mandatory field 'branch' is missing."),
        (
            {"groupName": "x" * 31, "branch": {"id": BRANCH}},
            400,
            'The value for the field "groupName" can only be 30 characters long.',
        ),
        (
            {"groupName": "Desk", "branch": {"id": "8b1f0d7c-0000-4000-8000-000000000000"}},
            404,
            'The branch "8b1f0d7c-0000-4000-8000-000000000000" cannot be found',
        ),
    ],
)
def test_operator_group_validation_answers_the_legacy_envelope(
    api: Api, body: dict[str, Any], status: int, message: str
) -> None:
    response = api.call("POST", "operatorgroups", body)
    assert (response.status_code, response.json()) == (status, [{"message": message}])


def test_operator_groups_page_with_start_and_page_size_answering_206_then_200(api: Api) -> None:
    for number in range(25):
        new_group(api, f"Group {number:02d}")
    statuses, names = [], []
    for start in (0, 10, 20):
        response = api.call("GET", "operatorgroups", start=start, page_size=10)
        statuses.append(response.status_code)
        names += [g["groupName"] for g in response.json()]
    assert statuses == [206, 206, 200]
    assert names == [f"Group {n:02d}" for n in range(25)]
    assert api.call("GET", "operatorgroups", start=25, page_size=10).status_code == 204
    assert len(api.call("GET", "operatorgroups").json()) == 10  # default page_size


@pytest.mark.parametrize("params", [{"page_size": 101}, {"page_size": 0}, {"start": -1}])
def test_a_page_size_outside_1_to_100_is_malformed(api: Api, params: dict[str, int]) -> None:
    response = api.call("GET", "operatorgroups", **params)
    assert (response.status_code, response.json()) == (
        400,
        [{"message": "Input parameters malformed"}],
    )


def test_an_empty_list_is_204_without_a_body(api: Api) -> None:
    response = api.call("GET", "operatorgroups")
    assert (response.status_code, response.content) == (204, b"")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("groupName==Network", ["Network"]),
        ("groupName=sw=Serv", ["Service desk", "Servers"]),
        ("groupName=in=(Network,Servers)", ["Network", "Servers"]),
        ("groupName=out=(Network,Servers)", ["Service desk"]),
        ("groupName==Network,groupName==Servers", ["Network", "Servers"]),
        ("groupName=sw=S;firstLineCallOperator==true", ["Service desk"]),
        (
            "(groupName==Network,groupName==Servers);firstLineCallOperator==false",
            ["Network", "Servers"],
        ),
        ("groupName=='Service desk'", ["Service desk"]),
        ("comments==null", ["Service desk", "Network", "Servers"]),
    ],
)
def test_operator_groups_filter_with_fiql(api: Api, query: str, expected: list[str]) -> None:
    desk = new_group(api, "Service desk")
    new_group(api, "Network")
    new_group(api, "Servers")
    api.ok("PATCH", f"operatorgroups/id/{desk['id']}", {"firstLineCallOperator": True})
    found = api.ok("GET", "operatorgroups", query=query)
    assert [g["groupName"] for g in found or []] == expected


@pytest.mark.parametrize("query", ["branch.id==x", "branch.name==x", "groupName=~x", "groupName=="])
def test_fiql_refuses_branch_fields_and_bad_syntax_with_400(api: Api, query: str) -> None:
    new_group(api, "Service desk")
    response = api.call("GET", "operatorgroups", query=query)
    assert response.status_code == 400
    assert list(response.json()[0]) == ["message"]


def test_fields_narrows_the_answer(api: Api) -> None:
    new_group(api, "Service desk")
    assert api.ok("GET", "operatorgroups", fields="groupName") == [
        {"id": api.ok("GET", "operatorgroups")[0]["id"], "groupName": "Service desk"}
    ]


def test_archiving_needs_a_reason_and_keeps_the_group(api: Api) -> None:
    created = new_group(api, "Old team")
    path = f"operatorgroups/id/{created['id']}/archive"
    missing = api.call("PUT", path)
    assert missing.json() == [{"message": "Reason for archiving is mandatory"}]
    unknown = api.call("PUT", path, {"id": "0b9b8f7a-0000-4000-8000-000000000000"})
    assert unknown.json() == [
        {"message": 'The value for the field "archiving-reason" cannot be found'}
    ]
    archived = api.ok("PUT", path, {"id": REASON})
    assert archived["status"] == "operatorGroupArchived"
    assert api.call("PUT", path, {"id": REASON}).json() == [
        {"message": "Operator group is already archived"}
    ]
    assert api.call("GET", "operatorgroups").status_code == 204  # active ones only
    found = api.ok("GET", "operatorgroups", query="status==operatorGroupArchived")
    assert [g["id"] for g in found] == [created["id"]]
    # A query lists archived groups too, unless it asks for the active ones.
    assert [g["id"] for g in api.ok("GET", "operatorgroups", query="groupName=='Old team'")] == [
        created["id"]
    ]
    assert api.ok("GET", "operatorgroups", query="archived==true")[0]["id"] == created["id"]
    assert api.call("GET", "operatorgroups", query="archived==false").status_code == 204
    assert "archived" not in found[0]  # a status, not a field of the answer
    assert api.call("DELETE", f"operatorgroups/id/{created['id']}").status_code == 405
    restored = api.ok("PATCH", f"operatorgroups/id/{created['id']}/unarchive")
    assert restored["status"] == "operatorGroup"


def test_operator_group_lookup_is_sorted_and_cut_at_top(api: Api) -> None:
    for name in ("Servers", "Network", "Service desk"):
        new_group(api, name)
    found = api.ok("GET", "operatorgroups/lookup", **{"$top": 2})
    assert [e["name"] for e in found["results"]] == ["Network", "Servers"]


# ---------------------------------------------------------------------- operators and persons


def test_an_operator_needs_a_linked_person_and_joins_groups(api: Api) -> None:
    body = {"surName": "Jansen", "firstName": "Eva", "branch": {"id": BRANCH}, "loginName": "eva"}
    assert api.call("POST", "operators", body).json() == [
        {"message": "Mandatory field 'linkedPerson' is missing."}
    ]
    person = api.ok("POST", "persons", {"surName": "Jansen", "branch": {"id": BRANCH}})
    operator = api.ok("POST", "operators", {**body, "linkedPerson": {"id": person["id"]}})
    assert operator["dynamicName"] == "Jansen, Eva"
    desk = new_group(api, "Service desk")
    assert api.call("GET", f"operatorgroups/id/{desk['id']}/operators").status_code == 204
    linked = api.call("POST", f"operators/id/{operator['id']}/operatorgroups", [{"id": desk["id"]}])
    assert linked.status_code == 204
    assert api.ok("GET", f"operatorgroups/id/{desk['id']}/operators") == [
        {"id": operator["id"], "name": "Jansen, Eva"}
    ]
    assert api.ok("GET", f"operators/id/{operator['id']}/operatorgroups") == [
        {"id": desk["id"], "name": "Service desk"}
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("operatorGroup.name==Stock", ["Jansen, Eva"]),
        ("operatorGroup.name==Desk", ["Jansen, Eva", "Bakker, Sem"]),
        ("operatorGroup.stockManager==true", ["Jansen, Eva"]),
        ("operatorGroup.name==Desk;operatorGroup.stockManager==true", []),
        ("operatorGroup==null", ["Administrator, Sandbox"]),
        # The spec's own example: the task on the card or on any of its groups.
        ("(stockManager==true,operatorGroup.stockManager==true);archived==false", ["Jansen, Eva"]),
    ],
)
def test_operators_filter_on_any_group_they_are_in(
    api: Api, query: str, expected: list[str]
) -> None:
    """Supporting files 2.7.11, ``GET /operators``, ``query``: "operatorGroup: id, name and
    all tasks. This filter considers any group the operator is in" (the spec)."""
    stock, desk = new_group(api, "Stock"), new_group(api, "Desk")
    api.ok("PATCH", f"operatorgroups/id/{stock['id']}", {"stockManager": True})
    admin = api.ok("GET", "operators/current")
    api.ok("PATCH", f"operators/id/{admin['id']}", {"stockManager": False})
    for sur, first, groups in (("Jansen", "Eva", [stock, desk]), ("Bakker", "Sem", [desk])):
        operator = new_operator(api, sur, firstName=first)
        linked = [{"id": g["id"]} for g in groups]
        api.call("POST", f"operators/id/{operator['id']}/operatorgroups", linked)
    found = api.ok("GET", "operators", query=query)
    assert [o["dynamicName"] for o in found or []] == expected
    assert all("operatorGroup" not in o and "archived" not in o for o in found or [])


@functools.cache
def _dto_fields(schema: str) -> frozenset[str]:
    spec = json.loads((TOPDESK_SPECS / "supporting-files-2.7.11.openapi.json").read_text())
    return frozenset(spec["components"]["schemas"][schema]["properties"])


def test_operator_and_group_cards_show_every_field_of_their_dto(api: Api) -> None:
    operators = [api.ok("GET", "operators/current"), new_operator(api)]
    for operator in operators:
        assert set(operator) == _dto_fields("OperatorDto")
        assert set(operator["branch"]) == {
            "id",
            "name",
            "clientReferenceNumber",
            "timeZone",
            "extraA",
            "extraB",
        }
    assert set(new_group(api, "Service desk")) == _dto_fields("OperatorGroupDto")


def test_branch_cards_show_every_field_of_their_dto_but_the_addresses(api: Api) -> None:
    # No public answer shows the empty shape of a branch's addresses or real-estate data.
    shown = _dto_fields("ExtendedBranchDto") - {"address", "postalAddress", "realEstate"}
    for branch in (
        api.ok("GET", f"branches/id/{BRANCH}"),
        api.ok("POST", "branches", {"name": "Zaandam"}),
    ):
        assert set(branch) == shown


def test_an_operator_cannot_archive_itself(api: Api) -> None:
    me = api.ok("GET", "operators/current")
    response = api.call("PATCH", f"operators/id/{me['id']}/archive", {"id": REASON})
    assert response.json() == [{"message": "Can not archive yourself"}]


def test_persons_v2_page_with_page_start_and_page_size(api: Api) -> None:
    for number in range(4):
        api.ok("POST", "persons", {"surName": f"Person {number}", "branch": {"id": BRANCH}})
    headers = {"Accept": PERSON_V2}
    first = api.call("GET", "persons", headers=headers, pageSize=3)
    assert first.status_code == 206
    assert first.json()["size"] == 3
    assert "pageStart=3" in first.json()["next"]
    last = api.call("GET", "persons", headers=headers, pageSize=3, pageStart=3)
    assert last.status_code == 200
    assert (last.json()["size"], last.json()["next"]) == (2, None)
    assert api.call("GET", "persons", headers=headers, pageStart=5).status_code == 204
    assert api.call("GET", "persons", headers=headers, pageSize=5001).status_code == 400


# ---------------------------------------------------------------------- branches


def test_branches_show_only_id_and_name_unless_fields_ask(api: Api) -> None:
    created = api.ok("POST", "branches", {"name": "Rotterdam", "branchType": "independentBranch"})
    names = api.ok("GET", "branches")
    assert {"id": created["id"], "name": "Rotterdam"} in names
    assert all(set(b) == {"id", "name"} for b in names)
    full = api.ok("GET", "branches", **{"$fields": "name,branchType"})
    assert {"id": created["id"], "name": "Rotterdam", "branchType": "independentBranch"} in full
    assert api.ok("GET", "branches", query="name==Rotterdam") == [
        {"id": created["id"], "name": "Rotterdam"}
    ]


def test_a_branch_takes_a_service_window_option_of_default_or_specific(api: Api) -> None:
    created = api.ok("POST", "branches", {"name": "Utrecht"})
    assert created["serviceWindowOption"] == "default"
    path = f"branches/id/{created['id']}"
    assert api.ok("PATCH", path, {"serviceWindowOption": "specific"})["serviceWindowOption"] == (
        "specific"
    )
    refused = api.call("PATCH", path, {"serviceWindowOption": 1})
    assert refused.json() == [
        {"message": 'The value for the field "serviceWindowOption" cannot be parsed.'}
    ]


@pytest.mark.parametrize(("field", "limit"), [("membershipNumber", 60), ("vatNumber", 25)])
def test_branch_texts_keep_their_documented_length(api: Api, field: str, limit: int) -> None:
    created = api.ok("POST", "branches", {"name": "Utrecht", field: "x" * limit})
    assert created[field] == "x" * limit
    refused = api.call("PATCH", f"branches/id/{created['id']}", {field: "x" * (limit + 1)})
    assert refused.json() == [
        {"message": f'The value for the field "{field}" can only be {limit} characters long.'}
    ]


def test_a_branch_is_archived_with_a_reason_not_deleted(api: Api) -> None:
    created = api.ok("POST", "branches", {"name": "Utrecht"})
    api.ok("PATCH", f"branches/id/{created['id']}/archive", {"id": REASON})
    assert created["id"] not in [b["id"] for b in api.ok("GET", "branches")]
    assert api.ok("GET", f"branches/id/{created['id']}")["status"] == "branchArchived"
    # A query lists archived branches too, unless it asks for the active ones.
    utrecht = {"id": created["id"], "name": "Utrecht"}
    assert utrecht in api.ok("GET", "branches", query="name=sw=U")
    assert api.ok("GET", "branches", query="archived==true") == [utrecht]
    assert utrecht not in api.ok("GET", "branches", query="archived==false")


# ---------------------------------------------------------------------- departments


def test_departments_duplicates_archive_and_delete(api: Api) -> None:
    link = {"id": "usm:dept:it", "type": "42"}
    created = api.ok("POST", "departments", {"name": "IT", "externalLink": link})
    assert created == {"id": created["id"], "name": "IT", "externalLinks": [{**link, "date": None}]}
    duplicate = api.call("POST", "departments", {"name": "it"})
    assert (duplicate.status_code, duplicate.json()) == (
        400,
        [{"message": "Department with name 'it' already exists."}],
    )
    assert api.ok(
        "GET", "departments", external_link_id="usm:dept:it", external_link_type="42"
    ) == [created]
    renamed = api.ok("PATCH", f"departments/id/{created['id']}", {"name": "ICT"})
    assert renamed == [{**created, "name": "ICT"}]
    api.ok("PATCH", f"departments/id/{created['id']}/archive")
    assert api.ok("GET", "departments") == []
    again = api.call("PATCH", f"departments/id/{created['id']}/archive")
    assert again.json() == {"errorCode": "already_archived", "appliesTo": ["id"]}
    api.ok("PATCH", f"departments/id/{created['id']}/unarchive")
    new_operator(api, "Bakker", department={"id": created["id"]})
    referenced = api.call("DELETE", f"departments/id/{created['id']}")
    assert referenced.status_code == 409


def test_an_unreferenced_department_can_be_deleted(api: Api) -> None:
    created = api.ok("POST", "departments", {"name": "Facilities"})
    assert api.call("DELETE", f"departments/id/{created['id']}").status_code == 204
    assert api.ok("GET", "departments") == []


# ---------------------------------------------------------------------- drop-down entries


def test_an_existing_drop_down_entry_is_a_bare_duplicate_value(api: Api) -> None:
    path = "operators/free_fields/1/searchlists/2"
    created = api.ok("POST", path, {"name": "Team lead"})
    duplicate = api.call("POST", path, {"name": "TEAM LEAD"})
    assert (duplicate.status_code, duplicate.json()) == (
        400,
        {"errorCode": "duplicate_value", "appliesTo": ["name"]},
    )
    assert api.ok("GET", path) == [created]
    assert api.ok("GET", "operators/free_fields/2/searchlists/2") == []
    assert api.call("GET", "operators/free_fields/3/searchlists/1").status_code == 404


# ---------------------------------------------------------------------- services


def test_services_are_created_and_listed_but_not_updated(api: Api) -> None:
    desk = new_group(api, "Service desk")
    created = api.ok("POST", "services", {"name": "E-mail", "manager": desk["id"]})
    assert created["type"] == "service"
    assert created["manager"] == desk["id"]
    assert api.ok("GET", "services") == {
        "results": [
            {
                "id": created["id"],
                "name": "E-mail",
                "availableForIncidents": False,
                "availableForReservations": False,
            }
        ]
    }
    assert api.ok("GET", f"services/{created['id']}") == created
    assert api.call("PUT", f"services/{created['id']}", {"name": "Mail"}).status_code == 405
    assert api.call("DELETE", f"services/{created['id']}").status_code == 405
    refused = api.call("POST", "services", {"name": ""})
    assert (refused.status_code, refused.content) == (400, b"")


def test_services_are_cut_at_top_not_paged(api: Api) -> None:
    for number in range(5):
        api.ok("POST", "services", {"name": f"Service {number}"})
    response = api.call("GET", "services", **{"$top": 3})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
