"""The encoded filters of a scoped read (usm_servicenow.adapter._scope): every key and managed
sys_id asked for exactly once, no request line past the budget, the whole table past the
request limit or where a value cannot be put in a query."""

from __future__ import annotations

from urllib.parse import quote_plus

from hypothesis import given
from hypothesis import strategies as st
from pydantic import JsonValue
from usm_servicenow import adapter
from usm_servicenow.client import ORDER_BY
from usm_servicenow.kinds import KINDS

from usm_config.engine.contract import ReadScope
from usm_config.engine.records import Record
from usm_config.http.filters import SCOPE_QUERY_CHARS, SCOPE_REQUESTS

#: Values an encoded query can hold: not empty, no '^' (servicenow.md §1.3), no spaces at
#: either end.
values = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60).filter(
    lambda v: "^" not in v and v == v.strip()
)
sys_ids = st.text("0123456789abcdef", min_size=32, max_size=32)


def _parts(filters: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The (name, element) groups and the sys_ids the filters ask for, in order."""
    groups: list[tuple[str, str]] = []
    ids: list[str] = []
    for text in filters:
        for condition in text.split("^NQ"):
            if condition.startswith("sys_idIN"):
                ids += condition.removeprefix("sys_idIN").split(",")
            else:
                name, element = condition.split("^")
                groups.append((name.removeprefix("name="), element.removeprefix("element=")))
    return groups, ids


@given(
    st.lists(st.tuples(values, values, values), max_size=400),
    st.lists(sys_ids, max_size=300, unique=True),
)
def test_every_key_and_id_is_asked_for_once_within_the_budget(
    keys: list[tuple[str, str, str]], ids: list[str]
) -> None:
    filters = adapter._scope("sys_choice", keys, ids)
    if not keys and not ids:
        assert filters is None
        return
    assert filters
    if filters == [""]:
        # Read whole only when asking by name would take too many requests: packed in order,
        # two requests side by side hold more than one request's worth.
        conditions = {f"name={name}^element={element}" for name, element, _ in keys}
        asked = sum(len(quote_plus(c, safe="")) for c in conditions) + 35 * len(ids)
        assert asked > SCOPE_REQUESTS // 2 * (SCOPE_QUERY_CHARS - 100)
        return
    assert len(filters) <= SCOPE_REQUESTS
    for text in filters:
        assert len(quote_plus(f"{text}^{ORDER_BY}", safe="")) <= SCOPE_QUERY_CHARS
    groups, asked_ids = _parts(filters)
    assert sorted(groups) == sorted({key[:2] for key in keys})
    assert sorted(asked_ids) == sorted(ids)


def test_a_small_scope_is_one_request() -> None:
    filters = adapter._scope("service_offering", [("Mail",), ("Web, hosting",)], ["a" * 32])
    assert filters == [f"name=Mail^NQname=Web, hosting^NQsys_idIN{'a' * 32}"]


def test_a_scope_past_the_request_limit_reads_the_table_whole() -> None:
    names = [(f"Service offering number {n} with a long name",) for n in range(2000)]
    assert adapter._scope("service_offering", names, []) == [""]
    assert adapter._scope("service_offering", [], [f"{n:032x}" for n in range(2000)]) == [""]


def test_values_a_query_cannot_hold_read_the_table_whole() -> None:
    assert adapter._scope("service_offering", [("A^B",)], []) == [""]
    assert adapter._scope("service_offering", [("",)], []) == [""]
    assert adapter._scope("service_offering", [(" Mail",)], []) == [""]
    assert adapter._scope("service_offering", [("Mail\n",)], []) == [""]
    assert adapter._scope("sys_choice", [("task",)], []) == [""]  # no element to match
    assert adapter._scope("service_offering", [("A",)], ["x,y"]) == [""]
    assert adapter._scope("service_offering", [("x" * SCOPE_QUERY_CHARS,)], []) == [""]


def _offering(name: str, sys_id: str, group: str) -> Record:
    """A raw row of service_offering as the adapter reads it (references hold sys_ids)."""
    fields: dict[str, JsonValue] = dict.fromkeys(KINDS["service_offering"].owned_fields, "")
    fields.update(name=name, support_group=group)
    return Record("service_offering", (), fields, target_id=sys_id)


SCOPE = ReadScope({"service_offering": {("Mail",)}}, {"service_offering": {"o-2"}})
FILTERS = {"service_offering": ["name=Mail"], "sys_user_group": ["name=Desk"]}


def test_rows_a_compared_row_refers_to_outside_the_scope_are_read_by_sys_id() -> None:
    desk = Record("sys_user_group", (), {"name": "Desk"}, target_id="g-desk")
    rows = [
        _offering("Mail", "o-1", "g-other"),  # wanted by key
        _offering("Renamed in the tool", "o-2", "g-third"),  # wanted by id
        _offering("Web", "o-3", "g-fourth"),  # another team's: not compared
        _offering("Mail", "o-4", "g-desk"),  # its group was read
        desk,
    ]
    later = adapter._unread_references(rows, FILTERS, SCOPE, KINDS)
    assert later == {"sys_user_group": [f"sys_idIN{'g-other'},{'g-third'}"]}


def test_too_many_rows_outside_the_scope_read_the_table_whole() -> None:
    rows = [_offering("Mail", f"o-{n}", f"{n:032x}") for n in range(2000)]
    assert adapter._unread_references(rows, FILTERS, SCOPE, KINDS) == {"sys_user_group": [""]}


def test_a_table_read_whole_needs_no_second_round() -> None:
    rows = [_offering("Mail", "o-1", "g-other")]
    whole = {**FILTERS, "sys_user_group": [""]}
    assert adapter._unread_references(rows, whole, SCOPE, KINDS) == {}
