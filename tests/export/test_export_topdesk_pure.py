"""The TOPdesk inverse on its own: a tenant configured by hand (never by usm-config), and the
workflow knowledge items read back.

The tenant exports what fits USM (its branch as the organisation, the other branch and the
departments as customers, operator groups as teams, services) and reports every other record
with where it came from: the values a new tenant comes with apart from the organisation's own
values that are not USM's. Its assessment is a golden file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import assert_golden
from usm_topdesk.article_read import NotAnArticle, read_article
from usm_topdesk.export import export_records
from usm_topdesk.kinds import UNREADABLE
from usm_topdesk.mapping import article

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.engine.records import Record
from usm_config.export.assess import assess
from usm_config.export.assess_render import render_text
from usm_config.export.layer import lay_over
from usm_config.export.model import FindingKind
from usm_config.export.verify import check_export
from usm_config.export.writer import write_directory

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REFERENCE = REPO / "blueprints" / "usm-reference.yaml"


def reference() -> Blueprint:
    found = load_blueprint(REFERENCE).blueprint
    assert found is not None
    return found


def legacy_records() -> list[Record]:
    data = json.loads((HERE / "data" / "topdesk-legacy-tenant.json").read_text(encoding="utf-8"))
    return [
        Record(kind=r["kind"], key=tuple(r["key"]), fields=r["fields"], target_id=r["id"])
        for r in data["records"]
    ]


def test_a_tenant_set_up_by_hand_exports_what_fits_and_reports_the_rest(tmp_path: Path) -> None:
    exported = export_records(legacy_records(), reference())
    document = exported.document

    assert document["organisation"]["name"] == "Zorggroep Noordstad"
    assert [(c["name"], c["kind"]) for c in document["customers"]] == [
        ("Apotheek De Linde", "external"),
        ("Finance", "internal"),
        ("Nursing", "internal"),
    ]
    teams = {t["name"]: t for t in document["teams"]}
    assert list(teams) == ["Service Desk", "Facilities", "Network Vendor"]
    # The desk takes first- and second-line calls only: not the desk's default tasks.
    assert teams["Service Desk"]["x-topdesk"] == {"tasks": ["first-line", "second-line"]}
    assert teams["Network Vendor"]["kind"] == "supplier"
    assert "workflows" not in document and "processes" not in document

    kinds = {f.record: f.kind for f in exported.findings}
    assert kinds["branch[Head office]"] == FindingKind.PLATFORM
    assert kinds["call_type[Disruption]"] == FindingKind.PLATFORM
    assert kinds["call_type[Security incident]"] == FindingKind.LEFT_OUT
    assert kinds["processing_status[Escalated to vendor]"] == FindingKind.LEFT_OUT
    assert kinds["category[Medical devices]"] == FindingKind.LEFT_OUT
    assert kinds["subcategory[Medical devices/Infusion pumps]"] == FindingKind.LEFT_OUT
    assert kinds["knowledge_item[Reset your password]"] == FindingKind.LEFT_OUT
    assert kinds["service_window[Office hours]"] == FindingKind.UNREADABLE
    assert kinds["service_level[Care SLA/Patient records]"] == FindingKind.UNREADABLE
    # Every record is accounted for: exported, or named in a finding.
    exported_names = {
        "branch[Zorggroep Noordstad]",
        "branch[Apotheek De Linde]",
        "department[Finance]",
        "department[Nursing]",
        *(f"operator_group[{name}]" for name in teams),
        "service[E-mail]",
        "service[Patient records]",
        # Names the USM reference uses too: the export accounts for them.
        "category[Hardware]",
        "urgency[Low]",
        "urgency[High]",
        "processing_status[Closed]",
    }
    assert {r.address for r in legacy_records()} <= set(kinds) | exported_names
    lines = [f"{f.kind.value}: {f.render()}" for f in exported.findings]
    assert_golden(
        HERE / "golden" / "topdesk-legacy-tenant" / "findings.txt", "\n".join(lines) + "\n"
    )

    write_directory(exported, tmp_path / "legacy", extends=REFERENCE, origin="a legacy tenant")
    loaded = load_blueprint(tmp_path / "legacy")
    assert loaded.blueprint is not None, [d.render() for d in loaded.diagnostics]

    assert exported.evidence is not None
    assessment = assess(reference(), exported.evidence, "legacy TOPdesk tenant")
    recover = next(s for s in assessment.processes if s.name == "Recover")
    assert 40 <= recover.score < 100
    assert any("Escalated to vendor" in r for r in recover.reasons)
    assert "category not tied to a call type: category[Medical devices]" in assessment.findings
    assert_golden(HERE / "golden" / "assess-topdesk-legacy-tenant.txt", render_text(assessment))


def test_a_workflow_article_reads_back_in_both_languages() -> None:
    municipality = load_blueprint(REPO / "blueprints" / "examples" / "municipality").blueprint
    assert municipality is not None
    index = next(i for i, wf in enumerate(municipality.workflows) if wf.number == 3)
    wf = municipality.workflows[index]
    for lang in ("nl", "en"):
        title, content = article(municipality, index, lang)
        view = read_article(content, lang)
        assert view.number == 3
        assert title.endswith(view.name)
        assert len(view.rows) == len(wf.sequence)
        assert [r.fork for r in view.rows] == [s.fork for s in wf.sequence]
        assert len(view.tailored) == len(wf.steps)
        assert [c.name for c in view.clocks] == [c.name for c in wf.sla_clocks]
    cab = read_article(article(municipality, index, "nl")[1], "nl").tailored[2]
    assert cab.profiles[0] == "Voorzitter wijzigingsoverleg (CAB)"
    assert cab.activities[0][:2] == ("Spoedwijziging vrijgeven", ("A", "I", "C", "C"))


def test_a_knowledge_item_that_is_no_article_is_refused() -> None:
    with pytest.raises(NotAnArticle):
        read_article("<p>Use the self-service portal.</p>", "en")


def test_a_tenant_with_some_workflow_articles_omits_the_others() -> None:
    adapter = load_adapter("topdesk")
    municipality = load_blueprint(REPO / "blueprints" / "examples" / "municipality").blueprint
    assert municipality is not None
    dropped = ("USM-workflow 6:", "USM-workflow 8:")
    tenant = [
        Record(kind=r.kind, key=r.key, fields=r.fields, target_id=f"{r.kind}-{i}")
        for i, r in enumerate(adapter.compile(municipality).records)
        if r.kind not in UNREADABLE and not r.key[0].startswith(dropped)
    ]
    exported = export_records(tenant, reference())
    assert exported.document["omit"] == {
        "workflows": ["risk-with-agreement-change", "risk-handled-by-operations"]
    }
    blueprint = lay_over(reference(), exported.document)
    fidelity = check_export(adapter, blueprint, tenant)
    assert fidelity.exact, [(c.address, c.diff) for c in (*fidelity.differs, *fidelity.invented)]
    assert {r.kind for r in fidelity.matched} >= {"knowledge_item", "operator_group", "branch"}
