"""The corpus of bad saved plans: ``apply --plan`` refuses each, located, before connecting.

Each case in ``tests/inputs/plans`` is a file ``NN-name.json`` with its expectations in the
sidecar ``NN-name.expect`` (see ``tests/bad_input.py``). Cut-short copies of a real saved plan,
an empty file and a folder are made by the tests here. Every refusal names the file and line,
says to make the plan again (or, for another kind of file, what it is and what --plan takes),
exits 1, and happens before the target is read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bad_input import REPO, Expected, assert_refused, cases, expectations
from test_plan_apply_cli import Workspace

CORPUS = REPO / "tests" / "inputs" / "plans"
MAKE_IT_AGAIN = "fix: make the plan again with 'usm-config plan --out FILE' and apply that"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, flow=False)


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The text of a real saved plan of the tiny blueprint on an empty sandbox."""
    folder = tmp_path_factory.mktemp("saved")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        assert Workspace(folder, flow=False).run("plan", "tiny.yaml", "--out", "plan.json")
    return (folder / "plan.json").read_text(encoding="utf-8")


def _refused_before_connecting(ws: Workspace, plan: str, *expected: Expected) -> None:
    result = ws.run("apply", "tiny.yaml", "--plan", plan)
    for want in expected:
        assert_refused(result, plan, want)
    assert result.stderr.count(": error[") == len(expected), result.stderr
    assert result.stdout == "", "refused before the target was read"
    if all(want.code == "PLAN006" for want in expected):  # another kind of file
        assert "--plan takes the file 'plan --out' wrote" in result.stderr
    else:
        assert MAKE_IT_AGAIN in result.stderr
    assert not (ws.folder / ".usm-sandbox").exists(), "the sandbox was not even opened"


@pytest.mark.parametrize("case", cases(CORPUS, ".json"), ids=lambda case: case.stem)
def test_a_bad_saved_plan_is_refused_located(ws: Workspace, case: Path) -> None:
    shutil.copy(case, ws.folder / "plan.json")
    expected = expectations(case.with_suffix(".expect"))

    _refused_before_connecting(ws, "plan.json", *expected)


@pytest.mark.parametrize("share", [0.02, 0.25, 0.5, 0.75, 0.999])
def test_a_cut_short_saved_plan_is_refused_where_it_ends(
    ws: Workspace, saved_plan: str, share: float
) -> None:
    cut = saved_plan[: int(len(saved_plan) * share)]
    Path("plan.json").write_text(cut, encoding="utf-8")
    last_line = cut.rstrip().count("\n") + 1

    result = ws.run("apply", "tiny.yaml", "--plan", "plan.json")

    assert result.exit_code == 1
    assert result.stderr.startswith(f"plan.json:{last_line}:"), result.stderr
    assert "error[FILE003] the saved plan ends in the middle of its JSON: it was cut short" in (
        result.stderr
    )
    assert MAKE_IT_AGAIN in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("content", ["", "\n\n  \n"], ids=["empty", "blank"])
def test_an_empty_saved_plan_is_refused(ws: Workspace, content: str) -> None:
    Path("plan.json").write_text(content, encoding="utf-8")
    _refused_before_connecting(
        ws, "plan.json", Expected(1, 1, "FILE003", "the saved plan is empty")
    )


def test_a_folder_given_as_the_saved_plan_is_refused(ws: Workspace) -> None:
    Path("plan.json").mkdir()
    result = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "plan.json: error[FILE001] the saved plan is a folder, not a file\n"
        "    fix: make the plan again"
    ), result.stderr


def test_a_real_saved_plan_edited_by_hand_is_refused_at_its_fingerprint(
    ws: Workspace, saved_plan: str
) -> None:
    edited = saved_plan.replace('"Office hours"', '"Office hours (edited)"', 1)
    assert edited != saved_plan
    Path("plan.json").write_text(edited, encoding="utf-8")
    line = next(n for n, text in enumerate(edited.splitlines(), 1) if '"plan_fingerprint"' in text)
    _refused_before_connecting(
        ws,
        "plan.json",
        Expected(line, 3, "PLAN005", "plan_fingerprint: the plan's content does not match"),
    )


def test_a_saved_plan_given_as_the_blueprint_says_how_to_apply_it(
    ws: Workspace, saved_plan: str
) -> None:
    """``apply plan.json``, as Terraform applies a plan file: one error, with the command that
    applies it, and nothing is read from the target."""
    (ws.folder / "plan.json").write_text(saved_plan, encoding="utf-8")
    result = ws.run("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.count(": error[") == 1, result.stderr
    assert "plan.json:1:1: error[LOAD014] this is a saved plan" in result.stderr
    assert "usm-config apply tiny.yaml --target sandbox --plan plan.json" in result.stderr
    assert not (ws.folder / ".usm-sandbox").exists(), "the sandbox was not even opened"
