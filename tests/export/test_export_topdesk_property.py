"""Property: for any blueprint over the USM reference, what TOPdesk would hold exports to a
blueprint that compiles back onto exactly those records.

The tenant is simulated without HTTP: the records the TOPdesk adapter compiles are what the
tenant holds (each with an id; the checklist done by hand), less what TOPdesk's API cannot
read. The blueprints vary what the inverse reads back from records and from the workflow
knowledge items: teams and suppliers, customers, services, profiles, a renamed process step,
and workflow steps tailored with a name, activities, RACI codes and work instructions.
"""

from __future__ import annotations

from typing import Any

from export_roundtrip import REFERENCE, assert_round_trip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from usm_topdesk.export import export_records
from usm_topdesk.kinds import UNREADABLE

from usm_config.blueprint.loader import load_blueprint

WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéë0123456789&",
    min_size=2,
    max_size=10,
)
NAME = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
TEXT = st.lists(WORD, min_size=1, max_size=8).map(" ".join)
#: Workflow ids and numbers of the reference, and a step of each one's first process.
WORKFLOWS = [
    ("changes-to-agreements", "agree", "specify"),
    ("changes-to-managed-resources", "change", "plan"),
    ("incident-with-change", "recover", "analyze"),
    ("incident-without-change", "recover", "accept"),
    ("operate", "operate", "execute"),
    ("risk-with-resource-change", "improve", "determine-cause"),
]


def _reference_process(pid: str) -> list[dict[str, Any]]:
    reference = load_blueprint(REFERENCE).blueprint
    assert reference is not None
    process = next(p for p in reference.processes if p.id.value == pid)
    return [s.model_dump(mode="json", exclude_none=True) for s in process.steps]


def _raci(draw: st.DrawFn, profile_ids: list[str]) -> dict[str, str]:
    """Exactly one accountable profile, any others responsible, consulted or informed."""
    raci = draw(st.dictionaries(st.sampled_from(profile_ids), st.sampled_from("RCI")))
    raci[draw(st.sampled_from(profile_ids))] = "A"
    return raci


@st.composite
def blueprints(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(NAME, min_size=6, max_size=14, unique_by=str.lower))
    teams = names[:2]
    customers = names[2:4]
    services = names[4:6]
    profiles = names[6:] or ["Desk lead"]
    profile_ids = [f"p{i}" for i in range(len(profiles))]
    tailorings = []
    for wf, pid, step in draw(st.lists(st.sampled_from(WORKFLOWS), max_size=3, unique=True)):
        activities = [
            {
                "id": f"{wf}-a{j}",
                "name": draw(TEXT),
                "raci": _raci(draw, profile_ids),
                **({"work_instruction": draw(TEXT)} if draw(st.booleans()) else {}),
            }
            for j in range(draw(st.integers(0, 2)))
        ]
        tailoring: dict[str, Any] = {"process": pid, "step": step}
        if draw(st.booleans()):
            tailoring["name"] = draw(NAME)
        if draw(st.booleans()):
            tailoring["work_instruction"] = draw(TEXT)
        if activities:
            tailoring["activities"] = activities
        tailorings.append({"id": wf, "steps": [tailoring]})
    document: dict[str, Any] = {
        "usm": 1,
        "extends": str(REFERENCE),
        "organisation": {
            "id": "org",
            "name": draw(NAME.filter(lambda n: n.lower() not in {x.lower() for x in names})),
            "locale": draw(st.sampled_from(["en", "nl"])),
        },
        "profiles": [{"id": i, "name": n} for i, n in zip(profile_ids, profiles, strict=True)],
        "customers": [
            {"id": f"c{i}", "name": n, "kind": draw(st.sampled_from(["internal", "external"]))}
            for i, n in enumerate(customers)
        ],
        "teams": [
            {"id": "t0", "name": teams[0], "kind": "internal"},
            {"id": "t1", "name": teams[1], "kind": draw(st.sampled_from(["internal", "supplier"]))},
        ],
        "services": [
            {"id": f"s{i}", "name": n, "status": "pipeline"} for i, n in enumerate(services)
        ],
        "workflows": tailorings,
    }
    if draw(st.booleans()):
        steps = _reference_process("operate")
        # A name another step has (in any case) is a clash the adapter refuses, not a blueprint.
        taken = {s[key].casefold() for s in steps[:2] + steps[3:] for key in ("name", "name_nl")}
        fresh = NAME.filter(lambda n: n.casefold() not in taken)
        steps[2] = {**steps[2], "name": draw(fresh), "name_nl": draw(fresh)}
        document["processes"] = [{"id": "operate", "steps": steps}]
    return document


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(document=blueprints())
def test_export_compiles_back_onto_what_topdesk_holds(document: dict[str, Any]) -> None:
    assert_round_trip("topdesk", document, export_records, unreadable=UNREADABLE)
