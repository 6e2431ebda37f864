"""``usm-config migrate`` to and from TOPdesk: the municipality applied to JSM carried to
TOPdesk, and applied to TOPdesk carried to ServiceNow.

The fidelity reports are golden-filed in Markdown; both exit 2, since the agreements stay
behind (neither JSM's nor TOPdesk's API reads SLA targets or calendars), and the JSON report
names what TOPdesk could not read.
"""

from __future__ import annotations

import json
from pathlib import Path

from jsm_workspace import run
from support import assert_golden
from topdesk_workspace import readable, workspace

__all__ = ["workspace"]  # the fixture the tests use

GOLDEN = Path(__file__).resolve().parent / "golden"
MUNICIPALITY = "blueprints/examples/municipality"


def test_migrate_from_jsm_to_topdesk(workspace: Path) -> None:
    applied = run("apply", MUNICIPALITY, "-t", "sandbox-jsm", "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    result = run("migrate", "--from", "sandbox-jsm", "--to", "sandbox-topdesk", "-o", "markdown")
    assert result.exit_code == 2, result.output
    assert "to 'sandbox-topdesk' (topdesk)" in result.stdout
    assert_golden(GOLDEN / "migrate-municipality-jsm-to-topdesk.md", readable(result.stdout))


def test_migrate_from_topdesk_to_servicenow(workspace: Path) -> None:
    applied = run("apply", MUNICIPALITY, "-t", "sandbox-topdesk", "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    result = run("migrate", "--from", "sandbox-topdesk", "--to", "sandbox", "-o", "markdown")
    assert result.exit_code == 2, result.output
    assert_golden(GOLDEN / "migrate-municipality-topdesk-to-servicenow.md", readable(result.stdout))

    data = json.loads(
        run("migrate", "--from", "sandbox-topdesk", "--to", "sandbox", "-o", "json").stdout
    )
    assert data["lost"] is True
    lost = {f["record"] for f in data["lost_on_export"]}
    assert "service_window[*], service_level[*]" in lost
    assert "problem_status[*]" in lost
    # The workflows read back from TOPdesk's knowledge items arrive in ServiceNow as well.
    workflows = [e for e in data["elements"] if e["what"] == "workflow"]
    assert len(workflows) == 8
