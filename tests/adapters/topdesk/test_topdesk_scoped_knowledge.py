"""A plan reads knowledge items by the titles and ids it needs, not the whole knowledge base:
another team's knowledge base holds thousands of items with their texts, a blueprint one per
workflow. An export still reads every item."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import RecordedTarget
from usm_topdesk import client as api
from usm_topdesk.sandbox import knowledge

from usm_config.engine.records import Record
from usm_config.testing import described

OTHERS = 120  # another team's items: more than one page of 100 in each language
ADMIN = ("admin", "sandbox-app-password")  # the emulator's own login
KB = "/services/knowledge-base-v1"


class Tenant(RecordedTarget):
    """The municipality blueprint's TOPdesk sandbox, its knowledge base holding ``OTHERS``
    items of another team in English and Dutch, whose every request is kept."""

    def __init__(self, base_dir: Path) -> None:
        super().__init__("topdesk", base_dir, ADMIN)
        tenant = self.api
        title = {"title": "Another team"}
        folder = tenant.ok(
            "POST", f"{KB}/folders", {"translation": {"language": "en", "content": title}}
        )
        for n in range(OTHERS):
            body = {
                "parent": {"id": folder["id"]},
                "translation": {
                    "language": "en",
                    "content": {"title": f"Printer {n}", "content": "<p>Restart it.</p>"},
                },
            }
            made = tenant.call(
                "POST", f"{KB}/knowledgeItems", body, headers={"Content-Type": api.KB_CREATE}
            )
            assert made.status_code == 201, made.text
            dutch = {"title": f"Printer {n} (nl)", "content": "<p>Herstart hem.</p>"}
            tenant.ok("POST", f"{KB}/knowledgeItems/{made.json()['id']}/translations/nl", dutch)

    def item_lists(self) -> list[dict[str, str]]:
        """The queries of the knowledge item lists read since the last ``forget``."""
        return self.sandbox.queries("/knowledgeItems")


@pytest.fixture
def tenant(tmp_path: Path) -> Tenant:
    return Tenant(tmp_path)


def _live_items(planned: Any) -> list[Record]:
    return [r for r in planned.snapshot.live if r.kind == "knowledge_item"]


def test_a_plan_reads_the_blueprints_items_only(tenant: Tenant) -> None:
    tenant.harness.converge()
    tenant.sandbox.forget()
    planned = tenant.harness.planned()
    lists = tenant.item_lists()
    # One query per language, then nothing more: each item was found in both.
    assert len(lists) == 2
    assert all("query" in q for q in lists)
    assert sorted(q["language"] for q in lists) == ["en", "nl"]
    assert len(_live_items(planned)) == len(tenant.ours("knowledge_item"))
    assert described(planned.plan) == described(tenant.harness.whole_plan())


def test_an_item_renamed_in_the_tool_is_found_by_its_id(tenant: Tenant) -> None:
    tenant.harness.converge()
    item = tenant.one_of_ours("knowledge_item")
    language = str(item.fields["language"])
    renamed = {"title": "Werkwijze, hernoemd", "content": str(item.fields["content"])}
    tenant.api.ok("PATCH", f"{KB}/knowledgeItems/{item.target_id}/translations/{language}", renamed)
    plan = tenant.harness.plan()
    assert described(plan) == described(tenant.harness.whole_plan())
    change = next(c for c in plan.changes if c.kind == "knowledge_item")
    assert change.action.value == "update"
    assert change.target_id == item.target_id
    assert ("title", "Werkwijze, hernoemd") in {(d.field, d.before) for d in change.diff}


def test_the_translation_of_an_item_the_lock_file_does_not_list_is_read_by_its_id(
    tenant: Tenant,
) -> None:
    tenant.harness.converge()
    item = tenant.one_of_ours("knowledge_item")
    other = dict(item.fields["translation"])  # type: ignore[arg-type]
    path = f"{KB}/knowledgeItems/{item.target_id}/translations/{other['language']}"
    tenant.api.ok("PATCH", path, {"title": "Retitled by hand", "content": other["content"]})
    # Found by its title alone (a first plan against a tenant that has it, to adopt it): the
    # other language's list holds it under another title.
    tenant.harness.context().lock_path.unlink()
    tenant.sandbox.forget()
    plan = tenant.harness.plan()
    assert sum("query" in q and q["query"].startswith("id==") for q in tenant.item_lists()) == 1
    assert described(plan) == described(tenant.harness.whole_plan())
    change = next(c for c in plan.changes if c.key == item.key)
    (translation,) = [d for d in change.diff if d.field == "translation"]
    assert translation.before["title"] == "Retitled by hand"


def test_a_tenant_that_refuses_the_query_is_read_whole(
    tenant: Tenant, refuse_queries: Callable[[ModuleType], None]
) -> None:
    tenant.harness.converge()
    refuse_queries(knowledge)
    tenant.sandbox.forget()
    planned = tenant.harness.planned()
    assert any("query" not in q for q in tenant.item_lists())
    assert len(_live_items(planned)) == len(tenant.ours("knowledge_item")) + OTHERS
    assert described(planned.plan) == described(tenant.harness.whole_plan())


def test_an_items_new_text_is_written_in_its_language_read_by_its_id(tenant: Tenant) -> None:
    tenant.harness.converge()
    item = tenant.one_of_ours("knowledge_item")
    tenant.sandbox.forget()
    text = {"content": "<p>Nieuwe werkwijze.</p>"}
    tenant.harness.session(
        lambda s: s.context.adapter.update(s.client, "knowledge_item", item.target_id, text)
    )
    assert [q["query"] for q in tenant.item_lists()] == [f'id=="{item.target_id}"'] * 2
    language = item.fields["language"]
    path = f"{KB}/knowledgeItems/{item.target_id}"
    written = tenant.api.ok("GET", path, language=language, fields="content")
    assert written["translation"]["content"]["content"] == text["content"]


def test_an_export_reads_every_item(tenant: Tenant) -> None:
    tenant.harness.converge()
    tenant.sandbox.forget()
    live = tenant.harness.live()
    assert all("query" not in q for q in tenant.item_lists())
    assert (
        sum(1 for r in live if r.kind == "knowledge_item")
        == len(tenant.ours("knowledge_item")) + OTHERS
    )


def test_comparisons_beyond_a_scoped_reads_requests_read_the_list_whole() -> None:
    assert api.fiql_any(['title=="a"', 'id=="b"']) == ['title=="a",id=="b"']
    many = [api.fiql_equals("id", f"{n:036}") for n in range(2_000)]
    assert api.fiql_any(many) is None
