"""The engine builds its plans without validating them again, and takes their fingerprint and
JSON from data it makes by hand; both must equal what pydantic makes of a validated plan.

Real plans (the example blueprints on the adapters' sandboxes: creates, adoptions, updates,
deletes, manual steps, records another owner marks, duplicates and drift) and generated changes
are compared with the validated plan's ``model_dump(mode="json")``, fingerprint and saved JSON.
A plan saved by an earlier release (``saved_plans/``) still verifies.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.engine.plan import (
    Action,
    Change,
    Duplicate,
    FieldChange,
    Origin,
    Plan,
    read_plan,
    trusted,
)
from usm_config.engine.records import Op, streamed_fingerprint
from usm_config.render.plan import render_json
from usm_config.testing.edits import with_renamed, without_services
from usm_config.testing.harness import Harness

REPO = Path(__file__).resolve().parents[2]
SAVED = Path(__file__).parent / "saved_plans"
MUNICIPALITY = "blueprints/examples/municipality"
UNIVERSITY = "blueprints/examples/university.yaml"


def loaded(path: str) -> Blueprint:
    blueprint = load_blueprint(REPO / path).blueprint
    assert blueprint is not None
    return blueprint


def sandbox(
    adapter: str, path: str, tmp_path_factory: pytest.TempPathFactory, blueprint: Blueprint
) -> Harness:
    """A fresh sandbox of ``adapter`` for ``blueprint``, the one at ``path``."""
    return Harness(load_adapter(adapter), blueprint, REPO / path, tmp_path_factory.mktemp(adapter))


def validated(plan: Plan) -> Plan:
    """``plan`` as it was built before: every change and value validated."""
    return Plan.model_validate(plan.model_dump())


def assert_as_pydantic_makes_it(plan: Plan) -> None:
    """The hand-made data, fingerprint and JSON of ``plan`` are pydantic's, byte for byte."""
    before = validated(plan)
    assert before == plan
    dumped = before.model_dump(mode="json")
    assert plan.json_data() == dumped
    # The same order too: the saved JSON lists fields as the models declare them.
    assert json.dumps(plan.json_data()) == json.dumps(dumped)
    content = dict(dumped)
    del content["plan_fingerprint"]
    assert plan.content_fingerprint() == streamed_fingerprint(content)
    assert render_json(plan) == before.model_dump_json(indent=2) + "\n"


def _drift(harness: Harness) -> None:
    """Change a plain text field of a managed record in the tool, as an administrator would."""
    kinds = harness.adapter.kinds
    live = {(r.kind, r.key): r for r in harness.live()}
    kind, target_id, name, value = next(
        (r.kind, live[(r.kind, r.key)].target_id, name, value)
        for r in harness.desired()
        if (r.kind, r.key) in live and Op.UPDATE in kinds[r.kind].operations
        for name, value in sorted(r.fields.items())
        if name not in kinds[r.kind].key_fields
        and name not in kinds[r.kind].references
        and isinstance(value, str)
    )
    assert target_id is not None
    harness.update(kind, target_id, {name: f"{value} (changed by hand)"})


@pytest.fixture(scope="module")
def real_plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Plan]:
    """Plans of the example blueprints, on fresh and on changed sandboxes."""
    plans: dict[str, Plan] = {}

    municipality = loaded(MUNICIPALITY)
    now = sandbox("servicenow", MUNICIPALITY, tmp_path_factory, municipality)
    plans["servicenow fresh"] = now.plan()
    now.converge()
    _drift(now)
    group = next(r for r in now.creatable() if r.kind == "sys_user_group")
    now.create(group.kind, dict(group.fields))  # a second record with a managed key
    edited = without_services(
        with_renamed(municipality, "teams", municipality.teams[0].id, "Renamed team"),
        municipality.services[0].id,
    )
    plans["servicenow edited"] = now.plan(blueprint=edited, prune=True)

    jsm = sandbox("jsm", MUNICIPALITY, tmp_path_factory, municipality)
    plans["jsm fresh"] = jsm.plan()

    university = loaded(UNIVERSITY)
    topdesk = sandbox("topdesk", UNIVERSITY, tmp_path_factory, university)
    topdesk.converge()
    # Another team's copy, without this lock file: TOPdesk's markers name the first owner.
    other = university.model_copy(
        update={"organisation": university.organisation.model_copy(update={"id": "other-team"})}
    )
    topdesk.lock_path.unlink()
    plans["topdesk other owner"] = topdesk.plan(blueprint=other)
    return plans


def test_the_real_plans_hold_every_kind_of_change(real_plans: dict[str, Plan]) -> None:
    changes = [c for plan in real_plans.values() for c in plan.changes]
    assert {c.action for c in changes} == set(Action)
    assert any(c.origin == Origin.DRIFT for c in changes)
    assert any(c.owner for c in changes)
    assert any(plan.duplicates for plan in real_plans.values())
    assert any(plan.notes for plan in real_plans.values())


@pytest.mark.parametrize(
    "name", ["servicenow fresh", "servicenow edited", "jsm fresh", "topdesk other owner"]
)
def test_a_real_plan_has_the_data_fingerprint_and_json_of_its_validated_form(
    real_plans: dict[str, Plan], name: str, tmp_path: Path
) -> None:
    plan = real_plans[name]
    assert plan.intact
    assert_as_pydantic_makes_it(plan)
    assert_as_pydantic_makes_it(plan.only_drift())
    saved = tmp_path / "plan.json"
    saved.write_text(render_json(plan), encoding="utf-8")
    read, _ = read_plan(saved)
    assert read == plan
    assert read.intact
    assert_as_pydantic_makes_it(read)


