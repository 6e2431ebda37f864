"""``show --output json`` of the reference library holds exactly USM's eight workflows.

The expectations are written out from the USM domain reference (usm.md §1.2 step lists and
§2.1 workflow table and status rules), not derived from the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]
REFERENCE = "blueprints/usm-reference.yaml"

#: usm.md §2.1: number → (trigger, proactive, process path).
WORKFLOWS = {
    1: ("wish", False, ["agree", "change", "operate"]),
    2: ("request-for-change", False, ["change", "operate"]),
    3: ("incident", False, ["recover", "change", "operate"]),
    4: ("incident", False, ["recover", "operate"]),
    5: ("service-request", False, ["operate"]),
    6: ("risk", True, ["improve", "agree", "change", "operate"]),
    7: ("risk", True, ["improve", "change", "operate"]),
    8: ("risk", True, ["improve", "operate"]),
}

#: usm.md §1.2: the steps of each process, in order; the fork step is the one marked ★.
STEPS = {
    "agree": ["accept", "classify", "specify", "offer", "negotiate", "realize", "review", "close"],
    "change": [
        "accept",
        "classify",
        "plan",
        "prepare",
        "test",
        "deploy",
        "review",
        "update-mir",
        "close",
    ],
    "recover": ["accept", "classify", "analyze", "prepare", "recover", "review", "close"],
    "operate": ["accept", "classify", "plan", "execute", "review", "close"],
    "improve": [
        "identify",
        "classify",
        "determine-cause",
        "select-measure",
        "deploy-measure",
        "review",
        "close",
    ],
}

#: usm.md §2.1, "Exact template rules": the status each process's review step sets, per workflow.
REVIEW_STATUS = {
    ("agree", 1): "workflow fulfilled",
    ("agree", 6): "process fulfilled",
    ("change", 2): "workflow fulfilled",
    **{("change", wf): "process fulfilled" for wf in (1, 3, 6, 7)},
    ("recover", 3): "workflow fulfilled",
    ("recover", 4): "workflow fulfilled",
    ("operate", 5): "workflow fulfilled",
    **{("operate", wf): "process fulfilled" for wf in (1, 2, 3, 4, 6, 7, 8)},
    **{("improve", wf): "workflow fulfilled" for wf in (6, 7, 8)},
}


def _runs(*runs: tuple[str, int, int]) -> list[tuple[str, int]]:
    return [(process, n) for process, first, last in runs for n in range(first, last + 1)]


#: usm.md §2.1 execution semantics: a fork runs the next process, then the forking one resumes.
WF3_SEQUENCE = _runs(
    ("recover", 1, 5), ("change", 1, 6), ("operate", 1, 6), ("change", 7, 9), ("recover", 6, 7)
)


@pytest.fixture(scope="module")
def shown() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        result = CliRunner().invoke(cli, ["show", REFERENCE, "--output", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture(scope="module")
def by_number(shown: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {wf["number"]: wf for wf in shown["workflows"]}


def test_exactly_the_eight_workflows(shown: dict[str, Any]) -> None:
    numbers = [wf["number"] for wf in shown["workflows"]]
    assert sorted(numbers) == list(range(1, 9))


@pytest.mark.parametrize("number", sorted(WORKFLOWS))
def test_workflow_path_trigger_and_kind(number: int, by_number: dict[int, dict[str, Any]]) -> None:
    trigger, proactive, path = WORKFLOWS[number]
    wf = by_number[number]
    assert wf["path"] == path
    assert wf["trigger"] == trigger
    assert wf["proactive"] is proactive


def test_workflow_3_runs_recover_change_operate_change_recover(
    by_number: dict[int, dict[str, Any]],
) -> None:
    sequence = by_number[3]["sequence"]

    assert [(s["process"], s["number"]) for s in sequence] == WF3_SEQUENCE
    assert [s["step"] for s in sequence] == [STEPS[p][n - 1] for p, n in WF3_SEQUENCE]
    assert [s["position"] for s in sequence] == list(range(1, len(WF3_SEQUENCE) + 1))
    depth = {"recover": 0, "change": 1, "operate": 2}
    assert [s["depth"] for s in sequence] == [depth[p] for p, _ in WF3_SEQUENCE]
    forks = [(s["process"], s["step"]) for s in sequence if s.get("fork")]
    assert forks == [("recover", "recover"), ("change", "deploy")]


@pytest.mark.parametrize("number", sorted(WORKFLOWS))
def test_every_workflow_visits_each_step_of_its_path_once(
    number: int, by_number: dict[int, dict[str, Any]]
) -> None:
    sequence = by_number[number]["sequence"]
    path = WORKFLOWS[number][2]

    assert sorted((s["process"], s["step"]) for s in sequence) == sorted(
        (p, key) for p in path for key in STEPS[p]
    )
    # The initiating process starts and ends the workflow.
    assert sequence[0]["process"] == sequence[-1]["process"] == path[0]
    assert (sequence[0]["step"], sequence[-1]["step"]) == (STEPS[path[0]][0], "close")


@pytest.mark.parametrize("number", sorted(WORKFLOWS))
def test_statuses(number: int, by_number: dict[int, dict[str, Any]]) -> None:
    statuses = {
        (s["process"], s["step"]): s["status"]
        for s in by_number[number]["sequence"]
        if "status" in s
    }
    path = WORKFLOWS[number][2]

    expected = {(p, "review"): REVIEW_STATUS[(p, number)] for p in path}
    expected |= {(p, "close"): "closed" for p in path}
    if "improve" in path:
        expected[("improve", "determine-cause")] = "known error"
    assert statuses == expected
    # Exactly one step fulfils the workflow: the initiating process's review.
    fulfilled = [p for (p, _), status in statuses.items() if status == "workflow fulfilled"]
    assert fulfilled == [path[0]]


def test_five_processes_with_their_steps_and_forks(shown: dict[str, Any]) -> None:
    processes = {p["id"]: p for p in shown["processes"]}

    assert {pid: [s["key"] for s in p["steps"]] for pid, p in processes.items()} == STEPS
    forks = {pid: [s["key"] for s in p["steps"] if s.get("fork")] for pid, p in processes.items()}
    assert forks == {
        "agree": ["realize"],
        "change": ["deploy"],
        "recover": ["recover"],
        "operate": [],
        "improve": ["deploy-measure"],
    }


def test_five_call_types_each_start_one_process(shown: dict[str, Any]) -> None:
    assert {ct["id"]: ct["process"] for ct in shown["call_types"]} == {
        "wish": "agree",
        "request-for-change": "change",
        "incident": "recover",
        "service-request": "operate",
        "risk": "improve",
    }


def test_json_is_normalised(shown: dict[str, Any]) -> None:
    assert "extends" not in shown
    assert shown["usm"] == 1
