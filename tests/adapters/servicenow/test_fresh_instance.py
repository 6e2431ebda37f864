"""Applying to a sandbox that starts like a fresh instance, with its out-of-box records.

Every blueprint (the reference and both examples) is applied once per module to its own
sandbox; the tests then read what apply left there: no out-of-box label is changed, the Dutch
municipality reads back in Dutch and on Amsterdam time, and an instance without the Batch API
converges with the same plan.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from usm_servicenow.sandbox_baseline import baseline
from usm_servicenow.sandbox_store import RecordStore

from usm_config.adapter import Adapter, load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.engine.plan import Action, Plan
from usm_config.engine.records import Record
from usm_config.runner import RunOutcome
from usm_config.testing.harness import Harness

REPO = Path(__file__).resolve().parents[3]
BLUEPRINTS = {
    "usm-reference": REPO / "blueprints" / "usm-reference.yaml",
    "university": REPO / "blueprints" / "examples" / "university.yaml",
    "municipality": REPO / "blueprints" / "examples" / "municipality",
}
#: The fields that name an out-of-box record to people.
LABEL_FIELDS = ("label", "name", "title", "state_label", "short_description")


@dataclass
class Applied:
    """One blueprint applied to a fresh sandbox."""

    harness: Harness
    outcome: RunOutcome

    def store(self) -> RecordStore:
        """The sandbox's records as the emulator stores them."""
        return RecordStore(self.harness.context().sandbox_state)


def _harness(name: str, base: Path, adapter: Adapter | None = None) -> Harness:
    path = BLUEPRINTS[name]
    loaded = load_blueprint(path)
    assert loaded.blueprint is not None, [d.render() for d in loaded.diagnostics]
    return Harness(adapter or load_adapter("servicenow"), loaded.blueprint, path, base)


@pytest.fixture(scope="module")
def applies(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Applied]:
    """Apply a blueprint to its own fresh sandbox, once per module."""

    @functools.cache
    def apply(name: str) -> Applied:
        harness = _harness(name, tmp_path_factory.mktemp(name))
        return Applied(harness, harness.converge())

    return apply


@pytest.fixture(params=sorted(BLUEPRINTS))
def applied(request: pytest.FixtureRequest, applies: Callable[[str], Applied]) -> Applied:
    return applies(request.param)


@pytest.fixture(scope="module")
def municipality(applies: Callable[[str], Applied]) -> list[Record]:
    return applies("municipality").harness.live()


def _labels(row: dict[str, Any]) -> dict[str, Any]:
    return {f: row[f] for f in LABEL_FIELDS if f in row}


def test_a_fresh_sandbox_holds_the_out_of_box_records(tmp_path: Path) -> None:
    live = _harness("usm-reference", tmp_path).live()
    choices = {
        (r.fields["value"], r.fields["label"])
        for r in live
        if r.kind == "sys_choice" and r.key[:2] == ("change_request", "state")
    }
    assert ("-5", "New") in choices
    assert ("4", "Canceled") in choices
    assert {r.key for r in live if r.kind == "chg_model"} >= {("Normal",), ("Emergency",)}
    assert ("8-5 weekdays",) in {r.key for r in live if r.kind == "cmn_schedule"}


def test_no_out_of_box_label_changes(applied: Applied) -> None:
    """Every baseline record is still there, named as the platform names it."""
    store = applied.store()
    changed = []
    for table, rows in baseline()["tables"].items():
        for row in rows:
            now = store.get(table, row["sys_id"])
            assert now is not None, f"{table} {row} is gone"
            if _labels(now) != _labels(row):
                changed.append((table, _labels(row), _labels(now)))
    assert changed == []


def test_updates_of_out_of_box_records_are_shown_as_adoptions(applied: Applied) -> None:
    plan: Plan = applied.outcome.plan
    baseline_ids = {row["sys_id"] for rows in baseline()["tables"].values() for row in rows}
    touched = [c for c in plan.changes if c.target_id in baseline_ids]
    assert all(c.action == Action.ADOPT for c in touched), [(c.action, c.address) for c in touched]
    if any(c.kind == "dl_u_priority" for c in touched):
        rule = next(c for c in touched if c.kind == "dl_u_priority")
        assert "unmanaged record" in rule.reason


