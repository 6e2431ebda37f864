"""An output path blocked by a file (a saved plan, the schema) is refused with what is wrong
and what to do, exit 1, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_plan_apply_cli import Workspace

from usm_config.cli import cli

IN_THE_WAY = "is a file where a folder is needed; choose another path or move the file aside"
A_PART = "a part of the path before the file name is a file, not a folder"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    Path("afile").write_text("in the way\n", encoding="utf-8")
    return Workspace(tmp_path, flow=False)


@pytest.mark.parametrize(
    ("out", "said"),
    [("afile/plan.json", f"error: afile: {IN_THE_WAY}\n"), ("afile/sub/plan.json", A_PART)],
    ids=["folder-is-a-file", "grandparent-is-a-file"],
)
def test_a_saved_plan_blocked_by_a_file_is_refused(ws: Workspace, out: str, said: str) -> None:
    result = ws.run("plan", "tiny.yaml", "--out", out)

    assert result.exit_code == 1
    assert said in result.stderr
    assert Path("afile").read_text(encoding="utf-8") == "in the way\n"


def test_the_schema_blocked_by_a_file_is_refused(ws: Workspace) -> None:
    result = CliRunner().invoke(cli, ["schema", "--out", "afile/schema.json"])

    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (
        result.stderr
        == f"error: afile/schema.json: {A_PART}; choose another path or move that file aside\n"
    )
