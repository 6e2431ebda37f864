"""records.fingerprint and streamed_fingerprint: the SHA-256 of the value's sorted, compact JSON."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st

from usm_config.engine import records

# Floats (NaN and infinities included) and dates, which the encoder writes with ``str``.
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.dates() | st.text(max_size=5)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


def _whole(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@given(st.dictionaries(st.text(max_size=3), json_values | st.lists(json_values, max_size=6)))
def test_a_dict_whose_lists_are_streamed_has_the_digest_of_its_whole_text(
    value: dict[str, Any],
) -> None:
    # Stream every list of two elements or more, and encode three characters at a time.
    with patch.object(records, "STREAMED", 2), patch.object(records, "SLICE", 3):
        assert records.streamed_fingerprint(value) == _whole(value)


@given(json_values)
def test_any_json_value_has_the_digest_of_its_whole_text(value: Any) -> None:
    assert records.fingerprint(value) == records.streamed_fingerprint(value) == _whole(value)


def test_a_snapshot_sized_list_is_streamed_to_the_same_digest() -> None:
    live = [["kind", f"id{i}", {"name": f"record {i}", "é": None}] for i in range(2500)]
    value = {"live": live, "lock": "{\n}\n", "claims": []}
    assert len(live) >= records.STREAMED
    assert records.streamed_fingerprint(value) == _whole(value)


@given(st.lists(st.text(), max_size=6), st.dictionaries(st.text(max_size=3), json_values))
def test_a_long_text_given_in_pieces_has_the_digest_of_the_text_they_make(
    pieces: list[str], others: dict[str, Any]
) -> None:
    value = {**others, "text": records.LongText(lambda: iter(pieces))}
    assert records.streamed_fingerprint(value) == _whole({**others, "text": "".join(pieces)})


def test_a_long_list_given_element_by_element_has_the_digest_of_the_list() -> None:
    elements = [{"name": f"service {i}", "é": [i, None]} for i in range(2500)]
    value = {"services": records.LongList(lambda: iter(elements)), "usm": 1}
    assert records.streamed_fingerprint(value) == _whole({"services": elements, "usm": 1})
