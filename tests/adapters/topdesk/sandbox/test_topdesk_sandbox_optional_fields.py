"""Optional fields of operators, operator groups and branches in the TOPdesk emulator
(supporting files 2.7.11 ``OptionalFieldsDto``, ``ModifyOptionalFieldsDto``,
``ModifyOptionalFieldsWithNameLookUpDto``). Every request is checked against the specs."""

from __future__ import annotations

from typing import Any

import pytest
from topdesk_sandbox_support import BRANCH, TOPDESK_SPECS, Api, new_group, new_operator
from usm_topdesk.sandbox import create_app

#: Both tabs of a card nobody filled in, as a live tenant's operator card shows them
#: (demisto/content Packs/TOPdesk/Integrations/TOPdesk/test_data/topdesk_operator.json).
EMPTY_TAB = {
    **{f"boolean{n}": False for n in range(1, 6)},
    **{f"number{n}": 0.0 for n in range(1, 6)},
    **{f"date{n}": None for n in range(1, 6)},
    **{f"text{n}": "" for n in range(1, 6)},
    **{f"memo{n}": None for n in range(1, 6)},
    **{f"searchlist{n}": None for n in range(1, 6)},
}


@pytest.fixture
def api() -> Api:
    return Api(create_app(spec_dir=TOPDESK_SPECS))


def test_every_card_shows_both_tabs_empty_until_written(api: Api) -> None:
    cards = [
        api.ok("GET", "operators/current"),
        api.ok("GET", f"branches/id/{BRANCH}"),
        new_group(api),
        new_operator(api),
        api.ok("POST", "branches", {"name": "Zaandam"}),
    ]
    for card in cards:
        assert (card["optionalFields1"], card["optionalFields2"]) == (EMPTY_TAB, EMPTY_TAB)


def test_a_patch_changes_the_fields_it_names_and_keeps_the_others(api: Api) -> None:
    path = f"operatorgroups/id/{new_group(api)['id']}"
    first = {
        "boolean2": True,
        "number3": 2,
        "text1": "Zaandam",
        "date1": "2015-11-15T14:00:00.000+0200",
        "date2": "2015-10-28T10:30:00.000",
    }
    patched = api.ok("PATCH", path, {"optionalFields1": first})
    tab = {
        **EMPTY_TAB,
        "boolean2": True,
        "number3": 2.0,
        "text1": "Zaandam",
        # "The given time offset will be used. Without a given offset Zulu/UTC time will be
        # assumed." TOPdesk answers every date in UTC.
        "date1": "2015-11-15T12:00:00.000+0000",
        "date2": "2015-10-28T10:30:00.000+0000",
    }
    assert (patched["optionalFields1"], patched["optionalFields2"]) == (tab, EMPTY_TAB)
    again = api.ok("PATCH", path, {"optionalFields1": {"text1": None, "date2": None}})
    assert again["optionalFields1"] == {**tab, "text1": "", "date2": None}
    assert api.ok("PATCH", path, {"optionalFields1": None})["optionalFields1"] == {
        **tab,
        "text1": "",
        "date2": None,
    }
    other = api.ok("PATCH", path, {"optionalFields2": {"boolean5": True}})
    assert other["optionalFields2"] == {**EMPTY_TAB, "boolean5": True}
    assert other["optionalFields1"] == {**tab, "text1": "", "date2": None}
    assert api.ok("GET", path) == other


def test_operators_and_groups_pick_drop_down_entries_of_the_operators_lists(api: Api) -> None:
    laptop = api.ok("POST", "operators/free_fields/1/searchlists/2", {"name": "Laptop"})
    operator = new_operator(api, optionalFields1={"searchlist2": {"id": laptop["id"]}})
    assert operator["optionalFields1"]["searchlist2"] == {"id": laptop["id"], "name": "Laptop"}
    group = api.ok(
        "PATCH",
        f"operatorgroups/id/{new_group(api)['id']}",
        {"optionalFields1": {"searchlist2": {"id": laptop["id"]}}},
    )
    assert group["optionalFields1"]["searchlist2"] == {"id": laptop["id"], "name": "Laptop"}
    cleared = api.ok(
        "PATCH", f"operators/id/{operator['id']}", {"optionalFields1": {"searchlist2": None}}
    )
    assert cleared["optionalFields1"]["searchlist2"] is None
    # An entry of another list, or of the same list on the other tab, is not found.
    for tab, field in (("optionalFields1", "searchlist1"), ("optionalFields2", "searchlist2")):
        response = api.call(
            "PATCH", f"operators/id/{operator['id']}", {tab: {field: {"id": laptop["id"]}}}
        )
        assert (response.status_code, response.json()) == (
            400,
            [{"message": f'The value for the field "{tab}.{field}" cannot be found'}],
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"boolean1": "yes"},
            'The value for the field "optionalFields1.boolean1" cannot be parsed.',
        ),
        ({"number1": "3"}, 'The value for the field "optionalFields1.number1" cannot be parsed.'),
        ({"number1": True}, 'The value for the field "optionalFields1.number1" cannot be parsed.'),
        (
            {"date1": "2015-11-15"},
            'The value for the field "optionalFields1.date1" cannot be parsed.',
        ),
        (
            {"date1": "tomorrow"},
            'The value for the field "optionalFields1.date1" cannot be parsed.',
        ),
        ({"text1": 7}, 'The value for the field "optionalFields1.text1" cannot be parsed.'),
        (
            {"text5": "x" * 101},
            'The value for the field "optionalFields1.text5" can only be 100 characters long.',
        ),
        ({"memo1": "read-only"}, 'The field "optionalFields1.memo1" does not exist.'),
        ({"boolean6": True}, 'The field "optionalFields1.boolean6" does not exist.'),
        ({"colour": "red"}, 'The field "optionalFields1.colour" does not exist.'),
        (
            {"searchlist1": {"name": "Laptop"}},
            'The value for the field "optionalFields1.searchlist1" cannot be parsed.',
        ),
        (
            {"searchlist1": "Laptop"},
            'The value for the field "optionalFields1.searchlist1" cannot be parsed.',
        ),
    ],
)
def test_a_bad_optional_field_is_refused_and_nothing_is_written(
    api: Api, fields: dict[str, Any], message: str
) -> None:
    path = f"operatorgroups/id/{new_group(api)['id']}"
    before = api.ok("GET", path)
    response = api.call("PATCH", path, {"optionalFields1": {"boolean3": True, **fields}})
    assert (response.status_code, response.json()) == (400, [{"message": message}])
    assert api.ok("GET", path) == before


