"""The subset of ServiceNow encoded queries (``sysparm_query``) the emulator understands.

Syntax (servicenow.md §1.3): conditions ``<field><OP><value>`` joined by ``^`` (AND), ``^OR``
(OR with the previous condition only) and ``^NQ`` (a new OR-ed group); ``ORDERBY<field>`` and
``ORDERBYDESC<field>`` parts; an optional ``^EQ`` terminator. There is no escaping: a value can
never contain ``^``.

Field names are lower-case and operators upper-case, which is how a condition is split.
A condition the parser does not understand (unsupported operator, malformed part) is dropped,
as the real instance drops invalid parts (same section).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["OPERATORS", "Condition", "EncodedQuery", "parse_query", "sort_rows"]

#: Supported operators, longest first where one is a prefix of another.
OPERATORS = (
    "ISNOTEMPTY",
    "ISEMPTY",
    "ANYTHING",
    "NOT IN",
    "NOTLIKE",
    "IN",
    "LIKE",
    "STARTSWITH",
    "ENDSWITH",
    "BETWEEN",
    "!=",
    ">=",
    "<=",
    "=",
    ">",
    "<",
)

_FIELD = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*")
_INT = re.compile(r"-?\d+")

Row = TypeVar("Row")

#: Reads a (possibly dot-walked) field of one row; missing fields read as "".
Getter = Callable[[str], str]


@dataclass(frozen=True)
class Condition:
    """One ``<field><operator><value>`` condition."""

    field: str
    operator: str
    value: str

    def test(self, actual: str) -> bool:
        """Whether ``actual`` (the row's value of :attr:`field`) satisfies the condition."""
        op, value = self.operator, self.value
        if op == "=":
            return actual == value
        if op == "!=":
            return actual != value
        if op in ("IN", "NOT IN"):
            return (actual in value.split(",")) == (op == "IN")
        if op in ("LIKE", "NOTLIKE"):
            return (value in actual) == (op == "LIKE")
        if op == "STARTSWITH":
            return actual.startswith(value)
        if op == "ENDSWITH":
            return actual.endswith(value)
        if op == "ISEMPTY":
            return actual == ""
        if op == "ISNOTEMPTY":
            return actual != ""
        if op == "ANYTHING":
            return True
        if op == "BETWEEN":
            low, _, high = value.partition("@")
            return _compare(actual, low) >= 0 and _compare(actual, high) <= 0
        order = _compare(actual, value)
        return {">": order > 0, ">=": order >= 0, "<": order < 0, "<=": order <= 0}[op]


def _compare(left: str, right: str) -> int:
    """Compare numerically when both sides are integers, else as strings."""
    if _INT.fullmatch(left) and _INT.fullmatch(right):
        a, b = int(left), int(right)
        return (a > b) - (a < b)
    return (left > right) - (left < right)


def _sort_key(value: str) -> tuple[int, int, str]:
    return (0, int(value), "") if _INT.fullmatch(value) else (1, 0, value)


#: An AND of terms, each term an OR of conditions.
Group = tuple[tuple[Condition, ...], ...]


@dataclass(frozen=True)
class EncodedQuery:
    """A parsed query: OR-ed ``^NQ`` groups, and the requested order."""

    groups: tuple[Group, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()

    def fields(self) -> set[str]:
        """Every field the conditions and the ordering mention."""
        found = {c.field for group in self.groups for term in group for c in term}
        return found | {name for name, _ in self.order_by}

    def restrict(self, known: Callable[[str], bool]) -> EncodedQuery:
        """Drop the conditions and orderings on fields for which ``known`` is false.

        A term left without conditions disappears, so a group left empty matches every row:
        exactly the real instance's hazard of a typo turning a look-up into "all rows".
        """
        groups = tuple(
            tuple(kept for term in group if (kept := tuple(c for c in term if known(c.field))))
            for group in self.groups
        )
        return EncodedQuery(groups, tuple(o for o in self.order_by if known(o[0])))

    def and_(self, conditions: Iterable[Condition]) -> EncodedQuery:
        """This query with ``conditions`` ANDed to every group."""
        terms = tuple((c,) for c in conditions)
        if not terms:
            return self
        groups = tuple(group + terms for group in self.groups) or (terms,)
        return EncodedQuery(groups, self.order_by)

    def matches(self, get: Getter) -> bool:
        """Whether a row (read through ``get``) satisfies the query."""
        if not self.groups:
            return True
        return any(
            all(any(c.test(get(c.field)) for c in term) for term in group) for group in self.groups
        )


def parse_condition(text: str) -> Condition | None:
    """Parse one condition, or return ``None`` when it is not understood."""
    field = _FIELD.match(text)
    if field is None:
        return None
    rest = text[field.end() :]
    for operator in OPERATORS:
        if rest.startswith(operator):
            return Condition(field.group(), operator, rest[len(operator) :])
    return None


def parse_query(text: str) -> EncodedQuery:
    """Parse a ``sysparm_query`` value."""
    groups: list[Group] = []
    order_by: list[tuple[str, bool]] = []
    for group_text in text.split("^NQ"):
        terms: list[tuple[Condition, ...]] = []
        for part in group_text.split("^"):
            if not part or part == "EQ":
                continue
            if part.startswith("ORDERBYDESC"):
                order_by.append((part.removeprefix("ORDERBYDESC"), True))
                continue
            if part.startswith("ORDERBY"):
                order_by.append((part.removeprefix("ORDERBY"), False))
                continue
            alternative = part.startswith("OR") and bool(terms)
            condition = parse_condition(part.removeprefix("OR") if alternative else part)
            if condition is None:
                continue
            if alternative:
                terms[-1] = (*terms[-1], condition)
            else:
                terms.append((condition,))
        if terms:
            groups.append(tuple(terms))
    return EncodedQuery(tuple(groups), tuple(order_by))


def sort_rows(
    rows: Sequence[Row], order_by: Sequence[tuple[str, bool]], get: Callable[[Row, str], str]
) -> list[Row]:
    """``rows`` ordered by ``order_by`` (first key most significant); stable otherwise.

    Integers sort numerically before other strings (the emulator has no column types).
    """
    ordered = list(rows)
    for field, descending in reversed(order_by):
        ordered.sort(key=lambda row: _sort_key(get(row, field)), reverse=descending)
    return ordered
