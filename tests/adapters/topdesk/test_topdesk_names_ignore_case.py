"""TOPdesk keeps department names and its settings lists unique without regard to case: a
tenant that holds "afdeling burgerzaken" refuses a department "Afdeling Burgerzaken". The plan
takes such a record for the blueprint's, so the adoption is in the plan (not decided by apply
when TOPdesk refuses the create), and renames it to the blueprint's case; a settings-list entry
made in another case ticks its checklist item."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from support import RecordedTarget

from usm_config.engine.diff import ADOPTED_IN_ANOTHER_CASE
from usm_config.engine.plan import Action
from usm_config.engine.records import Record

LOGIN = ("admin", "sandbox-app-password")  # the emulator's own login


def _names(live: Sequence[Record], kind: str) -> list[str]:
    return sorted(str(r.key[0]) for r in live if r.kind == kind)


def test_names_in_another_case_are_adopted_not_created(tmp_path: Path) -> None:
    site = RecordedTarget("topdesk", tmp_path, LOGIN)
    api = site.api
    theirs = api.ok("POST", "/tas/api/departments", {"name": "afdeling burgerzaken"})
    api.ok("POST", "/_sandbox/ui/lists/call_types", {"name": "INCIDENT"})

    plan = site.harness.plan()
    by_address = {c.address: c for c in plan.changes}
    department = by_address["department[Afdeling Burgerzaken]"]
    assert (department.action, department.reason, department.target_id) == (
        Action.ADOPT,
        ADOPTED_IN_ANOTHER_CASE,
        theirs["id"],
    )
    assert [(d.field, d.before, d.after) for d in department.diff] == [
        ("name", "afdeling burgerzaken", "Afdeling Burgerzaken")
    ]
    # The checklist item of the call type is ticked: TOPdesk has no second "Incident".
    assert "call_type[Incident]" not in by_address
    assert "call_type[Wens]" in by_address

    site.harness.converge()
    live = site.harness.live()
    departments = _names(live, "department")
    assert departments.count("Afdeling Burgerzaken") == 1
    assert "afdeling burgerzaken" not in departments
    assert site.harness.lock_path.is_file()
    assert '"adopted": true' in site.harness.lock_path.read_text(encoding="utf-8")
