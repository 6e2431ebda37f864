"""``usm-config export`` on the JSM sandbox: apply an example, export it, plan the export.

The round trip holds when the exported blueprint, planned against the site it came from,
changes nothing: every record it compiles to is on the site as it is, and the only entries
left are manual steps that were pending for the original blueprint too (queues and portal
groups are manual on JSM). The exported files and the findings are golden files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsm_workspace import (
    addresses,
    apply_and_export,
    plan_json,
    reference_classification,
    run,
    workspace,
)
from support import assert_golden

__all__ = ["workspace"]  # the fixture the tests use

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
#: Jira gives workflows and groups random UUIDs; the golden files show where one stood.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EXAMPLES = {
    "university": REPO / "blueprints" / "examples" / "university.yaml",
    "municipality": REPO / "blueprints" / "examples" / "municipality",
}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_apply_export_plan_changes_nothing(workspace: Path, example: str) -> None:
    source = str(EXAMPLES[example].relative_to(REPO))
    applied = run("apply", source, "-t", "jsm", "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    pending_before = addresses(plan_json(source, "jsm"), "manual")

    exported = run("export", "-t", "jsm", "--out", "exported")
    assert exported.exit_code == 0, exported.output
    assert "0 differ, 0 would be created" in exported.output

    valid = run("validate", "exported")
    assert valid.exit_code == 0, valid.output
    # The records stay with the blueprint that applied them: the export agrees with it on
    # every one (owned, no difference) and leaves only the manual steps that were pending.
    plan = plan_json("exported", "jsm")
    changes = plan["changes"]
    assert isinstance(changes, list)
    assert {c["action"] for c in changes} <= {"manual", "owned"}, changes
    assert all(not c["diff"] for c in changes if c["action"] == "owned")
    assert addresses(plan, "manual") <= pending_before
    assert not plan["duplicates"]

    for name in sorted(p.name for p in (workspace / "exported").iterdir()):
        text = (workspace / "exported" / name).read_text(encoding="utf-8")
        assert_golden(GOLDEN / f"jsm-{example}" / name, UUID.sub("<uuid>", text))


def test_export_adopt_manages_a_site_no_blueprint_claims(workspace: Path) -> None:
    source = "blueprints/examples/university.yaml"
    assert run("apply", source, "-t", "jsm", "--auto-approve", "-o", "summary").exit_code == 0
    # The blueprint that set the site up is gone; only the site is left.
    (workspace / "state" / "university.jsm.lock.json").unlink()

    without = run("export", "-t", "jsm", "--out", "exported")
    assert without.exit_code == 0, without.output
    plan = plan_json("exported", "jsm")
    changes = plan["changes"]
    assert isinstance(changes, list)
    assert {c["action"] for c in changes} <= {"manual", "adopt"}
    assert all(not c["diff"] for c in changes if c["action"] == "adopt")

    adopted = run("export", "-t", "jsm", "--out", "exported", "--adopt")
    assert adopted.exit_code == 0, adopted.output
    assert "adopted 176 record(s) in state/exported.jsm.lock.json" in adopted.output
    assert {c["action"] for c in plan_json("exported", "jsm")["changes"]} <= {"manual"}  # type: ignore[union-attr]


def test_export_adopt_leaves_records_another_blueprint_manages(workspace: Path) -> None:
    source = "blueprints/examples/university.yaml"
    assert run("apply", source, "-t", "jsm", "--auto-approve", "-o", "summary").exit_code == 0
    result = run("export", "-t", "jsm", "--out", "exported", "--adopt")
    assert result.exit_code == 0, result.output
    assert "adopted 0 record(s)" in result.output
    assert (
        "176 record(s) stay with another blueprint's lock file state/university.jsm.lock.json; "
        "plan --take-over adopts them" in result.output
    )


def test_export_of_a_fresh_site_lists_what_is_not_usm(workspace: Path) -> None:
    exported = run("export", "-t", "jsm", "--out", "exported")
    assert exported.exit_code == 0, exported.output
    assert run("validate", "exported").exit_code == 0
    report = (workspace / "exported" / "export-report.md").read_text(encoding="utf-8")
    assert "no service project set up the USM way" in report
    assert "one of Jira's own groups, not a USM team" in report
    assert_golden(GOLDEN / "jsm-fresh-site" / "export-report.md", UUID.sub("<uuid>", report))


def test_export_refuses_a_folder_of_another_blueprint(workspace: Path) -> None:
    target = workspace / "mine"
    target.mkdir()
    (target / "services.yaml").write_text("services: []\n", encoding="utf-8")
    (target / "extra.yaml").write_text("teams: []\n", encoding="utf-8")
    result = run("export", "-t", "jsm", "--out", "mine")
    assert result.exit_code == 1
    said = "already holds blueprint files that are not a previous export's"
    assert f"{said} (extra.yaml, services.yaml)" in result.output
    assert (target / "extra.yaml").exists()


def test_export_replaces_a_previous_export_but_not_a_file_of_the_same_name_written_by_hand(
    workspace: Path,
) -> None:
    """A second export into the folder replaces the first one's files (and removes those it no
    longer writes); a file named like one of them that no export wrote is neither."""
    first = run("export", "-t", "jsm", "--out", "mine")
    again = run("export", "-t", "jsm", "--out", "mine")
    assert (first.exit_code, again.exit_code) == (0, 0), again.output
    services = workspace / "mine" / "services.yaml"
    services.write_text("# my own services, written by hand\nservices: []\n", encoding="utf-8")

    refused = run("export", "-t", "jsm", "--out", "mine")

    assert refused.exit_code == 1
    assert "not a previous export's (services.yaml)" in refused.output
    assert services.read_text(encoding="utf-8").startswith("# my own services")


def test_export_refuses_a_file_as_out(workspace: Path) -> None:
    (workspace / "plain").write_text("x", encoding="utf-8")
    result = run("export", "-t", "jsm", "--out", "plain")
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_a_dutch_sites_own_category_and_level_names_export_under_name_nl(workspace: Path) -> None:
    """A Dutch site's categories and impact levels export in Dutch under ``name_nl``: those the
    library knows (by their Dutch name) beside the library's English ``name``, impact levels
    named otherwise (known by their place among the field's options) too, a new category with
    its Dutch name for both; and the export plans without a change."""
    classification = reference_classification()
    classification["categories"]["incident"].append(
        {"id": "planned-maintenance", "name": "Gepland onderhoud"}
    )
    classification["priority"]["rows"][0]["name_nl"] = "Zeer groot"
    classification["priority"]["rows"][2]["name_nl"] = "Klein"
    written = apply_and_export("jsm", classification)
    incident = written["classification"]["categories"]["incident"]
    assert [c["id"] for c in incident] == [
        "unavailable",
        "degraded",
        "threatening-failure",
        "gepland-onderhoud",
    ]
    assert incident[0] == {
        "id": "unavailable",
        "name": "Service unavailable",
        "name_nl": "Dienst niet beschikbaar",
    }
    assert incident[1]["children"][0] == {"id": "slow", "name": "Slow", "name_nl": "Traag"}
    assert incident[3] == {
        "id": "gepland-onderhoud",
        "name": "Gepland onderhoud",
        "name_nl": "Gepland onderhoud",
    }
    impact = written["classification"]["priority"]["rows"]
    assert impact[0] == {"id": "high", "name": "High", "name_nl": "Zeer groot"}
    assert impact[1] == {"id": "medium", "name": "Medium", "name_nl": "Gemiddeld"}
    assert impact[2] == {"id": "low", "name": "Low", "name_nl": "Klein"}

    plan = plan_json("exported", "jsm")
    changes = plan["changes"]
    assert isinstance(changes, list)
    assert {c["action"] for c in changes} <= {"manual", "owned"}, changes
    assert all(not c["diff"] for c in changes if c["action"] == "owned")
