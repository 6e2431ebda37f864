"""``usm-config export`` and ``assess`` on the TOPdesk sandbox.

The round trip holds when the exported blueprint, planned against the tenant it came from,
changes nothing: every record it compiles to is on the tenant as it is (the operator groups,
services and the workflow knowledge items, whose content is rebuilt from the processes,
workflows and profiles read back from them), and the only entries left are checklist items
that were pending for the original blueprint too. The exported files, the export report of a
new tenant and its assessment are golden files.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from jsm_workspace import addresses, apply_and_export, plan_json, reference_classification, run
from support import assert_golden
from topdesk_workspace import readable, workspace

from usm_config.adapter import SupportsSandbox, load_adapter

__all__ = ["workspace"]  # the fixture the tests use

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
TARGET = "sandbox-topdesk"
EXAMPLES = {
    "university": REPO / "blueprints" / "examples" / "university.yaml",
    "municipality": REPO / "blueprints" / "examples" / "municipality",
}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_apply_export_plan_changes_nothing(workspace: Path, example: str) -> None:
    source = str(EXAMPLES[example].relative_to(REPO))
    applied = run("apply", source, "-t", TARGET, "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    pending_before = addresses(plan_json(source, TARGET), "manual")
    lock = json.loads(next((workspace / "state").glob("*.lock.json")).read_text("utf-8"))
    written = {f"{r['kind']}[{'/'.join(r['key'])}]" for r in lock["records"].values()}

    exported = run("export", "--target", TARGET, "--out", "exported")
    assert exported.exit_code == 0, exported.output
    assert "0 differ, 0 would be created" in exported.output

    valid = run("validate", "exported")
    assert valid.exit_code == 0, valid.output
    plan = plan_json("exported", TARGET)
    changes = plan["changes"]
    assert isinstance(changes, list)
    assert {c["action"] for c in changes} <= {"manual", "owned"}, changes
    assert all(not c["diff"] for c in changes if c["action"] == "owned")
    # Every record the example wrote comes back, the workflow knowledge items among them.
    assert addresses(plan, "owned") == written
    assert any(a.startswith("knowledge_item[") for a in written)
    assert addresses(plan, "manual") <= pending_before

    for name in sorted(p.name for p in (workspace / "exported").iterdir()):
        text = (workspace / "exported" / name).read_text(encoding="utf-8")
        assert_golden(GOLDEN / f"topdesk-{example}" / name, readable(text))


def test_export_of_a_new_tenant_is_a_valid_blueprint_and_says_what_is_not_usm(
    workspace: Path,
) -> None:
    exported = run("export", "--target", TARGET, "--out", "exported")
    assert exported.exit_code == 0, exported.output
    assert run("validate", "exported").exit_code == 0
    report = (workspace / "exported" / "export-report.md").read_text(encoding="utf-8")
    assert "no USM workflow knowledge items" in report
    assert "a value a new TOPdesk tenant comes with, not USM's" in report
    assert_golden(GOLDEN / "topdesk-fresh-tenant" / "export-report.md", readable(report))


def test_assess_a_new_tenant(workspace: Path) -> None:
    result = run("assess", "--target", TARGET, "-o", "markdown")
    assert result.exit_code == 0, result.output
    assert "0/100" not in result.stdout.splitlines()[-1]
    assert_golden(GOLDEN / "assess-topdesk-fresh-tenant.md", result.stdout)


def test_assess_the_municipality_with_its_checklist_pending(workspace: Path) -> None:
    source = "blueprints/examples/municipality"
    assert run("apply", source, "-t", TARGET, "--auto-approve").exit_code == 0
    result = run("assess", "--target", TARGET, "-o", "json", "--out", "suggested")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # The processing statuses and change templates are checklist items not done yet: no
    # process is set up the USM way, and no hand-over is modelled.
    assert all("set up the USM way" not in " ".join(p["reasons"]) for p in data["processes"])
    assert run("validate", "suggested").exit_code == 0


def test_export_onto_the_applied_blueprint_changes_nothing(workspace: Path) -> None:
    source = workspace / "blueprints" / "examples" / "municipality"
    before = {p.name: p.read_text(encoding="utf-8") for p in source.iterdir()}
    applied = run("apply", str(source), "-t", TARGET, "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    # Its teams name their operator groups with x-topdesk.operator_group: matched by group.
    result = run("export", "--target", TARGET, "--onto", str(source))
    assert result.exit_code == 0, result.output
    assert "0 element(s) changed, 0 added, 0 in the blueprint but not in the tool" in result.output
    assert "0 differ, 0 would be created" in result.output
    assert {p.name: p.read_text(encoding="utf-8") for p in source.iterdir()} == before


#: The settings-UI list (``/_sandbox/ui/lists/{list}``) of each checklist kind the test carries
#: out, and the field its name goes in.
UI_LISTS = {
    "call_type": ("call_types", "name"),
    "processing_status": ("statuses", "name"),
    "closure_code": ("closure_codes", "name"),
    "change_template": ("change_templates", "briefDescription"),
    "activity_type": ("operations_types", "name"),
}


def do_checklist(workspace: Path, items: list[dict[str, object]]) -> None:
    """Enter ``items`` (plan changes) in the sandbox's settings-UI stand-in, as an
    administrator working through the checklist does."""
    adapter = load_adapter("topdesk")
    assert isinstance(adapter, SupportsSandbox)
    app = adapter.sandbox_app(workspace / ".usm-sandbox" / f"{TARGET}.sqlite3")

    async def send() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            for item in items:
                listed, field = UI_LISTS[str(item["kind"])]
                name = item["key"][0]  # type: ignore[index]
                response = await http.post(f"/_sandbox/ui/lists/{listed}", json={field: name})
                assert response.is_success, response.text

    asyncio.run(send())


def test_assess_the_municipality_with_its_call_and_change_checklist_done(workspace: Path) -> None:
    source = "blueprints/examples/municipality"
    assert run("apply", source, "-t", TARGET, "--auto-approve").exit_code == 0
    changes = plan_json(source, TARGET)["changes"]
    assert isinstance(changes, list)
    done = [c for c in changes if c["action"] == "manual" and c["kind"] in UI_LISTS]
    do_checklist(workspace, done)

    exported = run("export", "--target", TARGET, "--out", "exported")
    assert exported.exit_code == 0, exported.output
    report = (workspace / "exported" / "export-report.md").read_text(encoding="utf-8")
    # What the administrator entered is the export's own now, not a finding.
    assert "processing_status[Wachten op Wijzigen]" not in report.split("## Lost")[1]

    result = run("assess", "--target", TARGET, "-o", "text")
    assert result.exit_code == 0, result.output
    scores = {
        line.split(maxsplit=1)[1]: int(line.split()[0]) for line in _score_lines(result.stdout)
    }
    # A Dutch tenant: the assessment names USM's processes in Dutch.
    assert scores["Herstellen"] == scores["Afspreken"] == scores["Uitvoeren"] == 100
    assert scores["Verbeteren"] == 0
    # Every reactive workflow is supported end to end; the proactive ones need Improve.
    assert [scores[k] for k in sorted(scores) if k[:2] in {"1.", "2.", "3.", "4.", "5."}] == [
        100
    ] * 5
    assert_golden(GOLDEN / "assess-topdesk-municipality-checklist-done.txt", result.stdout)


def _score_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line[:5].strip().isdigit()]


def test_export_onto_a_blueprint_topdesk_cannot_hold_apart_says_where(workspace: Path) -> None:
    source = workspace / "blueprints" / "examples" / "municipality"
    applied = run("apply", str(source), "-t", TARGET, "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    teams = source / "teams.yaml"
    text = teams.read_text(encoding="utf-8")
    teams.write_text(text.replace('"Applicatiebeheer"', '"Werkplekbeheer"'), encoding="utf-8")
    at = text.index('"Applicatiebeheer"')
    line = 1 + text[: text.rindex("\n  - ", 0, at) + 1].count("\n")  # where that team starts
    result = run("export", "--target", TARGET, "--onto", str(source))
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    # The team whose group now clashes, located where the team starts in the file.
    assert "both become the TOPdesk operator group 'Werkplekbeheer'" in result.output
    assert f"teams.yaml:{line}:5: error[ADP001]" in result.output
    assert "now holds what topdesk cannot hold apart" in result.output


def test_a_risk_matrix_tailored_in_each_language_comes_back_in_each(workspace: Path) -> None:
    """The workflow items show the risk matrix in English and in Dutch: a level renamed in
    Dutch only and an effect renamed in English only both come back, and the export plans
    without a change."""
    classification = reference_classification()
    risk = classification["risk"]
    risk["levels"][0]["name_nl"] = "Ernstig risico"
    risk["rows"][0]["name"] = "Severe"
    written = apply_and_export(TARGET, classification)

    exported = written["classification"]["risk"]
    assert exported["levels"][0] == {
        "id": "high",
        "name": "High risk",
        "name_nl": "Ernstig risico",
        "rank": 1,
    }
    assert exported["rows"][0] == {"id": "severe", "name": "Severe", "name_nl": "Groot"}
    assert exported["columns"][0] == {"id": "likely", "name": "Likely", "name_nl": "Waarschijnlijk"}
    plan = plan_json("exported", TARGET)
    changes = plan["changes"]
    assert isinstance(changes, list)
    assert {c["action"] for c in changes} <= {"manual", "owned"}, changes
    assert all(not c["diff"] for c in changes if c["action"] == "owned")
