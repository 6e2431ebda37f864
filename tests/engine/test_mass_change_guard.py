"""The mass-change guard trips when a plan would rewrite or delete too much of a kind."""

from __future__ import annotations

from memory_harness import Harness
from memory_tool import group

from usm_config.engine.diff import mass_change_violations


def test_guard_trips_on_mass_delete(harness: Harness) -> None:
    """Deleting 8 of 10 managed groups exceeds a 50% limit."""
    everything = [group(f"g{i}", uid=f"g:{i}") for i in range(10)]
    harness.apply(everything)
    plan = harness.plan(everything[:2], prune=True)
    (violation,) = mass_change_violations(plan.changes, harness.live(), 0.5)
    assert (violation.kind, violation.changed, violation.existing) == ("group", 8, 10)
    assert "80%" in str(violation)


def test_guard_allows_small_changes_and_small_kinds(harness: Harness) -> None:
    """Changing a few records, or most of a tiny kind, passes."""
    everything = [group(f"g{i}", uid=f"g:{i}") for i in range(10)]
    harness.apply(everything)
    plan = harness.plan(everything[:7], prune=True)
    assert mass_change_violations(plan.changes, harness.live(), 0.5) == []
    assert mass_change_violations(plan.changes, harness.live()[:4], 0.1) == []
