"""A workflow renamed in Jira: the REST API cannot rename it back (its workflow update takes no
name), so the plan lists the rename as a manual step. The schemes point at the workflow itself,
not at its name, so they are not rewritten to a name Jira no longer has; once an administrator
renames it back, the plan is converged again. Groups, which the API cannot rename either, are
the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RecordedTarget
from usm_jsm.kinds import GROUP_HINT, WORKFLOW_HINT
from usm_jsm.writes import SchemeInUse

from usm_config.engine.plan import Action

LOGIN = ("admin@example.com", "sandbox-token")  # the emulator's own login


def _id(site: RecordedTarget, kind: str, name: str) -> str:
    (found,) = [r for r in site.harness.live() if r.kind == kind and r.key == (name,)]
    assert found.target_id
    return found.target_id


def _pending(site: RecordedTarget) -> list[tuple[str, str, str]]:
    """The plan's changes except the manual steps a converged JSM plan always holds."""
    return [
        (c.action, c.address, c.reason)
        for c in site.harness.plan().changes
        if c.action != Action.MANUAL or c.kind in ("workflow", "group")
    ]


def test_a_workflow_renamed_in_jira_is_a_manual_step_and_nothing_else(tmp_path: Path) -> None:
    site = RecordedTarget("jsm", tmp_path, LOGIN)
    site.harness.converge()
    workflow = _id(site, "workflow", "USM Afspreken")
    site.api.ok("PUT", f"/_sandbox/ui/workflow/{workflow}/name", {"name": "USM Afspreken (oud)"})

    plan = site.harness.plan()
    (step,) = [c for c in plan.changes if c.kind == "workflow"]
    assert (step.action, step.target_id, step.instructions) == (
        Action.MANUAL,
        workflow,
        WORKFLOW_HINT,
    )
    assert step.reason.endswith("the API cannot rename workflow records")
    assert _pending(site) == [(Action.MANUAL, "workflow[USM Afspreken]", step.reason)]
    outcome = site.harness.apply()
    assert outcome.result.failed == [] and outcome.result.done == []  # nothing to write

    site.api.ok("PUT", f"/_sandbox/ui/workflow/{workflow}/name", {"name": "USM Afspreken"})
    assert _pending(site) == []


def test_a_group_renamed_in_jira_is_a_manual_step(tmp_path: Path) -> None:
    site = RecordedTarget("jsm", tmp_path, LOGIN)
    site.harness.converge()
    group = _id(site, "group", "ICT-servicedesk")
    site.api.ok("PUT", f"/_sandbox/ui/group/{group}/name", {"name": "Servicedesk ICT"})
    (step,) = [c for c in site.harness.plan().changes if c.kind == "group" and c.target_id]
    assert (step.action, step.instructions) == (Action.MANUAL, GROUP_HINT)
    assert [(d.before, d.after) for d in step.diff] == [("Servicedesk ICT", "ICT-servicedesk")]

    site.api.ok("PUT", f"/_sandbox/ui/group/{group}/name", {"name": "ICT-servicedesk"})
    assert _pending(site) == []


def test_a_mapping_change_of_a_scheme_in_use_says_what_to_do(tmp_path: Path) -> None:
    """Jira changes the mappings of a scheme a project uses only through a draft, whose publish
    moves issues between statuses: the refusal says which mapping to make by hand, and where."""
    site = RecordedTarget("jsm", tmp_path, LOGIN)
    site.harness.converge()
    live = site.harness.live()
    (scheme,) = [r for r in live if r.kind == "workflowscheme" and r.key[0].startswith("USM")]
    agree = _id(site, "workflow", "USM Afspreken")
    (other,) = [r for r in live if r.kind == "issuetype" and r.key == ("Task",)]
    fields = {"scheme": scheme.target_id, "issueType": other.target_id, "workflow": agree}
    with pytest.raises(SchemeInUse) as refused:
        site.harness.create("workflowscheme_mapping", fields)
    said = str(refused.value)
    assert "returned HTTP 400" in said
    assert f"edit '{scheme.key[0]}' so that it maps issue type 'Task'" in said
    assert "to workflow 'USM Afspreken', publish the draft, then plan again" in said
