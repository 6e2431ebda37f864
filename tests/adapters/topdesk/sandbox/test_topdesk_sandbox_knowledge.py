"""The knowledge base of the TOPdesk emulator (after the explorer migration; topdesk.md §3.9,
§8.4, §8.8): items, folders, translations, statuses, paging, FIQL and archiving."""

from __future__ import annotations

from typing import Any

import pytest
from topdesk_sandbox_support import Api
from usm_topdesk.sandbox import create_app
from usm_topdesk.sandbox.baseline import baseline

KB = "/services/knowledge-base-v1"
FOLDER = baseline()["tables"]["kb_folder"][0]


@pytest.fixture
def api() -> Api:
    return Api(create_app())


def item(api: Api, title: str, language: str = "en", **extra: Any) -> dict[str, Any]:
    body = {
        "parent": {"id": FOLDER["id"]},
        "translation": {"language": language, "content": {"title": title, "content": "<p>x</p>"}},
        **extra,
    }
    created: dict[str, Any] = api.ok("POST", f"{KB}/knowledgeItems", body)
    return created


def test_a_knowledge_item_is_created_in_a_folder_and_numbered(api: Api) -> None:
    first, second = item(api, "Reset a password"), item(api, "Connect to the VPN")
    assert (first["number"], second["number"]) == ("KI 0001", "KI 0002")
    assert set(first) == {"id", "number"}
    shown = api.ok("GET", f"{KB}/knowledgeItems/KI 0001")
    assert shown["translation"] == {
        "language": "en",
        "content": {
            "title": "Reset a password",
            "description": "",
            "content": "<p>x</p>",
            "commentsForOperators": "",
            "keywords": "",
        },
    }
    assert shown["parent"] == {"id": FOLDER["id"], "number": FOLDER["number"]}


@pytest.mark.parametrize(
    ("body", "applies_to"),
    [
        ({"translation": {"language": "en", "content": {"title": "x"}}}, "parent"),
        (
            {"parent": {"id": FOLDER["id"]}, "translation": {"content": {"title": "x"}}},
            "translation.language",
        ),
        (
            {"parent": {"id": FOLDER["id"]}, "translation": {"language": "en", "content": {}}},
            "translation.content.title",
        ),
    ],
)
def test_mandatory_values_are_coded_errors_with_a_string_applies_to(
    api: Api, body: dict[str, Any], applies_to: str
) -> None:
    response = api.call("POST", f"{KB}/knowledgeItems", body)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["errorCode"], error["appliesTo"]) == ("value_mandatory", applies_to)


def test_an_unknown_parent_is_value_unknown(api: Api) -> None:
    response = api.call(
        "POST",
        f"{KB}/knowledgeItems",
        {
            "parent": {"number": "KIF 9999"},
            "translation": {"language": "en", "content": {"title": "x"}},
        },
    )
    assert response.json()["errors"][0]["errorCode"] == "value_unknown"


def test_lists_show_id_and_number_unless_fields_ask_and_page_with_206(api: Api) -> None:
    for number in range(3):
        item(api, f"Article {number}")
    first = api.call("GET", f"{KB}/knowledgeItems", page_size=2)
    assert first.status_code == 206
    assert first.json()["item"] == [
        {"id": first.json()["item"][0]["id"], "number": "KI 0001"},
        {"id": first.json()["item"][1]["id"], "number": "KI 0002"},
    ]
    assert "start=2" in first.json()["next"]
    last = api.call("GET", first.json()["next"].partition("sandbox.topdesk.test")[2])
    assert last.status_code == 200
    assert [i["number"] for i in last.json()["item"]] == ["KI 0003"]
    assert "next" not in last.json()
    titled = api.ok("GET", f"{KB}/knowledgeItems", fields="title")
    assert titled["item"][0]["translation"] == {"language": "en", "content": {"title": "Article 0"}}


def test_only_items_with_content_in_the_language_are_listed(api: Api) -> None:
    english = item(api, "Printer jam")
    item(api, "Papierstau", language="de")
    assert [i["id"] for i in api.ok("GET", f"{KB}/knowledgeItems")["item"]] == [english["id"]]
    assert [i["number"] for i in api.ok("GET", f"{KB}/knowledgeItems", language="de")["item"]] == [
        "KI 0002"
    ]
    assert api.call("GET", f"{KB}/knowledgeItems", language="fr").status_code == 204


