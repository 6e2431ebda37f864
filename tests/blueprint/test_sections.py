"""The blueprint's section names, listed once in the model, match the model's own fields."""

from __future__ import annotations

import typing

from usm_config.blueprint.model import COLLECTIONS, SECTIONS, Blueprint

#: The fields that say how to read a document rather than what the organisation has.
FRAME = ("overrides", "usm", "extends", "omit")


def test_sections_are_the_blueprint_fields_in_order() -> None:
    fields = [name for name in Blueprint.model_fields if name not in FRAME]
    assert list(SECTIONS) == fields


def test_collections_are_the_sections_that_list_elements() -> None:
    listed = [
        name
        for name in SECTIONS
        if typing.get_origin(Blueprint.model_fields[name].annotation) is tuple
    ]
    assert list(COLLECTIONS) == listed
    omit = Blueprint.model_json_schema()["properties"]["omit"]["properties"]
    assert list(omit) == listed
