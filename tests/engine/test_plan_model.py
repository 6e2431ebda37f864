"""The engine builds its changes without validating them again (:func:`trusted`); they must
equal what validation makes of the same values, and have the same fingerprint."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usm_config.engine.plan import Action, Change, Duplicate, FieldChange, Origin, Plan, trusted

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
def test_generated_changes_equal_their_validated_form(
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
