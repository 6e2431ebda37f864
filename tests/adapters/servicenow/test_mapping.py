"""The pure ServiceNow mapping: blueprint → desired records, and the x-servicenow checks.

Golden files hold the compiled records of the reference blueprint and of every example
blueprint; ``UPDATE_GOLDEN=1 pytest …`` rewrites them after an intended change.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from pydantic import JsonValue
from support import assert_golden as compare_golden
from usm_servicenow.kinds import KINDS
from usm_servicenow.mapping import compile_blueprint, record_counts
from usm_servicenow.overrides import check_overrides
from usm_servicenow.values import (
    PROBLEM_STATES,
    days_of_week,
    glide_duration,
    priority_values,
    schedule_date_time,
    span_name,
    start_condition,
    state_values,
)

from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.usm import PROCESSES, ProcessId
from usm_config.diagnostics import Severity
from usm_config.engine.order import kind_levels
from usm_config.engine.records import ALL_OPS, Desired, Op, Record, ref, ref_target

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden"
REFERENCE = ROOT / "blueprints" / "usm-reference.yaml"
EXAMPLES = ROOT / "blueprints" / "examples"


def _blueprint_paths() -> list[Path]:
    examples = (
        sorted(
            p
            for p in EXAMPLES.iterdir()
            if p.is_dir() or p.suffix in (".yaml", ".yml")
            if not p.name.startswith(".")
        )
        if EXAMPLES.is_dir()
        else []
    )
    return [REFERENCE, *examples]


def _load(path: Path) -> Blueprint:
    result = load_blueprint(path)
    errors = [d.render() for d in result.diagnostics if d.severity == Severity.ERROR]
    assert result.blueprint is not None and not errors, "\n".join(errors)
    return result.blueprint


def assert_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with golden file ``name`` of this folder."""
    compare_golden(GOLDEN / name, actual, shown=f"golden/{name}")


