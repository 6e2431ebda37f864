"""FIQL, the query language of TOPdesk's ``query=`` parameter, over the emulator's rows.

The grammar TOPdesk documents (tutorial, "query"; topdesk.md §2.7): comparisons
``field==value``, ``!=``, ``=gt=``, ``=ge=``, ``=lt=``, ``=le=``, ``=sw=`` (starts with),
``=in=(a,b)``, ``=out=(a,b)``, ``==null`` / ``!=null``; ``;`` is AND, ``,`` is OR, AND binds
tighter, brackets group. Values may be quoted with ``'`` or ``"`` (a backslash escapes inside
quotes). Fields are dotted paths into the row (``branch.name``). Text compares
case-insensitively; numbers, booleans and ISO dates by value.

:func:`parse` turns a query into a predicate over rows, or raises :class:`FiqlError` with the
position of the first mistake.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["FiqlError", "Predicate", "parse"]

#: A parsed query: does this row match?
Predicate = Callable[[dict[str, Any]], bool]

_OPERATORS = ("==", "!=", "=gt=", "=ge=", "=lt=", "=le=", "=sw=", "=in=", "=out=")
_RESERVED = set("'\"();,=!~<>")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


class FiqlError(ValueError):
    """A query that does not parse, or names a field that cannot be filtered on."""


@dataclass
class _Parser:
    text: str
    fields: Collection[str] | None
    pos: int = 0

    def fail(self, what: str) -> FiqlError:
        return FiqlError(f"{what} at position {self.pos} of the query {self.text!r}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expression(self) -> Predicate:
        terms = [self.conjunction()]
        while self.peek() == ",":
            self.pos += 1
            terms.append(self.conjunction())
        if len(terms) == 1:
            return terms[0]
        return lambda row: any(term(row) for term in terms)

    def conjunction(self) -> Predicate:
        factors = [self.factor()]
        while self.peek() == ";":
            self.pos += 1
            factors.append(self.factor())
        if len(factors) == 1:
            return factors[0]
        return lambda row: all(factor(row) for factor in factors)

    def factor(self) -> Predicate:
        if self.peek() == "(":
            self.pos += 1
            inner = self.expression()
            if self.peek() != ")":
                raise self.fail("expected ')'")
            self.pos += 1
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        match = _FIELD.match(self.text, self.pos)
        if match is None:
            raise self.fail("expected a field name")
        field = match.group()
        if self.fields is not None and field not in self.fields:
            raise FiqlError(f"the field {field!r} cannot be used in a query")
        self.pos = match.end()
        operator = next((op for op in _OPERATORS if self.text.startswith(op, self.pos)), None)
        if operator is None:
            raise self.fail("expected a comparison operator")
        self.pos += len(operator)
        if operator in ("=in=", "=out="):
            # A list is the OR of its equals, ``null`` included (``=in=(null,x)`` is
            # ``==null,==x``).
            tests = [_compare(field, "==", v) for v in self.value_list()]
            wanted = operator == "=in="
            return lambda row: any(test(row) for test in tests) == wanted
        value = self.value()
        return _compare(field, operator, value)

    def value_list(self) -> list[str]:
        if self.peek() != "(":
            raise self.fail("expected '(' before a list of values")
        self.pos += 1
        values = [self.value()]
        while self.peek() == ",":
            self.pos += 1
            values.append(self.value())
        if self.peek() != ")":
            raise self.fail("expected ')' after a list of values")
        self.pos += 1
        return values

    def value(self) -> str:
        quote = self.peek()
        if quote in ("'", '"'):
            self.pos += 1
            chars: list[str] = []
            while self.pos < len(self.text) and self.text[self.pos] != quote:
                if self.text[self.pos] == "\\" and self.pos + 1 < len(self.text):
                    self.pos += 1
                chars.append(self.text[self.pos])
                self.pos += 1
            if self.pos >= len(self.text):
                raise self.fail("unterminated quoted value")
            self.pos += 1
            return "".join(chars)
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _RESERVED:
            self.pos += 1
        if self.pos == start:
            raise self.fail("expected a value")
        return self.text[start : self.pos]


def _lookup(row: dict[str, Any], field: str) -> Any:
    value: Any = row
    for part in field.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _as_date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def _equal(actual: Any, expected: str) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() == expected.lower()
    if isinstance(actual, int | float):
        try:
            return float(actual) == float(expected)
        except ValueError:
            return False
    if isinstance(actual, dict):
        return _equal(actual.get("id"), expected) or _equal(actual.get("name"), expected)
    if actual is None:
        return False
    return str(actual).casefold() == expected.casefold()


def _order(actual: Any, expected: str) -> tuple[Any, Any] | None:
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        try:
            return float(actual), float(expected)
        except ValueError:
            return None
    if isinstance(actual, str):
        left, right = _as_date(actual), _as_date(expected)
        if left is not None and right is not None:
            return left, right
    return None


def _compare(field: str, operator: str, value: str) -> Predicate:
    if operator in ("==", "!=") and value == "null":
        wanted = operator == "=="
        return lambda row: (_lookup(row, field) in (None, "")) == wanted
    if operator == "==":
        return lambda row: _equal(_lookup(row, field), value)
    if operator == "!=":
        return lambda row: not _equal(_lookup(row, field), value)
    if operator == "=sw=":
        prefix = value.casefold()
        return lambda row: str(_lookup(row, field) or "").casefold().startswith(prefix)

    def ordered(row: dict[str, Any]) -> bool:
        pair = _order(_lookup(row, field), value)
        if pair is None:
            return False
        left, right = pair
        outcomes: dict[str, bool] = {
            "=gt=": left > right,
            "=ge=": left >= right,
            "=lt=": left < right,
            "=le=": left <= right,
        }
        return outcomes[operator]

    return ordered


def parse(query: str, fields: Collection[str] | None = None) -> Predicate:
    """The predicate of ``query``; ``fields`` (when given) are the fields it may name."""
    parser = _Parser(query.strip(), fields)
    if not parser.text:
        raise FiqlError("the query is empty")
    predicate = parser.expression()
    if parser.pos != len(parser.text):
        raise parser.fail("unexpected text")
    return predicate
