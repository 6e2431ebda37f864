"""The Batch API body of a write batch, written out as text, is the JSON document the Batch API
documents: each sub-request with its id, method, URL, headers and base64 JSON body."""

from __future__ import annotations

import base64
import json
from types import MappingProxyType
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from usm_servicenow.client import _write_body

texts = st.text(st.characters(codec="utf-8"), max_size=10)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
requests = st.lists(
    st.tuples(
        st.sampled_from(["POST", "PATCH", "DELETE"]),
        texts,
        st.none() | st.dictionaries(texts, values, max_size=4),
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(requests)
def test_the_body_is_the_documented_document(
    writes: list[tuple[str, str, dict[str, Any] | None]],
) -> None:
    document = json.loads(_write_body(writes))
    assert document["batch_request_id"] == "write"
    sent = document["rest_requests"]
    assert len(sent) == len(writes)
    for index, (item, (method, url, payload)) in enumerate(zip(sent, writes, strict=True)):
        expected_keys = {"id", "method", "url", "headers", "exclude_response_headers"}
        assert set(item) == expected_keys | ({"body"} if payload is not None else set())
        assert (item["id"], item["method"], item["url"]) == (str(index), method, url)
        assert item["headers"] == [
            {"name": "Content-Type", "value": "application/json"},
            {"name": "Accept", "value": "application/json"},
        ]
        assert item["exclude_response_headers"] is True
        if payload is not None:
            assert json.loads(base64.b64decode(item["body"], validate=True)) == payload


def test_a_body_may_be_any_mapping() -> None:
    body = MappingProxyType({"name": "Desk", "members": MappingProxyType({"a": 1})})
    (item,) = json.loads(_write_body([("POST", "/api/now/table/x", body)]))["rest_requests"]
    assert json.loads(base64.b64decode(item["body"])) == {"name": "Desk", "members": {"a": 1}}
