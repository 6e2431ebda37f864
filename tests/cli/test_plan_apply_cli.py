"""``usm-config plan`` and ``apply`` end to end on the embedded ServiceNow sandbox.

Every test runs in its own folder with its own ``targets.yaml`` (passed with ``--targets``)
and a small blueprint built on the reference library, so the sandbox state and the lock
file live in ``tmp_path``. No output may hold a traceback.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from usm_servicenow.sandbox_baseline import baseline
from usm_servicenow.sandbox_store import RecordStore

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.cli import cli
from usm_config.engine.plan import PLAN_FORMAT
from usm_config.engine.records import Op

REPO = Path(__file__).resolve().parents[2]
FLOW = "Major incident notification"

BLUEPRINT = """\
usm: 1
extends: usm-reference.yaml
organisation: {id: tiny-org, name: Tiny Org, locale: en, timezone: Europe/London}
customers:
  - {id: staff, name: Staff, kind: internal}
teams:
  - {id: desk, name: Service Desk, kind: internal, email: desk@tiny.example}
schedules:
  - id: office
    name: Office hours
    timezone: Europe/London
    spans:
      - {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00"}
services:
  - id: email
    name: E-mail
    description: Mail and calendars.
    supported_by: [desk]
    agreements:
      service:
        id: sa-email
        customer: staff
        service_hours: office
        support_hours: office
        channels: [portal, phone]
        targets:
          - {priority: p1, response: 30m, resolution: 4h}
          - {priority: p2, response: 1h, resolution: 8h}
          - {priority: p3, response: 4h, resolution: 3d}
          - {priority: p4, response: 1d, resolution: 10d}
"""
WITH_FLOW = f"""\
workflows:
  - id: incident-without-change
    x-servicenow: {{flow: "{FLOW}"}}
"""

TARGETS = """\
targets:
  sandbox:
    adapter: servicenow
    url: "sandbox:"
    lock_dir: .usm-sandbox
  prod:
    adapter: servicenow
    url: https://tiny.example.invalid
    auth: {type: basic, username_env: USM_TEST_SN_USER, password_env: USM_TEST_SN_PASSWORD}
"""


class Workspace:
    """A folder with a blueprint, a targets file and (once used) a sandbox."""

    def __init__(self, folder: Path, *, flow: bool) -> None:
        self.folder = folder
        shutil.copy(REPO / "blueprints" / "usm-reference.yaml", folder / "usm-reference.yaml")
        self.blueprint = folder / "tiny.yaml"
        self.blueprint.write_text(BLUEPRINT + (WITH_FLOW if flow else ""), encoding="utf-8")
        self.targets = folder / "targets.yaml"
        self.targets.write_text(TARGETS, encoding="utf-8")

    def run(
        self, *args: str, targets: Path | None = None, env: Mapping[str, str | None] | None = None
    ) -> Result:
        """``usm-config ARGS BLUEPRINT --targets FILE`` (the blueprint only for commands that
        take one); asserts that nothing crashed."""
        argv = [*args, "--targets", str(targets or self.targets)]
        result = CliRunner().invoke(cli, argv, env=env)
        assert "Traceback" not in result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    def expected_summary(self) -> str:
        """The summary line of a plan on a fresh sandbox: what it holds out of the box is
        adopted, the rest created (or a manual step)."""
        loaded = load_blueprint(self.blueprint)
        assert loaded.blueprint is not None
        adapter = load_adapter("servicenow")
        records = adapter.compile(loaded.blueprint).records
        out_of_box = {
            (table, tuple(str(row[f]) for f in adapter.kinds[table].key_fields)): row
            for table, rows in baseline()["tables"].items()
            if table in adapter.kinds
            and not set(adapter.kinds[table].key_fields) & set(adapter.kinds[table].references)
            for row in rows
        }
        adopted = [r for r in records if (r.kind, r.key) in out_of_box]
        # An adoption that rewrites fields of the out-of-box record also counts as an update.
        updated = sum(
            any(
                not isinstance(value, dict) and str(out_of_box[(r.kind, r.key)].get(f)) != value
                for f, value in r.fields.items()
            )
            for r in adopted
        )
        creates = sum(
            Op.CREATE in adapter.kinds[r.kind].operations and (r.kind, r.key) not in out_of_box
            for r in records
        )
        manual = len(records) - creates - len(adopted)
        text = f"{creates} to create, {updated} to update, 0 to delete, {manual} manual"
        if adopted:
            text += f", {len(adopted)} to adopt"
        if updated:
            text += f" ({updated} of them updated)"
        return text

    def sandbox_store(self) -> RecordStore:
        """The sandbox's records, to change them behind the tool's back."""
        return RecordStore(self.folder / ".usm-sandbox" / "sandbox.sqlite3")

    def insert(self, table: str, **fields: str) -> None:
        store = self.sandbox_store()
        try:
            store.insert(table, {"sys_id": uuid.uuid4().hex, **fields})
        finally:
            store.close()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, flow=True)


@pytest.fixture
def ws_no_flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, flow=False)


def test_plan_shows_the_changes_and_the_summary(ws: Workspace) -> None:
    result = ws.run("plan", "tiny.yaml")
    assert result.exit_code == 0, result.output
    assert f"Plan: {ws.expected_summary()}." in result.stdout
    assert re.search(r"1 manual", ws.expected_summary())
    assert "sys_user_group[Service Desk]" in result.stdout
    assert "cmdb_ci_service_business[E-mail]" in result.stdout
    assert f"sys_hub_flow[{FLOW}]" in result.stdout
    assert "Flow Designer" in result.stdout  # what to do by hand


def test_detailed_exitcode_is_2_with_changes_and_0_once_applied(ws_no_flow: Workspace) -> None:
    ws = ws_no_flow
    assert ws.run("plan", "tiny.yaml", "--detailed-exitcode").exit_code == 2
    applied = ws.run("apply", "tiny.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Converged: a fresh plan shows no changes." in applied.stdout
    after = ws.run("plan", "tiny.yaml", "--detailed-exitcode")
    assert after.exit_code == 0, after.output
    assert "Plan: 0 to create, 0 to update, 0 to delete, 0 manual." in after.stdout


def test_a_pending_manual_step_counts_as_a_change_until_it_is_done(ws: Workspace) -> None:
    applied = ws.run("apply", "tiny.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "1 manual step(s) pending" in applied.stdout
    pending = ws.run("plan", "tiny.yaml", "--detailed-exitcode")
    assert pending.exit_code == 2
    assert "Plan: 0 to create, 0 to update, 0 to delete, 1 manual." in pending.stdout
    ws.insert("sys_hub_flow", name=FLOW)  # someone builds the flow in Flow Designer
    done = ws.run("plan", "tiny.yaml", "--detailed-exitcode")
    assert done.exit_code == 0, done.output


def test_apply_without_auto_approve_and_without_a_terminal_refuses(ws: Workspace) -> None:
    result = ws.run("apply", "tiny.yaml")
    assert result.exit_code == 1
    assert "refusing to apply without confirmation; pass --auto-approve" in result.stderr
    assert ws.expected_summary() in ws.run("plan", "tiny.yaml").stdout, "nothing was written"


def test_a_saved_plan_applies_exactly_and_then_refuses_to_apply_again(ws: Workspace) -> None:
    saved = ws.run("plan", "tiny.yaml", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output
    assert "saved the plan to plan.json" in saved.stderr
    assert (
        json.loads(Path("plan.json").read_text(encoding="utf-8"))["format_version"] == PLAN_FORMAT
    )

    applied = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert applied.exit_code == 0, applied.output
    assert "Converged" in applied.stdout

    again = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert again.exit_code == 1
    assert "has changed since the plan was made; plan again" in again.stderr


def test_a_saved_plan_refuses_after_the_sandbox_changed(ws: Workspace) -> None:
    assert ws.run("plan", "tiny.yaml", "--out", "plan.json").exit_code == 0
    # The priority lookup is the one table a plan reads whole.
    ws.insert("dl_u_priority", impact="9", urgency="9", priority="5")
    result = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the live instance")
    assert "has changed since the plan was made; plan again" in result.stderr
    assert ws.expected_summary() in ws.run("plan", "tiny.yaml").stdout, "nothing was written"


def test_a_saved_plan_refuses_after_the_blueprint_changed(ws: Workspace) -> None:
    assert ws.run("plan", "tiny.yaml", "--out", "plan.json").exit_code == 0
    text = ws.blueprint.read_text(encoding="utf-8").replace("Service Desk", "The Desk")
    ws.blueprint.write_text(text, encoding="utf-8")
    result = ws.run("apply", "tiny.yaml", "--plan", "plan.json")
    assert result.exit_code == 1
    assert "the blueprint has changed since the plan was made" in result.stderr


def test_plan_as_json(ws: Workspace) -> None:
    result = ws.run("plan", "tiny.yaml", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format_version"] == PLAN_FORMAT
    assert data["target"] == "sandbox"
    assert data["adapter"] == "servicenow"
    actions = {change["action"] for change in data["changes"]}
    assert actions == {"create", "manual", "adopt"}  # adopt: the sandbox's out-of-box records


def test_plan_as_markdown(ws: Workspace) -> None:
    result = ws.run("plan", "tiny.yaml", "-o", "markdown")
    assert result.exit_code == 0, result.output
    assert f"**{ws.expected_summary()}**" in result.stdout
    assert "| action | count |" in result.stdout


def test_plan_as_a_summary_counts_changes_per_kind(ws: Workspace) -> None:
    result = ws.run("plan", "tiny.yaml", "-o", "summary")
    assert result.exit_code == 0, result.output
    assert f"Plan: {ws.expected_summary()}." in result.stdout
    # The team 'Service Desk' takes over the sandbox's out-of-box group of that name.
    assert re.search(r"^  sys_user_group\s+=1$", result.stdout, re.MULTILINE)
    assert f"    ! sys_hub_flow[{FLOW}]" in result.stdout
    assert "Flow Designer" not in result.stdout  # the details are in the text plan
    applied = ws.run("apply", "tiny.yaml", "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    assert re.search(r"^  sys_user_group\s+=1$", applied.stdout, re.MULTILINE)
    assert "Converged" in applied.stdout


def test_plan_artifacts_are_an_update_set_that_parses(ws: Workspace) -> None:
    result = ws.run("plan", "tiny.yaml", "--artifacts", "out")
    assert result.exit_code == 0, result.output
    xml = Path("out") / "update-set.xml"
    assert "wrote out/update-set.xml" in result.stderr
    root = ET.parse(xml).getroot()
    assert len(list(root.iter())) > 10
    assert "sys_user_group" in xml.read_text(encoding="utf-8")


def test_an_unknown_target_gets_a_did_you_mean(ws: Workspace) -> None:
    result = ws.run("plan", "tiny.yaml", "--target", "sandbx")
    assert result.exit_code == 1
    assert "unknown target 'sandbx' (did you mean 'sandbox'?)" in result.stderr


def test_a_targets_file_without_the_default_target_says_it_is_the_default(ws: Workspace) -> None:
    targets = Path("prod-only.yaml")
    targets.write_text(TARGETS.replace("  sandbox:", "  staging:"), "utf-8")
    result = ws.run("plan", "tiny.yaml", targets=targets)
    assert result.exit_code == 1
    assert "unknown target 'sandbox'" in result.stderr
    assert (
        "use one of: prod, staging ('sandbox' is the target a command uses without --target)"
        in (result.stderr)
    )


def test_an_unknown_adapter_gets_a_did_you_mean(ws: Workspace) -> None:
    targets = Path("bad-adapter.yaml")
    targets.write_text(TARGETS.replace("adapter: servicenow", "adapter: servicenw"), "utf-8")
    result = ws.run("plan", "tiny.yaml", targets=targets)
    assert result.exit_code == 1
    line = next(line for line in result.stderr.splitlines() if "servicenw" in line)
    assert re.match(r"bad-adapter\.yaml:\d+:5: error\[TGT017\] targets\.\w+\.adapter: ", line)
    assert "no installed adapter is called 'servicenw' (did you mean 'servicenow'?)" in line


def test_a_typo_in_targets_yaml_is_reported_where_it_is(ws: Workspace) -> None:
    targets = Path("typo.yaml")
    targets.write_text(TARGETS.replace("lock_dir:", "lock_dri:"), "utf-8")
    result = ws.run("plan", "tiny.yaml", targets=targets)
    assert result.exit_code == 1
    line = next(line for line in result.stderr.splitlines() if "lock_dri" in line)
    assert re.match(r"typo\.yaml:5:5: error", line), line
    assert "did you mean 'lock_dir'" in line


def test_a_missing_credential_names_the_variable(ws: Workspace) -> None:
    env = {"USM_TEST_SN_USER": "robot", "USM_TEST_SN_PASSWORD": None}
    result = ws.run("plan", "tiny.yaml", "--target", "prod", env=env)
    assert result.exit_code == 1
    assert "USM_TEST_SN_PASSWORD" in result.stderr
    assert result.stderr.startswith("error: ")


def test_adapters_lists_servicenow_and_jsm() -> None:
    result = CliRunner().invoke(cli, ["adapters"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^servicenow\s", result.stdout, re.MULTILINE)
    assert re.search(r"^jsm\s.*sandbox", result.stdout, re.MULTILINE)
    assert "Traceback" not in result.output


def test_sandbox_reset_refuses_a_target_that_is_not_a_sandbox(ws: Workspace) -> None:
    result = ws.run("sandbox", "reset", "tiny.yaml", "--target", "prod")
    assert result.exit_code == 1
    assert "target 'prod' is not a sandbox; refusing to reset it" in result.stderr


def test_sandbox_reset_empties_a_sandbox_target(ws: Workspace) -> None:
    assert ws.run("apply", "tiny.yaml", "--auto-approve").exit_code == 0
    reset = ws.run("sandbox", "reset", "tiny.yaml", "--target", "sandbox")
    assert reset.exit_code == 0, reset.output
    assert not (ws.folder / ".usm-sandbox" / "tiny.sandbox.lock.json").exists()
    assert ws.expected_summary() in ws.run("plan", "tiny.yaml").stdout


def test_apply_with_only_manual_steps_left_applies_nothing(ws: Workspace) -> None:
    assert ws.run("apply", "tiny.yaml", "--auto-approve").exit_code == 0
    again = ws.run("apply", "tiny.yaml", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "Plan: 0 to create, 0 to update, 0 to delete, 1 manual." in again.stdout
    assert again.stdout.endswith("Nothing to apply.\n")


def test_the_mass_change_guard_refuses_and_says_how_to_allow_it(ws: Workspace) -> None:
    assert ws.run("apply", "tiny.yaml", "--auto-approve").exit_code == 0
    text = ws.blueprint.read_text(encoding="utf-8")
    ws.blueprint.write_text(text[: text.index("services:")] + "services: []\n", "utf-8")
    refused = ws.run("apply", "tiny.yaml", "--prune", "--auto-approve")
    assert refused.exit_code == 1
    assert "to delete" in refused.stdout, "the plan is shown before the refusal"
    assert re.match(r"error: mass-change guard: \w+: \d+ of \d+ existing", refused.stderr)
    assert refused.stderr.rstrip().endswith(
        "of a kind; if this is intended, raise it with --mass-change-limit"
    )
    assert "Applied" not in refused.stdout
    allowed = ws.run("apply", "tiny.yaml", "--prune", "--auto-approve", "--mass-change-limit", "1")
    assert allowed.exit_code == 0, allowed.output
    assert "Converged" in allowed.stdout


def test_a_saved_plan_applies_with_the_blueprint_and_target_it_was_made_for(
    ws: Workspace,
) -> None:
    """``apply --plan plan.json`` alone, as a pipeline's apply step runs it: the blueprint and
    the target the plan names; a target or blueprint given still wins (and must fit)."""
    targets = ws.folder / "staged.yaml"
    targets.write_text(
        'targets:\n  staging: {adapter: servicenow, url: "sandbox:", lock_dir: staged}\n',
        encoding="utf-8",
    )
    assert ws.run("plan", "tiny.yaml", "-t", "staging", "--out", "plan.json", targets=targets)

    elsewhere = ws.run("apply", "--plan", "plan.json", "-t", "sandbox", "--auto-approve")
    assert elsewhere.exit_code == 1
    assert "the plan was made for target 'staging', not for 'sandbox'" in elsewhere.stderr

    applied = ws.run("apply", "--plan", "plan.json", "--auto-approve", targets=targets)
    assert applied.exit_code == 0, applied.output
    assert "Plan for target 'staging' (servicenow) from tiny.yaml" in applied.stdout
    assert "Converged" in applied.stdout
    assert (ws.folder / "staged" / "tiny.staging.lock.json").is_file()

    plain = ws.run("apply", "--auto-approve")
    assert plain.exit_code == 2
    assert "Missing argument 'PATH'" in plain.output


def test_a_saved_plan_whose_blueprint_is_elsewhere_says_to_name_it(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ws.run("plan", "tiny.yaml", "--out", "plan.json").exit_code == 0
    (ws.folder / "sub").mkdir()
    monkeypatch.chdir(ws.folder / "sub")
    result = ws.run("apply", "--plan", "../plan.json", "--auto-approve")
    assert result.exit_code == 1
    assert "../plan.json:6:3: error[PLAN007] blueprint: the blueprint this plan was made" in (
        result.stderr
    )
    assert "usm-config apply BLUEPRINT --plan ../plan.json" in result.stderr
