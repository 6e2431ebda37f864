"""What the tools show follows the blueprint's locale, the USM library's texts too.

The reference library describes its call types, processes and workflows in English
(``description``) and in Dutch (``description_nl``), and names its categories and the levels
of its matrices in both (``name``, ``name_nl``). A Dutch blueprint that keeps them gets the
Dutch ones in every tool (knowledge articles, issue types, the change model, choice lists,
select fields, TOPdesk's lists), an English one the English ones; only a second-language
translation (TOPdesk writes every knowledge item in both) holds the other.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.compile import walk
from usm_config.compile.wording import text_in

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


def _classification_names(bp: Blueprint) -> Iterator[tuple[str, str | None]]:
    """(name, name_nl) of every category and every level of both matrices."""
    assert bp.classification is not None
    for visit in walk.categories(bp):
        yield visit.category.name, visit.category.name_nl
    for matrix in (bp.classification.priority, bp.classification.risk):
        for level in (*matrix.rows, *matrix.columns, *matrix.levels):
            yield level.name, level.name_nl


def _pieces(text: str) -> Iterator[str]:
    """``text`` and the names a tool's label joins into it ('Parent / Child', 'High × Low →
    Moderate', 'High risk, Low risk')."""
    yield text
    yield from (piece.strip() for piece in re.split(r" / | × | → |, ", text))


@pytest.mark.parametrize("adapter_name", ADAPTERS)
@pytest.mark.parametrize(
    ("blueprint", "lang"),
    [("blueprints/examples/municipality", "nl"), ("blueprints/examples/university.yaml", "en")],
)
def test_classification_names_follow_the_locale(
    adapter_name: str, blueprint: str, lang: str
) -> None:
    """Categories, impact, urgency, priority and risk levels are named in the blueprint's
    language: a Dutch blueprint that keeps the library's gets their Dutch names, an English one
    their English names, and no name only the other language has appears anywhere."""
    bp = _load(REPO / blueprint)
    assert bp.organisation.locale == lang
    pieces = {
        piece
        for record in load_adapter(adapter_name).compile(bp).records
        for text in _texts(record.fields)
        for piece in _pieces(text)
    }
    names = list(_classification_names(bp))
    shown = {text_in(lang, name, name_nl) for name, name_nl in names}
    other = {text_in("en" if lang == "nl" else "nl", name, name_nl) for name, name_nl in names}
    assert sorted((other - shown) & pieces) == []
    categories = {visit.name for visit in walk.categories(bp)}
    assert categories - pieces == set(), f"{adapter_name} does not write every category"
