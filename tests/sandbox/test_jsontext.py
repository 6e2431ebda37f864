"""The emulators' JSON encoder writes exactly what json.dumps writes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usm_config.sandbox.jsontext import encoder

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
#: The store's rows (json.dumps defaults) and the ServiceNow emulator's response bodies
#: (Starlette's JSONResponse arguments).
_SETTINGS: list[dict[str, Any]] = [
    {},
    {"ensure_ascii": False, "allow_nan": False, "separators": (",", ":")},
]


@pytest.mark.parametrize("settings", _SETTINGS, ids=["dumps", "starlette"])
@given(value=_VALUES)
def test_encoder_writes_what_json_dumps_writes(settings: dict[str, Any], value: Any) -> None:
    assert encoder(**settings)(value) == json.dumps(value, **settings)


def test_non_finite_floats_follow_allow_nan() -> None:
    assert encoder()([float("nan"), float("inf")]) == "[NaN, Infinity]"
    with pytest.raises(ValueError, match="Out of range float values"):
        encoder(allow_nan=False)(float("nan"))


def test_values_json_cannot_hold_are_refused() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        encoder()({"when": object()})
