"""An adapter builds the records of one blueprint object once, however often a plan asks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from usm_jsm import mapping as jsm_mapping
from usm_servicenow import mapping as servicenow_mapping
from usm_topdesk import mapping as topdesk_mapping

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.compile import memo
from usm_config.compile.memo import built_once, forget_builds
from usm_config.render.site.build import build_site

ROOT = Path(__file__).resolve().parents[2]


def _blueprint(name: str = "university.yaml") -> Blueprint:
    result = load_blueprint(ROOT / "blueprints" / "examples" / name)
    assert result.blueprint is not None
    return result.blueprint


def _numbered_builds() -> Callable[[Blueprint], int]:
    """A remembered build whose result is how many times it has really built."""
    calls: list[Blueprint] = []

    @built_once
    def build(bp: Blueprint) -> int:
        calls.append(bp)
        return len(calls)

    return build


def test_the_same_blueprint_object_is_built_once() -> None:
    calls: list[Blueprint] = []

    @built_once
    def build(bp: Blueprint) -> list[str]:
        calls.append(bp)
        return [service.id for service in bp.services]

    first = _blueprint()
    assert build(first) is build(first)
    assert calls == [first]


def test_another_blueprint_object_is_built_again_and_replaces_the_first() -> None:
    build = _numbered_builds()
    first, equal_copy = _blueprint(), _blueprint()
    assert first == equal_copy and first is not equal_copy
    assert [build(first), build(equal_copy), build(first)] == [1, 2, 3]


@pytest.mark.parametrize(
    "build",
    [servicenow_mapping.compile_records, jsm_mapping.build, topdesk_mapping.build],
    ids=["servicenow", "jsm", "topdesk"],
)
def test_every_adapter_remembers_its_build(build: Callable[[Blueprint], Any]) -> None:
    bp = _blueprint()
    assert build(bp) is build(bp)
    assert build(_blueprint()) is not build(bp)


def test_forgotten_builds_are_built_again() -> None:
    build = _numbered_builds()
    bp = _blueprint()
    assert [build(bp), build(bp)] == [1, 1]
    forget_builds()
    assert build(bp) == 2


def test_the_catalogue_keeps_no_adapter_s_records(tmp_path: Path) -> None:
    # It only counts them; at 5,000 services ServiceNow's 50,000 records would stay until the
    # site is written.
    result = load_blueprint(ROOT / "blueprints" / "examples" / "university.yaml")
    adapters = [load_adapter(name) for name in ("servicenow", "jsm", "topdesk")]

    written = build_site(result, "university.yaml", tmp_path / "site", adapters)

    assert "landing.html" in written
    assert memo._REMEMBERED
    assert all(not last for last in memo._REMEMBERED)