def test_fiql_filters_on_item_fields_and_texts(api: Api) -> None:
    item(api, "Printer jam")
    item(api, "Password reset")
    found = api.ok("GET", f"{KB}/knowledgeItems", query="title=sw=Pass")
    assert [i["number"] for i in found["item"]] == ["KI 0002"]
    bad = api.call("GET", f"{KB}/knowledgeItems", query="title=")
    assert bad.json()["errors"][0]["appliesTo"] == "query"


def test_items_are_archived_not_deleted_and_writes_answer_204(api: Api) -> None:
    created = item(api, "Old article")
    path = f"{KB}/knowledgeItems/{created['id']}"
    assert api.call("DELETE", path).status_code == 405
    assert api.call("POST", f"{path}/archive").status_code == 204
    assert api.call("GET", f"{KB}/knowledgeItems").status_code == 204
    assert api.ok("GET", path)["archived"] is True
    found = api.ok("GET", f"{KB}/knowledgeItems", query="archived==true")
    assert [i["id"] for i in found["item"]] == [created["id"]]
    assert api.call("POST", f"{path}/unarchive").status_code == 204
    patched = api.call("PATCH", path, {"visibility": {"sspVisibility": "VISIBLE"}})
    assert (patched.status_code, patched.content) == (204, b"")
    assert api.ok("GET", path)["visibility"] == {"sspVisibility": "VISIBLE"}


def test_translations_are_added_changed_and_removed_per_language(api: Api) -> None:
    created = item(api, "VPN")
    path = f"{KB}/knowledgeItems/{created['id']}/translations"
    assert api.call("POST", f"{path}/nl", {"title": "VPN (nl)"}).status_code == 204
    twice = api.call("POST", f"{path}/nl", {"title": "VPN"})
    assert twice.json()["errors"][0]["errorCode"] == "duplicate_value"
    assert api.call("PATCH", f"{path}/nl", {"keywords": "vpn"}).status_code == 204
    dutch = api.ok("GET", f"{KB}/knowledgeItems/{created['id']}", language="nl")
    assert dutch["translation"]["content"]["keywords"] == "vpn"
    assert api.call("DELETE", f"{path}/nl").status_code == 204
    last = api.call("DELETE", f"{path}/en")
    assert last.status_code == 400


def test_folders_nest_and_archive(api: Api) -> None:
    body = {
        "parent": {"id": FOLDER["id"]},
        "translation": {"language": "en", "content": {"title": "Network"}},
    }
    created = api.ok("POST", f"{KB}/folders", body)
    assert created["number"] == "KIF 0002"
    shown = api.ok("GET", f"{KB}/folders/{created['number']}")
    assert shown["parent"] == {"id": FOLDER["id"], "number": FOLDER["number"]}
    assert api.call("POST", f"{KB}/folders/{created['id']}/archive").status_code == 204
    listed = api.ok("GET", f"{KB}/folders")
    assert [f["number"] for f in listed["item"]] == [FOLDER["number"]]


def test_statuses_are_unique_by_name_and_archived(api: Api) -> None:
    statuses = f"{KB}/knowledgeItemStatuses"
    created = api.ok("POST", statuses, {"name": "Needs review"})
    duplicate = api.call("POST", statuses, {"name": "needs REVIEW"})
    assert (duplicate.status_code, duplicate.json()) == (
        400,
        {
            "errors": [
                {
                    "errorCode": "duplicate_value",
                    "appliesTo": "name",
                    "errorMessage": "A status with this name already exists.",
                }
            ]
        },
    )
    api.ok("POST", f"{statuses}/{created['id']}/archive")
    assert created not in api.ok("GET", statuses)["results"]
    assert api.ok("GET", statuses, archived="true")["results"] == [created]


def test_the_explorer_is_migrated(api: Api) -> None:
    assert api.ok("GET", f"{KB}/explorer/migrated") == {"migrated": True}
