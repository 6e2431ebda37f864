"""The libyaml reader gives what the ruamel.yaml reader gives: the same tree, the same locations
of every key and value, the same diagnostics, on every YAML file of the project and its tests,
on every blueprint and broken case loaded whole, and on random text and scalars."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode

from usm_config import libyaml, yaml12, yamlsource
from usm_config.blueprint.loader import load_blueprint
from usm_config.yamlsource import LMap, LNode, LSeq, parse_file, parse_text

REPO = Path(__file__).resolve().parents[2]
YAML_FILES = sorted(
    path
    for folder in ("blueprints", "tests")
    for path in (REPO / folder).rglob("*")
    if path.suffix in (".yaml", ".yml") and path.is_file()
)
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

pytestmark = pytest.mark.skipif(not libyaml.AVAILABLE, reason="PyYAML's C extension is missing")


def _value(value: Any) -> Any:
    # NaN is not equal to itself; compare floats by their text.
    return ("float", repr(value)) if isinstance(value, float) else (type(value).__name__, value)


def shape(node: LNode | None) -> Any:
    """Everything a tree holds: kinds, values, the location of every node and key."""
    if node is None:
        return None
    where = (node.location.file, node.location.line, node.location.column)
    if isinstance(node, LMap):
        return (where, [(key, node.keys[key], shape(node.values[key])) for key in node.values])
    if isinstance(node, LSeq):
        return (where, [shape(item) for item in node.items])
    return (where, _value(node.value))


def both(text: str) -> tuple[Any, Any]:
    fast = parse_text(text, "f.yaml", reader="libyaml")
    slow = parse_text(text, "f.yaml", reader="ruamel")
    return (shape(fast[0]), fast[1]), (shape(slow[0]), slow[1])


def test_the_corpus_and_the_blueprints_are_all_here() -> None:
    assert len(YAML_FILES) > 100
    assert len(BLUEPRINTS) > 80


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_yaml_file_reads_the_same(path: Path) -> None:
    fast_tree, fast_diagnostics = parse_file(path, reader="libyaml")
    slow_tree, slow_diagnostics = parse_file(path, reader="ruamel")

    assert shape(fast_tree) == shape(slow_tree)
    assert fast_diagnostics == slow_diagnostics


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_yaml_file_with_windows_line_ends_reads_the_same(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", "replace").replace("\n", "\r\n")

    fast, slow = both(text)

    assert fast == slow


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_blueprint_and_broken_case_loads_the_same(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(yamlsource, "READER", "libyaml")
    fast = load_blueprint(path)
    monkeypatch.setattr(yamlsource, "READER", "ruamel")
    slow = load_blueprint(path)

    assert fast.diagnostics == slow.diagnostics
    assert fast.index == slow.index
    assert fast.blueprint == slow.blueprint
    assert fast.files == slow.files


def test_the_libyaml_reader_is_the_one_used() -> None:
    # An ordinary blueprint is built from libyaml's events, in the one pass meant for text
    # without anchors, not silently left to the fallback.
    text = (REPO / "blueprints" / "usm-reference.yaml").read_text(encoding="utf-8")

    assert yamlsource.READER == "libyaml"
    tree = yamlsource._event_tree(text, "f.yaml")
    assert shape(tree) == shape(parse_text(text, "f.yaml", reader="ruamel")[0])
    # ... and text with anchors from libyaml's node graph.
    documents = libyaml.compose("a: &x [1]\nb: *x\n", yamlsource.MAX_DEPTH)
    assert documents is not None and type(documents[0]).__module__ == "yaml.nodes"


PIECES = [*"ab :-[]{}&*!?|>'\"#,\n\t%@`~.019<=\\_+eExo", "  ", "\r\n", "yes", "null", "true"]
PIECES += ["!!int ", "!!str ", "!!bool ", "!!float ", "&x ", "*x", "<<: ", "- ", "? "]
PIECES += ["!!seq ", "!!map ", "! "]
PIECES += ["\x85", "\u2028", "\ufeff", "é", "---\n", "...\n", "%YAML 1.1\n", "\n  "]
YAML_TEXT = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


@settings(max_examples=1500, deadline=None, database=None)
@given(YAML_TEXT)
# A top-level block scalar whose first line sits at column 0: ruamel.yaml reads "#" as its
# text, libyaml as a comment after an empty one.
@example("|\n#")
@example(">\n#\n")
@example("--- |\n#x\n")
# A tag, then an anchor on a later line: ruamel.yaml places the node at the anchor, libyaml at
# the tag.
@example("!!str \n&x a")
@example("a: !!str\n  &x b\n")
# A block scalar whose first blank line holds spaces, and a later line more: ruamel.yaml
# refuses it, libyaml reads it.
@example("|\n  \n    a")
@example("a: |\n   \n\n     b\n")
@example("a: |\n\n   \n     b\n")
def test_any_text_reads_the_same(text: str) -> None:
    fast, slow = both(text)

    assert fast == slow


PLAIN_SCALARS = st.text(st.sampled_from([*"0123456789_+-.:eExXoObB aAfFtTnNlLsuU~<=!&*"]))


@settings(max_examples=2000, deadline=None, database=None)
@given(PLAIN_SCALARS)
def test_plain_scalars_resolve_and_construct_as_ruamel_does(text: str) -> None:
    loader = YAML(typ="safe", pure=True)
    ruamel_tag = str(loader.resolver.resolve(ScalarNode, text, (True, False)))

    assert yaml12.resolve_plain(text) == ruamel_tag
    if ruamel_tag in (yaml12.NULL, yaml12.BOOL, yaml12.INT, yaml12.FLOAT):
        node = ScalarNode(ruamel_tag, text)
        try:
            expected = loader.constructor.construct_object(node, deep=True)
        except (ValueError, KeyError, IndexError):
            with pytest.raises((ValueError, KeyError, IndexError)):
                yaml12.construct(ruamel_tag, text)
            return
        got = yaml12.construct(ruamel_tag, text)
        assert _value(got) == _value(expected) or (math.isnan(got) and math.isnan(expected))


EDGES = [
    "a: " + "[" * (yamlsource.MAX_DEPTH - 1) + "]" * (yamlsource.MAX_DEPTH - 1) + "\n",
    "a: " + "[" * yamlsource.MAX_DEPTH + "]" * yamlsource.MAX_DEPTH + "\n",
    "a: " + "[" * 3000 + "]" * 3000 + "\n",
    "a:\n" + "".join("  " * n + f"k{n}:\n" for n in range(1, 110)) + "  " * 110 + "end: 1\n",
    "a:\nb: 1\n",
    "- \n- x\n",
    "a: |#\n  x\n",
    "a: |-\n  x\n\n",
    "a: >2\n   x\n  y\n",
    "a: &x:y 1\nb: *x:y\n",
    "a: !!str &x 1\nb: *x\n",
    "d: &d {k: 1}\ne:\n  <<: *d\n  j: 2\n",
    "%YAML 1.1\n---\na: yes\n",
    "a: 1\n...\n",
    "a: 1\n---\nb: 2\n",
    "a:\tb\n",
    "\ufeffa: 1\n",
    "a: x\u2028y\n",
    "a: !!int 5\nb: !!float 1\nc: !!bool true\nd: !!null ~\ne: !!timestamp 2026-01-01\n",
    "a: 0o17\nb: 0x_1F\nc: -.inf\nd: .NaN\ne: 1e3\nf: +12_3\ng: 0b101\n",
    "? [a]\n: 1\n",
    "a: 1\na: 2\n",
    "a: !local 1\n",
    "a: '' \nb: \"\"\n",
]


@pytest.mark.parametrize("text", EDGES)
def test_edge_texts_read_the_same(text: str) -> None:
    fast, slow = both(text)

    assert fast == slow


def shape_to(node: LNode | None, level: int) -> Any:
    """:func:`shape` down to ``level`` (the document is level 1), and below it plain data."""
    if node is None:
        return None
    where = (node.location.file, node.location.line, node.location.column)
    if level == 1:
        return (where, _value(yamlsource.to_plain(node)))
    if isinstance(node, LMap):
        return (
            where,
            [(key, node.keys[key], shape_to(node.values[key], level - 1)) for key in node.values],
        )
    if isinstance(node, LSeq):
        return (where, [shape_to(item, level - 1) for item in node.items])
    return (where, _value(node.value))


def located(text: str, level: int) -> tuple[Any, Any]:
    """What the libyaml reader gives with values located down to ``level``, and without."""
    part = parse_text(text, "f.yaml", reader="libyaml", located=level)
    whole = parse_text(text, "f.yaml", reader="libyaml")
    return (shape_to(part[0], level), part[1]), (shape_to(whole[0], level), whole[1])


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_yaml_file_is_located_as_deep_as_asked(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", "replace")
    for level in (1, 2, 3, 4, 6):
        part, whole = located(text, level)

        assert part == whole, level


def test_values_below_the_located_level_are_plain_data() -> None:
    # The point of 'located': a profile's fields are not built as located nodes.
    text = (REPO / "blueprints" / "usm-reference.yaml").read_text(encoding="utf-8")

    part, _ = parse_text(text, "f.yaml", located=3)
    whole, _ = parse_text(text, "f.yaml")

    assert isinstance(part, LMap) and isinstance(whole, LMap)
    profiles, all_located = part.values["profiles"], whole.values["profiles"]
    assert isinstance(profiles, LSeq) and isinstance(all_located, LSeq)
    first = profiles.items[0]
    assert type(first) is yamlsource.LScalar
    assert first.value == {
        "id": "workflow-manager",
        "name": "Workflow manager",
        "usm_role": "workflow-manager",
        "description": "Makes sure the agreed workflows, resources and improvements are in place.",
    }
    assert first.location == all_located.items[0].location


@settings(max_examples=800, deadline=None, database=None)
@given(YAML_TEXT, st.integers(min_value=1, max_value=4))
@example("a: [1, {b: [2]}]\nc: {d: e}\n", 2)
def test_any_text_is_located_as_deep_as_asked(text: str, level: int) -> None:
    part, whole = located(text, level)

    assert part == whole