def test_a_tab_must_be_an_object(api: Api) -> None:
    path = f"operatorgroups/id/{new_group(api)['id']}"
    response = api.call("PATCH", path, {"optionalFields2": [True]})
    assert response.json() == [
        {"message": 'The value for the field "optionalFields2" cannot be parsed.'}
    ]


def test_a_group_is_created_without_optional_fields(api: Api) -> None:
    body = {"groupName": "Desk", "branch": {"id": BRANCH}, "optionalFields1": {"boolean1": True}}
    response = api.call("POST", "operatorgroups", body)
    assert response.json() == [{"message": 'The field "optionalFields1" does not exist.'}]


def test_branches_take_optional_fields_but_have_no_drop_down_entries(api: Api) -> None:
    created = api.ok("POST", "branches", {"name": "Zaandam", "optionalFields2": {"number1": 1.5}})
    assert created["optionalFields2"] == {**EMPTY_TAB, "number1": 1.5}
    assert api.ok("GET", f"branches/id/{created['id']}")["optionalFields2"]["number1"] == 1.5
    # Branches' drop-down lists are read-only through the API, and empty on a new tenant:
    # an entry named (as the branch schema allows) is not found.
    response = api.call(
        "PATCH", f"branches/id/{created['id']}", {"optionalFields1": {"searchlist1": {"name": "A"}}}
    )
    assert response.json() == [
        {"message": 'The value for the field "optionalFields1.searchlist1" cannot be found'}
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("optionalFields1.boolean1==true", ["Network"]),
        ("optionalFields1.number2=gt=1", ["Network"]),
        ("optionalFields2.text3=sw=Zaan", ["Network"]),
        ("optionalFields1.date1=lt=2020-01-01T00:00:00Z", ["Network"]),
        ("optionalFields1.searchlist2.name==Laptop", ["Network"]),
        ("optionalFields1.searchlist2==null", ["Service desk"]),
        ("optionalFields1.boolean1==false;groupName=sw=Serv", ["Service desk"]),
    ],
)
def test_cards_filter_on_their_optional_fields(api: Api, query: str, expected: list[str]) -> None:
    """FIQL on operator groups, operators and branches may name "optionalFields1,
    optionalFields2: All subfields, including id and name for searchlists"."""
    laptop = api.ok("POST", "operators/free_fields/1/searchlists/2", {"name": "Laptop"})
    new_group(api)
    network = new_group(api, "Network")
    fields = {
        "optionalFields1": {
            "boolean1": True,
            "number2": 3,
            "date1": "2015-11-15T14:00:00.000+0200",
            "searchlist2": {"id": laptop["id"]},
        },
        "optionalFields2": {"text3": "Zaandam"},
    }
    api.ok("PATCH", f"operatorgroups/id/{network['id']}", fields)
    found = api.ok("GET", "operatorgroups", query=query)
    assert [g["groupName"] for g in found or []] == expected


def test_operators_and_branches_filter_on_their_optional_fields_too(api: Api) -> None:
    operator = new_operator(api, optionalFields1={"boolean1": True})
    found = api.ok("GET", "operators", query="optionalFields1.boolean1==true")
    assert [o["id"] for o in found] == [operator["id"]]
    branch = api.ok("POST", "branches", {"name": "Zaandam", "optionalFields2": {"number1": 1.5}})
    assert api.ok("GET", "branches", query="optionalFields2.number1==1.5") == [
        {"id": branch["id"], "name": "Zaandam"}
    ]


def test_a_query_naming_no_optional_field_of_a_group_is_refused(api: Api) -> None:
    new_group(api)
    response = api.call("GET", "operatorgroups", query="optionalFields1.memo6==x")
    assert response.status_code == 400
