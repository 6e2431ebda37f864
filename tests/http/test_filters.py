"""Splitting a scoped read's filter values over requests (usm_config.http.filters.scope_runs):
every value once and in order, no request past the budget, and the collection read whole
only where the values need more requests than allowed or one value alone is too long."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import example, given
from hypothesis import strategies as st

from usm_config.http.filters import (
    SCOPE_QUERY_CHARS,
    SCOPE_REQUESTS,
    query_encoded,
    scope_runs,
    scope_texts,
)

values = st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), max_size=60)


@given(values, st.sampled_from([",", "^NQ", "&groupName="]), st.integers(20, 300))
@example(["a" * 10] * 3, ",", 21)  # two fit exactly: 10 + 1 + 10
def test_every_value_travels_once_within_the_budget(
    items: list[str], separator: str, budget: int
) -> None:
    runs = scope_runs(items, separator, budget=budget, most=4)
    joint = len(query_encoded(separator))
    if runs is None:
        too_long = any(len(query_encoded(item)) > budget for item in items)
        # Greedy packing is optimal for a sequence kept in order: needing more than `most`
        # runs greedily means needing more than `most` runs.
        assert too_long or len(_greedy(items, joint, budget)) > 4
        return
    assert [item for run in runs for item in run] == items
    assert len(runs) <= 4
    for run in runs:
        assert run and len(query_encoded(separator.join(run))) <= budget
    for first, second in pairwise(runs):
        # Each run is as long as the budget lets it be: the next value would not have fit.
        assert len(query_encoded(separator.join([*first, second[0]]))) > budget


def _greedy(items: list[str], joint: int, budget: int) -> list[int]:
    sizes: list[int] = []
    for item in items:
        length = len(query_encoded(item))
        if sizes and sizes[-1] + joint + length <= budget:
            sizes[-1] += joint + length
        else:
            sizes.append(length)
    return sizes


def test_the_defaults_allow_eight_requests_of_4000_characters() -> None:
    names = [f"team {n:04}" for n in range(10_000)]  # 'team+0001': 9 characters encoded
    per_request = (SCOPE_QUERY_CHARS + 1) // 10  # each with a '~' (not encoded) but the last
    runs = scope_runs(names[: SCOPE_REQUESTS * per_request], "~")
    assert runs is not None and [len(run) for run in runs] == [per_request] * SCOPE_REQUESTS
    assert scope_runs(names[: SCOPE_REQUESTS * per_request + 1], "~") is None
    assert scope_runs(names[:10], ",") == [names[:10]]  # ',' travels as '%2C'
    assert scope_runs([], ",") == []
    assert scope_runs(["x" * SCOPE_QUERY_CHARS], ",") == [["x" * SCOPE_QUERY_CHARS]]
    assert scope_runs(["x" * (SCOPE_QUERY_CHARS + 1)], ",") is None


def test_texts_are_the_runs_joined_and_none_where_the_runs_are() -> None:
    names = [f"n{i:04}" for i in range(2_000)]
    runs = scope_runs(names, "^")
    assert runs is not None
    assert scope_texts(names, "^") == ["^".join(run) for run in runs]
    assert scope_texts(["x" * (SCOPE_QUERY_CHARS + 1)], ",") is None
    assert scope_texts(["a", "b"], ",", budget=5) == ["a,b"]  # "," travels as "%2C"
    assert scope_texts(["a", "b"], ",", budget=4) == ["a", "b"]
