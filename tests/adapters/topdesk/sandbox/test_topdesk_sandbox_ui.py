"""The settings-UI control endpoint: an administrator does a checklist item by hand and the
read-only API shows it; plus reset and persistence of the tenant."""

from __future__ import annotations

from pathlib import Path

import pytest
from topdesk_sandbox_support import Api
from usm_topdesk.sandbox import create_app
from usm_topdesk.sandbox.baseline import baseline
from usm_topdesk.sandbox.ui import LISTS


@pytest.fixture
def api() -> Api:
    return Api(create_app())


def test_a_call_type_added_in_the_ui_is_read_through_the_api(api: Api) -> None:
    assert "Security incident" not in [c["name"] for c in api.ok("GET", "incidents/call_types")]
    created = api.control("POST", "/_sandbox/ui/lists/call_types", {"name": "Security incident"})
    assert created.status_code == 201
    assert {"id": created.json()["id"], "name": "Security incident"} in api.ok(
        "GET", "incidents/call_types"
    )


def test_a_subcategory_is_added_under_its_category_for_the_chosen_modules(api: Api) -> None:
    form = {
        "name": "Monitor",
        "parent": "Hardware",
        "modules": {"incidents": True, "changes": False},
        "translations": [{"locale": "de", "name": "Bildschirm"}],
    }
    created = api.control("POST", "/_sandbox/ui/lists/categories", form).json()
    assert created["parent"]["name"] == "Hardware"
    subcategories = api.ok("GET", "incidents/subcategories")
    assert {"id": created["id"], "name": "Monitor", "category": created["parent"]} in subcategories
    tree = api.ok("GET", "categories", query="name==Monitor", fields="all")["item"]
    assert tree[0]["translations"] == [{"locale": "de", "name": "Bildschirm"}]
    plain = api.ok("GET", "categories", query="name==Monitor")["item"]
    assert "translations" not in plain[0]


def test_a_priority_names_its_durations(api: Api) -> None:
    form = {"name": "P0 Major", "firstLineDuration": "1 hour", "secondLineDuration": "4 hours"}
    created = api.control("POST", "/_sandbox/ui/lists/priorities", form).json()
    shown = next(p for p in api.ok("GET", "incidents/priorities") if p["id"] == created["id"])
    assert shown["firstLineDuration"]["name"] == "1 hour"
    missing = api.control(
        "POST", "/_sandbox/ui/lists/priorities", {"name": "P9", "firstLineDuration": "1 year"}
    )
    assert missing.status_code == 400
    assert "1 year" in missing.json()["error"]


def test_an_entry_is_renamed_and_archived_not_deleted(api: Api) -> None:
    impact = baseline()["tables"]["impact"][0]
    path = f"/_sandbox/ui/lists/impacts/{impact['id']}"
    assert api.control("PATCH", path, {"name": "Single user"}).status_code == 200
    assert {"id": impact["id"], "name": "Single user"} in api.ok("GET", "incidents/impacts")
    assert api.control("PATCH", path, {"archived": True}).status_code == 200
    assert impact["id"] not in [i["id"] for i in api.ok("GET", "incidents/impacts")]


@pytest.mark.parametrize(
    ("path", "form", "status"),
    [
        ("/_sandbox/ui/lists/call_types", {"name": "Complaint"}, 400),  # exists
        ("/_sandbox/ui/lists/call_types", {"name": ""}, 400),
        ("/_sandbox/ui/lists/call_types", {"name": "X", "colour": "red"}, 400),
        ("/_sandbox/ui/lists/problem_types", {"name": "X"}, 404),
        ("/_sandbox/ui/lists/categories", {"name": "Printer", "parent": "Hardware"}, 400),
    ],
)
def test_the_ui_keeps_its_own_rules(
    api: Api, path: str, form: dict[str, object], status: int
) -> None:
    response = api.control("POST", path, form)
    assert response.status_code == status
    assert set(response.json()) == {"error"}


def test_a_printer_subcategory_may_exist_under_another_category(api: Api) -> None:
    form = {"name": "Printer", "parent": "Network"}
    assert api.control("POST", "/_sandbox/ui/lists/categories", form).status_code == 201


