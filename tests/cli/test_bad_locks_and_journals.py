"""The corpora of bad lock files and journals: plan and apply refuse each, located, at once.

Each case in ``tests/inputs/locks`` (``NN-name.json``) and ``tests/inputs/journals``
(``NN-name.jsonl``) has its expectations in the sidecar ``NN-name.expect`` (see
``tests/bad_input.py``). The case is put where the tiny workspace keeps its lock file or
journal; ``plan`` and ``apply`` must refuse it with the file, the line and what to do, exit 1,
and read nothing from the target (the lock and the journal are checked first).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bad_input import REPO, Expected, assert_refused, cases, expectations
from test_plan_apply_cli import Workspace

LOCKS = REPO / "tests" / "inputs" / "locks"
JOURNALS = REPO / "tests" / "inputs" / "journals"
LOCK = ".usm-sandbox/tiny.sandbox.lock.json"
JOURNAL = ".usm-sandbox/tiny.sandbox.lock.journal.jsonl"
LOCK_FIX = "move it aside and run plan: records it listed are taken over again by their natural key"
JOURNAL_FIX = "fix: move the journal aside and run plan: records the interrupted apply created are"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".usm-sandbox").mkdir()
    return Workspace(tmp_path, flow=False)


def _command(case: Path) -> str:
    """Both commands read the lock and the journal the same way before connecting: even-numbered
    cases go through ``apply``, odd ones through ``plan``, so each command meets every class."""
    return "apply" if int(case.name.split("-", 1)[0]) % 2 == 0 else "plan"


def _refused(ws: Workspace, command: str, shown: str, fix: str, *expected: Expected) -> None:
    extra = ["--auto-approve"] if command == "apply" else []
    result = ws.run(command, "tiny.yaml", *extra)
    for want in expected:
        assert_refused(result, shown, want)
    assert result.stderr.count(": error[") == len(expected), result.stderr
    assert fix in result.stderr
    assert result.stdout == "", "refused before the target was read or written"


@pytest.mark.parametrize("case", cases(LOCKS, ".json"), ids=lambda case: case.stem)
def test_a_bad_lock_file_is_refused_located(ws: Workspace, case: Path) -> None:
    command = _command(case)
    shutil.copy(case, LOCK)
    _refused(ws, command, LOCK, LOCK_FIX, *expectations(case.with_suffix(".expect")))
    assert Path(LOCK).read_bytes() == case.read_bytes(), "the lock file is left as it was"


@pytest.mark.parametrize("case", cases(JOURNALS, ".jsonl"), ids=lambda case: case.stem)
def test_a_bad_journal_is_refused_located(ws: Workspace, case: Path) -> None:
    command = _command(case)
    shutil.copy(case, JOURNAL)
    _refused(ws, command, JOURNAL, JOURNAL_FIX, *expectations(case.with_suffix(".expect")))
    assert Path(JOURNAL).read_bytes() == case.read_bytes(), "the journal is left as it was"
    assert not Path(LOCK).exists()


@pytest.mark.parametrize(
    ("shown", "what", "fix"), [(LOCK, "lock file", LOCK_FIX), (JOURNAL, "journal", JOURNAL_FIX)]
)
def test_a_folder_where_the_file_belongs_is_refused(
    ws: Workspace, shown: str, what: str, fix: str
) -> None:
    Path(shown).mkdir()
    result = ws.run("plan", "tiny.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{shown}: error[FILE001] the {what} is a folder, not a file\n")
    assert fix in result.stderr


@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_a_cut_short_lock_file_is_refused_where_it_ends(ws: Workspace, share: float) -> None:
    text = (LOCKS / "_valid.json").read_text(encoding="utf-8")
    cut = text[: int(len(text) * share)]
    Path(LOCK).write_text(cut, encoding="utf-8")
    result = ws.run("plan", "tiny.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{LOCK}:{cut.rstrip().count(chr(10)) + 1}:"), result.stderr
    assert "error[FILE003] the lock file ends in the middle of its JSON: it was cut short" in (
        result.stderr
    )


def test_an_empty_lock_file_is_refused(ws: Workspace) -> None:
    Path(LOCK).write_text("", encoding="utf-8")
    _refused(ws, "plan", LOCK, LOCK_FIX, Expected(1, 1, "FILE003", "the lock file is empty"))


def test_the_valid_lock_file_and_journal_of_the_corpora_are_read(ws: Workspace) -> None:
    """The corpora's cases are refused for what they break, not for what they share."""
    shutil.copy(LOCKS / "_valid.json", LOCK)
    shutil.copy(JOURNALS / "_valid.jsonl", JOURNAL)
    result = ws.run("plan", "tiny.yaml")
    assert result.exit_code == 0, result.stderr
    assert "managed record is gone from the target; it is created again" in result.stdout


@pytest.mark.parametrize("tail", ["", '{"action": "create", "chan'], ids=["empty", "cut-line"])
def test_a_journal_cut_short_by_a_crash_is_read(ws: Workspace, tail: str) -> None:
    """An empty journal, or one whose last line lost its end, is what a crash leaves: the
    write that line announced was never sent, so the journal is used as it is."""
    good = (JOURNALS / "_valid.jsonl").read_text(encoding="utf-8") if tail else ""
    Path(JOURNAL).write_text(good + tail, encoding="utf-8")
    result = ws.run("plan", "tiny.yaml")
    assert result.exit_code == 0, result.stderr


def test_a_folder_where_the_apply_lock_belongs_is_refused(ws: Workspace) -> None:
    Path(LOCK + ".apply-lock").mkdir()
    result = ws.run("apply", "tiny.yaml", "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {LOCK}.apply-lock: Is a directory; check that the path names a file in a "
        "folder this user can write\n"
    )
