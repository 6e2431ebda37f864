"""``-v/--verbose`` before or after the command: one log line per request, nothing else."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]

TARGETS = """\
targets:
  sandbox: {adapter: servicenow, url: "sandbox:", lock_dir: state}
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(REPO / "blueprints" / "usm-reference.yaml", tmp_path / "reference.yaml")
    (tmp_path / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "plan", "reference.yaml", "-o", "summary"],
        ["plan", "reference.yaml", "-o", "summary", "-v"],
        ["plan", "reference.yaml", "--verbose", "-o", "summary"],
    ],
    ids=["before", "after", "between"],
)
def test_verbose_anywhere_logs_one_line_per_request(
    workspace: Path, argv: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    loggers = {record.name for record in caplog.records}
    assert loggers == {"usm_config.http"}, loggers
    requests = [r.getMessage() for r in caplog.records]
    assert requests, "no request was logged"
    # One line per request: the ServiceNow plan reads through the Batch API, one POST a page.
    assert all(" -> 200 in " in line and "(attempt 1/" in line for line in requests), requests


def test_verbose_after_a_double_dash_is_an_argument(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "--", "-v"])
    assert result.exit_code != 0
    assert "-v" in result.output
