"""The internal-API half of the JSM adapter (``private_api: true``): parse, payloads, options.

The raw answers in ``golden/private/raw-*.json`` follow the shapes public code shows for Jira's
internal endpoints (listed in :mod:`usm_jsm.private`); their values are this project's own.
``UPDATE_GOLDEN=1 pytest …`` rewrites the expected records and payloads after an intended
change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import assert_golden
from usm_jsm import private
from usm_jsm.adapter import ADAPTER, JsmAdapter
from usm_jsm.kinds import KINDS, PRIVATE_KINDS
from usm_jsm.mapping import compile_blueprint

from usm_config.adapter import AdapterOptionError, configured
from usm_config.blueprint.loader import load_blueprint
from usm_config.engine.records import ALL_OPS, Record

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden" / "private"
MUNICIPALITY = ROOT / "blueprints" / "examples" / "municipality"


def _raw(name: str) -> Any:
    return json.loads((GOLDEN / f"raw-{name}.json").read_text(encoding="utf-8"))


def _dump(records: list[Record]) -> str:
    rows = [{"id": r.target_id, "fields": r.fields} for r in records]
    return json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _desired(kind: str) -> list[Record]:
    result = load_blueprint(MUNICIPALITY)
    assert result.blueprint is not None
    return [r for r in compile_blueprint(result.blueprint).records if r.kind == kind]


# ------------------------------------------------------------------ parse


def test_parse_calendars_golden() -> None:
    records = private.parse_calendars("10000", "ICT", _raw("calendar-dialog")["calendars"])
    assert_golden(GOLDEN / "calendars.json", _dump(records))
    assert records[0].fields["workingHours"] == [
        "mon 08:00-12:00",
        "mon 13:00-17:00",
        "tue 08:00-17:00",
    ]


def test_parse_slas_golden() -> None:
    calendars = private.calendar_names(_raw("calendar-dialog")["calendars"])
    records = private.parse_slas("10000", "ICT", _raw("sla-metrics")["timeMetrics"], calendars)
    assert_golden(GOLDEN / "slas.json", _dump(records))
    (sla,) = records
    assert sla.target_id == "ICT/3"
    assert sla.fields["stop"] == "Entered Status: Accept, Resolution: Set"
    # The default goal without a target is Jira's own and not shown.
    assert [g["duration"] for g in sla.fields["goals"]] == ["4h", "28h 30m"]  # type: ignore[index,union-attr]


# ------------------------------------------------------------------ payloads


def _status_ids() -> dict[str, str]:
    return {str(r.fields["name"]): str(10100 + i) for i, r in enumerate(_desired("status"))}


def _calendar_ids() -> dict[str, str]:
    return {str(r.fields["name"]): str(i + 1) for i, r in enumerate(_desired("calendar"))}


def test_payloads_golden() -> None:
    bodies = {
        "queue": [private.queue_body(r.fields) for r in _desired("queue")],
        "calendar": [private.calendar_body(r.fields) for r in _desired("calendar")],
        "sla": [
            private.sla_body(r.fields, _status_ids(), _calendar_ids()) for r in _desired("sla")
        ],
    }
    text = json.dumps(bodies, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert_golden(GOLDEN / "payloads-municipality.json", text)
    assert all(not b["jql"].startswith("project") for b in bodies["queue"])


def _owned(record: Record) -> dict[str, Any]:
    return {k: v for k, v in record.fields.items() if k != "project"}


def test_a_written_calendar_reads_back_as_compiled() -> None:
    desired = _desired("calendar")
    assert desired
    rows = [{"id": i + 1, **private.calendar_body(r.fields)} for i, r in enumerate(desired)]
    parsed = private.parse_calendars("10000", "MUN", rows)
    assert [_owned(r) for r in parsed] == [_owned(r) for r in desired]


def test_a_written_sla_metric_reads_back_as_compiled() -> None:
    desired = _desired("sla")
    calendars = _calendar_ids()
    rows = []
    for i, record in enumerate(desired):
        body = private.sla_body(record.fields, _status_ids(), calendars)
        rows.append({"id": i + 1, **body})
    by_id = {cid: name for name, cid in calendars.items()}
    parsed = private.parse_slas("10000", "MUN", rows, by_id)
    assert [_owned(r) for r in parsed] == [_owned(r) for r in desired]


@pytest.mark.parametrize("text", ["4h", "28h 30m", "45m", "0m", "100h"])
def test_durations_round_trip(text: str) -> None:
    assert private.duration_text(private.duration_ms(text)) == text


def test_queue_jql_drops_only_the_leading_project_clause() -> None:
    jql = 'project = MUN AND issuetype = "Incident" AND project = X'
    assert private.queue_jql(jql) == 'issuetype = "Incident" AND project = X'
    assert private.queue_jql("priority = High") == "priority = High"


def test_an_unknown_condition_or_calendar_is_refused() -> None:
    fields = {"name": "M", "start": "Issue Created", "stop": "Entered Status: Nowhere", "goals": []}
    with pytest.raises(private.PrivateApiError, match="Nowhere"):
        private.sla_body(fields, {"Accept": "1"}, {})
    goal = {"jql": "", "duration": "4h", "calendar": "Missing"}
    fields = {"name": "M", "start": "Issue Created", "stop": "", "goals": [goal]}
    with pytest.raises(private.PrivateApiError, match="Missing"):
        private.sla_body(fields, {}, {})


# ------------------------------------------------------------------ options


def test_private_api_makes_queues_calendars_and_slas_writable() -> None:
    adapter = configured(ADAPTER, {"private_api": True})
    assert isinstance(adapter, JsmAdapter) and adapter.private_api
    assert adapter.kinds is PRIVATE_KINDS
    for kind in ("queue", "calendar", "sla"):
        assert PRIVATE_KINDS[kind].operations == ALL_OPS
        assert "internal API" in PRIVATE_KINDS[kind].manual_hint
        assert not KINDS[kind].operations
    assert not PRIVATE_KINDS["automation_rule"].operations
    assert configured(ADAPTER, {"private_api": False}).kinds is KINDS
    assert ADAPTER.kinds is KINDS, "the registered adapter is left as it was"


def test_an_unknown_option_is_refused_with_a_suggestion() -> None:
    with pytest.raises(
        AdapterOptionError, match=r"no option 'privat_api'.*did you mean 'private_api'"
    ):
        ADAPTER.configure({"privat_api": True})


def test_private_api_must_be_a_boolean() -> None:
    with pytest.raises(AdapterOptionError, match="true or false"):
        ADAPTER.configure({"private_api": "yes"})
