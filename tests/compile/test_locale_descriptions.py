"""What the tools show follows the blueprint's locale, descriptions of the USM library too.

The reference library describes its call types, processes and workflows in English
(``description``) and in Dutch (``description_nl``). A Dutch blueprint that keeps them gets
the Dutch ones in every tool (knowledge articles, issue types, the change model), an English
one the English ones; only a second-language translation (TOPdesk writes every knowledge
item in both) holds the other.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint

REPO = Path(__file__).resolve().parents[2]
ADAPTERS = ("servicenow", "jsm", "topdesk")


def _load(path: Path) -> Blueprint:
    loaded = load_blueprint(path)
    assert loaded.blueprint is not None, loaded.diagnostics
    return loaded.blueprint


def _texts(value: Any) -> Iterator[str]:
    """Every string of a record's fields, leaving out translations into the other language."""
    if isinstance(value, str):
        yield html.unescape(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "translation":
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


@pytest.mark.parametrize("adapter_name", ADAPTERS)
@pytest.mark.parametrize(
    ("blueprint", "shown", "other"),
    [
        ("blueprints/examples/municipality", "description_nl", "description"),
        ("blueprints/examples/university.yaml", "description", "description_nl"),
    ],
)
def test_library_descriptions_follow_the_locale(
    adapter_name: str, blueprint: str, shown: str, other: str
) -> None:
    bp = _load(REPO / blueprint)
    library = (*bp.call_types, *bp.processes, *bp.workflows)
    written = "\n".join(
        text
        for record in load_adapter(adapter_name).compile(bp).records
        for text in _texts(record.fields)
    )
    wrong = [getattr(e, other) for e in library if getattr(e, other) in written]
    right = [getattr(e, shown) for e in library if getattr(e, shown) in written]
    assert wrong == []
    assert right, f"{adapter_name} writes none of the library's descriptions"
