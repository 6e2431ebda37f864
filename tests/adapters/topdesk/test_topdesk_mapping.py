"""The pure TOPdesk mapping: blueprint → desired records and checklist items, x-topdesk checks.

Golden files hold the compiled records of the reference blueprint and of every example
blueprint; ``UPDATE_GOLDEN=1 pytest …`` rewrites them after an intended change.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from support import assert_golden
from usm_topdesk.kinds import KINDS, SCREENS, UNREADABLE, WRITTEN
from usm_topdesk.mapping import build, compile_blueprint, group_name
from usm_topdesk.overrides import check_overrides

from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.compile import walk
from usm_config.diagnostics import Severity
from usm_config.engine.order import kind_levels
from usm_config.engine.records import ALL_OPS, Desired, Op, Record, ref_target

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden"
REFERENCE = ROOT / "blueprints" / "usm-reference.yaml"
MUNICIPALITY = ROOT / "blueprints" / "examples" / "municipality"
UNIVERSITY = ROOT / "blueprints" / "examples" / "university.yaml"
BLUEPRINTS = [REFERENCE, MUNICIPALITY, UNIVERSITY]


def load(path: Path) -> Blueprint:
    result = load_blueprint(path)
    errors = [d.render() for d in result.diagnostics if d.severity == Severity.ERROR]
    assert result.blueprint is not None and not errors, "\n".join(errors)
    return result.blueprint


def golden_json(desired: Desired) -> str:
    records = [
        {"kind": r.kind, "key": list(r.key), "uid": r.uid, "fields": r.fields}
        for r in desired.records
    ]
    body = {"records": records, "notes": list(desired.notes)}
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _by(desired: Desired, kind: str) -> dict[tuple[str, ...], Record]:
    return {r.key: r for r in desired.records if r.kind == kind}


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.stem)
def test_golden_compiled_records(path: Path) -> None:
    desired = compile_blueprint(load(path))
    assert_golden(GOLDEN / f"{path.stem}.json", golden_json(desired), shown=f"{path.stem}.json")


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.stem)
def test_records_keep_the_contract(path: Path) -> None:
    bp = load(path)
    desired = compile_blueprint(bp)
    assert check_overrides(bp) == []
    assert compile_blueprint(bp) == desired  # deterministic
    present = {(r.kind, r.key) for r in desired.records}
    assert len(present) == len(desired.records)
    assert not [u for u, n in Counter(r.uid for r in desired.records).items() if n > 1]
    for record in desired.records:
        spec = KINDS[record.kind]
        assert set(record.fields) <= set(spec.owned_fields), record.address
        assert set(spec.key_fields) <= set(record.fields), record.address
        for name, value in record.fields.items():
            target = ref_target(value)
            if target is None:
                assert name not in spec.references, (record.address, name)
                continue
            assert target[0] == spec.references[name], (record.address, name)
            assert target in present, f"{record.address}.{name} points at missing {target}"


def _covered(bp: Blueprint) -> None:
    """Every element of ``bp`` ends as a record, in a knowledge item or on the checklist."""
    out = build(bp)
    desired = out.sink.desired()
    uids = {r.uid for r in desired.records}
    expected = {f"team:{t.id}" for t in bp.teams}
    expected |= {f"customer:{c.id}" for c in bp.customers}
    expected |= {f"schedule:{s.id}" for s in bp.schedules}
    expected |= {f"call-type:{ct.id.value}" for ct in bp.call_types}
    expected |= {f"workflow:{wf.id}" for wf in bp.workflows}
    for svc in bp.services:
        expected.add(f"service:{svc.id}")
        expected |= {f"request:{item.id}" for item in svc.requests}
    expected |= {f"agreement:{a.id}" for a in walk.agreements(bp)}
    assert bp.classification is not None
    priority = bp.classification.priority
    expected |= {f"priority:{lvl.id}" for lvl in priority.levels}
    expected |= {f"impact:{lvl.id}" for lvl in priority.rows}
    expected |= {f"urgency:{lvl.id}" for lvl in priority.columns}
    expected |= {"rule:priority", "rule:risk", "organisation", "folder"}
    channels = {c for a in walk.agreements(bp) for c in getattr(a.agreement, "channels", ())}
    expected |= {f"channel:{c}" for c in channels}
    for process in bp.processes:
        if process.id.value in ("operate", "improve"):
            expected |= {f"step:{process.id.value}:{s.key}" for s in process.steps}
    assert expected <= uids, sorted(expected - uids)

    # Categories merge across call types: each one is a category or a subcategory by name.
    categories = {r.key[0] for r in desired.records if r.kind == "category"}
    subcategories = {r.key for r in desired.records if r.kind == "subcategory"}
    for visit in walk.categories(bp):
        if visit.depth == 0:
            assert visit.name in categories
        else:
            assert (visit.top_name, " / ".join(visit.trail[1:])) in subcategories

    # Every target is a service level line and its two durations exist.
    durations = {r.key[0] for r in desired.records if r.kind == "duration"}
    by_uid = {r.uid: r for r in desired.records}
    for agreement in walk.agreements(bp):
        lines = out.details[("service_level", by_uid[f"agreement:{agreement.id}"].key)]
        assert len([label for label, _ in lines if label.startswith("Priority ")]) == len(
            agreement.targets
        )
    assert durations

    # Change's steps are the activities of every change template; profiles, activities and
    # work instructions are in the knowledge items (in both languages).
    change = next((p for p in bp.processes if p.id.value == "change"), None)
    templates = [k for k in out.details if k[0] == "change_template"]
    assert change is not None and templates
    for key in templates:
        activities = [v for label, v in out.details[key] if label.startswith("Activity ")]
        assert len(activities) == len(change.steps)
    items = _by(desired, "knowledge_item")
    text = " ".join(str(r.fields["content"]) + str(r.fields["translation"]) for r in items.values())
    for wf in bp.workflows:
        for tailoring in wf.steps:
            for activity in tailoring.activities:
                assert activity.name.replace("&", "&amp;").replace("'", "&#39;") in text
    profiles = {p for wf in bp.workflows for t in wf.steps for a in t.activities for p in a.raci}
    names = {p.id: p.name for p in bp.profiles}
    for profile in profiles:
        assert names[profile].replace("&", "&amp;").replace("'", "&#39;") in text, profile


@pytest.mark.parametrize("path", [MUNICIPALITY, UNIVERSITY], ids=lambda p: p.stem)
def test_every_element_ends_as_a_record_an_artifact_or_a_checklist_item(path: Path) -> None:
    _covered(load(path))


def test_dutch_blueprint_speaks_dutch_with_an_english_translation() -> None:
    desired = compile_blueprint(load(MUNICIPALITY))
    assert ("Wijzigingsverzoek",) in _by(desired, "call_type")
    assert ("Wachten op Wijzigen",) in _by(desired, "processing_status")
    assert ("USM-workflows",) in _by(desired, "knowledge_folder")
    item = next(iter(_by(desired, "knowledge_item").values()))
    assert item.fields["language"] == "nl"
    translation = item.fields["translation"]
    assert isinstance(translation, dict) and translation["language"] == "en"
    assert str(translation["title"]).startswith("USM workflow ")
    assert ("Impact × urgentie",) in _by(desired, "priority_matrix")


def test_operator_groups_carry_the_task_flags_usm_needs() -> None:
    desired = compile_blueprint(load(MUNICIPALITY))
    groups = _by(desired, "operator_group")
    desk = groups[("ICT Servicedesk",)].fields
    assert desk["firstLineCallOperator"] and desk["changeCoordinator"] and desk["problemManager"]
    team = groups[("Werkplekbeheer",)].fields
    assert not team["firstLineCallOperator"] and team["secondLineCallOperator"]
    assert team["changeActivitiesOperator"] and team["operationsOperator"]
    supplier = next(r for r in groups.values() if r.uid == "team:civitas").fields
    assert supplier["secondLineCallOperator"] and not supplier["operationsOperator"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"operator_group": "X" * 31}, "at most 30"),
        ({"tasks": ["first-lien"]}, "did you mean 'first-line'"),
        ({"operatorgroup": "ICT"}, "unknown"),
    ],
)
def test_bad_settings_are_located(settings: dict[str, object], message: str) -> None:
    bp = load(MUNICIPALITY)
    teams = list(bp.teams)
    teams[0] = teams[0].model_copy(update={"overrides": {"topdesk": settings}})
    problems = check_overrides(bp.model_copy(update={"teams": tuple(teams)}))
    assert problems and message in problems[0].message, problems
    assert problems[0].path[:2] == ("teams", 0)


def test_two_teams_with_one_group_name_clash() -> None:
    bp = load(UNIVERSITY)
    teams = list(bp.teams)
    same = {"topdesk": {"operator_group": group_name(teams[0])}}
    teams[1] = teams[1].model_copy(update={"overrides": same})
    problems = check_overrides(bp.model_copy(update={"teams": tuple(teams)}))
    assert any("both become the TOPdesk operator group" in p.message for p in problems)


def test_kinds_are_in_dependency_order_and_the_checklist_has_screens() -> None:
    names = list(KINDS)
    for position, name in enumerate(names):
        for dependency in KINDS[name].dependencies():
            assert names.index(dependency) < position, (name, dependency)
    kind_levels(KINDS)
    for spec in KINDS.values():
        assert set(spec.key_fields) <= set(spec.owned_fields), spec.name
        if spec.operations != ALL_OPS:
            assert spec.manual_hint, spec.name
        if Op.CREATE not in spec.operations:
            assert spec.name in SCREENS and SCREENS[spec.name] in spec.manual_hint
    written = {"branch", "department", "operator_group", "service"}
    assert {*written, "knowledge_folder", "knowledge_item"} == WRITTEN
    assert set(KINDS) - WRITTEN >= UNREADABLE
