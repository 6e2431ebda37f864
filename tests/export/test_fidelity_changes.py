"""What changes on the way in a migration: renamed elements and merged categories.

Pure: the municipality blueprint is compiled by each target adapter and its elements landed,
without a sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from usm_config.adapter import SupportsLandings, load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint, Category
from usm_config.blueprint.usm import CallType
from usm_config.engine.records import KindSpec, Record
from usm_config.export.fidelity import Element, ElementLanding, Explanation, Landing, land

MUNICIPALITY = Path(__file__).resolve().parents[2] / "blueprints/examples/municipality"


@pytest.fixture(scope="module")
def municipality() -> Blueprint:
    blueprint = load_blueprint(MUNICIPALITY).blueprint
    assert blueprint is not None
    return blueprint


def _landed(adapter_name: str, bp: Blueprint) -> dict[str, ElementLanding]:
    adapter = load_adapter(adapter_name)
    assert isinstance(adapter, SupportsLandings)
    landed = land(bp, adapter.compile(bp).records, adapter.kinds, explained=adapter.landings(bp))
    return {e.element.path: e for e in landed}


def test_a_step_kept_under_a_platform_label_is_reported_renamed(municipality: Blueprint) -> None:
    landed = _landed("servicenow", municipality)
    change = next(i for i, p in enumerate(municipality.processes) if p.id == "change")
    first = landed[f"processes[{change}].steps[0]"]
    assert first.landing == Landing.RECORD
    assert first.changed == "shown as 'New'"
    # A step with a state value of its own carries its own label.
    cab = next(
        j for j, s in enumerate(municipality.processes[change].steps) if s.key == "cab-review"
    )
    assert landed[f"processes[{change}].steps[{cab}]"].changed == ""


def test_categories_of_two_call_types_with_one_name_merge_in_topdesk(
    municipality: Blueprint,
) -> None:
    assert municipality.classification is not None
    categories = dict(municipality.classification.categories)
    shared = Category(id="shared-access", name="Access", name_nl="Toegang")
    categories[CallType.INCIDENT] = (*categories[CallType.INCIDENT], shared)
    classification = municipality.classification.model_copy(update={"categories": categories})
    bp = municipality.model_copy(update={"classification": classification})
    landed = _landed("topdesk", bp)
    incident = f"classification.categories.incident[{len(categories[CallType.INCIDENT]) - 1}]"
    request = next(
        j for j, c in enumerate(categories[CallType.SERVICE_REQUEST]) if c.name == "Access"
    )
    # The blueprint lists incident categories before service request ones: the incident's
    # 'Toegang' (the Dutch municipality's name) becomes TOPdesk's category, the service
    # request's merges with it.
    assert landed[incident].records == ("category[Toegang]",)
    assert landed[incident].changed == ""
    merged = landed[f"classification.categories.service-request[{request}]"]
    assert merged.records == ()
    assert merged.changed == f"merged with {incident} into one category"
    assert merged.landing == Landing.MANUAL  # TOPdesk's API cannot write categories
    assert "one category tree" in merged.why


_TEAM = KindSpec(name="group", label="Group", key_fields=("name",), owned_fields=("name",))


def test_an_element_whose_name_no_record_carries_is_shown_as_its_record(
    municipality: Blueprint,
) -> None:
    team = municipality.teams[0]
    renamed = Record(kind="group", key=("ICT-1",), fields={"name": "ICT-1"}, source="teams[0]")
    kept = Record(kind="group", key=(municipality.teams[1].name,), source="teams[1]")
    landed = {e.element.path: e for e in land(municipality, [renamed, kept], {"group": _TEAM})}
    assert landed["teams[0]"].element == Element("teams[0]", "team", team.name)
    assert landed["teams[0]"].changed == "shown as 'ICT-1'"
    assert landed["teams[1]"].changed == ""


def test_the_adapter_word_on_an_element_with_records_is_kept(municipality: Blueprint) -> None:
    record = Record(kind="group", key=("x",), source="teams[0]")
    told = {"teams[0]": Explanation("", "named after its supplier", "shown as 'x' (renamed)")}
    landed = land(municipality, [record], {"group": _TEAM}, explained=told)
    team = next(e for e in landed if e.element.path == "teams[0]")
    assert (team.landing, team.why, team.changed) == (
        Landing.RECORD,
        "named after its supplier",
        "shown as 'x' (renamed)",
    )


def test_jira_steps_of_one_name_share_a_status_and_agreements_share_metrics(
    municipality: Blueprint,
) -> None:
    landed = _landed("jsm", municipality)
    # Agree's 'Classificeren' carries the site-wide status; Change's shares it.
    first = landed["processes[0].steps[1]"]
    assert first.records == ("status[Classificeren]",) and first.changed == ""
    shared = landed["processes[1].steps[1]"]
    assert (shared.landing, shared.records) == (Landing.RECORD, ())
    assert shared.changed == "merged with processes[0].steps[1]: shares status[Classificeren]"
    # Service agreements after the first become goals of the same SLA metrics.
    later = landed["services[1].agreements.service"]
    assert later.landing == Landing.MANUAL  # the public API cannot write SLA metrics
    assert later.changed.startswith("merged with services[0].agreements.service")
    assert not any(e.landing == Landing.NONE for e in landed.values())
