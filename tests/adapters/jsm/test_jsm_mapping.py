"""The pure JSM mapping: blueprint → desired records, and the x-jsm checks.

Golden files hold the compiled records of the reference blueprint and of every example
blueprint; ``UPDATE_GOLDEN=1 pytest …`` rewrites them after an intended change.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from support import assert_golden
from usm_jsm.kinds import KINDS, UNREADABLE
from usm_jsm.mapping import compile_blueprint
from usm_jsm.overrides import check_overrides
from usm_jsm.values import project_key

from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.compile import walk
from usm_config.diagnostics import Severity
from usm_config.engine.order import kind_levels
from usm_config.engine.records import ALL_OPS, Desired, Record, ref_target

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden"
REFERENCE = ROOT / "blueprints" / "usm-reference.yaml"
MUNICIPALITY = ROOT / "blueprints" / "examples" / "municipality"
UNIVERSITY = ROOT / "blueprints" / "examples" / "university.yaml"
BLUEPRINTS = [REFERENCE, MUNICIPALITY, UNIVERSITY]


def _load(path: Path) -> Blueprint:
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


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.stem)
def test_golden_compiled_records(path: Path) -> None:
    desired = compile_blueprint(_load(path))
    assert_golden(GOLDEN / f"{path.stem}.json", golden_json(desired), shown=f"{path.stem}.json")


def _by(desired: Desired, kind: str) -> dict[tuple[str, ...], Record]:
    return {r.key: r for r in desired.records if r.kind == kind}


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.stem)
def test_records_keep_the_contract(path: Path) -> None:
    bp = _load(path)
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
            values = value if isinstance(value, list) and name in spec.references else [value]
            for item in values:
                target = ref_target(item)
                if target is None:
                    assert name not in spec.references or item == "", (record.address, name)
                    continue
                assert target[0] == spec.references[name], (record.address, name)
                assert target in present, f"{record.address}.{name} points at missing {target}"


def test_every_element_ends_as_a_record_or_a_manual_step() -> None:
    """Nothing of the municipality (directory, Dutch) or the university is dropped."""
    for path in (MUNICIPALITY, UNIVERSITY):
        bp = _load(path)
        desired = compile_blueprint(bp)
        uids = {r.uid for r in desired.records}
        expected = {f"team:{t.id}" for t in bp.teams}
        expected |= {f"customer:{c.id}" for c in bp.customers}
        expected |= {f"schedule:{s.id}" for s in bp.schedules}
        expected |= {f"call-type:{ct.id.value}" for ct in bp.call_types}
        expected |= {f"process:{p.id.value}" for p in bp.processes}
        for svc in bp.services:
            expected.add(f"service:{svc.id}")
            expected |= {f"request:{item.id}" for item in svc.requests}
        assert bp.classification is not None
        expected |= {f"priority:{lvl.id}" for lvl in bp.classification.priority.levels}
        expected |= {"rule:priority", "rule:risk"}
        expected |= {f"category:{v.call_type.value}:{v.category.id}" for v in walk.categories(bp)}
        assert expected <= uids, sorted(expected - uids)
        # Every step is a status of its process's workflow; every agreement target a goal.
        workflows = _by(desired, "workflow")
        for process in bp.processes:
            wf = next(r for r in workflows.values() if r.uid == f"process:{process.id.value}")
            names = {str(s["name"]) for s in wf.fields["statuses"]}  # type: ignore[index,union-attr]
            wanted = {s.name_nl if s.name_nl else s.name for s in process.steps}
            if bp.organisation.locale == "en":
                wanted = {s.name for s in process.steps}
            assert wanted <= names, (process.id, wanted - names)
        goals = [g for r in _by(desired, "sla").values() for g in r.fields["goals"]]  # type: ignore[union-attr]
        targets = sum(
            len(a.targets)
            for svc in bp.services
            for a in (
                *([svc.agreements.service] if svc.agreements.service else []),
                *svc.agreements.olas,
                *svc.agreements.ucs,
            )
        )
        assert len(goals) == 2 * targets
        assert desired.notes, "profiles and workflow tailoring are named in the notes"


def test_dutch_blueprint_speaks_dutch() -> None:
    desired = compile_blueprint(_load(MUNICIPALITY))
    statuses = _by(desired, "status")
    assert ("Classificeren",) in statuses
    assert ("Wachten op Wijzigen",) in statuses
    assert ("Wijzigingsverzoek",) in _by(desired, "issuetype")
    assert ("Urgentie",) in _by(desired, "field")
    assert ("USM Herstellen",) in _by(desired, "workflow")


def test_fork_hands_over_and_resumes() -> None:
    desired = compile_blueprint(_load(REFERENCE))
    recover = _by(desired, "workflow")[("USM Recover",)]
    transitions = {str(t["name"]): t for t in recover.fields["transitions"]}  # type: ignore[index,union-attr]
    assert transitions["Hand over to Change"]["from"] == ["Recover"]
    assert transitions["Hand over to Change"]["to"] == "Waiting for Change"
    assert transitions["Resume after Operate"]["to"] == "Review delivery & feedback"
    assert transitions["Create"]["type"] == "INITIAL"
    statuses = {str(s["name"]): s for s in recover.fields["statuses"]}  # type: ignore[index,union-attr]
    assert statuses["Review delivery & feedback"]["properties"] == {
        "usm.call-status": "workflow fulfilled"
    }
    operate = _by(desired, "workflow")[("USM Operate",)]
    review = next(
        s for s in operate.fields["statuses"] if s["name"] == "Review delivery & feedback"
    )  # type: ignore[index,union-attr]
    # Operate starts workflow 5 and is handed calls by every other path.
    assert review["properties"] == {"usm.call-status": "workflow fulfilled / process fulfilled"}  # type: ignore[index]
    improve = _by(desired, "workflow")[("USM Improve",)]
    marked = {str(s["name"]): s["properties"] for s in improve.fields["statuses"]}  # type: ignore[index,union-attr]
    assert marked["Determine cause"] == {"usm.call-status": "known error"}


def test_status_categories() -> None:
    statuses = _by(compile_blueprint(_load(REFERENCE)), "status")
    assert statuses[("Accept incident",)].fields["statusCategory"] == "TODO"
    assert statuses[("Classify",)].fields["statusCategory"] == "IN_PROGRESS"
    assert statuses[("Evaluate & close",)].fields["statusCategory"] == "DONE"


@pytest.mark.parametrize(
    ("org_id", "explicit", "key"),
    [
        ("gemeente-lindeveen-ict", None, "GEMEENTELI"),
        ("usm-reference", None, "USMREFEREN"),
        ("x", None, "XSM"),
        ("9-lives", None, "LIVES"),
        ("acme", "ICT", "ICT"),
    ],
)
def test_project_key(org_id: str, explicit: str | None, key: str) -> None:
    bp = _load(REFERENCE)
    overrides = {"jsm": {"project_key": explicit}} if explicit else {}
    org = bp.organisation.model_copy(update={"id": org_id, "overrides": overrides})
    assert project_key(bp.model_copy(update={"organisation": org})) == key


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"project_key": "ict"}, "'ict' is not a Jira project key"),
        ({"project_key": "1ABC"}, "'1ABC' is not a Jira project key"),
        ({"projectkey": "ICT"}, "unknown"),
    ],
)
def test_bad_settings_are_located(settings: dict[str, str], message: str) -> None:
    bp = _load(REFERENCE)
    org = bp.organisation.model_copy(update={"overrides": {"jsm": settings}})
    problems = check_overrides(bp.model_copy(update={"organisation": org}))
    assert problems and message in problems[0].message
    assert problems[0].path[:2] == ("organisation", "x-jsm")


def test_too_long_names_are_refused() -> None:
    bp = _load(REFERENCE)
    call_types = list(bp.call_types)
    call_types[0] = call_types[0].model_copy(update={"name": "W" * 61})
    problems = check_overrides(bp.model_copy(update={"call_types": tuple(call_types)}))
    assert any("at most 60" in p.message and p.path == ("call_types", 0) for p in problems)


def test_two_teams_with_one_name_clash() -> None:
    bp = _load(UNIVERSITY)
    teams = list(bp.teams)
    teams[1] = teams[1].model_copy(update={"name": teams[0].name})
    problems = check_overrides(bp.model_copy(update={"teams": tuple(teams)}))
    assert any("both become the Jira Service Management group" in p.message for p in problems)


def test_kinds_are_in_dependency_order() -> None:
    names = list(KINDS)
    for position, name in enumerate(names):
        for dependency in KINDS[name].dependencies():
            assert names.index(dependency) < position, (name, dependency)
    kind_levels(KINDS)
    for spec in KINDS.values():
        assert set(spec.key_fields) <= set(spec.owned_fields), spec.name
        if spec.operations != ALL_OPS:
            assert spec.manual_hint, spec.name
    manual = {name for name, spec in KINDS.items() if not spec.operations}
    assert manual == {"queue", "portal_group", "calendar", "sla", "automation_rule"}
    assert manual >= UNREADABLE


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.stem)
def test_sla_goals_name_compiled_calendars_and_status_steps(path: Path) -> None:
    """What the internal SLA API needs (private_api): each goal a JQL, a target and a
    calendar the blueprint compiles, and a stop condition on a compiled status."""
    desired = compile_blueprint(_load(path))
    calendars = {r.fields["name"] for r in desired.records if r.kind == "calendar"}
    statuses = {r.fields["name"] for r in desired.records if r.kind == "status"}
    for sla in _by(desired, "sla").values():
        assert sla.fields["start"] == "Issue Created"
        stop = str(sla.fields["stop"])
        assert stop.startswith("Entered Status: ")
        assert stop.removeprefix("Entered Status: ") in statuses
        for goal in sla.fields["goals"]:  # type: ignore[union-attr]
            assert isinstance(goal, dict) and set(goal) == {"jql", "duration", "calendar"}
            assert goal["calendar"] in calendars | {""}
