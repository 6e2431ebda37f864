"""Property: against a tool that names groups without regard to case (and refuses a second
group in another case), applying the plan from any live state reaches the blueprint: nothing
is refused, no group is made beside one of another case, and each group ends with the
blueprint's spelling."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memory_harness import Harness
from memory_tool import CaselessAdapter, group, item

from usm_config.engine.records import Record

NAMES = ["desk", "ops", "field"]
SPELLINGS = st.sampled_from([str.lower, str.upper, str.title, str.swapcase])


@st.composite
def spelled(draw: st.DrawFn) -> list[str]:
    """Some of the names, each in a spelling of its own."""
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3))
    return [draw(SPELLINGS)(name) for name in names]


@st.composite
def blueprints(draw: st.DrawFn) -> list[Record]:
    """Groups in some spelling (uids by the name, so a new spelling is a rename), and items
    pointing at them by that spelling."""
    groups = draw(spelled())
    records = [group(g, uid=f"g:{g.casefold()}") for g in groups]
    targets = draw(st.lists(st.sampled_from(groups), max_size=3)) if groups else []
    for n, target in enumerate(targets):
        records.append(item(f"item {n}", target, uid=f"i:{n}", watchers=[target]))
    return records


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(earlier=blueprints(), foreign=spelled(), desired=blueprints())
def test_apply_reaches_the_blueprints_spelling_without_a_second_group(
    earlier: list[Record], foreign: list[str], desired: list[Record]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        harness = Harness(Path(folder), CaselessAdapter)
        assert not harness.apply(earlier).failed
        taken = {str(row["name"]).casefold() for row in harness.tool.tables["group"].values()}
        for name in foreign:
            if name.casefold() not in taken:  # the tool holds one group per name in any case
                harness.tool.insert("group", {"name": name, "email": ""})

        result = harness.apply(desired, prune=True)
        assert not result.failed, result.failed
        assert harness.plan(desired, prune=True).changes == ()

        names = [str(row["name"]) for row in harness.tool.tables["group"].values()]
        assert len({n.casefold() for n in names}) == len(names), names
        for record in desired:
            if record.kind == "group":
                assert record.key[0] in names
