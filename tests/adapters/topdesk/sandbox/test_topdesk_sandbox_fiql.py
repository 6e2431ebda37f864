"""FIQL as TOPdesk documents it (tutorial "query"; topdesk.md §2.7), on plain rows."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from usm_topdesk.sandbox.fiql import FiqlError, parse

ROWS: list[dict[str, Any]] = [
    {
        "name": "Printer",
        "count": 3,
        "archived": False,
        "parent": {"id": "a1", "name": "Hardware"},
        "modificationDate": "2026-01-05T08:00:00.000+0000",
    },
    {
        "name": "Wi-Fi",
        "count": 10,
        "archived": True,
        "parent": {"id": "b2", "name": "Network"},
        "modificationDate": "2026-02-01T08:00:00.000+0000",
    },
    {
        "name": "VPN",
        "count": None,
        "archived": False,
        "parent": None,
        "modificationDate": "2025-12-24T08:00:00.000+0000",
    },
]


def names(query: str) -> list[str]:
    predicate = parse(query)
    return [row["name"] for row in ROWS if predicate(row)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name==printer", ["Printer"]),  # text ignores case
        ("name!=VPN", ["Printer", "Wi-Fi"]),
        ("name=sw=w", ["Wi-Fi"]),
        ("count=gt=3", ["Wi-Fi"]),
        ("count=ge=3", ["Printer", "Wi-Fi"]),
        ("count=lt=10", ["Printer"]),
        ("count==null", ["VPN"]),
        ("parent!=null", ["Printer", "Wi-Fi"]),
        ("archived==true", ["Wi-Fi"]),
        ("parent.name==Network", ["Wi-Fi"]),
        ("parent==a1", ["Printer"]),  # a linked card matches by id or name
        ("modificationDate=ge=2026-01-01T00:00:00Z", ["Printer", "Wi-Fi"]),
        ("modificationDate=lt=2026-01-01T00:00:00+01:00", ["VPN"]),
        ("name=in=(VPN,'Wi-Fi')", ["Wi-Fi", "VPN"]),
        ("name=out=(VPN)", ["Printer", "Wi-Fi"]),
        ("archived==false;count=le=3,name==Wi-Fi", ["Printer", "Wi-Fi"]),
        ("archived==false;(count=le=3,name==Wi-Fi)", ["Printer"]),
        ('name=="Wi-Fi"', ["Wi-Fi"]),
        ("name=='it\\'s'", []),
    ],
)
def test_operators_and_grouping(query: str, expected: list[str]) -> None:
    assert names(query) == expected


@pytest.mark.parametrize(
    "query", ["", "name", "name=x=1", "name==", "(name==a", "name==a)", "name=in=a", "name=='open"]
)
def test_malformed_queries_say_where(query: str) -> None:
    with pytest.raises(FiqlError):
        parse(query)


def test_a_field_outside_the_allowed_ones_is_refused() -> None:
    with pytest.raises(FiqlError, match=r"branch\.id"):
        parse("branch.id==x", fields={"name"})


safe = st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=8)


@given(safe, safe, safe)
def test_in_is_the_or_of_equals(value: str, first: str, second: str) -> None:
    row = {"name": value}
    assert parse(f"name=in=({first},{second})")(row) == parse(f"name=={first},name=={second}")(row)
    assert parse(f"name=out=({first},{second})")(row) != parse(f"name=in=({first},{second})")(row)


@pytest.mark.parametrize("value", [None, "", "NULL", "null", "x"])
def test_null_in_a_list_is_the_null_test(value: str | None) -> None:
    row = {"name": value}
    assert parse("name=in=(null,x)")(row) == parse("name==null,name==x")(row)
