"""The located YAML reader: locations, tags, aliases, limits."""

from __future__ import annotations

import time
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usm_config.diagnostics import Location, Severity
from usm_config.yamlsource import (
    MAX_DEPTH,
    MAX_NODES,
    LMap,
    LScalar,
    LSeq,
    parse_text,
    to_plain,
    walk,
)


def _codes(text: str) -> list[tuple[str, int, int]]:
    _, diagnostics = parse_text(text, "f.yaml")
    return [(d.code, d.location.line, d.location.column) for d in diagnostics]


def test_locations_of_keys_and_values() -> None:
    tree, diagnostics = parse_text("usm: 1\nteams:\n  - id: desk\n    name: Desk\n", "f.yaml")

    assert diagnostics == []
    assert isinstance(tree, LMap)
    index = dict(walk(tree))
    assert index[("usm",)] == Location("f.yaml", 1, 1)
    assert index[("teams", 0)] == Location("f.yaml", 3, 5)
    assert index[("teams", 0, "name")] == Location("f.yaml", 4, 5)
    assert to_plain(tree) == {"usm": 1, "teams": [{"id": "desk", "name": "Desk"}]}


def test_yaml_1_2_scalars() -> None:
    tree, _ = parse_text("a: yes\nb: 08:30\nc: 2026-01-01\nd: 1.5\ne: ~\nf: true\n", "f.yaml")

    assert to_plain(tree) == {
        "a": "yes",
        "b": "08:30",
        "c": "2026-01-01",
        "d": 1.5,
        "e": None,
        "f": True,
    }


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a: !!python/object:os.system {x: 1}\n", "!!python/object:os.system"),
        ("a: !!python/object/apply:os.system [ls]\n", "!!python/object/apply:os.system"),
        ("a: !!python/name:os.system\n", "!!python/name:os.system"),
        ("a: !!set {x, y}\n", "!!set"),
        ("a: !!omap [x: 1]\n", "!!omap"),
        ("a: !!binary aGVsbG8=\n", "!!binary"),
        ("a: !custom 1\n", "!custom"),
        ("!!python/name:os.system : 1\n", "!!python/name:os.system"),
    ],
)
def test_tags_other_than_the_plain_ones_are_refused(text: str, shown: str) -> None:
    _, diagnostics = parse_text(text, "f.yaml")

    (diagnostic,) = diagnostics
    assert diagnostic.code == "YAML004"
    assert diagnostic.message == f"unsupported YAML tag '{shown}'"
    assert diagnostic.severity is Severity.ERROR


def test_explicit_plain_tags_are_accepted() -> None:
    tree, diagnostics = parse_text("a: !!map {b: !!str 1}\nc: !!seq [!!int 2]\n", "f.yaml")

    assert diagnostics == []
    assert to_plain(tree) == {"a": {"b": "1"}, "c": [2]}


def test_merge_keys_and_aliases() -> None:
    text = "x-defaults: &d {kind: internal, name: Team}\nteams:\n  - <<: *d\n    id: desk\n"

    tree, diagnostics = parse_text(text, "f.yaml")

    assert diagnostics == []
    assert to_plain(tree)["teams"] == [{"id": "desk", "kind": "internal", "name": "Team"}]


def test_an_anchor_defined_twice_is_allowed_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tree, diagnostics = parse_text("a: &x 1\nb: &x 2\nc: *x\n", "f.yaml")

    assert diagnostics == []
    assert to_plain(tree) == {"a": 1, "b": 2, "c": 2}


def test_every_duplicate_key_is_reported_with_the_first_place() -> None:
    _, diagnostics = parse_text("a: 1\nb: 2\na: 3\nb: 4\nb: 5\n", "f.yaml")

    assert [(d.code, d.location.line) for d in diagnostics] == [
        ("YAML003", 3),
        ("YAML003", 4),
        ("YAML003", 5),
    ]
    assert [r.line for d in diagnostics for r in d.related] == [1, 2, 2]


def test_recursive_alias_in_a_sequence() -> None:
    assert _codes("a: &x [1, *x]\n") == [("YAML005", 1, 4)]


def test_merge_key_needs_mappings() -> None:
    assert _codes("a: &x [1]\nb:\n  <<: *x\n") == [("YAML007", 1, 4)]


def test_unclosed_flow_mapping_says_where_it_opened() -> None:
    _, (diagnostic,) = parse_text("a: {b: 1\n", "f.yaml")

    assert diagnostic.code == "YAML001"
    assert "while parsing a flow mapping that starts at line 1, column 4" in diagnostic.message


def test_nesting_limit() -> None:
    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    too_deep = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"

    assert _codes(ok) == []
    # The root mapping is level 1, so level MAX_DEPTH + 1 is the last '['.
    assert _codes(too_deep) == [("YAML011", 1, 3 + MAX_DEPTH)]


def test_alias_expansion_limit_is_checked_before_expanding() -> None:
    # Each level multiplies by ten: l5 alone expands to 1,111,111 values, l4 to 111,111.
    lines = ["l0: &l0 [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 12)]
    started = time.perf_counter()

    codes = _codes("\n".join(lines) + "\n")

    assert codes == [("YAML009", 6, 5)]  # at the anchor of l5
    assert time.perf_counter() - started < 1.0
    assert 10**6 > MAX_NODES > 10**5


def test_large_but_shared_documents_within_the_budget_load() -> None:
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a]\n"

    tree, diagnostics = parse_text(text, "f.yaml")

    assert diagnostics == []
    assert isinstance(tree, LMap)
    b = tree.values["b"]
    assert isinstance(b, LSeq)
    assert all(isinstance(item, LSeq) and len(item.items) == 10 for item in b.items)
    first = b.items[0]
    assert isinstance(first, LSeq)
    assert isinstance(first.items[0], LScalar)


def test_nesting_through_aliases_counts_the_expanded_depth() -> None:
    # Each anchor nests the previous one 40 levels deeper; some are defined inside keys,
    # which are measured only when an alias reaches them.
    lines = ["? &k0 " + "[" * 40 + "]" * 40, ": 0"]
    for n in range(1, 25):
        lines += [f"? &k{n} " + "[" * 40 + f"*k{n - 1}" + "]" * 40, f": {n}"]
    lines.append("value: *k24")

    _, diagnostics = parse_text("\n".join(lines) + "\n", "f.yaml")

    assert [d.code for d in diagnostics] == ["YAML011"]


YAML_CHARACTERS = st.sampled_from(
    [*"ab :-[]{}&*!?|>'\"#,\n\t%@`~.09<\\", "\x00", "\x85", "\u2028", "\ufeff"]
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(YAML_CHARACTERS, max_size=40))
def test_any_text_gives_a_tree_or_diagnostics_never_an_exception(text: str) -> None:
    tree, diagnostics = parse_text(text, "f.yaml")

    assert all(d.severity is Severity.ERROR and d.location.file == "f.yaml" for d in diagnostics)
    if diagnostics:
        assert all(d.hint for d in diagnostics)
    elif tree is not None:
        to_plain(tree)
