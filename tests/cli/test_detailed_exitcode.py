"""``plan --detailed-exitcode``: 0 no changes, 2 changes, and 1 for every error, usage too.

Without the flag a usage error keeps click's exit code 2; with it, 2 would read as drift in a
nightly check, so a misspelt option, a missing path or a bad value exits 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_plan_apply_cli import Workspace

from usm_config.cli import cli

USAGE_ERRORS = {
    "no blueprint path": (["plan"], "Missing argument 'PATH'"),
    "misspelt option": (["plan", "tiny.yaml", "--targts", "t.yaml"], "No such option '--targts'"),
    "misspelt flag": (["plan", "tiny.yaml", "--prnue"], "No such option '--prnue'"),
    "bad output format": (["plan", "tiny.yaml", "-o", "jsn"], "'jsn' is not one of"),
    "limit out of range": (
        ["plan", "tiny.yaml", "--mass-change-limit", "2"],
        "2.0 is not in the range 0<x<=1",
    ),
    "extra argument": (["plan", "tiny.yaml", "other.yaml"], "unexpected extra argument"),
    "misspelt command": (["plann", "tiny.yaml"], "No such command 'plann'"),
    "misspelt global option": (["--verbos", "plan", "tiny.yaml"], "No such option '--verbos'"),
    "targets file is a folder": (["plan", "tiny.yaml", "--targets", "."], "is a directory"),
}


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, flow=False)


@pytest.mark.parametrize("name", sorted(USAGE_ERRORS))
def test_a_usage_error_exits_1_under_detailed_exitcode(ws: Workspace, name: str) -> None:
    args, message = USAGE_ERRORS[name]
    result = CliRunner().invoke(cli, [*args, "--detailed-exitcode"])
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("name", sorted(USAGE_ERRORS))
def test_a_usage_error_keeps_exit_2_without_it(ws: Workspace, name: str) -> None:
    args, message = USAGE_ERRORS[name]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_misspelt_detailed_exitcode_is_not_read_as_drift(ws: Workspace) -> None:
    result = CliRunner().invoke(cli, ["plan", "tiny.yaml", "--detailed-exitcod"])
    assert result.exit_code == 1
    assert "No such option '--detailed-exitcod'" in result.output


def test_exit_2_still_means_changes(ws: Workspace) -> None:
    result = ws.run("plan", "tiny.yaml", "--detailed-exitcode", "-o", "summary")
    assert result.exit_code == 2
    assert "to create" in result.stdout


@pytest.mark.parametrize("flags", [[], ["--detailed-exitcode"]], ids=["plain", "detailed"])
def test_a_missing_blueprint_path_is_a_located_error_with_exit_1(
    ws: Workspace, flags: list[str]
) -> None:
    result = CliRunner().invoke(cli, ["plan", "missing.yaml", *flags])
    assert result.exit_code == 1, result.output
    assert "missing.yaml: error[LOAD001] no such file or directory: missing.yaml" in result.output
    assert "Traceback" not in result.output
