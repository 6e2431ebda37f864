"""``usm-config assess``: scores per process and workflow, with reasons, golden-filed.

Three sites: a fresh one (nothing of USM), one set up by hand from Jira's IT template (its
incident workflow stands in for Recover, with other states than USM's steps), and one the
university example was applied to (every workflow supported; Recover's steps renamed).
"""

from __future__ import annotations

import json
from pathlib import Path

from jsm_workspace import run, workspace
from support import assert_golden
from test_export_jsm_pure import legacy_records
from usm_jsm.export import export_records

from usm_config.blueprint.loader import load_blueprint
from usm_config.export.assess import assess
from usm_config.export.assess_render import render_text

__all__ = ["workspace"]  # the fixture the tests use

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"


def test_a_site_set_up_from_the_it_template() -> None:
    reference = load_blueprint(REPO / "blueprints" / "usm-reference.yaml").blueprint
    assert reference is not None
    exported = export_records(legacy_records(), reference)
    assert exported.evidence is not None
    assessment = assess(reference, exported.evidence, "legacy JSM site")
    recover = next(s for s in assessment.processes if s.name == "Recover")
    assert 40 <= recover.score < 100
    assert any("more" in r or "fewer" in r for r in recover.reasons)
    # Recover alone carries none of the eight paths: each also needs Operate or Change.
    assert [s.score for s in assessment.workflows] == [0] * 8
    assert_golden(GOLDEN / "assess-jsm-legacy-site.txt", render_text(assessment))


def test_a_fresh_site_supports_no_workflow(workspace: Path) -> None:
    result = run("assess", "-t", "jsm", "-o", "markdown")
    assert result.exit_code == 0, result.output
    assert "USM fit 0/100: 0 of 8 workflows supported end to end" in result.stdout
    assert_golden(GOLDEN / "assess-jsm-fresh-site.md", result.stdout)


def test_the_university_site_supports_every_workflow(workspace: Path) -> None:
    source = "blueprints/examples/university.yaml"
    assert run("apply", source, "-t", "jsm", "--auto-approve").exit_code == 0
    result = run("assess", "-t", "jsm", "-o", "json", "--out", "suggested")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [w["score"] for w in data["workflows"]] == [100] * 8
    recover = next(p for p in data["processes"] if p["name"] == "Recover")
    assert any("renamed" in r for r in recover["reasons"])
    assert run("validate", "suggested").exit_code == 0
    html = run("assess", "-t", "jsm", "-o", "html")
    assert html.stdout.startswith("<!DOCTYPE html>")


def test_a_workflow_is_supported_end_to_end_only_when_its_processes_are() -> None:
    from usm_config.blueprint.usm import ProcessId
    from usm_config.export.assess import Evidence, ProcessEvidence

    reference = load_blueprint(REPO / "blueprints" / "usm-reference.yaml").blueprint
    assert reference is not None
    operate = next(p for p in reference.processes if p.id == ProcessId.OPERATE)
    steps = tuple(s.name for s in operate.steps)

    def operate_workflow(states: tuple[str, ...]) -> int:
        found = ProcessEvidence(ProcessId.OPERATE, "workflow[Service requests]", states)
        scores = assess(reference, Evidence((found,)), "site").workflows
        return next(s.score for s in scores if s.name.startswith("5."))

    # Workflow 5 runs through Operate alone: it scores what Operate scores.
    assert operate_workflow(()) == 40
    assert operate_workflow(steps[:3]) == round(40 + 60 * 3 / len(steps))
    assert operate_workflow(steps) == 100


def test_a_dutch_tool_is_measured_by_the_dutch_step_names() -> None:
    from usm_config.blueprint.usm import ProcessId
    from usm_config.export.assess import Evidence, ProcessEvidence

    reference = load_blueprint(REPO / "blueprints" / "usm-reference.yaml").blueprint
    assert reference is not None
    operate = next(p for p in reference.processes if p.id == ProcessId.OPERATE)
    dutch = tuple(s.name_nl or s.name for s in operate.steps)
    assert dutch != tuple(s.name for s in operate.steps)
    found = ProcessEvidence(ProcessId.OPERATE, "workflow[USM Uitvoeren]", dutch, usm=True)
    assessment = assess(reference, Evidence((found,)), "site", locale="nl")
    score = next(s for s in assessment.processes if s.name == (operate.name_nl or ""))
    assert score.score == 100
    assert not any("renamed" in r for r in score.reasons), score.reasons
