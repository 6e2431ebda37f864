"""The JSM inverse on its own: a site configured by hand (never by usm-config).

It exports what fits USM (teams, customers) and reports every other record with where it came
from: Jira's and the template's own records apart from the organisation's records that are not
USM's (a hand-made status and workflow, a component of a project that is not set up the USM
way, a request type, a field, a priority).
"""

from __future__ import annotations

import json
from pathlib import Path

from support import assert_golden
from usm_jsm.export import export_records

from usm_config.blueprint.loader import load_blueprint
from usm_config.engine.records import Record
from usm_config.export.model import FindingKind

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def legacy_records() -> list[Record]:
    data = json.loads((HERE / "data" / "jsm-legacy-site.json").read_text(encoding="utf-8"))
    return [
        Record(kind=r["kind"], key=tuple(r["key"]), fields=r["fields"], target_id=r["id"])
        for r in data["records"]
    ]


def test_a_site_set_up_by_hand_exports_teams_and_reports_the_rest() -> None:
    reference = load_blueprint(REPO / "blueprints" / "usm-reference.yaml").blueprint
    assert reference is not None
    exported = export_records(legacy_records(), reference)

    assert [t["name"] for t in exported.document["teams"]] == ["Facilities", "Network Team"]
    assert [c["name"] for c in exported.document["customers"]] == ["Finance department"]
    kinds = {f.record: f.kind for f in exported.findings}
    assert kinds["group[site-admins]"] == FindingKind.PLATFORM
    assert kinds["group[jira-users-helpdesk]"] == FindingKind.PLATFORM
    assert kinds["status[Open]"] == FindingKind.PLATFORM
    assert kinds["status[Second line]"] == FindingKind.LEFT_OUT
    assert kinds["workflow[Facilities flow]"] == FindingKind.LEFT_OUT
    assert kinds["requesttype[HELP/Get IT help]"] == FindingKind.PLATFORM
    assert kinds["requesttype[HELP/Order a desk]"] == FindingKind.LEFT_OUT
    assert kinds["priority[Blocker]"] == FindingKind.LEFT_OUT
    # Every record is accounted for: exported, or named in a finding.
    used = {"group[Facilities]", "group[Network Team]", "organization[Finance department]"}
    named = set(kinds) | used
    assert {r.address for r in legacy_records()} <= named
    lines = [f"{f.kind.value}: {f.render()}" for f in exported.findings]
    assert_golden(HERE / "golden" / "jsm-legacy-site" / "findings.txt", "\n".join(lines) + "\n")