def test_every_ui_list_is_readable_through_the_api(api: Api) -> None:
    for name in LISTS:
        field = "briefDescription" if name == "change_templates" else "name"
        assert (
            api.control("POST", f"/_sandbox/ui/lists/{name}", {field: f"New {name}"}).status_code
            == 201
        )
    texts = str(
        [
            api.ok("GET", path)
            for path in (
                "incidents/call_types",
                "incidents/entry_types",
                "incidents/impacts",
                "incidents/urgencies",
                "incidents/priorities",
                "incidents/durations",
                "incidents/statuses",
                "incidents/closure_codes",
                "incidents/escalation-reasons",
                "incidents/deescalation-reasons",
                "archiving-reasons",
                "timespent-reasons",
                "categories",
                "applicableChangeTemplates",
                "changes/changeStatuses",
                "operationalActivities/types",
                "serviceWindow/lookup/",
            )
        ]
    )
    assert all(f"New {name}" in texts for name in LISTS)


def test_a_service_is_made_available_for_incidents_in_the_ui(api: Api) -> None:
    created = api.ok("POST", "services", {"name": "E-mail"})
    path = f"/_sandbox/ui/services/{created['id']}"
    edited = api.control("PATCH", path, {"availableForIncidents": True})
    assert edited.json()["availableForIncidents"] is True
    assert api.ok("GET", "services")["results"][0]["availableForIncidents"] is True
    assert api.control("PATCH", path, {"archived": True}).status_code == 200
    assert api.ok("GET", "services") == {"results": []}
    assert api.control("PATCH", path, {"description": "x"}).status_code == 400
    assert api.control("PATCH", path, {"archived": "yes"}).status_code == 400
    assert api.control("PATCH", "/_sandbox/ui/services/nope", {}).status_code == 404


def test_an_sla_made_in_the_ui_is_listed_by_the_api(api: Api) -> None:
    assert api.call("GET", "incidents/slas").status_code == 204
    mail = api.ok("POST", "services", {"name": "E-mail"})
    api.ok("POST", "services", {"name": "Printing"})
    form = {"contract": "Standard", "service": "E-mail", "serviceLevel": "Gold"}
    gold = api.control("POST", "/_sandbox/ui/slas", form).json()
    assert api.control("POST", "/_sandbox/ui/slas", form).status_code == 400  # exists
    silver = api.control("POST", "/_sandbox/ui/slas", {**form, "serviceLevel": "Silver"}).json()
    printing = {"contract": "Standard", "service": "Printing", "serviceLevel": "Gold"}
    api.control("POST", "/_sandbox/ui/slas", printing)
    assert (gold["contractId"], gold["serviceLevelId"]) == (
        silver["contractId"],
        gold["serviceLevelId"],
    )
    assert gold["serviceLevelId"] != silver["serviceLevelId"]
    first = api.call("GET", "incidents/slas", page_size=2)
    assert first.status_code == 206
    assert first.json()["results"] == [gold, silver]
    assert api.ok("GET", "incidents/slas", service=mail["id"])["results"] == [gold, silver]
    assert api.ok("GET", "incidents/slas/services") == [
        {"id": mail["id"], "name": "E-mail"},
        {"id": printing_id(api), "name": "Printing"},
    ]
    assert api.call("GET", "incidents/slas", page_size=101).status_code == 400
    assert api.call("POST", "incidents/slas", form).status_code == 405


def printing_id(api: Api) -> str:
    return next(s["id"] for s in api.ok("GET", "services")["results"] if s["name"] == "Printing")


def test_service_windows_are_looked_up_by_name_prefix(api: Api) -> None:
    assert api.ok("GET", "serviceWindow/lookup/") == []
    for name in ("Office hours", "24x7", "Office hours (summer)"):
        api.control("POST", "/_sandbox/ui/lists/service_windows", {"name": name})
    found = api.ok("GET", "serviceWindow/lookup/", name="office", **{"$top": 1})
    assert [w["name"] for w in found] == ["Office hours"]
    assert api.ok("GET", f"serviceWindow/lookup/{found[0]['id']}") == found[0]
    assert (
        api.call("GET", "serviceWindow/lookup/0b9b8f7a-0000-4000-8000-000000000000").status_code
        == 404
    )


def test_reset_restores_a_new_tenant(api: Api) -> None:
    api.control("POST", "/_sandbox/ui/lists/call_types", {"name": "Security incident"})
    api.ok("POST", "departments", {"name": "IT"})
    assert api.control("POST", "/_sandbox/reset").status_code == 200
    assert [c["name"] for c in api.ok("GET", "incidents/call_types")] == [
        r["name"] for r in baseline()["tables"]["call_type"]
    ]
    assert api.ok("GET", "departments") == []
    assert api.ok("GET", "operators/current")["loginName"] == "admin"


def test_the_tenant_persists_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "topdesk.sqlite3"
    first = Api(create_app(db_path=state))
    created = first.ok("POST", "departments", {"name": "IT"})
    again = Api(create_app(db_path=state))
    assert again.ok("GET", "departments") == [created]
    assert len(again.ok("GET", "operators")) == 1
