"""A sandbox whose state file is damaged (or not a sandbox's): every command that opens it
says which file and how to start afresh, exit 1; ``sandbox reset`` starts it afresh."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_plan_apply_cli import Workspace

from usm_config.cli import cli

STATE = Path(".usm-sandbox/sandbox.sqlite3")


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    STATE.parent.mkdir()
    STATE.write_bytes(b"garbage " * 512)
    return Workspace(tmp_path, flow=False)


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_damaged_state_is_refused_with_how_to_start_afresh(ws: Workspace, command: str) -> None:
    extra = ["--auto-approve"] if command == "apply" else []

    result = ws.run(command, "tiny.yaml", *extra)

    assert result.exit_code == 1
    assert result.stderr == (
        "error: the state of sandbox target 'sandbox': .usm-sandbox/sandbox.sqlite3 cannot be "
        "opened (file is not a database); it is damaged or not a sandbox's: start the sandbox "
        "afresh with 'usm-config sandbox reset tiny.yaml --target sandbox'\n"
    )
    assert STATE.read_bytes() == b"garbage " * 512, "left as it was"


def test_reset_starts_a_damaged_sandbox_afresh(ws: Workspace) -> None:
    reset = ws.run("sandbox", "reset", "tiny.yaml")
    planned = ws.run("plan", "tiny.yaml", "-o", "summary")

    assert reset.exit_code == 0, reset.output
    assert planned.exit_code == 0, planned.output
    assert ws.expected_summary() in planned.stdout


def test_serve_refuses_a_damaged_state(ws: Workspace) -> None:
    result = CliRunner().invoke(
        cli, ["sandbox", "serve", "servicenow", "--port", "18999", "--state", str(STATE)]
    )

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: .usm-sandbox/sandbox.sqlite3 cannot be opened (file is not a database): it is "
        "damaged or not a sandbox's; move it aside or name another --state\n"
    )
