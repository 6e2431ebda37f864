"""``usm-config migrate``: the municipality applied to JSM, carried to ServiceNow.

The fidelity report is golden-filed in Markdown; the exit code says whether anything was lost
(JSM cannot read SLA calendars and metrics, so the agreements are); ``--apply`` writes the
exported blueprint to ServiceNow and ServiceNow converges on it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support import assert_golden

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"

TARGETS = """\
targets:
  jsm: {adapter: jsm, url: "sandbox:", lock_dir: state}
  servicenow: {adapter: servicenow, url: "sandbox:", lock_dir: state}
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    (tmp_path / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    source = "blueprints/examples/municipality"
    applied = run("apply", source, "-t", "jsm", "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    return tmp_path


def run(*argv: str) -> Result:
    result = CliRunner().invoke(cli, list(argv))
    assert "Traceback" not in result.output, result.output
    return result


def test_migrate_reports_every_element_and_exits_2_for_what_is_lost(workspace: Path) -> None:
    result = run("migrate", "--from", "jsm", "--to", "servicenow", "-o", "markdown")
    assert result.exit_code == 2, result.output
    assert_golden(GOLDEN / "migrate-municipality-jsm-to-servicenow.md", result.stdout)


def test_migrate_json_names_each_landing(workspace: Path) -> None:
    result = run("migrate", "--from", "jsm", "--to", "servicenow", "-o", "json")
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert data["lost"] is True
    landings = {e["landing"] for e in data["elements"]}
    assert "API record" in landings
    services = [e for e in data["elements"] if e["what"] == "service"]
    assert len(services) == 21
    assert all(e["records"] for e in services)
    assert [f["kind"] for f in data["lost_on_export"]] == ["unreadable"]


def test_migrate_html_report_is_one_page(workspace: Path) -> None:
    result = run(
        "migrate", "--from", "jsm", "--to", "servicenow", "-o", "html", "--report", "r.html"
    )
    assert result.exit_code == 2
    page = (workspace / "r.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<table>") >= 2
    assert "Digitale werkplek" in page


def test_migrate_apply_writes_the_export_to_the_other_tool(workspace: Path) -> None:
    result = run(
        "migrate",
        "--from",
        "jsm",
        "--to",
        "servicenow",
        "--out",
        "migrated",
        "--apply",
        "--auto-approve",
    )
    assert result.exit_code == 2, result.output  # the agreements stayed behind in JSM
    assert "Converged" in result.output
    again = run("plan", "migrated", "-t", "servicenow", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_migrate_apply_needs_out(workspace: Path) -> None:
    result = run("migrate", "--from", "jsm", "--to", "servicenow", "--apply")
    assert result.exit_code == 1
    assert "keep it with --out DIR" in result.output


def test_every_element_without_a_record_says_why(workspace: Path) -> None:
    result = run("migrate", "--from", "jsm", "--to", "servicenow", "-o", "json")
    data = json.loads(result.stdout)
    unexplained = [e for e in data["elements"] if e["why"] == "the adapter writes no record for it"]
    assert unexplained == []
    by_path = {e["path"]: e for e in data["elements"]}
    # Improve's first step uses the state ServiceNow has out of the box, as it is: it arrives
    # under the platform's label, and the report says so.
    identify = by_path["processes[4].steps[0]"]
    assert identify["name"] == "Identificeren risico's"  # the blueprint's locale
    assert identify["landing"] == "API record"
    assert "problem.state 101 'New'" in identify["why"]
    assert identify["changed"] == "shown as 'New'"
    # A step with a state of its own keeps its name.
    assert by_path["processes[4].steps[3]"]["changed"] == ""
    recover = by_path["processes[2]"]
    assert recover["landing"] == "not representable"
    assert "knowledge article" in recover["why"]
    assert "13 changed on the way" in data["summary"]
