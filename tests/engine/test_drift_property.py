"""Properties of drift: edits in the tool are drift and nothing else; edits of the blueprint
never are."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memory_harness import Harness
from test_convergence_property import blueprints

from usm_config.engine.records import Record

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(desired=blueprints(), edits=st.lists(st.integers(0, 20), min_size=1, max_size=4))
def test_every_change_after_edits_in_the_tool_is_drift(
    desired: list[Record], edits: list[int]
) -> None:
    """Edited fields and deleted records of an applied blueprint are all drift."""
    with tempfile.TemporaryDirectory() as folder:
        harness = Harness(Path(folder))
        assert not harness.apply(desired).failed
        rows = [(kind, id_) for kind, table in harness.tool.tables.items() for id_ in table]
        if not rows:
            return
        for edit in edits:
            kind, target_id = sorted(rows)[edit % len(rows)]
            table = harness.tool.tables[kind]
            if target_id not in table:
                continue
            if edit % 3 == 0:
                del table[target_id]
            elif kind == "group":
                table[target_id]["email"] = "edited@example.org"
            else:
                table[target_id]["order"] = "9"
        changes = harness.plan(desired).changes
        assert changes, "every edit leaves a difference"
        assert all(change.is_drift for change in changes), changes


@SETTINGS
@given(earlier=blueprints(), desired=blueprints())
def test_no_change_is_drift_when_only_the_blueprint_changed(
    earlier: list[Record], desired: list[Record]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        harness = Harness(Path(folder))
        assert not harness.apply(earlier).failed
        assert not any(change.is_drift for change in harness.plan(desired, prune=True).changes)
