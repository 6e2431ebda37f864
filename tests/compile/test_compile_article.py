"""The tool-neutral workflow article, in English and Dutch.

Golden files hold the whole model of a few workflows; ``UPDATE_GOLDEN=1 pytest …`` rewrites
them after an intended change. The other tests state facts from USM itself.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from support import assert_golden

from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint, Workflow
from usm_config.blueprint.usm import PROCESSES, ProcessId
from usm_config.compile.article import Locale, WorkflowArticle, workflow_article

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
REFERENCE = ROOT / "blueprints" / "usm-reference.yaml"
MUNICIPALITY = ROOT / "blueprints" / "examples" / "municipality"
UNIVERSITY = ROOT / "blueprints" / "examples" / "university.yaml"


def _load(path: Path) -> Blueprint:
    blueprint = load_blueprint(path).blueprint
    assert blueprint is not None
    return blueprint


@pytest.fixture(scope="module")
def reference() -> Blueprint:
    return _load(REFERENCE)


@pytest.fixture(scope="module")
def municipality() -> Blueprint:
    return _load(MUNICIPALITY)


def _workflow(bp: Blueprint, number: int) -> Workflow:
    return next(wf for wf in bp.workflows if wf.number == number)


def _json(article: WorkflowArticle) -> str:
    data = dataclasses.asdict(article)
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


#: (blueprint, workflow number, locale or None for the blueprint's own)
GOLDEN_CASES: list[tuple[Path, int, Locale | None]] = [
    (REFERENCE, 3, None),
    (REFERENCE, 8, "nl"),
    (MUNICIPALITY, 1, None),
    (MUNICIPALITY, 3, None),
    (MUNICIPALITY, 3, "en"),
    (UNIVERSITY, 4, None),
]


@pytest.mark.parametrize(
    ("path", "number", "locale"),
    GOLDEN_CASES,
    ids=[f"{p.stem}-{n}-{loc or 'own'}" for p, n, loc in GOLDEN_CASES],
)
def test_golden_articles(path: Path, number: int, locale: Locale | None) -> None:
    bp = _load(path)
    article = workflow_article(bp, _workflow(bp, number), locale)
    name = f"article-{path.stem}-{number}-{locale or 'own'}.json"
    assert_golden(GOLDEN / name, _json(article), shown=f"golden/{name}")


def _runs(article: WorkflowArticle) -> list[tuple[ProcessId, int, int]]:
    runs: list[tuple[ProcessId, int, int]] = []
    for row in article.sequence:
        if runs and runs[-1][0] == row.process_id and runs[-1][2] + 1 == row.number:
            runs[-1] = (row.process_id, runs[-1][1], row.number)
        else:
            runs.append((row.process_id, row.number, row.number))
    return runs


@pytest.mark.parametrize("locale", ["en", "nl"])
def test_workflow_3_forks_and_resumes_as_usm_says(reference: Blueprint, locale: Locale) -> None:
    article = workflow_article(reference, _workflow(reference, 3), locale)
    r, c, o = ProcessId.RECOVER, ProcessId.CHANGE, ProcessId.OPERATE
    # Recover 1–5 → Change 1–6 → Operate 1–6 → Change 7–9 → Recover 6–7 (usm.md §2.1)
    assert _runs(article) == [(r, 1, 5), (c, 1, 6), (o, 1, 6), (c, 7, 9), (r, 6, 7)]
    name = {pid: (p.name_nl if locale == "nl" else p.name) for pid, p in PROCESSES.items()}
    forks = [(row.position, row.hands_over_to) for row in article.sequence if row.hands_over_to]
    assert forks == [(5, name[c]), (11, name[o])]
    resumes = [(row.position, row.resumes_after) for row in article.sequence if row.resumes_after]
    assert resumes == [(18, name[o]), (21, name[c])]
    statuses = {row.position: row.status for row in article.sequence if row.status}
    fulfilled, closed, done = (
        ("proces vervuld", "gesloten", "workflow vervuld")
        if locale == "nl"
        else ("process fulfilled", "closed", "workflow fulfilled")
    )
    assert statuses == {
        16: fulfilled,  # Operate's review: forked into
        17: closed,
        18: fulfilled,  # Change's review: forked into
        20: closed,
        21: done,  # Recover's review: the initiating process
        22: closed,
    }


def test_dutch_names_come_from_name_nl_and_usm(reference: Blueprint) -> None:
    article = workflow_article(reference, _workflow(reference, 4), "nl")
    assert article.locale == "nl"
    assert article.title == (
        "USM-workflow 4: Incident dat géén wijziging van beheerde infrastructuur vergt"
    )
    assert article.trigger == "Incident"
    assert article.kind == "reactief"
    assert article.path == "Herstellen → Uitvoeren"
    assert [row.name for row in article.sequence[:2]] == ["Aannemen incident", "Classificeren"]
    english = workflow_article(reference, _workflow(reference, 4), "en")
    assert english.path == "Recover → Operate"
    assert english.sequence[0].name == "Accept incident"


def test_the_blueprints_locale_is_the_default(municipality: Blueprint) -> None:
    article = workflow_article(municipality, _workflow(municipality, 1))
    assert article.locale == "nl"
    assert article.wording.steps == "Stappen"
    names = {(row.process_id, row.step): row.name for row in article.sequence}
    # A step name tailored in the workflow is shown as written; others come from name_nl.
    assert names[(ProcessId.CHANGE, "cab-review")] == "Wijzigingsoverleg over de invoering"
    assert names[(ProcessId.CHANGE, "plan")] == "Plannen & accorderen"
    assert names[(ProcessId.AGREE, "specify")] == "Dienst specificeren met de afdeling"
    assert names[(ProcessId.AGREE, "offer")] == "Opstellen offerte"


def test_tailored_steps_resolve_raci_to_profile_names(municipality: Blueprint) -> None:
    article = workflow_article(municipality, _workflow(municipality, 1))
    specify = article.tailored[0]
    assert specify.title.endswith("Dienst specificeren met de afdeling (Afspreken 3)")
    first = specify.activities[0]
    assert first.name == "Functionele eisen en gewenste serviceniveaus vastleggen"
    assert dict(specify.raci(first)) == {
        "Informatiemanager": "A",
        "Functioneel beheerder": "R",
        "Applicatiebeheerder": "C",
        "Chief Information Security Officer (CISO)": "C",
    }
    assert first.work_instruction.startswith("Gebruik het sjabloon dienstbeschrijving")
    # One column per profile used in the step, in the blueprint's profile order.
    profiles = [p.name for p in municipality.profiles]
    assert list(specify.profiles) == sorted(specify.profiles, key=profiles.index)


def test_sla_clocks_name_their_steps(municipality: Blueprint) -> None:
    article = workflow_article(municipality, _workflow(municipality, 4))
    clock = article.clocks[0]
    assert (clock.name, clock.target) == ("Reactietijd storing", "reactietijd")
    assert clock.start.startswith("1. ") and clock.start.endswith("(Herstellen 1)")
    assert clock.stop.startswith("2. ") and clock.stop.endswith("(Herstellen 2)")


def test_risk_workflows_show_the_risk_matrix(reference: Blueprint) -> None:
    risk = workflow_article(reference, _workflow(reference, 8), "nl")
    assert risk.matrix is not None
    assert risk.matrix.title == "Risicoclassificatie"
    assert reference.classification is not None
    assert len(risk.matrix.rows) == len(reference.classification.risk.rows)
    assert workflow_article(reference, _workflow(reference, 4)).matrix is None
