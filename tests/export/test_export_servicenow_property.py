"""Property: for any blueprint over the USM reference, what ServiceNow would hold exports to a
blueprint that compiles back onto exactly those records.

The instance is simulated without HTTP: the records the ServiceNow adapter compiles are what
it holds, each with an id. The blueprints are the JSM property's (teams, customers, services
with goods, actions and request items, both locales) plus what ServiceNow keeps and JSM cannot
read: schedules with holidays, suppliers, and service agreements with targets, OLAs and UCs.
"""

from __future__ import annotations

from typing import Any

from export_roundtrip import assert_round_trip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_export_roundtrip_property import NAME, TEXT, blueprints
from usm_servicenow.export import export_records

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DURATION = st.sampled_from(["15m", "30m", "1h", "4h", "8h", "1d", "2d4h", "5d"])
PRIORITIES = ["p1", "p2", "p3", "p4"]


@st.composite
def schedules(draw: st.DrawFn) -> list[dict[str, Any]]:
    names = draw(st.lists(NAME, min_size=1, max_size=3, unique_by=str.lower))
    out = []
    for i, name in enumerate(names):
        start = draw(st.integers(0, 11))
        end = draw(st.integers(start + 1, 24))
        schedule: dict[str, Any] = {
            "id": f"h{i}",
            "name": name,
            "timezone": draw(st.sampled_from(["Europe/Amsterdam", "UTC", "America/New_York"])),
            "spans": [
                {
                    "days": draw(
                        st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True)
                    ),
                    "start": f"{start:02d}:00",
                    "end": f"{end:02d}:00",
                }
            ],
        }
        holidays = draw(st.lists(st.dates(), max_size=2, unique=True))
        if holidays:
            schedule["holidays"] = sorted(d.isoformat() for d in holidays)
        out.append(schedule)
    return out


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    document = draw(blueprints())
    document["schedules"] = draw(schedules())
    hours = [s["id"] for s in document["schedules"]]
    teams = document["teams"]
    if len(teams) > 1 and draw(st.booleans()):
        teams[-1]["kind"] = "supplier"
        teams[-1]["description"] = draw(TEXT)
    for i, service in enumerate(document["services"]):
        service["supported_by"] = [teams[i % len(teams)]["id"]]
        service["status"] = draw(st.sampled_from(["pipeline", "retired"]))
        if not draw(st.booleans()):
            continue
        service["status"] = draw(st.sampled_from(["live", "pipeline", "retired"]))
        targets = [
            {"priority": p, "response": draw(DURATION), "resolution": draw(DURATION)}
            for p in draw(st.lists(st.sampled_from(PRIORITIES), min_size=1, unique=True))
        ]
        agreements: dict[str, Any] = {
            "service": {
                "id": f"sa-{i}",
                "customer": draw(st.sampled_from(document["customers"]))["id"],
                "service_hours": draw(st.sampled_from(hours)),
                "support_hours": draw(st.sampled_from(hours)),
                "channels": draw(
                    st.lists(st.sampled_from(["portal", "email", "phone"]), min_size=1, unique=True)
                ),
                "targets": targets,
            }
        }
        team = draw(st.sampled_from(teams))
        kind = "ucs" if team["kind"] == "supplier" else "olas"
        agreements[kind] = [{"id": f"{kind[:-1]}-{i}", "team": team["id"], "targets": targets}]
        if team["id"] not in service["supported_by"]:
            service["supported_by"].append(team["id"])
        service["agreements"] = agreements
    return document


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(document=instances())
def test_export_compiles_back_onto_what_servicenow_holds(document: dict[str, Any]) -> None:
    assert_round_trip("servicenow", document, export_records)