def test_the_municipality_reads_back_in_dutch(municipality: list[Record]) -> None:
    def labels(kind: str, *key: str) -> set[str]:
        field = {"sys_choice": "label", "sttrm_state": "state_label"}[kind]
        found = [r for r in municipality if r.kind == kind and r.key[: len(key)] == key]
        return {str(r.fields[field]) for r in found}

    assert labels("sys_choice", "problem", "state") >= {
        "New",  # the platform's, untouched
        "Selecteren maatregel",
        "Bekende fout",
    }
    assert "Testen & vrijgeven" in labels("sys_choice", "change_request", "state")
    assert "Plannen & accorderen" in labels("sttrm_state", "USM change")
    assert labels("sys_choice", "task", "u_usm_call_type") == {
        "Wens",
        "Wijzigingsverzoek",
        "Incident",
        "Serviceverzoek",
        "Risico",
    }
    titles = {r.key[0] for r in municipality if r.kind == "kb_knowledge"}
    assert "USM-workflow 8: Risico's die worden afgehandeld door Uitvoeren" in titles
    article = next(r for r in municipality if r.kind == "kb_knowledge")
    assert "<h2>Stappen</h2>" in str(article.fields["text"])
    catalogs = {r.key[0] for r in municipality if r.kind == "sc_catalog"}
    assert "Diensten van Gemeente Lindeveen – ICT" in catalogs
    bases = {r.key[0] for r in municipality if r.kind == "kb_knowledge_base"}
    assert "Workflows van Gemeente Lindeveen – ICT" in bases
    # The library's classification in Dutch: categories, levels and the SLA definitions named
    # after a priority level and a target.
    assert "Dienst niet beschikbaar" in labels("sys_choice", "incident", "category")
    assert "Traag" in labels("sys_choice", "incident", "subcategory")
    assert "Toegang" in {r.key[0] for r in municipality if r.kind == "sc_category"}
    slas = [r.key[0] for r in municipality if r.kind == "contract_sla"]
    ours = [name for name in slas if name.startswith(("sa-", "ola-", "uc-"))]
    assert ours and all(name.endswith((" reactietijd", " oplostijd")) for name in ours)
    assert any(" Kritiek " in name for name in ours)


def test_the_municipality_reads_back_on_amsterdam_time(municipality: list[Record]) -> None:
    zones = {r.key[0]: r.fields["time_zone"] for r in municipality if r.kind == "cmn_schedule"}
    assert zones["Kantooruren (ma–vr 08:00–17:00)"] == "Europe/Amsterdam"
    assert zones["8-5 weekdays"] == ""  # the platform's schedule floats, as it came
    ours = [r for r in municipality if r.kind == "contract_sla" and r.fields["timezone_source"]]
    slas = [r for r in ours if str(r.fields["timezone_source"]) == "sla.timezone"]
    assert slas
    assert {r.fields["timezone"] for r in slas} == {"Europe/Amsterdam"}
    spans = [
        r
        for r in municipality
        if r.kind == "cmn_schedule_span" and r.key == ("Kantooruren (ma–vr 08:00–17:00)", r.key[1])
    ]
    weekly = [r for r in spans if r.fields["repeat_type"] == "weekly"]
    assert [str(r.fields["start_date_time"])[-6:] for r in weekly] == ["080000"]


def _without_batch(adapter: Adapter) -> Adapter:
    """``adapter`` whose emulator answers the Batch API like an instance without it."""
    plain = copy.copy(adapter)
    original = adapter.sandbox_app  # type: ignore[attr-defined]

    def sandbox_app(state_file: Path | None, **knobs: Any) -> Any:
        return original(state_file, batch_api=False, **knobs)

    setattr(plain, "sandbox_app", sandbox_app)  # noqa: B010 (shadows the method)
    return plain


def test_an_instance_without_the_batch_api_converges_with_the_same_plan(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = load_adapter("servicenow")
    with_batch = _harness("university", tmp_path / "batch").plan()
    harness = _harness("university", tmp_path / "plain", _without_batch(adapter))
    with caplog.at_level(logging.WARNING, logger="usm_servicenow.client"):
        outcome = harness.converge()
    assert [(c.action, c.address, c.diff) for c in outcome.plan.changes] == [
        (c.action, c.address, c.diff) for c in with_batch.changes
    ]
    assert outcome.result.failed == []
    refused = [r for r in caplog.records if "refused the Batch API (HTTP 400)" in r.message]
    # Said once per session: the plan, the apply and the plan after it share one client.
    assert len(refused) == 1, [r.message for r in caplog.records]
    harness.assert_converged()
