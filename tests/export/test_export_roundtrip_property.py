"""Property: for any blueprint over the USM reference, what JSM would hold exports to a
blueprint that compiles back onto exactly those records.

The site is simulated without HTTP: the records the JSM adapter compiles are what the site
holds (each with an id), less what the public API cannot read (calendars, SLA metrics,
automation rules). The export is written as a blueprint directory and loaded like any other,
so the writer, the loader and the checks take part.
"""

from __future__ import annotations

from typing import Any

from export_roundtrip import REFERENCE, assert_round_trip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from usm_jsm.export import export_records
from usm_jsm.kinds import UNREADABLE

# Names people give things: letters, digits, spaces and a little punctuation, no leading or
# trailing blanks (Jira trims them), never the adapter's own label words.
WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéë0123456789",
    min_size=2,
    max_size=10,
)
NAME = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
TEXT = st.lists(WORD, min_size=1, max_size=8).map(" ".join)


@st.composite
def blueprints(draw: st.DrawFn) -> dict[str, Any]:
    locale = draw(st.sampled_from(["en", "nl"]))
    team_names = draw(st.lists(NAME, min_size=1, max_size=4, unique_by=str.lower))
    customer_names = draw(st.lists(NAME, min_size=1, max_size=3, unique_by=str.lower))
    service_names = draw(st.lists(NAME, min_size=1, max_size=4, unique_by=str.lower))
    request_names = draw(
        st.lists(NAME, min_size=0, max_size=5, unique_by=str.lower).filter(
            lambda names: not {n.lower() for n in names} & {n.lower() for n in service_names}
        )
    )
    services = []
    for i, name in enumerate(service_names):
        service: dict[str, Any] = {
            "id": f"s{i}",
            "name": name,
            "description": draw(TEXT),
            "status": "pipeline",
            "facility": {
                "goods": draw(st.lists(TEXT, min_size=0, max_size=3)),
                "actions": draw(st.lists(TEXT, min_size=0, max_size=3)),
            },
        }
        mine = request_names[i :: len(service_names)]
        if mine:
            service["requests"] = [
                {
                    "id": f"s{i}r{j}",
                    "name": request,
                    "call_type": draw(st.sampled_from(["service-request", "wish"])),
                }
                for j, request in enumerate(mine)
            ]
        services.append(service)
    return {
        "usm": 1,
        "extends": str(REFERENCE),
        "organisation": {
            "id": "org",
            "name": draw(NAME),
            "description": draw(TEXT),
            "locale": locale,
            "x-jsm": {"project_key": "PROP"},
        },
        "customers": [
            {"id": f"c{i}", "name": n, "kind": "internal"} for i, n in enumerate(customer_names)
        ],
        "teams": [{"id": f"t{i}", "name": n, "kind": "internal"} for i, n in enumerate(team_names)],
        "services": services,
    }


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(document=blueprints())
def test_export_compiles_back_onto_what_jsm_holds(document: dict[str, Any]) -> None:
    assert_round_trip("jsm", document, export_records, unreadable=UNREADABLE)
