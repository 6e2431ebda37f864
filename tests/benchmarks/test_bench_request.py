"""The request-cost benchmark (benchmarks/bench_request.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support import benchmark_module, run_benchmark

from usm_config.http import HttpClient

bench_request = benchmark_module("bench_request")


def test_the_servers_answer_every_request_on_a_kept_connection_with_the_list() -> None:
    async def read(url: str) -> list[object]:
        async with HttpClient(url) as client:
            answers = [await client.get_json(bench_request.PATH) for _ in range(3)]
            assert client.stats.requests_sent == 3
            return answers

    with bench_request.served(0.5) as url:
        answers = asyncio.run(read(url))
    assert answers == [{"results": [bench_request.ROW]}] * 3


def test_a_run_writes_each_client_against_each_server_into_its_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "before\n<!-- benchmark:request-cost -->\nold\n<!-- /benchmark:request-cost -->\nafter\n",
        encoding="utf-8",
    )
    args = ["--requests", "20", "--rounds", "2", "--busy-ms", "0.5", "--readme", str(readme)]
    run = run_benchmark("bench_request.py", *args, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = readme.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["before", "<!-- benchmark:request-cost -->"]
    assert lines[-2:] == ["<!-- /benchmark:request-cost -->", "after"]
    assert lines[2].startswith("Measured ")
    rows = [line.split(" | ") for line in lines if line.startswith("| ") and "---" not in line]
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("| usm-config (`HttpClient`)", "answers at once"),
        ("| httpx, default transport", "answers at once"),
        ("| usm-config (`HttpClient`)", "works 0.5 ms per request"),
        ("| httpx, default transport", "works 0.5 ms per request"),
    ]
    for row in rows[1:]:
        least, most = (float(ms) for ms in row[2].rstrip(" |").split(" to "))
        assert 0 < least <= most
    assert "old" not in lines
