"""Validation messages name enum values as they are written in YAML, never as Python reprs."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from usm_config.blueprint.model import RequestItem
from usm_config.blueprint.validation_errors import plain_enums, translate_errors
from usm_config.diagnostics import Location

REPR = re.compile(r"<\w+\.\w+: ")


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("<CallType.WISH: 'wish'>", "'wish'"),
        (
            "<CallType.SERVICE_REQUEST: 'service-request'> or <CallType.WISH: 'wish'>",
            "'service-request' or 'wish'",
        ),
        ('<CallStatus.CLOSED: "it\'s closed">', '"it\'s closed"'),
        ("no enum here <b>", "no enum here <b>"),
    ],
)
def test_plain_enums_replaces_reprs_by_values(text: str, plain: str) -> None:
    assert plain_enums(text) == plain


def test_a_literal_of_enum_members_is_explained_in_yaml_words() -> None:
    with pytest.raises(ValidationError) as caught:
        RequestItem.model_validate({"id": "r", "name": "R", "call_type": "incident"})
    (diagnostic,) = translate_errors(
        caught.value, {("call_type",): Location("bp.yaml", 3, 3)}, RequestItem
    )
    assert diagnostic.message == "'incident' (text) is not one of 'service-request' or 'wish'"
    assert diagnostic.hint == "use one of: service-request, wish"
    assert not REPR.search(diagnostic.render())
