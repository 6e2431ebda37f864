"""A knowledge item is written in two steps: the item with its first translation, then its
second translation. An apply killed between the two leaves an item TOPdesk holds in one
language; the next apply takes it over (the journal names it) and adds the missing
translation, where TOPdesk answers the update of a translation it lacks with 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import RecordedTarget
from usm_topdesk import writes

from usm_config.engine.plan import Action

LOGIN = ("admin", "sandbox-app-password")  # the emulator's own login
ITEMS = "/services/knowledge-base-v1/knowledgeItems"
RESUMED = "created by an interrupted apply; taking it over"


def test_an_item_left_without_its_translation_by_a_killed_apply_gets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = RecordedTarget("topdesk", tmp_path, LOGIN)
    translate = writes._translate

    async def killed(*args: Any) -> None:
        raise KeyboardInterrupt  # the apply dies after the item's create

    monkeypatch.setattr(writes, "_translate", killed)
    with pytest.raises(KeyboardInterrupt):
        site.harness.apply()
    monkeypatch.setattr(writes, "_translate", translate)

    plan = site.harness.plan()
    # Items created side by side may each have met the kill after their create.
    resumed = [c for c in plan.changes if c.reason == RESUMED]
    assert resumed
    for change in resumed:
        assert (change.action, change.kind, [d.field for d in change.diff]) == (
            Action.ADOPT,
            "knowledge_item",
            ["translation"],
        )
    language = resumed[0].fields["translation"]["language"]
    assert not {c.target_id for c in resumed} & _titles(site, language).keys()

    site.harness.converge()
    titles = _titles(site, language)
    assert {
        c.target_id: c.fields["translation"]["title"] for c in resumed
    }.items() <= titles.items()


def _titles(site: RecordedTarget, language: str) -> dict[str, str]:
    """Item id → its title in ``language``, for the items written in it (204: none)."""
    listed = site.api.ok("GET", ITEMS, language=language, fields="title") or {"item": []}
    return {row["id"]: row["translation"]["content"]["title"] for row in listed["item"]}
