"""Property: from any live state, applying the plan reaches the blueprint and stays there."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memory_harness import Harness
from memory_tool import group, item

from usm_config.engine.records import Record, reference_order

NAMES = ["a", "b", "c", "d", "e"]
EMAILS = ["", "x@example.org", "y@example.org"]


@st.composite
def blueprints(draw: st.DrawFn) -> list[Record]:
    """A random desired set: groups, and items pointing at one and at a list of those groups."""
    groups = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    records = [group(g, draw(st.sampled_from(EMAILS)), uid=f"g:{g}") for g in groups]
    if groups:
        for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4)):
            target = draw(st.sampled_from(groups))
            watchers = draw(st.lists(st.sampled_from(groups), unique=True, max_size=3))
            order = draw(st.sampled_from(["1", "2"]))
            records.append(item(name, target, order, uid=f"i:{name}", watchers=watchers))
    return records


@st.composite
def foreign_rows(draw: st.DrawFn) -> list[tuple[str, dict[str, object]]]:
    """Records someone else created: unique names per kind, items with dangling references
    (also inside their lists) or with no list at all."""
    rows: list[tuple[str, dict[str, object]]] = []
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3)):
        rows.append(("group", {"name": name, "email": draw(st.sampled_from(EMAILS))}))
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3)):
        row: dict[str, object] = {"name": name, "group": "group-9999", "order": "7"}
        watchers = draw(st.none() | st.lists(st.sampled_from(["group-9998", "group-9999"])))
        if watchers is not None:
            row["watchers"] = watchers
        rows.append(("item", row))
    return rows


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(earlier=blueprints(), foreign=foreign_rows(), desired=blueprints(), vanish=st.booleans())
def test_apply_reaches_desired_from_random_live_states(
    earlier: list[Record],
    foreign: list[tuple[str, dict[str, object]]],
    desired: list[Record],
    vanish: bool,
) -> None:
    """apply(plan(desired, live)) converges: the next plan is empty and desired is present."""
    with tempfile.TemporaryDirectory() as folder:
        harness = Harness(Path(folder))
        harness.apply(earlier)
        if vanish and harness.tool.tables["group"]:
            first = sorted(harness.tool.tables["group"])[0]
            harness.tool.tables["group"][first]["email"] = "changed@example.org"
        if vanish and harness.tool.tables["item"]:
            first = sorted(harness.tool.tables["item"])[0]
            row = harness.tool.tables["item"][first]
            row["watchers"] = [*reversed(row["watchers"]), "group-9999"]
        for kind, row in foreign:
            harness.tool.insert(kind, row)
        foreign_untouched = {
            (kind, row["name"])
            for kind, row in foreign
            if not any(r.kind == kind and r.key == (row["name"],) for r in desired)
        }

        result = harness.apply(desired, prune=True)
        assert not result.failed
        assert harness.plan(desired, prune=True).changes == ()

        by_id = {r.target_id: r for r in harness.live()}
        lock = harness.lock()
        for record in desired:
            assert record.uid is not None
            managed = by_id[lock.entries[record.uid].target_id]
            # A list of references is a set, read back in the engine's order.
            expected = {
                name: sorted(value, key=reference_order) if isinstance(value, list) else value
                for name, value in record.fields.items()
            }
            assert (managed.key, managed.fields) == (record.key, expected)
        names = {
            (k, row["name"]) for k, table in harness.tool.tables.items() for row in table.values()
        }
        assert foreign_untouched <= names
