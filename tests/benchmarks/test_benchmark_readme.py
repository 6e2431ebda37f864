"""The benchmarks write their tables into the README's marked blocks (benchmarks/readme.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import BENCHMARKS, benchmark_module, run_benchmark

readme = benchmark_module("readme")
README = BENCHMARKS.parent / "README.md"

TEXT = """# Title
before
<!-- benchmark:curve-jsm -->
old table
<!-- /benchmark:curve-jsm -->
after
"""


def test_a_block_is_replaced_and_the_rest_is_kept() -> None:
    replaced = readme.replace_block(TEXT, "curve-jsm", "| a |\n|---|")
    assert replaced == TEXT.replace("old table\n", "| a |\n|---|\n")


@pytest.mark.parametrize(
    ("text", "where", "fix"),
    [
        (TEXT.replace("<!-- benchmark:curve-jsm -->\n", ""), "README.md: no line", "Add the pair"),
        (TEXT.replace("<!-- /benchmark:curve-jsm -->\n", ""), "README.md: no line", "Add the pair"),
        (TEXT + "<!-- benchmark:curve-jsm -->\n", "README.md:7: ", "Keep one pair"),
        (
            "<!-- /benchmark:curve-jsm -->\nx\n<!-- benchmark:curve-jsm -->\n",
            "README.md:1: ",
            "Put",
        ),
    ],
    ids=["no begin", "no end", "begin twice", "end first"],
)
def test_markers_out_of_place_are_a_located_error(text: str, where: str, fix: str) -> None:
    with pytest.raises(readme.BlockError) as caught:
        readme.replace_block(text, "curve-jsm", "new")
    assert str(caught.value).startswith(where)
    assert fix in str(caught.value)


#: Lines of Markdown without line breaks of their own and without markers.
lines = st.text(
    st.characters(
        blacklist_categories=("Cs", "Zl", "Zp", "Cc"),
        blacklist_characters="\x85",
    ),
    max_size=20,
).filter(lambda line: "benchmark:" not in line)


@given(
    before=st.lists(lines, max_size=5),
    after=st.lists(lines, max_size=5),
    body=st.lists(lines, min_size=1, max_size=5),
)
def test_replacing_keeps_everything_outside_the_block(
    before: list[str], after: list[str], body: list[str]
) -> None:
    head = "".join(f"{line}\n" for line in before)
    tail = "".join(f"{line}\n" for line in after)
    content = "\n".join(body)
    # The block's lines end in a line break, added when the body's last line has none.
    lines_of_body = content if content.endswith("\n") else content + "\n"
    begin, end = "<!-- benchmark:steps-jsm -->\n", "<!-- /benchmark:steps-jsm -->\n"
    once = readme.replace_block(f"{head}{begin}old\n{end}{tail}", "steps-jsm", content)
    assert once == f"{head}{begin}{lines_of_body}{end}{tail}"
    assert readme.replace_block(once, "steps-jsm", content) == once


def test_the_readme_has_a_block_for_every_table_the_benchmarks_write() -> None:
    """Each block is there once and holds what a run wrote: the line saying how it was
    measured, then a table."""
    text = README.read_text(encoding="utf-8")
    for name in readme.BLOCKS:
        readme.replace_block(text, name, "checked")
        body = text.split(readme.begin_marker(name) + "\n", 1)[1]
        body = body.split(readme.end_marker(name), 1)[0]
        assert body.startswith("Measured "), name
        assert "\n| " in body and "|---" in body, name


def test_a_benchmark_writes_its_table_into_the_readme(tmp_path: Path) -> None:
    """bench_apply.py --readme, run as documented (a few services, no latency): its block holds
    the run's table and how it was measured; the README's other lines stay as they were."""
    copy = tmp_path / "README.md"
    copy.write_text(TEXT.replace("curve-jsm", "steps-jsm"), encoding="utf-8")
    args = ["--adapter", "jsm", "--services", "3", "--latency-ms", "0", "--readme", str(copy)]
    run = run_benchmark("bench_apply.py", *args)
    assert run.returncode == 0, run.stderr[-3000:]
    written = copy.read_text(encoding="utf-8").splitlines()
    assert written[:3] == ["# Title", "before", "<!-- benchmark:steps-jsm -->"]
    assert written[-2:] == ["<!-- /benchmark:steps-jsm -->", "after"]
    assert written[3].startswith("Measured ")
    assert written[3].endswith(
        f"Python {sys.version.split()[0]}: `python benchmarks/bench_apply.py "
        "--adapter jsm --services 3 --latency-ms 0`"
    )
    table = written[4:-2]
    assert "jsm: 3 services, 0 ms latency, parallelism 8" in table[1]
    steps = [line.split(" | ")[0] for line in table if line.startswith("| ")]
    assert steps == ["| step", "| plan (empty instance)", "| apply", "| plan (converged)"]
    assert any(line.startswith("Records the converged plan read: ") for line in table)
    assert "old table" not in copy.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ["peer_jsm_script.py", "--services", "5", "--readme", "../README.md"],
        ["../benchmarks/peer_jsm_script.py", "--readme=README.md", "--services", "5"],
    ],
)
def test_the_measured_command_is_given_from_the_root_without_where_it_was_written(
    argv: list[str],
) -> None:
    assert readme.provenance(argv).endswith(": `python benchmarks/peer_jsm_script.py --services 5`")


@pytest.mark.parametrize(
    ("script", "content"),
    [
        ("bench_apply.py", TEXT),
        ("peer_topdesk_script.py", TEXT),
        ("bench_apply.py", None),
    ],
    ids=["no block for the table", "no block for the peer table", "no README"],
)
def test_a_readme_that_cannot_take_the_table_stops_the_run_before_it_measures(
    tmp_path: Path, script: str, content: str | None
) -> None:
    target = tmp_path / "README.md"
    if content is not None:
        target.write_text(content, encoding="utf-8")
    run = run_benchmark(script, "--readme", str(target), timeout=120)
    assert run.returncode == 1
    assert run.stdout == ""  # nothing was measured
    assert run.stderr.startswith(f"error: {target}")
    assert "Traceback" not in run.stderr
    assert (
        "Add the pair of marker lines" if content else "Point --readme at the README"
    ) in run.stderr
