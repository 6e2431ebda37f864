"""A list of references that is an order (``KindSpec.sequences``): a field's options as the tool
lists them. It is kept in its order on both sides, and compared only over the records the
blueprint names, so that records the tool holds beside them may stand anywhere."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from usm_config.engine.diff import compute_changes
from usm_config.engine.lock import Lock
from usm_config.engine.records import KindSpec, Record, ref, sets_in_order
from usm_config.engine.references import resolve_live_references

OPTION = KindSpec("option", "option", ("name",), ("name",))
ORDER = KindSpec(
    "order", "order", ("list",), ("list", "options"), {"options": "option"},
    sequences=("options",),
)  # fmt: skip
KINDS = {"option": OPTION, "order": ORDER}


def _lock() -> Lock:
    return Lock(Path("unused.lock.json"), "test", "memory")


def _desired(names: str) -> list[Record]:
    """The options named by the letters of ``names`` and their order."""
    options = [Record("option", (n,), {"name": n}, f"option:{n}") for n in names]
    order = {"list": "main", "options": [ref("option", (n,)) for n in names]}
    return [*options, Record("order", ("main",), order, "order:main")]


def _live(names: str, ids: dict[str, str] | None = None) -> list[Record]:
    """The tool's options in the order of ``names``, read raw (ids) and resolved."""
    ids = ids or {n: f"id-{n}" for n in names}
    options = [Record("option", (), {"name": n}, target_id=ids[n]) for n in names]
    order = {"list": "main", "options": [ids[n] for n in names]}
    return resolve_live_references([*options, Record("order", (), order, target_id="l")], KINDS)


def _order_changes(wanted: str, now: str, lock: Lock | None = None) -> list[tuple[object, ...]]:
    result = compute_changes(_desired(wanted), _live(now), KINDS, lock or _lock())
    return [(c.action.value, c.diff) for c in result.changes if c.kind == "order"]


def test_a_read_keeps_the_order_and_a_set_stays_a_set() -> None:
    live = _live("CAB")
    order = next(r for r in live if r.kind == "order")
    assert order.fields["options"] == [ref("option", (n,)) for n in "CAB"]
    assert sets_in_order(ORDER, order.fields) == order.fields
    as_set = KindSpec("order", "order", ("list",), ("list", "options"), {"options": "option"})
    assert sets_in_order(as_set, order.fields)["options"] == [ref("option", (n,)) for n in "ABC"]


def test_the_same_order_is_no_change_and_another_is_one_update() -> None:
    assert _order_changes("ABC", "ABC") == [("adopt", ())]
    [(action, diff)] = _order_changes("ABC", "CAB")
    assert action == "adopt"
    assert [(d.field, d.before, d.after) for d in diff] == [
        (
            "options",
            [ref("option", (n,)) for n in "CAB"],
            [ref("option", (n,)) for n in "ABC"],
        )
    ]


def test_records_the_blueprint_does_not_name_may_stand_anywhere() -> None:
    """The administrator's own options X and Y, between and before the blueprint's."""
    assert _order_changes("ABC", "XAYBC") == [("adopt", ())]
    [(_, diff)] = _order_changes("ABC", "XBYAC")
    assert diff[0].before == [ref("option", (n,)) for n in "BAC"]


def test_a_record_still_to_create_makes_the_order_differ() -> None:
    [(_, diff)] = _order_changes("ABC", "AC")
    assert diff[0].before == [ref("option", (n,)) for n in "AC"]


def test_a_record_renamed_in_the_tool_keeps_its_place() -> None:
    """B is "b" in the tool now: the option is renamed back; the order compares the records
    the references point at, so it changes only when they stand elsewhere."""
    lock = _lock()
    for n in "ABC":
        lock.set(f"option:{n}", "option", f"id-{n}", (n,), "applied before")
    lock.set("order:main", "order", "l", ("main",), "applied before")
    ids = {"A": "id-A", "b": "id-B", "C": "id-C"}
    result = compute_changes(_desired("ABC"), _live("AbC", ids), KINDS, lock)
    assert [(c.kind, c.key) for c in result.changes] == [("option", ("B",))]
    result = compute_changes(_desired("ABC"), _live("CbA", ids), KINDS, lock)
    assert [(c.kind, c.key) for c in result.changes] == [("option", ("B",)), ("order", ("main",))]


@st.composite
def _arrangements(draw: st.DrawFn) -> tuple[str, str]:
    """A blueprint's order of five options, and the tool's: the same or shuffled, maybe with
    some missing, and with the tool's own options X, Y and Z put in anywhere."""
    wanted = "".join(draw(st.permutations("ABCDE")))
    now = list(draw(st.permutations(wanted)) if draw(st.booleans()) else wanted)
    for missing in draw(st.sets(st.sampled_from(wanted), max_size=2)):
        now.remove(missing)
    for extra in draw(st.sets(st.sampled_from("XYZ"))):
        now.insert(draw(st.integers(0, len(now))), extra)
    return wanted, "".join(now)


@given(_arrangements())
def test_no_change_exactly_when_the_named_records_stand_in_order(case: tuple[str, str]) -> None:
    """Whatever the tool holds and in whatever order: the order is left alone exactly when the
    blueprint's records stand in the blueprint's order and none is missing."""
    wanted, now = case
    [(_, diff)] = _order_changes(wanted, now)
    assert (diff == ()) == ([n for n in now if n in wanted] == list(wanted))
