"""The JSM adapter's offline files: the workflow guide and the checklist of manual steps.

The guide of each example is a golden file (``UPDATE_GOLDEN=1`` rewrites it); the checklist is
written by ``plan --artifacts`` against the sandbox and must hold every manual step of the plan
with its values in full.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support import assert_golden
from usm_jsm.guide import render_workflow_guide

from usm_config.blueprint.loader import load_blueprint
from usm_config.cli import cli

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden" / "artifacts"
EXAMPLES = {
    "municipality": ROOT / "blueprints" / "examples" / "municipality",
    "university": ROOT / "blueprints" / "examples" / "university.yaml",
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_workflow_guide_golden(name: str) -> None:
    blueprint = load_blueprint(EXAMPLES[name]).blueprint
    assert blueprint is not None
    guide = render_workflow_guide(blueprint)
    assert_golden(GOLDEN / f"{name}-workflow-guide.md", guide, shown=f"{name}-workflow-guide.md")


def test_dutch_guide_speaks_dutch() -> None:
    blueprint = load_blueprint(EXAMPLES["municipality"]).blueprint
    assert blueprint is not None
    guide = render_workflow_guide(blueprint)
    assert guide.startswith("# USM-workflows in Jira: Gemeente Lindeveen")
    assert "| # | Proces | Stap | Jira-status | Status die de stap zet |" in guide
    assert guide.count("## USM-workflow ") == 8


def test_plan_artifacts_list_every_manual_step_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "targets.yaml").write_text(
        f'targets:\n  jsm: {{adapter: jsm, url: "sandbox:", lock_dir: "{tmp_path}"}}\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    blueprint = str(EXAMPLES["university"])
    result = CliRunner().invoke(
        cli, ["plan", blueprint, "-t", "jsm", "-o", "json", "--artifacts", "out"]
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["manual-steps.md", "workflow-guide.md"]
    checklist = (out / "manual-steps.md").read_text(encoding="utf-8")
    assert checklist.startswith("# Manual steps in Jira: Northfield University Campus Services")
    assert checklist.count("- [ ] **queue `") == 5
    # The whole JQL, never cut to the width of a terminal.
    assert (
        '`project = NCS AND issuetype = "Service request" AND statusCategory != Done ORDER BY '
        "priority DESC, created ASC`" in checklist
    )
    assert checklist.count("- [ ] **SLA metric `") >= 2
    assert "- [ ] **automation rule `USM priority from impact and urgency`**" in checklist
