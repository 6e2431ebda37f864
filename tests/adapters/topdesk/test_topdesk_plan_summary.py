"""The plan summary of a TOPdesk apply fits on a screen: the written records per kind, and the
long checklist as one line per kind (count and first names) instead of one line per item."""

from __future__ import annotations

from pathlib import Path

from test_topdesk_mapping import MUNICIPALITY, load
from usm_topdesk.adapter import ADAPTER

from usm_config.render.plan import MANUAL_LINES, render_summary
from usm_config.testing.harness import Harness


def test_the_summary_counts_the_checklist_per_kind(tmp_path: Path) -> None:
    harness = Harness(ADAPTER, load(MUNICIPALITY), MUNICIPALITY, tmp_path)
    plan = harness.plan()
    manual = [c for c in plan.changes if c.action == "manual"]
    assert len(manual) > MANUAL_LINES
    text = render_summary(plan)
    lines = text.splitlines()
    assert len(lines) < 60
    assert "  operator_group     +11" in lines
    assert (
        "    ! call_type            5  Incident, Risico, Serviceverzoek, Wens, Wijzigingsverzoek"
        in lines
    )
    assert any(line.startswith("    ! service_level       53  ") for line in lines)
    assert all(len(line) <= 100 for line in lines)
    assert "Plan: 51 to create, 0 to update, 0 to delete, 183 manual." in text
