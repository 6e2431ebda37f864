"""Two blueprints on one target: the reference library and the municipality (which extends it)
applied to one ServiceNow sandbox, with both lock files in one ``lock_dir``. The second never
adopts or changes the first's records unless told to with ``--take-over``."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]
REFERENCE = "blueprints/usm-reference.yaml"
MUNICIPALITY = "blueprints/examples/municipality"
REFERENCE_LOCK = ".usm-sandbox/usm-reference.sandbox.lock.json"
MUNICIPALITY_LOCK = ".usm-sandbox/municipality.sandbox.lock.json"
TARGETS = """\
targets:
  sandbox:
    adapter: servicenow
    url: "sandbox:"
    lock_dir: .usm-sandbox
"""


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, [*args, "--targets", "targets.yaml"])
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def lock_ids(path: str) -> set[tuple[str, str]]:
    records = json.loads(Path(path).read_text(encoding="utf-8"))["records"]
    return {(entry["kind"], entry["id"]) for entry in records.values()}


@pytest.fixture
def reference_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    Path("targets.yaml").write_text(TARGETS, encoding="utf-8")
    applied = run("apply", REFERENCE, "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output


def summary_line(result: Result) -> str:
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("Plan: ")]
    return line


@pytest.mark.usefixtures("reference_applied")
def test_the_second_blueprint_adopts_nothing_of_the_first_and_says_who_owns_it() -> None:
    plan = run("plan", MUNICIPALITY)
    assert plan.exit_code == 0, plan.output
    line = summary_line(plan)
    # Only what the sandbox holds out of the box is adopted, nothing of the reference's.
    adoptions = [line for line in plan.stdout.splitlines() if line.startswith("  = ")]
    assert adoptions == [
        "  = sys_user_group_type[itil]  adopt: an unmanaged record with the same key exists; "
        "taking it over"
    ]
    owned = int(re.search(r", (\d+) owned by another blueprint", line).group(1))  # type: ignore[union-attr]
    assert owned > 40
    owned_lines = [line for line in plan.stdout.splitlines() if line.startswith("  # ")]
    assert len(owned_lines) == owned
    assert all(
        f"owned: managed by another blueprint's lock file {REFERENCE_LOCK}; left alone "
        "(--take-over adopts it)" in line
        for line in owned_lines
    )
    # a reviewer sees how the two blueprints differ on a record they share
    assert "  # chg_model[USM change]  owned:" in plan.stdout

    markdown = run("plan", MUNICIPALITY, "-o", "markdown")
    assert f"| # owned | {owned} |" in markdown.stdout
    assert f"managed by another blueprint's lock file {REFERENCE_LOCK}" in markdown.stdout

    before = lock_ids(REFERENCE_LOCK)
    applied = run("apply", MUNICIPALITY, "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    assert (
        f"Converged: a fresh plan shows no changes other than 1 manual step(s) and {owned} "
        "record(s) another blueprint owns." in applied.stdout
    )
    assert not lock_ids(MUNICIPALITY_LOCK) & before, "no record of the reference was adopted"
    assert lock_ids(REFERENCE_LOCK) == before

    reference = run("plan", REFERENCE, "--detailed-exitcode")
    assert reference.exit_code == 0, reference.output
    assert "No changes. The target matches the blueprint." in reference.stdout


@pytest.mark.usefixtures("reference_applied")
def test_take_over_adopts_them_and_moves_them_to_the_new_owner() -> None:
    before = lock_ids(REFERENCE_LOCK)
    plan = run("plan", MUNICIPALITY, "--take-over")
    line = summary_line(plan)
    taking = f"blueprint's lock file {REFERENCE_LOCK}; taking it over"
    adopted = sum(taking in line for line in plan.stdout.splitlines())
    assert adopted > 40
    assert "owned by another blueprint" not in line
    assert f"  = chg_model[USM change]  adopt: managed by another {taking}" in plan.stdout
    # adoptions that change fields count as updates
    updates = int(re.search(r", (\d+) to update", line).group(1))  # type: ignore[union-attr]
    assert updates > 0 and f"to adopt ({updates} of them updated)" in line

    # rewriting most of the records of a kind by adoption trips the mass-change guard
    refused = run("apply", MUNICIPALITY, "--auto-approve", "--take-over", "-o", "summary")
    assert refused.exit_code == 1
    # The change model's states, which the Dutch blueprint names in Dutch.
    assert "mass-change guard: sttrm_state: 7 of 7 existing records" in refused.stderr
    assert lock_ids(REFERENCE_LOCK) == before
    applied = run(
        "apply", MUNICIPALITY, "--auto-approve", "--take-over", "--mass-change-limit", "1"
    )
    assert applied.exit_code == 0, applied.output
    taken = lock_ids(MUNICIPALITY_LOCK) & before
    assert len(taken) == adopted
    assert not lock_ids(REFERENCE_LOCK) & taken, "they left the reference's lock file"

    # the reference now sees them as the municipality's, and leaves them alone
    reference = run("plan", REFERENCE, "--detailed-exitcode")
    assert reference.exit_code == 2, "they differ from the reference blueprint"
    assert f", {adopted} owned by another blueprint" in summary_line(reference)
    assert f"lock file {MUNICIPALITY_LOCK}; left alone" in reference.stdout
    assert ", 0 to update," in summary_line(reference)
