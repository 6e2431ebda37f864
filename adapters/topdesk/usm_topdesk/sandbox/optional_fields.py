"""The optional fields of supporting-files cards: ``optionalFields1`` and ``optionalFields2``
of operators, operator groups and branches (supporting files 2.7.11: read as
``OptionalFieldsDto``; written as ``ModifyOptionalFieldsDto``, or for branches as
``ModifyOptionalFieldsWithNameLookUpDto``, whose drop-downs may be named instead of given by id).

Each tab holds five fields of each type. A new card shows them as an operator card of a live
tenant does (demisto/content, ``Packs/TOPdesk/Integrations/TOPdesk/test_data/``
``topdesk_operator.json``): booleans ``false``, numbers ``0.0``, texts ``""``, dates, memos and
drop-downs ``null``. A write changes the fields it names and keeps the others. Memos are
read-only: neither write schema has them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from usm_config.sandbox.clock import in_utc
from usm_topdesk.sandbox.errors import LegacyError, too_long, unknown_field, unparsable
from usm_topdesk.sandbox.site import Row

__all__ = ["QUERY_FIELDS", "TABS", "Lookup", "blank_tabs", "written"]

#: The two tabs, in the order of their drop-down lists' ``{tab}`` path parameter (1, 2).
TABS = ("optionalFields1", "optionalFields2")
_TYPES = ("boolean", "number", "date", "text", "memo", "searchlist")
_EMPTY: Mapping[str, Any] = {
    "boolean": False,
    "number": 0.0,
    "date": None,
    "text": "",
    "memo": None,
    "searchlist": None,
}
#: ``maxLength`` of every text field in both write schemas.
_TEXT_LIMIT = 100

#: What a FIQL query may name of them: "optionalFields1, optionalFields2: All subfields,
#: including id and name for searchlists" (supporting files 2.7.11, ``query`` of
#: ``GET /operatorgroups``, ``/operators`` and ``/branches``).
QUERY_FIELDS = frozenset(
    f"{tab}.{kind}{n}{part}"
    for tab in TABS
    for kind in _TYPES
    for n in range(1, 6)
    for part in (("", ".id", ".name") if kind == "searchlist" else ("",))
)

#: Finds the drop-down entry ``(tab, list number, {"id"} or {"name"})`` names, or ``None``.
Lookup = Callable[[int, int, Mapping[str, Any]], Row | None]


def blank_tabs() -> dict[str, dict[str, Any]]:
    """Both tabs of a new card, every field empty."""
    return {tab: _blank_tab() for tab in TABS}


def _blank_tab() -> dict[str, Any]:
    return {f"{kind}{n}": _EMPTY[kind] for kind in _TYPES for n in range(1, 6)}


def written(
    body: Mapping[str, Any], current: Row, lookup: Lookup, *, by_name: bool
) -> dict[str, Any]:
    """The tabs ``body`` writes, each merged into ``current``'s (a card's row; a new card's
    is empty), or a 400 in the legacy envelope naming the field at fault. ``by_name`` allows
    a drop-down entry to be named (the branch schemas)."""
    changes: dict[str, Any] = {}
    for number, tab in enumerate(TABS, 1):
        if tab not in body or body[tab] is None:
            continue
        given = body[tab]
        if not isinstance(given, dict):
            raise unparsable(tab)
        merged = dict(current.get(tab) or _blank_tab())
        for field, value in given.items():
            merged[field] = _value(f"{tab}.{field}", field, value, number, lookup, by_name)
        changes[tab] = merged
    return changes


def _value(path: str, field: str, value: Any, tab: int, lookup: Lookup, by_name: bool) -> Any:
    kind, digit = field[:-1], field[-1:]
    if kind not in _TYPES or kind == "memo" or digit not in ("1", "2", "3", "4", "5"):
        raise unknown_field(path)
    if value is None:
        return _EMPTY[kind]
    if kind == "boolean":
        if not isinstance(value, bool):
            raise unparsable(path)
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise unparsable(path)
        return float(value)
    if kind == "date":
        return _date(path, value)
    if kind == "text":
        if not isinstance(value, str):
            raise unparsable(path)
        if len(value) > _TEXT_LIMIT:
            raise too_long(path, _TEXT_LIMIT)
        return value
    keys = {"id", "name"} if by_name else {"id"}
    if not isinstance(value, dict) or not (value.keys() & keys):
        raise unparsable(path)
    entry = lookup(tab, int(digit), {key: value[key] for key in keys & value.keys()})
    if entry is None:
        raise LegacyError(400, f'The value for the field "{path}" cannot be found')
    return {"id": entry["id"], "name": entry.get("name")}


def _date(path: str, value: Any) -> str:
    """A date-time as TOPdesk stores it: in UTC, ``2015-11-15T12:00:00.000+0000``. The spec:
    "The given time offset will be used. Without a given offset Zulu/UTC time will be
    assumed.\""""
    if not isinstance(value, str) or "T" not in value:
        raise unparsable(path)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise unparsable(path) from None
    moment = in_utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