def golden_json(desired: Desired) -> str:
    records = [
        {"kind": r.kind, "key": list(r.key), "uid": r.uid, "fields": r.fields}
        for r in desired.records
    ]
    return json.dumps({"records": records}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("path", _blueprint_paths(), ids=lambda p: p.stem)
def test_golden_compiled_records(path: Path) -> None:
    desired = compile_blueprint(_load(path))
    assert_golden(f"{path.stem}.json", golden_json(desired))


# ----------------------------------------------------------------------------- value helpers


@pytest.mark.parametrize(
    ("duration", "glide"),
    [
        ("30m", "1970-01-01 00:30:00"),
        ("4h", "1970-01-01 04:00:00"),
        ("1d4h", "1970-01-02 04:00:00"),
        ("1d4h30m", "1970-01-02 04:30:00"),
        ("10d", "1970-01-11 00:00:00"),
        ("31d", "1970-02-01 00:00:00"),
        ("36h", "1970-01-02 12:00:00"),
    ],
)
def test_glide_duration(duration: str, glide: str) -> None:
    assert glide_duration(duration) == glide


def test_days_of_week_are_servicenow_digits() -> None:
    assert days_of_week(["mon", "tue", "wed", "thu", "fri"]) == "12345"
    assert days_of_week(["sun", "sat", "mon"]) == "167"


def test_span_names_and_times() -> None:
    from datetime import date

    from usm_config.blueprint.model import TimeSpan

    weekdays = TimeSpan(days=("mon", "tue", "wed", "thu", "fri"), start="08:00", end="17:00")
    assert span_name(weekdays) == "Mon-Fri 08:00-17:00"
    split = TimeSpan(days=("tue", "thu", "sat", "sun"), start="17:00", end="23:30")
    assert span_name(split) == "Tue,Thu,Sat,Sun 17:00-23:30"
    assert schedule_date_time(date(2026, 1, 1), "08:00") == "20260101T080000"
    assert schedule_date_time(date(2026, 12, 31), "24:00") == "20270101T000000"


def test_state_values_use_platform_states_and_the_900s_for_the_rest() -> None:
    keys = [s.key for s in PROCESSES[ProcessId.CHANGE].steps]
    assert state_values(ProcessId.CHANGE, keys) == [
        ("-5", True),
        ("-4", True),
        ("-3", True),
        ("-2", True),
        ("905", False),
        ("-1", True),
        ("0", True),
        ("908", False),
        ("3", True),
    ]
    keys = [s.key for s in PROCESSES[ProcessId.IMPROVE].steps]
    values = [value for value, _ in state_values(ProcessId.IMPROVE, keys)]
    assert values == ["101", "102", "103", "904", "104", "106", "107"]


def test_start_condition_dot_walks() -> None:
    assert (
        start_condition("1", "Mail – Staff") == "priority=1^service_offering.name=Mail – Staff^EQ"
    )
    assert (
        start_condition("2", "Mail – Staff", "Mail team")
        == "priority=2^service_offering.name=Mail – Staff^assignment_group.name=Mail team^EQ"
    )


# ----------------------------------------------------------------------------- a rich blueprint

FIXTURE = """
usm: 1
extends: {reference}
organisation:
  id: acme
  name: Acme & Co <Test>
  description: A test organisation.
  timezone: Europe/Amsterdam
  x-servicenow: {{catalog_title: Acme catalogue, knowledge_base_title: Acme workflows}}
customers:
  - {{id: staff, name: All staff, kind: internal}}
  - {{id: globex, name: Globex Corporation, kind: external, description: A paying customer.}}
teams:
  - id: workplace
    name: Workplace team
    email: wp@acme.example
    description: Laptops and phones.
    x-servicenow: {{group_type: itil}}
  - {{id: desk, name: Service desk, x-servicenow: {{group_type: itil}}}}
  - {{id: hoster, name: Globex Corporation, kind: supplier, description: Hosts the servers.}}
schedules:
  - id: office
    name: Office hours
    timezone: Europe/Amsterdam
    spans:
      - {{days: [mon, tue, wed, thu, fri], start: "08:00", end: "17:00"}}
      - {{days: [sat], start: "10:00", end: "24:00"}}
    holidays: [2026-12-25]
  - id: always
    name: Always
    timezone: UTC
    spans: [{{days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "24:00"}}]
services:
  - id: workplace
    name: Workplace
    description: Laptops and software
    owner: service-manager
    facility: {{goods: [Laptop], actions: [Install software]}}
    supported_by: [workplace, desk]
    x-servicenow:
      business_criticality: 2 - somewhat critical
      service_classification: Technical Service
    agreements:
      service:
        id: sa-workplace
        customer: staff
        service_hours: always
        support_hours: office
        channels: [portal, phone]
        availability: 99.5
        targets:
          - {{priority: p1, response: 30m, resolution: 1d4h}}
          - {{priority: p2, response: 1h, resolution: 2d}}
          - {{priority: p3, response: 4h, resolution: 5d}}
          - {{priority: p4, response: 1d, resolution: 10d}}
      olas:
        - id: ola-workplace
          team: workplace
          targets: [{{priority: p1, response: 15m, resolution: 8h}}]
      ucs:
        - id: uc-hosting
          team: hoster
          reference: Contract 42
          targets: [{{priority: p1, response: 1h, resolution: 1d}}]
    requests:
      - {{id: new-laptop, name: New laptop, category: delivery, team: desk, description: A laptop.}}
      - {{id: new-software, name: New software, call_type: wish}}
  - id: hosting
    name: Hosting
    status: pipeline
    description: Servers.
    supported_by: [hoster]
    agreements:
      service:
        id: sa-hosting
        customer: globex
        service_hours: always
        support_hours: always
        channels: [email]
workflows:
  - id: incident-without-change
    x-servicenow: {{flow: Major incident <notify>}}
    steps:
      - process: recover
        step: accept
        name: Take the call & log it
        work_instruction: "Use the <Incident> form.\\nThen save."
        activities:
          - id: register
            name: Register "the" call
            raci: {{operator: R, workflow-coordinator: A}}
            work_instruction: Fill in the caller & the service.
    sla_clocks:
      - id: response
        name: Response clock
        target: response
        start: {{process: recover, step: accept}}
        stop: {{process: recover, step: classify}}
  - id: incident-with-change
    x-servicenow: {{flow: Major incident <notify>}}
classification:
  categories:
    wish:
      - id: new-service
        name: New service
        children: [{{id: new-app, name: New application}}]
    request-for-change:
      - id: software
        name: Software
        children: [{{id: patch, name: Patch}}]
    incident:
      - id: degraded
        name: Service degraded
        children:
          - id: slow
            name: Slow
            children: [{{id: very-slow, name: Very slow}}]
    service-request:
      - {{id: delivery, name: Delivery of goods}}
    risk:
      - id: threat
        name: Threat
        children: [{{id: security, name: Security}}]
"""


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Blueprint:
    folder = tmp_path_factory.mktemp("blueprint")
    path = folder / "acme.yaml"
    path.write_text(FIXTURE.format(reference=json.dumps(str(REFERENCE))), encoding="utf-8")
    return _load(path)


@pytest.fixture(scope="module")
def desired(rich: Blueprint) -> Desired:
    return compile_blueprint(rich)


def _by_uid(desired: Desired) -> dict[str, Record]:
    return {r.uid: r for r in desired.records if r.uid}


def _one(desired: Desired, kind: str, *key: str) -> Record:
    found = [r for r in desired.records if r.kind == kind and r.key == key]
    assert len(found) == 1, f"{kind}{key}: {len(found)} records"
    return found[0]


def test_teams_become_groups_and_suppliers_companies(desired: Desired) -> None:
    group = _one(desired, "sys_user_group", "Workplace team")
    assert group.uid == "team:workplace"
    assert group.source == "teams[0]"
    assert group.fields == {
        "name": "Workplace team",
        "description": "Laptops and phones.",
        "email": "wp@acme.example",
        "active": "true",
        "type": ref("sys_user_group_type", ("itil",)),
    }
    assert _one(desired, "sys_user_group_type", "itil").fields == {"name": "itil"}
    supplier_group = _one(desired, "sys_user_group", "Globex Corporation")
    assert "type" not in supplier_group.fields
    assert str(supplier_group.fields["description"]).startswith(
        "Assignment group of the supplier Globex Corporation."
    )
    # The supplier and the external customer share a name: one company, both flags.
    company = _one(desired, "core_company", "Globex Corporation")
    assert company.fields == {
        "name": "Globex Corporation",
        "vendor": "true",
        "customer": "true",
        "notes": "Hosts the servers. A paying customer.",
    }


def test_schedules_spans_and_holidays(desired: Desired) -> None:
    office = _one(desired, "cmn_schedule", "Office hours")
    assert office.fields["time_zone"] == "Europe/Amsterdam"
    span = _one(desired, "cmn_schedule_span", "Office hours", "Mon-Fri 08:00-17:00")
    assert span.fields == {
        "schedule": ref("cmn_schedule", ("Office hours",)),
        "name": "Mon-Fri 08:00-17:00",
        "type": "",
        "days_of_week": "12345",
        "start_date_time": "20000103T080000",
        "end_date_time": "20000103T170000",
        "repeat_type": "weekly",
        "all_day": "false",
    }
    late = _one(desired, "cmn_schedule_span", "Office hours", "Sat 10:00-24:00")
    assert late.fields["end_date_time"] == "20000104T000000"
    holiday = _one(desired, "cmn_schedule_span", "Office hours", "Holiday 2026-12-25")
    assert holiday.uid == "schedule:office:holiday:2026-12-25"
    assert holiday.source == "schedules[0].holidays[0]"
    assert holiday.fields["type"] == "exclude"
    assert holiday.fields["start_date_time"] == "20261225T000000"
    assert holiday.fields["end_date_time"] == "20261226T000000"
    assert holiday.fields["repeat_type"] == ""
    assert holiday.fields["all_day"] == "true"


def test_services_and_offerings(desired: Desired) -> None:
    service = _one(desired, "cmdb_ci_service_business", "Workplace")
    assert service.fields == {
        "name": "Workplace",
        "short_description": "Laptops and software. Goods: Laptop. Actions: Install software.",
        "service_classification": "Technical Service",
        "busines_criticality": "2 - somewhat critical",
        "operational_status": "1",
        "support_group": ref("sys_user_group", ("Workplace team",)),
    }
    hosting = _one(desired, "cmdb_ci_service_business", "Hosting")
    assert hosting.fields["operational_status"] == "2"
    assert hosting.fields["busines_criticality"] == "3 - less critical"
    assert hosting.fields["service_classification"] == "Business Service"

    offering = _one(desired, "service_offering", "Workplace – All staff")
    assert offering.uid == "offering:sa-workplace"
    assert offering.source == "services[0].agreements.service"
    assert offering.fields["parent"] == ref("cmdb_ci_service_business", ("Workplace",))
    assert offering.fields["schedule"] == ref("cmn_schedule", ("Always",))
    assert offering.fields["consumer_type"] == "internal"
    assert offering.fields["phase"] == "Catalog"
    assert offering.fields["short_description"] == (
        "Channels: portal, phone. Availability: 99.5% during Always. Support hours: Office hours."
    )
    external = _one(desired, "service_offering", "Hosting – Globex Corporation")
    assert external.fields["consumer_type"] == "external"
    assert external.fields["phase"] == "Pipeline"


def test_sla_definitions_for_sa_ola_and_uc(desired: Desired) -> None:
    sla = _by_uid(desired)["sla:sa-workplace:p1:resolution"]
    assert sla.source == "services[0].agreements.service.targets[0]"
    assert sla.fields == {
        "name": "sa-workplace Critical resolution",
        "type": "SLA",
        "collection": "incident",
        "target": "resolution",
        "duration": "1970-01-02 04:00:00",
        "schedule": ref("cmn_schedule", ("Office hours",)),
        "timezone_source": "sla.timezone",
        "timezone": "Europe/Amsterdam",
        "start_condition": "priority=1^service_offering.name=Workplace – All staff^EQ",
        "stop_condition": "stateIN6,7^EQ",
        "pause_condition": "state=3^EQ",
        "active": "true",
        "vendor": "",
    }
    response = _by_uid(desired)["sla:sa-workplace:p1:response"]
    assert response.fields["stop_condition"] == "state!=1^EQ"
    assert response.fields["pause_condition"] == ""
    assert response.fields["duration"] == "1970-01-01 00:30:00"

    ola = _one(desired, "contract_sla", "ola-workplace Critical response")
    assert ola.fields["type"] == "OLA"
    assert ola.fields["schedule"] == ref("cmn_schedule", ("Office hours",))
    assert ola.fields["start_condition"] == (
        "priority=1^service_offering.name=Workplace – All staff"
        "^assignment_group.name=Workplace team^EQ"
    )
    assert ola.fields["vendor"] == ""

    uc = _one(desired, "contract_sla", "uc-hosting Critical resolution")
    assert uc.fields["type"] == "Underpinning contract"
    assert uc.fields["vendor"] == ref("core_company", ("Globex Corporation",))
    assert str(uc.fields["start_condition"]).endswith(
        "^assignment_group.name=Globex Corporation^EQ"
    )
    slas = [r for r in desired.records if r.kind == "contract_sla"]
    assert len(slas) == 2 * (4 + 1 + 1)  # four SA targets, one OLA target, one UC target


def test_categories_become_choices_and_catalog_categories(desired: Desired) -> None:
    sub = _one(desired, "sys_choice", "incident", "subcategory", "slow", "en", "degraded")
    assert sub.fields["label"] == "Slow"
    deeper = _one(desired, "sys_choice", "incident", "subcategory", "very-slow", "en", "degraded")
    assert deeper.fields["label"] == "Slow / Very slow"
    assert deeper.source == "classification.categories.incident[0].children[0].children[0]"
    # change_request has no subcategory: children become more categories.
    patch = _one(desired, "sys_choice", "change_request", "category", "patch", "en", "")
    assert patch.fields["label"] == "Software / Patch"
    assert patch.fields["sequence"] == "2"
    risk_sub = _one(desired, "sys_choice", "problem", "subcategory", "security", "en", "threat")
    assert risk_sub.fields["label"] == "Security"

    catalog = _one(desired, "sc_catalog", "Acme catalogue")
    assert catalog.fields["active"] == "true"
    child = _one(desired, "sc_category", "New application")
    assert child.fields["parent"] == ref("sc_category", ("New service",))
    assert child.fields["sc_catalog"] == ref("sc_catalog", ("Acme catalogue",))
    assert _one(desired, "sc_category", "New service").fields["parent"] == ""


def test_request_items(desired: Desired) -> None:
    laptop = _one(desired, "sc_cat_item", "New laptop")
    assert laptop.fields == {
        "name": "New laptop",
        "short_description": "A laptop.",
        "description": "Part of the service Workplace; handled as a service request.",
        "category": ref("sc_category", ("Delivery of goods",)),
        "sc_catalogs": ref("sc_catalog", ("Acme catalogue",)),
        "group": ref("sys_user_group", ("Service desk",)),
        "active": "true",
        "type": "item",
    }
    # No category: the first category of its call type; no team: the service's first team.
    software = _one(desired, "sc_cat_item", "New software")
    assert software.fields["category"] == ref("sc_category", ("New service",))
    assert software.fields["group"] == ref("sys_user_group", ("Workplace team",))


def test_priority_scales_and_matrix(rich: Blueprint, desired: Desired) -> None:
    assert rich.classification is not None
    assert priority_values(rich.classification.priority) == {
        "p1": "1",
        "p2": "2",
        "p3": "3",
        "p4": "4",
    }
    assert (
        _one(desired, "sys_choice", "incident", "impact", "4", "en", "").fields["label"] == "None"
    )
    # Levels 1-3 are the platform's impact and urgency values: used, never relabelled.
    assert not [r for r in desired.records if r.kind == "sys_choice" and r.key[1] == "urgency"]
    assert "High → 1 '1 - High'" in " ".join(desired.notes)
    rule = _one(desired, "dl_u_priority", "2", "1")  # impact medium × urgency high
    assert rule.fields == {
        "impact": "2",
        "urgency": "1",
        "priority": "2",
        "active": "true",
        "order": "400",
    }
    assert sum(r.kind == "dl_u_priority" for r in desired.records) == 12


def test_processes_become_states(desired: Desired) -> None:
    states = {
        r.fields["value"]: r.fields["label"]
        for r in desired.records
        if r.kind == "sys_choice" and r.key[:2] == ("problem", "state")
    }
    # The platform's states (101 New ... 107 Closed) are used as they are, never relabelled.
    assert states == {"904": "Select measure", "900": "Known error"}
    model = _one(desired, "chg_model", "USM change")
    assert model.fields["table_name"] == "change_request"
    first = _one(desired, "sttrm_state", "USM change", "-5")
    assert first.fields["initial_state"] == "true"
    assert first.fields["sttrm_model"] == ref("chg_model", ("USM change",))
    assert _one(desired, "sttrm_state", "USM change", "3").fields["initial_state"] == "false"
    transition = _one(desired, "sttrm_state_transition", "Accept RFC to Classify")
    assert transition.fields == {
        "name": "Accept RFC to Classify",
        "from_state": ref("sttrm_state", ("USM change", "-5")),
        "to_state": ref("sttrm_state", ("USM change", "-4")),
        "automatic": "false",
    }
    assert _one(desired, "sttrm_state", "USM change", "-1").fields["state_label"] == "Deploy"
    changes = {
        r.fields["value"]: r.fields["label"]
        for r in desired.records
        if r.kind == "sys_choice" and r.key[:2] == ("change_request", "state")
    }
    assert changes == {"905": "Test & release", "908": "Update CMDB/MIR"}
    notes = " ".join(desired.notes)
    assert "Accept RFC → -5 'New'" in notes
    assert "Identify risks → 101 'New'" in notes


def test_call_types_get_a_column_that_is_never_dropped(desired: Desired) -> None:
    column = _one(desired, "sys_dictionary", "task", "u_usm_call_type")
    assert KINDS["sys_dictionary"].operations == frozenset({Op.CREATE, Op.UPDATE})
    assert "u_usm_call_type" in KINDS["sys_dictionary"].manual_hint
    assert column.fields["name"] == "task"
    wish = _one(desired, "sys_choice", "task", "u_usm_call_type", "wish", "en", "")
    assert wish.fields["label"] == "Wish"
    assert "sys_dictionary" in KINDS["sys_choice"].dependencies()


def test_workflows_become_articles_and_flows(desired: Desired) -> None:
    base = _one(desired, "kb_knowledge_base", "Acme workflows")
    assert base.fields["active"] == "true"
    articles = [r for r in desired.records if r.kind == "kb_knowledge"]
    assert len(articles) == 8
    article = _one(
        desired, "kb_knowledge", "USM workflow 4: Incident without changes to managed resources"
    )
    assert article.fields["kb_knowledge_base"] == ref("kb_knowledge_base", ("Acme workflows",))
    assert article.fields["workflow_state"] == "published"
    text = str(article.fields["text"])
    # Tailored names, instructions and RACI, escaped.
    assert "Take the call &amp; log it" in text
    assert "Use the &lt;Incident&gt; form.<br>Then save." in text
    assert "Register &#34;the&#34; call" in text
    assert "<th>Operator</th>" in text and "<th>Workflow coordinator</th>" in text
    assert "<td>A</td>" in text and "<td>R</td>" in text
    assert "Response clock" in text
    assert "Major incident &lt;notify&gt;" in text
    assert "<Incident>" not in text and "<notify>" not in text
    # Nesting and statuses of the expanded sequence.
    assert 'style="padding-left: 2em">Accept service request' in text
    assert "workflow fulfilled" in text and "process fulfilled" in text
    # Risk-triggered workflows show the risk matrix.
    risk = _one(desired, "kb_knowledge", "USM workflow 8: Risks that can be handled by operations")
    assert "Risk classification" in str(risk.fields["text"])
    assert "Risk classification" not in text
    # Two workflows name one flow: one read-only record.
    flow = _one(desired, "sys_hub_flow", "Major incident <notify>")
    assert flow.fields == {"name": "Major incident <notify>"}
    assert flow.source == "workflows[2].x-servicenow.flow"  # the first workflow naming it
    assert KINDS["sys_hub_flow"].operations == frozenset()
    assert "Flow Designer" in KINDS["sys_hub_flow"].manual_hint


def test_notes_name_what_is_not_written(desired: Desired) -> None:
    assert any("RACI" in note and "roles" in note for note in desired.notes)
    assert any("owner" in note for note in desired.notes)


def test_every_element_ends_up_somewhere(rich: Blueprint, desired: Desired) -> None:
    uids = set(_by_uid(desired))
    expected = {f"team:{t.id}" for t in rich.teams}
    expected |= {f"schedule:{s.id}" for s in rich.schedules}
    for svc in rich.services:
        expected.add(f"service:{svc.id}")
        sa = svc.agreements.service
        assert sa is not None
        expected.add(f"offering:{sa.id}")
        targets = [(sa.id, t) for t in sa.targets]
        for agreement in (*svc.agreements.olas, *svc.agreements.ucs):
            targets += [(agreement.id, t) for t in agreement.targets]
        for agreement_id, target in targets:
            for which in ("response", "resolution"):
                expected.add(f"sla:{agreement_id}:{target.priority}:{which}")
        expected |= {f"request:{item.id}" for item in svc.requests}
    expected |= {f"workflow:{wf.id}" for wf in rich.workflows}
    expected |= {f"call-type:{ct.id.value}" for ct in rich.call_types}
    assert rich.classification is not None
    for ct, categories in rich.classification.categories.items():
        stack = list(categories)
        while stack:
            category = stack.pop()
            expected.add(f"category:{ct.value}:{category.id}")
            stack.extend(category.children)
    notes = " ".join(desired.notes)
    for process in rich.processes:
        if process.id.value == "improve":
            # A step on a platform state is in the plan notes; the others are new states.
            for step in process.steps:
                if step.key in PROBLEM_STATES:
                    assert f"{step.name} → {PROBLEM_STATES[step.key]} '" in notes
                else:
                    expected.add(f"step:improve:{step.key}")
        if process.id.value == "change":
            expected |= {f"step:change:{s.key}" for s in process.steps}
    assert expected <= uids, sorted(expected - uids)


# ----------------------------------------------------------------------------- the contract


def _check_contract(desired: Desired) -> None:
    present = {(r.kind, r.key) for r in desired.records}
    assert list(desired.records) == sorted(desired.records, key=lambda r: (r.kind, r.key))
    uids = Counter(r.uid for r in desired.records)
    assert not [u for u, n in uids.items() if n > 1 or u is None]
    assert len(present) == len(desired.records), "two records share a kind and key"
    for record in desired.records:
        spec = KINDS[record.kind]
        assert set(record.fields) <= set(spec.owned_fields), record.address
        assert record.source, record.address
        for name in spec.key_fields:
            assert name in record.fields, (record.address, name)
        for name, value in record.fields.items():
            target = ref_target(value)
            if name in spec.references:
                assert value == "" or target is not None, (record.address, name)
            if target is None:
                assert isinstance(value, str), (record.address, name, value)
                continue
            assert name in spec.references, (record.address, name)
            assert target[0] == spec.references[name], (record.address, name)
            assert target in present, f"{record.address}.{name} points at missing {target}"
        key = tuple(_key_part(record.fields[name]) for name in spec.key_fields)
        assert key == record.key, record.address


def _key_part(value: JsonValue) -> str:
    target = ref_target(value)
    return "/".join(target[1]) if target else str(value)


def test_records_keep_the_contract(desired: Desired) -> None:
    _check_contract(desired)


@pytest.mark.parametrize("path", _blueprint_paths(), ids=lambda p: p.stem)
def test_shipped_blueprints_keep_the_contract(path: Path) -> None:
    bp = _load(path)
    desired = compile_blueprint(bp)
    _check_contract(desired)
    assert check_overrides(bp) == []
    assert compile_blueprint(bp) == desired  # deterministic
    assert golden_json(compile_blueprint(bp)) == golden_json(desired)


def test_kinds_are_in_dependency_order() -> None:
    names = list(KINDS)
    for position, name in enumerate(names):
        for dependency in KINDS[name].dependencies():
            assert dependency in KINDS, (name, dependency)
            assert names.index(dependency) < position, (name, dependency)
    kind_levels(KINDS)  # no cycle
    for spec in KINDS.values():
        assert set(spec.key_fields) <= set(spec.owned_fields), spec.name
        assert set(spec.references) <= set(spec.owned_fields), spec.name
        if spec.operations != ALL_OPS:
            assert spec.manual_hint, spec.name
    read_only = {name for name, spec in KINDS.items() if not spec.operations}
    assert read_only == {"sys_hub_flow"}
    assert Op.DELETE not in KINDS["sys_dictionary"].operations


def test_record_counts_follow_kind_order(desired: Desired) -> None:
    counts = record_counts(desired)
    assert list(counts) == [k for k in KINDS if k in counts]
    assert counts["kb_knowledge"] == 8


def test_templates_ship_with_the_package() -> None:
    templates = files("usm_servicenow") / "templates"
    names = {entry.name for entry in templates.iterdir()}
    assert {"kb_workflow.html.j2", "update_set.xml.j2", "record_update.xml.j2"} <= names
    pyproject = (ROOT / "adapters" / "servicenow" / "pyproject.toml").read_text(encoding="utf-8")
    assert '"templates/*.j2"' in pyproject


# ----------------------------------------------------------------------------- x-servicenow


def _with(bp: Blueprint, **changes: Any) -> Blueprint:
    return bp.model_copy(update=changes)


def _override(element: Any, **settings: Any) -> Any:
    return element.model_copy(update={"overrides": {"servicenow": settings}})


def test_clean_blueprint_has_no_problems(rich: Blueprint) -> None:
    assert check_overrides(rich) == []


def test_unknown_key_gets_did_you_mean_and_path(rich: Blueprint) -> None:
    services = list(rich.services)
    services[1] = _override(services[1], criticality="1 - most critical")
    problems = check_overrides(_with(rich, services=tuple(services)))
    assert len(problems) == 1
    problem = problems[0]
    assert problem.path == ("services", 1, "x-servicenow", "criticality")
    assert "unknown ServiceNow setting 'criticality'" in problem.message
    assert "(did you mean 'business_criticality'?)" in problem.message
    assert "business_criticality" in problem.hint and "service_classification" in problem.hint


def test_bad_values_are_problems(rich: Blueprint) -> None:
    services = list(rich.services)
    services[0] = _override(
        services[0], business_criticality="1 - most criticl", service_classification=3
    )
    teams = list(rich.teams)
    teams[0] = _override(teams[0], group_type="")
    problems = check_overrides(_with(rich, services=tuple(services), teams=tuple(teams)))
    by_path = {p.path: p for p in problems}
    criticality = by_path[("services", 0, "x-servicenow", "business_criticality")]
    assert "did you mean '1 - most critical'" in criticality.message
    classification = by_path[("services", 0, "x-servicenow", "service_classification")]
    assert "'Business Service'" in classification.message
    assert ("teams", 0, "x-servicenow", "group_type") in by_path
    assert len(problems) == 3


def test_settings_in_the_wrong_place(rich: Blueprint) -> None:
    teams = list(rich.teams)
    teams[1] = _override(teams[1], flow="Some flow")
    schedules = list(rich.schedules)
    schedules[0] = _override(schedules[0], anything="x")
    org = _override(rich.organisation, catalog_tittle="X")
    problems = check_overrides(
        _with(rich, teams=tuple(teams), schedules=tuple(schedules), organisation=org)
    )
    by_path = {p.path: p for p in problems}
    assert "move it there" in by_path[("teams", 1, "x-servicenow", "flow")].hint
    assert (
        "takes no ServiceNow settings" in by_path[("schedules", 0, "x-servicenow", "anything")].hint
    )
    assert (
        "did you mean 'catalog_title'"
        in by_path[("organisation", "x-servicenow", "catalog_tittle")].message
    )


def test_names_that_clash_are_problems_and_stop_compile(rich: Blueprint) -> None:
    twin = rich.teams[0].model_copy(update={"id": "twin"})
    clashing = _with(rich, teams=(*rich.teams, twin))
    problems = check_overrides(clashing)
    assert [p.path for p in problems] == [("teams", 3)]
    assert (
        "teams[3] and teams[0] both become the ServiceNow assignment group" in problems[0].message
    )
    with pytest.raises(ValueError, match="assignment group 'Workplace team'"):
        compile_blueprint(clashing)


def test_caret_in_names_used_by_sla_conditions(rich: Blueprint) -> None:
    services = list(rich.services)
    services[0] = services[0].model_copy(update={"name": "Work^place"})
    problems = check_overrides(_with(rich, services=tuple(services)))
    assert [p.path for p in problems] == [("services", 0, "name")]
    assert "'^'" in problems[0].message
