"""A plan one of whose answers is JSON of another shape than the tool's API documents (here a
row of Jira's issue types that is a number) exits 1 with one located line: what was being
read, what was wrong, where the reading stopped, what to check. No traceback."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import REPO
from usm_jsm.adapter import JsmAdapter

from usm_config.cli import cli
from usm_config.testing.mangle import MangledAnswers


def test_a_plan_answered_in_another_shape_says_what_and_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(REPO / "targets.yaml", tmp_path / "targets.yaml")
    shutil.copy(REPO / "blueprints" / "usm-reference.yaml", tmp_path / "usm.yaml")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    plan = ["plan", "usm.yaml", "--target", "sandbox-jsm", "-o", "summary"]
    assert runner.invoke(cli, plan).exit_code == 0

    emulator = JsmAdapter.sandbox_app
    mangled: list[MangledAnswers] = []

    def answering_oddly(self: JsmAdapter, state_file: Path | None, **knobs: Any) -> Any:
        mangled.append(MangledAnswers(emulator(self, state_file, **knobs), 1))
        return mangled[-1]

    monkeypatch.setattr(JsmAdapter, "sandbox_app", answering_oddly)
    result = runner.invoke(cli, plan)

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: reading the ")
    assert "an answer is JSON, but not shaped as the tool's API documents: " in line
    assert "(at usm_jsm/" in line
    assert line.endswith(
        "check that the target's URL reaches the tool itself (not a proxy or a login page) and "
        "that its API is a version usm-config supports; --verbose logs every request"
    )
    assert mangled[0].mangled is not None
