"""Jira names groups, issue types, statuses and the like without regard to case: a site that
already holds "ICT-SERVICEDESK" refuses a group "ICT-servicedesk". A plan takes such a record
for the one the blueprint means: it renames it to the blueprint's case where the API can, and
lists a manual step where it cannot (groups); it never plans a create Jira would refuse."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from support import RecordedTarget

from usm_config.engine.diff import ADOPTED_IN_ANOTHER_CASE, UNMANAGED
from usm_config.engine.plan import Action
from usm_config.engine.records import Record

LOGIN = ("admin@example.com", "sandbox-token")  # the emulator's own login


def _names(live: Sequence[Record], kind: str) -> list[str]:
    return sorted(str(r.fields["name"]) for r in live if r.kind == kind)


def test_names_in_another_case_are_adopted_not_created(tmp_path: Path) -> None:
    site = RecordedTarget("jsm", tmp_path, LOGIN)
    api = site.api
    api.ok("POST", "/rest/api/3/group", {"name": "ICT-SERVICEDESK"})
    wish = api.ok("POST", "/rest/api/3/issuetype", {"name": "WENS", "type": "standard"})
    statuses = {"statuses": [{"name": "aannemen incident", "statusCategory": "TODO"}]}
    (taken,) = api.ok("POST", "/rest/api/3/statuses", {**statuses, "scope": {"type": "GLOBAL"}})

    plan = site.harness.plan()
    by_address = {c.address: c for c in plan.changes}
    group = by_address["group[ICT-servicedesk]"]
    assert group.action == Action.MANUAL
    assert group.reason == f"the API cannot update group records; {UNMANAGED}"
    assert [(d.field, d.before, d.after) for d in group.diff] == [
        ("name", "ICT-SERVICEDESK", "ICT-servicedesk")
    ]
    issue_type = by_address["issuetype[Wens]"]
    assert (issue_type.action, issue_type.reason, issue_type.target_id) == (
        Action.ADOPT,
        ADOPTED_IN_ANOTHER_CASE,
        wish["id"],
    )
    assert ("name", "WENS", "Wens") in [(d.field, d.before, d.after) for d in issue_type.diff]
    status = by_address["status[Aannemen incident]"]
    assert (status.action, status.target_id) == (Action.ADOPT, taken["id"])

    site.harness.converge()
    live = site.harness.live()
    assert "ICT-SERVICEDESK" in _names(live, "group")
    assert "ICT-servicedesk" not in _names(live, "group")
    assert _names(live, "issuetype").count("Wens") == 1 and "WENS" not in _names(live, "issuetype")
    assert "Aannemen incident" in _names(live, "status")
    assert "aannemen incident" not in _names(live, "status")
    # The group stays a manual step until someone renames it in Jira's administration.
    remaining = [c.address for c in site.harness.plan().changes if c.action == Action.MANUAL]
    assert "group[ICT-servicedesk]" in remaining
