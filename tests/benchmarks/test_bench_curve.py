"""The scale curve's columns (benchmarks/bench_curve.py)."""

from __future__ import annotations

from typing import Any

import pytest
from support import benchmark_module

bench_curve = benchmark_module("bench_curve")


class _Row(dict[str, Any]):
    """A measured row in which every value not given is 2."""

    def __missing__(self, key: str) -> float:
        return 2.0


@pytest.mark.parametrize("adapter", ["servicenow", "jsm", "topdesk"])
@pytest.mark.parametrize(("bound", "ratio"), [(4.0, "0.50"), (0.0, "–")])
def test_every_column_shows_a_row_and_no_latency_gives_no_ratio(
    adapter: str, bound: float, ratio: str
) -> None:
    columns = bench_curve.COLUMNS + bench_curve.EXTRA_COLUMNS[adapter]
    shown = {title: show(_Row(apply_bound=bound)) for title, show in columns}
    assert shown["apply / bound"] == ratio
    assert all(shown.values())
