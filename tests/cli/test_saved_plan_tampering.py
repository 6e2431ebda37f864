"""``apply --plan``: a saved plan that was edited is refused before anything is written."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_plan_apply_cli import Workspace

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.engine.plan import PLAN_FORMAT, Plan
from usm_config.runner import Context, PlanTampered, check_saved_plan
from usm_config.targets import ResolvedTarget, Target

Edit = Callable[[dict[str, Any]], None]


def first_create(plan: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in plan["changes"] if c["action"] == "create")


def edit_a_field(plan: dict[str, Any]) -> None:
    change = first_create(plan)
    name = next(iter(change["fields"]))
    change["fields"][name] = "Edited by hand"


def inject_a_change(plan: dict[str, Any]) -> None:
    change = copy.deepcopy(first_create(plan))
    change["key"] = ["Injected"]
    change["uid"] = "injected"
    plan["changes"].append(change)


def remove_a_change(plan: dict[str, Any]) -> None:
    plan["changes"].remove(first_create(plan))


def another_format(plan: dict[str, Any]) -> None:
    plan["format_version"] = PLAN_FORMAT + 1


def an_unknown_kind(plan: dict[str, Any]) -> None:
    first_create(plan)["kind"] = "sys_script"


TAMPERINGS: dict[str, tuple[Edit, str]] = {
    "edited field": (edit_a_field, "does not match its fingerprint: it was edited"),
    "injected change": (inject_a_change, "does not match its fingerprint: it was edited"),
    "removed change": (remove_a_change, "does not match its fingerprint: it was edited"),
    "format version": (
        another_format,
        f"format version {PLAN_FORMAT + 1}; this usm-config applies format",
    ),
    "unknown kind": (an_unknown_kind, "kinds adapter 'servicenow' does not have: sys_script"),
}


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, flow=False)


def test_a_saved_plan_carries_a_fingerprint_of_its_content(ws: Workspace) -> None:
    assert ws.run("plan", "tiny.yaml", "--out", "plan.json").exit_code == 0
    saved = Plan.model_validate_json(Path("plan.json").read_bytes())
    assert saved.intact and len(saved.plan_fingerprint) == 64


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_a_tampered_saved_plan_is_refused_before_any_write(ws: Workspace, tampering: str) -> None:
    edit, reason = TAMPERINGS[tampering]
    assert ws.run("plan", "tiny.yaml", "--out", "plan.json").exit_code == 0
    data = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    edit(data)
    Path("plan.json").write_text(json.dumps(data, indent=2), encoding="utf-8")

    refused = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert refused.exit_code == 1
    assert refused.stdout == "", "refused before the target was read"
    first, fix = refused.stderr.splitlines()[:2]
    assert re.match(r"plan\.json:\d+:\d+: error\[PLAN00\d\] ", first), refused.stderr
    assert reason in first
    assert fix == "    fix: make the plan again with 'usm-config plan --out FILE' and apply that"
    assert ws.expected_summary() in ws.run("plan", "tiny.yaml").stdout, "nothing was written"


def test_a_resealed_plan_with_foreign_kinds_is_refused_too(tmp_path: Path) -> None:
    """The kinds are checked on their own: a recomputed fingerprint does not get them in."""
    blueprint = Path(__file__).resolve().parents[2] / "blueprints" / "usm-reference.yaml"
    loaded = load_blueprint(blueprint)
    assert loaded.blueprint is not None
    target = ResolvedTarget(
        name="t", config=Target(adapter="servicenow", url="sandbox:"), base_dir=tmp_path
    )
    context = Context(loaded.blueprint, blueprint, target, load_adapter("servicenow"), environ={})
    data = {
        "tool_version": "0",
        "target": "t",
        "adapter": "servicenow",
        "blueprint": str(blueprint),
        "blueprint_fingerprint": "",
        "target_fingerprint": "",
        "live_fingerprint": "",
        "changes": [{"action": "create", "kind": "jira_issue_type", "key": ["x"], "reason": ""}],
    }
    forged = Plan.model_validate(data).sealed()
    with pytest.raises(PlanTampered, match="does not have: jira_issue_type"):
        check_saved_plan(context, forged)
    other = Plan.model_validate({**data, "adapter": "jsm", "changes": []}).sealed()
    with pytest.raises(PlanTampered, match="the plan is for adapter 'jsm'"):
        check_saved_plan(context, other)