@pytest.mark.parametrize("path", sorted(SAVED.glob("*.json")), ids=lambda p: p.name)
def test_a_plan_saved_by_an_earlier_release_still_verifies(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    plan, text = read_plan(copy)
    assert plan.intact
    assert render_json(plan) == text
    assert_as_pydantic_makes_it(plan)


# ---------------------------------------------------------------- generated changes

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
texts = st.text(max_size=8)
optional = st.none() | texts
keys = st.lists(texts, min_size=1, max_size=3).map(tuple)


@st.composite
def changes(draw: st.DrawFn) -> dict[str, Any]:
    """The keyword arguments of a change, as the diff passes them."""
    values: dict[str, Any] = {
        "action": draw(st.sampled_from(Action)),
        "kind": draw(texts),
        "key": draw(keys),
        "reason": draw(texts),
        "diff": [
            {"field": name, "before": before, "after": after}
            for name, before, after in draw(
                st.lists(st.tuples(texts, json_values, json_values), max_size=3)
            )
        ],
    }
    optional_values = {
        "uid": optional,
        "target_id": optional,
        "fields": st.dictionaries(texts, json_values, max_size=3),
        "source": optional,
        "level": st.integers(0, 9),
        "instructions": texts,
        "origin": st.sampled_from(Origin),
        "applied": optional,
        "owner": optional,
    }
    for name, strategy in optional_values.items():
        if draw(st.booleans()):
            values[name] = draw(strategy)
    return values


def made(values: dict[str, Any], build: bool) -> Change:
    """The change validated (``build`` false) or built as the diff builds it."""
    if not build:
        return Change(**values)
    field_change = trusted(FieldChange)
    diff = tuple(field_change(**d) for d in values["diff"])
    return trusted(Change)(**{**values, "diff": diff})


@given(
    st.lists(changes(), max_size=3),
    st.lists(st.tuples(keys, st.lists(texts, min_size=2, max_size=3)), max_size=2),
    st.lists(texts, max_size=2),
)
def test_generated_changes_have_the_data_fingerprint_and_json_of_their_validated_form(
    values: list[dict[str, Any]], sharing: list[tuple[tuple[str, ...], list[str]]], notes: list[str]
) -> None:
    common: dict[str, Any] = {
        "tool_version": "1",
        "target": "t",
        "adapter": "a",
        "blueprint": "b.yaml",
        "overlays": ("o.yaml",),
        "blueprint_fingerprint": "bf",
        "target_fingerprint": "tf",
        "live_fingerprint": "lf",
        "notes": tuple(notes),
        "duplicates": tuple(
            Duplicate(kind="k", key=key, target_ids=tuple(ids)) for key, ids in sharing
        ),
    }
    built = Plan(**common, changes=tuple(made(v, build=True) for v in values)).sealed()
    checked = Plan(**common, changes=tuple(made(v, build=False) for v in values)).sealed()
    assert built == checked
    assert built.plan_fingerprint == checked.plan_fingerprint
    assert_as_pydantic_makes_it(built)


def test_a_field_that_is_not_a_json_number_keeps_its_fingerprint() -> None:
    # NaN and infinities are not JSON; the fingerprint writes them as Python's json module
    # does (NaN, Infinity), as the dump through pydantic did.
    values = {"action": Action.UPDATE, "kind": "k", "key": ("a",), "reason": "r"}
    diff = {"field": "f", "before": float("nan"), "after": [float("inf"), -float("inf")]}
    common: dict[str, Any] = {
        "tool_version": "1",
        "target": "t",
        "adapter": "a",
        "blueprint": "b.yaml",
        "blueprint_fingerprint": "bf",
        "target_fingerprint": "tf",
        "live_fingerprint": "lf",
    }
    built = Plan(**common, changes=(made({**values, "diff": [diff]}, build=True),))
    checked = Plan(**common, changes=(made({**values, "diff": [diff]}, build=False),))
    content = checked.model_dump(mode="json", exclude={"plan_fingerprint"})
    assert built.content_fingerprint() == streamed_fingerprint(content)
    assert render_json(built) == checked.model_dump_json(indent=2) + "\n"


def test_trusted_refuses_positional_unknown_and_missing_fields() -> None:
    field_change = trusted(FieldChange)
    with pytest.raises(TypeError, match=r"wrong or missing: \['colour'\]"):
        field_change(field="a", colour="red")
    with pytest.raises(TypeError, match=r"wrong or missing: \['field'\]"):
        field_change(before=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="keyword arguments only"):
        field_change("a")  # type: ignore[call-arg]


def test_trusted_fills_defaults_as_the_constructor_does() -> None:
    change = trusted(Change)(action=Action.CREATE, kind="k", key=("a",), reason="r")
    assert change == Change(action=Action.CREATE, kind="k", key=("a",), reason="r")
    other = trusted(Change)(action=Action.CREATE, kind="k", key=("b",), reason="r")
    assert change.fields is not other.fields  # a fresh dict each, as default_factory makes
    assert list(vars(change)) == list(Change.model_fields)
