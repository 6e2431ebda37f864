"""The scale curve's columns (benchmarks/bench_curve.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
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


def test_a_curve_says_how_fast_the_machine_was_before_and_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    timings = iter([1.5, 2.25])
    monkeypatch.setattr(bench_curve, "machine_seconds", lambda: next(timings))
    monkeypatch.setattr(bench_curve, "measure", lambda *args: _Row(apply_bound=4.0))

    table = bench_curve.curve("jsm", 50, 8, (50, 500), scaled=lambda services: None)

    lines = table.splitlines()
    assert [line for line in lines if line.startswith("| 2")] == [lines[4], lines[5]]
    assert lines[-2:] == ["", bench_curve.speed_line(1.5, 2.25)]
    assert "took 1.50 s of CPU before this curve and 2.25 s after it" in lines[-1]


def test_the_tenant_seed_adds_what_it_says_through_the_api(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = {
        "branches": 2,
        "operator groups": 3,
        "services": 4,
        "knowledge folders": 2,
        "knowledge items": 3,
    }
    monkeypatch.setattr(bench_curve, "TENANT_ROWS", counts)
    tables = {
        "branches": "branch",
        "operator groups": "operatorgroup",
        "services": "service",
        "knowledge folders": "kb_folder",
        "knowledge items": "kb_item",
    }
    with bench_curve.served("topdesk", tmp_path, 0) as (url, app):
        site = app.state.site
        before = {what: len(site.rows(table)) for what, table in tables.items()}
        bench_curve.seed_tenant_teams(url)
        added = {what: len(site.rows(table)) - before[what] for what, table in tables.items()}
        items = site.rows("kb_item")[-3:]
    assert added == counts
    assert all(sorted(item["_translations"]) == ["en", "nl"] for item in items)
    assert all("Who to call" in item["_translations"]["nl"]["content"] for item in items)


def test_the_measured_modules_are_compiled_even_where_bytecode_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "measured_pkg"
    (package / "inner").mkdir(parents=True)
    for module in ("__init__.py", "plan.py", "inner/__init__.py", "inner/read.py"):
        (package / module).write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setattr(bench_curve, "PACKAGES", ("measured_pkg",))

    bench_curve.compiled.__wrapped__()

    sources = sorted(package.rglob("*.py"))
    assert len(sources) == 4
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        assert cached.is_file(), source
        # The header holds the source's modification time: the bytecode is current.
        assert int.from_bytes(cached.read_bytes()[8:12], "little") == int(source.stat().st_mtime)
