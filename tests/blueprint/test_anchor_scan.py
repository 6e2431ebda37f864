"""The two anchor checks that decide how a text is read find what their regular expressions
find, on any text: they look at each '&' or '*' instead of trying the expression at every
character (a tenth of a second of each load of a 3.5 MB blueprint)."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from usm_config import libyaml, yamlsource

#: The expressions the checks stand for.
ANCHOR = re.compile(r"(?:^|[\s\[{,:])&[^\s,\[\]{}]")
ODD_NAME = re.compile(r"[&*][\w-]*[^\w\s,\[\]{}-]", re.A)

#: Characters the expressions tell apart: the marks, name characters, ASCII and other
#: whitespace (which Unicode '\s' takes and ASCII '\s' does not), flow indicators, ':', and a
#: few others; mixed with any character at all.
TELLING = list("&*aZ09_-:!.#é ,[]{}\t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2028\u3000")
TEXTS = st.text(alphabet=st.sampled_from(TELLING) | st.characters(), max_size=40)


@settings(max_examples=2000)
@given(TEXTS)
@example("&a")
@example("& close")
@example("Review & close")
@example("a: &x")
@example("&")
@example("x&y")
@example("[&a]")
@example("\x1c&a")
@example("\u3000&a")
@example("\x0b&a")
@example("&\x0c")
def test_may_hold_anchor_finds_what_its_expression_finds(text: str) -> None:
    assert yamlsource._may_hold_anchor(text) is (ANCHOR.search(text) is not None)


@settings(max_examples=2000)
@given(TEXTS)
@example("&a:")
@example("*a:")
@example("&a b")
@example("&a")
@example("&a&")
@example("&é")
@example("&a\x1c")
@example("&a\x85")
@example("&a-b_c}")
@example("*")
@example("&\x0b")
@example("*a\x0c")
def test_odd_name_finds_what_its_expression_finds(text: str) -> None:
    found = libyaml._odd_name(text, "&") or libyaml._odd_name(text, "*")
    assert found is (ODD_NAME.search(text) is not None)
