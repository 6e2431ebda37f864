"""The checklist artifact (``plan --artifacts DIR``) against the emulator: what a real plan
ticks off, rendered as Markdown and HTML; goldens for the university blueprint.

The administrator's work is played through the emulator's settings-UI stand-in
(``/_sandbox/ui/lists/...``); the next plan reads the lists and the checklist ticks exactly
what was entered.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import assert_golden
from test_topdesk_mapping import MUNICIPALITY, UNIVERSITY, load
from usm_topdesk.adapter import ADAPTER
from usm_topdesk.checklist import State, screens

from usm_config.engine.plan import Plan
from usm_config.testing.edits import with_renamed
from usm_config.testing.harness import Harness

GOLDEN = Path(__file__).parent / "golden" / "artifacts"


def _applied(tmp_path: Path, blueprint: Path) -> Harness:
    harness = Harness(ADAPTER, load(blueprint), blueprint, tmp_path)
    harness.converge()
    return harness


def _administrator(harness: Harness, entries: list[tuple[str, dict[str, Any]]]) -> None:
    """Enter ``entries`` (list, form) in TOPdesk's settings UI."""
    app = ADAPTER.sandbox_app(harness.context().sandbox_state)

    async def send() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            for name, form in entries:
                response = await http.post(f"/_sandbox/ui/lists/{name}", json=form)
                assert response.is_success, response.text

    asyncio.run(send())


def _artifacts(harness: Harness, plan: Plan) -> dict[str, str]:
    files = ADAPTER.artifacts(harness.blueprint, plan.changes, {})
    return {name: body.decode("utf-8") for name, body in files.items()}


def test_the_checklist_of_an_applied_blueprint_matches_the_golden(tmp_path: Path) -> None:
    harness = _applied(tmp_path, UNIVERSITY)
    files = _artifacts(harness, harness.plan())
    assert set(files) == {"checklist.html", "checklist.md"}
    for name, body in files.items():
        assert_golden(GOLDEN / f"university-{name}", body, shown=name)


def test_items_the_administrator_entered_are_ticked_and_only_those(tmp_path: Path) -> None:
    harness = _applied(tmp_path, MUNICIPALITY)
    before = {
        i.name: i for s in screens(harness.blueprint, harness.plan().changes) for i in s.items
    }
    call_types = ["Incident", "Risico", "Serviceverzoek", "Wens", "Wijzigingsverzoek"]
    assert all(before[name].state == State.TODO for name in call_types)
    _administrator(
        harness,
        [("call_types", {"name": name}) for name in call_types[:3]]
        + [("categories", {"name": "Bedreiging", "parent": None})],
    )
    plan = harness.plan()
    after = {i.name: i for s in screens(harness.blueprint, plan.changes) for i in s.items}
    newly = sorted(n for n, i in after.items() if i.done and not before[n].done)
    assert newly == ["Bedreiging", "Incident", "Risico", "Serviceverzoek"]
    assert after["Wens"].state == State.TODO
    assert after["Impact × urgentie"].state == State.BY_HAND  # never readable

    markdown = _artifacts(harness, plan)["checklist.md"]
    assert "- [x] **call type: Incident**" in markdown
    assert "- [ ] **call type: Wens** (to do: the API cannot create call type records)" in markdown
    table = re.search(r"\| .*Call Type \| (\d+) of (\d+) \|", markdown)
    assert table is not None and table.groups() == ("3", "5")
    html = _artifacts(harness, plan)["checklist.html"]
    assert "checked> <strong>call type: Incident</strong>" in html


@pytest.mark.parametrize(
    "kind", ["priority_matrix", "risk_matrix", "problem_status", "request_form"]
)
def test_what_the_api_cannot_read_is_checked_by_hand(tmp_path: Path, kind: str) -> None:
    harness = _applied(tmp_path, UNIVERSITY)
    items = [i for s in screens(harness.blueprint, harness.plan().changes) for i in s.items]
    labels = {"priority_matrix": "priority matrix", "risk_matrix": "problem priority matrix"}
    label = labels.get(kind, kind.replace("_", " "))
    found = [i for i in items if i.label == label]
    assert found and all(i.state == State.BY_HAND for i in found)


def test_a_service_rename_is_a_checklist_item_until_done_in_the_ui(tmp_path: Path) -> None:
    harness = _applied(tmp_path, UNIVERSITY)
    service = harness.blueprint.services[0]
    renamed = with_renamed(harness.blueprint, "services", service.id, f"{service.name} 2")
    plan = harness.plan(blueprint=renamed)
    change = next(c for c in plan.changes if c.kind == "service")
    assert (change.action, change.reason) == ("manual", "the API cannot update service records")
    assert "Service Level Management → Services" in change.instructions
    items = {i.name: i for s in screens(renamed, plan.changes) for i in s.items}
    assert items[f"{service.name} 2"].state == State.TODO

    app = ADAPTER.sandbox_app(harness.context().sandbox_state)

    async def rename() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            answer = await http.patch(
                f"/_sandbox/ui/services/{change.target_id}", json={"name": f"{service.name} 2"}
            )
            assert answer.is_success, answer.text

    asyncio.run(rename())
    after = harness.plan(blueprint=renamed)
    assert not [c for c in after.changes if c.kind == "service"]
