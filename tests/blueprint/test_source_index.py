"""A loaded blueprint's source index is made only when a location is asked for, and is then
the index of the tree the files make: every blueprint and broken case of the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from usm_config.blueprint import loader
from usm_config.blueprint.loader import load_blueprint
from usm_config.diagnostics import LazyIndex
from usm_config.yamlsource import walk

REPO = Path(__file__).resolve().parents[2]
BLUEPRINTS = [
    *sorted((REPO / "blueprints").glob("*.yaml")),
    *sorted(p for p in (REPO / "blueprints" / "examples").iterdir() if p.suffix != ".md"),
    *sorted((REPO / "tests" / "blueprint" / "cases").glob("*.yaml")),
    *sorted(
        p
        for p in (REPO / "tests" / "blueprint" / "broken").iterdir()
        if not p.name.startswith("_") and (p.is_dir() or p.suffix == ".yaml")
    ),
]


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: str(p.relative_to(REPO)))
def test_the_index_made_on_demand_is_the_index_of_the_files_tree(path: Path) -> None:
    tree = loader._tree(loader._Loader(), path, ())
    result = load_blueprint(path)
    expected = dict(walk(tree)) if tree is not None else {}
    if isinstance(result.index, LazyIndex):
        assert dict(result.index) == expected
    else:  # the files did not load: there is no tree to index
        assert result.index == {}


@pytest.mark.parametrize(
    "path",
    [REPO / "blueprints" / "usm-reference.yaml", REPO / "blueprints" / "examples" / "municipality"],
    ids=["english", "dutch"],
)
def test_a_blueprint_without_problems_loads_without_making_its_index(path: Path) -> None:
    result = load_blueprint(path)
    assert result.blueprint is not None and not result.diagnostics
    assert isinstance(result.index, LazyIndex) and not result.index.made
    where = result.location(("workflows",))
    assert result.index.made and where.line > 1


def test_the_index_is_made_from_the_texts_first_read(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    original = (REPO / "blueprints" / "usm-reference.yaml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    result = load_blueprint(path)
    path.write_text("# moved down\n" * 50 + original, encoding="utf-8")
    first = loader._tree(loader._Loader(), REPO / "blueprints" / "usm-reference.yaml", ())
    assert first is not None
    assert result.location(("workflows",)).line == first.keys["workflows"].line
