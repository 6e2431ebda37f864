"""YAML 1.2 scalars: which type a plain scalar has, and its Python value.

The rules are those of ruamel.yaml's YAML 1.2 resolver and safe constructor, written out so
that a document composed by libyaml (a YAML 1.1 parser, which would read ``yes``, ``on`` and
``0755`` differently) gives exactly the values the ruamel.yaml reader gives: ``yes``, ``no``,
``on`` and ``08:30`` stay text, ``2026-01-31`` stays text, ``true`` is a boolean. A test
compares both on every blueprint, every broken case and random scalars.
"""

from __future__ import annotations

import re
from typing import Any

_P = "tag:yaml.org,2002:"
STR, NULL, BOOL, INT, FLOAT = _P + "str", _P + "null", _P + "bool", _P + "int", _P + "float"
TIMESTAMP, MERGE = _P + "timestamp", _P + "merge"

#: (tag, pattern, first characters), tried in this order (as ruamel.yaml does for YAML 1.2);
#: the first character "" is the empty scalar.
_IMPLICIT = [
    (BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", [*"tTfF"]),
    (
        FLOAT,
        r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        [*"-+0123456789."],
    ),
    (
        INT,
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""",
        [*"-+0123456789"],
    ),
    (MERGE, r"^(?:<<)$", ["<"]),
    (NULL, r"^(?: ~ |null|Null|NULL | )$", [*"~nN", ""]),
    (
        TIMESTAMP,
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        [*"0123456789"],
    ),
    (_P + "value", r"^(?:=)$", ["="]),
    (_P + "yaml", r"^(?:!|&|\*)$", [*"!&*"]),
]
_BY_FIRST: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _tag, _pattern, _firsts in _IMPLICIT:
    for _first in _firsts:
        _BY_FIRST.setdefault(_first, []).append((_tag, re.compile(_pattern, re.X)))


def resolve_plain(text: str) -> str:
    """The tag of a plain (unquoted, untagged) scalar."""
    for tag, pattern in _BY_FIRST.get(text[:1], ()):
        if pattern.match(text):
            return tag
    return STR


_BOOLS = {"yes": True, "no": False, "y": True, "n": False}
_BOOLS |= {"true": True, "false": False, "on": True, "off": False}


def _int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits[0] == "-" else 1
    if digits[0] in "+-":
        digits = digits[1:]
    if digits == "0":
        return 0
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _float(text: str) -> float:
    digits = text.replace("_", "").lower()
    sign = -1 if digits[0] == "-" else 1
    if digits[0] in "+-":
        digits = digits[1:]
    if digits == ".inf":
        return sign * float("inf")
    if digits == ".nan":
        return float("nan")
    return sign * float(digits)


def construct(tag: str, text: str) -> Any:
    """The Python value of ``text`` as a scalar of ``tag`` (null, bool, int or float).

    Raises ValueError (or KeyError, IndexError) when the text does not fit the tag.
    """
    if tag == NULL:
        return None
    if tag == BOOL:
        return _BOOLS[text.lower()]
    if tag == INT:
        return _int(text)
    if tag == FLOAT:
        return _float(text)
    raise ValueError(tag)
