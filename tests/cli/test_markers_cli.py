"""Owner markers in the tool, across pipelines that cannot see each other's lock files.

The university's blueprint and a copy of it kept by another team (another organisation id,
in another folder: no ``lock_dir``, so each lock file lands beside its blueprint and neither
sees the other) are applied to one TOPdesk sandbox. TOPdesk's ``externalLink`` (departments,
knowledge items) tells the second whose records they are.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]
CAMPUS = "blueprints/examples/university.yaml"
IT = "university-it.yaml"
CAMPUS_LOCK = "blueprints/examples/university.td.lock.json"
IT_LOCK = "university-it.td.lock.json"
TARGETS = """\
targets:
  td:
    adapter: topdesk
    url: "sandbox:"
  js:
    adapter: jsm
    url: "sandbox:"
"""
#: What TOPdesk holds a marker on: the departments and the knowledge items both blueprints make.
MARKED = [
    *(
        f"department[{name}]"
        for name in ("Academic and professional services staff", "Research groups and institutes",
                     "Students")
    ),
    *(f"knowledge_item[USM workflow {n}: " for n in range(1, 9)),
]  # fmt: skip


def run(*args: str, target: str = "td") -> Result:
    result = CliRunner().invoke(cli, [*args, "--target", target, "--targets", "targets.yaml"])
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def summary_line(result: Result) -> str:
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("Plan: ")]
    return line


def lock_ids(path: str) -> set[tuple[str, str]]:
    records = json.loads(Path(path).read_text(encoding="utf-8"))["records"]
    return {(entry["kind"], entry["id"]) for entry in records.values()}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The blueprints, and the other team's copy in its own folder."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    text = Path(CAMPUS).read_text(encoding="utf-8")
    assert "\n  id: northfield-campus-services\n" in text
    text = text.replace("id: northfield-campus-services", "id: northfield-it", 1)
    Path(IT).write_text(text.replace("extends: ../", "extends: blueprints/", 1), encoding="utf-8")
    Path("targets.yaml").write_text(TARGETS, encoding="utf-8")


@pytest.fixture
def campus_applied(workspace: None) -> None:
    applied = run("apply", CAMPUS, "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output


def lines(result: Result, sign: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(f"  {sign} ")]


@pytest.mark.usefixtures("campus_applied")
def test_the_marker_in_the_tool_says_who_owns_a_record_the_lock_files_cannot() -> None:
    plan = run("plan", IT)
    assert plan.exit_code == 0, plan.output
    owned = lines(plan, "#")
    assert [line.split("]")[0][4:] + "]" for line in owned if "department" in line] == MARKED[:3]
    assert len(owned) == len(MARKED)
    for address, line in zip(MARKED, owned, strict=True):
        assert line.startswith(f"  # {address}")
        assert line.endswith(
            "owned: owned by northfield-campus-services (marked in the tool); left alone "
            "(--take-over adopts it)"
        )
    assert f", {len(MARKED)} owned by another blueprint" in summary_line(plan)
    # what TOPdesk cannot mark (branches, operator groups, services) is adopted as before
    adopted = lines(plan, "=")
    assert adopted and all("an unmanaged record with the same key exists" in a for a in adopted)
    assert not any("department" in a or "knowledge_item" in a for a in adopted)

    markdown = run("plan", IT, "-o", "markdown")
    assert f"| # owned | {len(MARKED)} |" in markdown.stdout
    assert "owned by northfield-campus-services (marked in the tool)" in markdown.stdout

    campus = lock_ids(CAMPUS_LOCK)
    applied = run("apply", IT, "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    assert f"and {len(MARKED)} record(s) another blueprint owns." in applied.stdout
    ours = lock_ids(IT_LOCK)
    assert not {kind for kind, _ in ours & campus} & {"department", "knowledge_item"}
    again = run("plan", IT, "-o", "summary")
    assert re.search(rf"Plan: 0 to create, 0 to update, .*{len(MARKED)} owned", again.stdout)

    # the first blueprint's own records are its own: nothing to do
    first = run("plan", CAMPUS, "-o", "summary")
    assert first.exit_code == 0, first.output
    assert summary_line(first) == "Plan: 0 to create, 0 to update, 0 to delete, 150 manual."


@pytest.mark.usefixtures("campus_applied")
def test_take_over_adopts_them_and_marks_what_an_update_can_mark() -> None:
    campus = lock_ids(CAMPUS_LOCK)
    plan = run("plan", IT, "--take-over")
    # rewriting every knowledge item's marker is a mass change like any other
    assert plan.exit_code == 1, plan.output
    assert "mass-change guard: knowledge_item: 8 of 8 existing records" in plan.stderr
    assert "owned by another blueprint" not in summary_line(plan)
    text = plan.stdout
    for n in range(1, 9):
        # a knowledge item's externalLink is rewritten to the new owner
        assert re.search(
            rf"  = knowledge_item\[USM workflow {n}: [^\]]*\]  adopt: owned by "
            r"northfield-campus-services \(marked in the tool\); taking it over\n"
            r"      owner: 'northfield-campus-services' → 'northfield-it'\n",
            text,
        )
    # a department's is written on create only (supporting files 2.7.11): adopted as it is
    assert re.search(
        r"  = department\[Students\]  adopt: owned by northfield-campus-services \(marked in "
        r"the tool\); taking it over\n  [^ ]",
        text,
    )
    # a saved plan takes them over as it was reviewed
    saved = run("plan", IT, "--take-over", "--mass-change-limit", "1", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output
    applied = run(
        "apply", IT, "--plan", "plan.json", "--mass-change-limit", "1", "--auto-approve",
        "-o", "summary",
    )  # fmt: skip
    assert applied.exit_code == 0, applied.output
    assert "Converged: a fresh plan shows no changes other than" in applied.stdout
    assert "another blueprint owns" not in applied.stdout
    # the previous owner is a marker, not a lock file beside this one: no lock file is touched
    assert [path.name for path in Path().glob("*.lock.json")] == [IT_LOCK]
    assert not Path("northfield-campus-services").exists()
    assert lock_ids(CAMPUS_LOCK) == campus

    converged = run("plan", IT, "-o", "summary")
    assert converged.exit_code == 0, converged.output
    assert summary_line(converged) == "Plan: 0 to create, 0 to update, 0 to delete, 150 manual."

    # the first blueprint's pipeline sees the new marker and leaves the items alone; its
    # departments still carry its own marker, which TOPdesk cannot change
    first = run("plan", CAMPUS)
    assert first.exit_code == 0, first.output
    owned = lines(first, "#")
    assert len(owned) == 8 and all(line.startswith("  # knowledge_item[") for line in owned)
    assert all("owned by northfield-it (marked in the tool)" in line for line in owned)
    assert ", 0 to update," in summary_line(first)


@pytest.mark.usefixtures("workspace")
def test_a_jira_project_property_marks_the_service_project() -> None:
    """Jira Service Management: the ``usm-config.owner`` project property is the marker."""
    assert run("apply", CAMPUS, "--auto-approve", "-o", "summary", target="js").exit_code == 0
    plan = run("plan", IT, target="js")
    assert plan.exit_code == 0, plan.output
    project, *inside = lines(plan, "#")
    assert project == (
        "  # project[NCS]  owned: owned by northfield-campus-services (marked in the tool); "
        "left alone (--take-over adopts it)"
    )
    # its components and request types carry no marker: they are the project owner's
    assert {line.split("[")[0] for line in inside} == {"  # component", "  # requesttype"}
    assert all(
        line.endswith(
            "owned: owned by northfield-campus-services (marked in the tool on project[NCS]); "
            "left alone (--take-over adopts it)"
        )
        for line in inside
    )
    owned = 1 + len(inside)
    assert f", {owned} owned by another blueprint" in summary_line(plan)

    taking = run("plan", IT, "--take-over", target="js")
    assert (
        "  = project[NCS]  adopt: owned by northfield-campus-services (marked in the tool); "
        "taking it over\n      owner: 'northfield-campus-services' → 'northfield-it'\n"
    ) in taking.stdout
    applied = run("apply", IT, "--auto-approve", "--take-over", "-o", "summary", target="js")
    assert applied.exit_code == 0, applied.output
    assert (
        "Converged: a fresh plan shows no changes other than 52 manual step(s)." in applied.stdout
    )
    first = run("plan", CAMPUS, "-o", "summary", target="js")
    assert summary_line(first) == (
        f"Plan: 0 to create, 0 to update, 0 to delete, 52 manual, {owned} owned by another "
        "blueprint."
    )
