"""The example pipelines in examples/ci run as written against the sandbox targets.

Each test runs a whole pipeline with :mod:`ci_harness`: the real ``usm-config`` of this
virtual environment, a fresh checkout per job, artifacts passed between jobs, and stubs for
``gh``, ``curl``, ``git`` and ``pip`` that record what would have been posted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ci_harness import JobRun, Runner, run_github, run_gitlab
from repo_copy import copy_repo

from usm_config import api

REPO = Path(__file__).resolve().parents[2]
GITHUB = REPO / "examples" / "ci" / "github"
GITLAB = REPO / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"
TARGETS = ["sandbox-test", "sandbox-prod"]
GITLAB_VARIABLES = {
    "CI_DEFAULT_BRANCH": "main",
    "CI_API_V4_URL": "https://gitlab.example/api/v4",
    "CI_PROJECT_ID": "42",
    "CI_MERGE_REQUEST_IID": "7",
    "CI_SERVER_HOST": "gitlab.example",
    "CI_PROJECT_PATH": "ict/usm",
    "USM_BOT_TOKEN": "stub-token",
}
# Without the Flow Designer flow (a manual step ServiceNow's API cannot build), the
# municipality converges completely, so a drift check after the merge finds nothing.
NO_MANUAL_FLOW = "workflows:\n  - {id: incident-without-change, x-servicenow: {}}\n"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """The repository the pipelines check out; a test may commit to it."""
    return copy_repo(tmp_path / "source")


@pytest.fixture
def runner(tmp_path: Path, source: Path) -> Runner:
    return Runner(tmp_path / "ci", lambda into: shutil.copytree(source, into))


def _ok(results: dict[str, list[JobRun]], order: list[str]) -> None:
    assert list(results) == order
    for runs in results.values():
        for run in runs:
            assert run.ok, f"{run.name} failed:\n{run.output()}"


def _commit_overlay(source: Path, text: str) -> None:
    for name in ("test", "prod"):
        path = source / "blueprints" / "environments" / "municipality" / f"{name}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


# GitHub Actions ---------------------------------------------------------------------------


def test_github_pull_request_validates_and_comments_each_plan(runner: Runner) -> None:
    results = run_github(runner, GITHUB / "usm-config.yml", "pull_request")

    _ok(results, ["plan-pull-request"])
    assert [r.name for r in results["plan-pull-request"]] == [
        f"plan-pull-request {t}" for t in TARGETS
    ]
    comments = runner.calls("gh")
    assert [c.args for c in comments] == [["pr", "comment", "7", "--body-file", "plan.md"]] * 2
    for target, comment in zip(TARGETS, comments, strict=True):
        body = comment.files["plan.md"]
        assert body.startswith(f"### usm-config plan: `{target}` (servicenow)")
        overlay = target.removeprefix("sandbox-")
        assert f"`blueprints/environments/municipality/{overlay}.yaml`" in body
    assert [c.args[:2] for c in runner.calls("pip")] == [["install", "usm-config"]] * 2
    assert not list(runner.instance.glob("*.lock.json")), "a pull request applies nothing"


def test_github_merge_promotes_test_then_prod_and_the_nightly_check_reports_drift(
    runner: Runner,
) -> None:
    results = run_github(runner, GITHUB / "usm-config.yml", "push")

    _ok(results, ["plan-test", "apply-test", "plan-prod", "apply-prod"])
    for job in ("apply-test", "apply-prod"):
        [run] = results[job]
        assert "Converged" in run.output()
    [plan_prod] = results["plan-prod"]
    summary = plan_prod.steps[-1][2]
    assert summary.startswith("### usm-config plan: `sandbox-prod`")
    assert (runner.instance / "municipality.sandbox-prod.lock.json").is_file()
    commits = [c.args for c in runner.calls("git") if c.args[0] == "commit"]
    assert commits == []  # the sandbox targets keep their locks in .usm-sandbox, not in git

    # The flow is a manual step nobody has built yet: drift (exit 2) on both targets.
    results = run_github(runner, GITHUB / "usm-config-drift.yml", "schedule")

    _ok(results, ["drift"])
    created = [c for c in runner.calls("gh") if c.args[:2] == ["issue", "create"]]
    assert len(created) == 2
    for target, call in zip(TARGETS, created, strict=True):
        title = call.args[call.args.index("--title") + 1]
        assert title == f"usm-config: {target} has drifted from the blueprint"
        assert "1 manual" in call.files["drift.md"]

    # An open drift issue gets a comment instead of a second issue.
    runner.environ["GH_OPEN_ISSUE"] = "12"
    _ok(run_github(runner, GITHUB / "usm-config-drift.yml", "schedule"), ["drift"])
    comments = [c for c in runner.calls("gh") if c.args[:2] == ["issue", "comment"]]
    assert [c.args[:3] for c in comments] == [["issue", "comment", "12"]] * 2


def test_github_apply_refuses_a_plan_made_before_a_change(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A saved plan is applied exactly, or not at all: here the live instance changed between
    plan-test and apply-test (someone applied by hand), so apply-test fails and prod is
    never planned."""
    import ci_harness

    real = ci_harness._github_action

    def apply_in_between(r: Runner, step: dict[str, object], cwd: Path, ctx: object) -> object:
        if step["uses"] == "actions/download-artifact@v4":
            code, out = r.shell(
                'usm-config apply "$BLUEPRINT" --target sandbox-test --auto-approve',
                cwd,
                {"BLUEPRINT": "blueprints/examples/municipality"},
                "-e",
            )
            assert code == 0, out
        return real(r, step, cwd, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(ci_harness, "_github_action", apply_in_between)
    results = run_github(runner, GITHUB / "usm-config.yml", "push")

    assert list(results) == ["plan-test", "apply-test"]
    [apply] = results["apply-test"]
    assert not apply.ok
    assert "has changed since the plan was made" in apply.output()


def test_github_drift_check_is_quiet_when_converged_and_fails_on_errors(
    runner: Runner, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _commit_overlay(source, NO_MANUAL_FLOW)
    monkeypatch.chdir(runner.workspace("converge"))  # both targets converged, as after a merge
    for target in TARGETS:
        assert api.apply("blueprints/examples/municipality", target).converged

    _ok(run_github(runner, GITHUB / "usm-config-drift.yml", "schedule"), ["drift"])
    assert runner.calls("gh") == []

    (source / "targets.yaml").write_text("targets: {}\n", encoding="utf-8")
    results = run_github(runner, GITHUB / "usm-config-drift.yml", "schedule")
    assert [r.ok for r in results["drift"]] == [False, False]
    assert "unknown target 'sandbox-test'" in results["drift"][0].output()
    assert runner.calls("gh") == []


# GitLab CI --------------------------------------------------------------------------------


def _gitlab(runner: Runner, source: str) -> dict[str, list[JobRun]]:
    branch = {"CI_COMMIT_BRANCH": "main"} if source in ("push", "schedule") else {}
    return run_gitlab(runner, GITLAB, source, {**GITLAB_VARIABLES, **branch})


def test_gitlab_merge_request_validates_and_posts_each_plan(runner: Runner) -> None:
    results = _gitlab(runner, "merge_request_event")

    _ok(results, ["plan-merge-request"])
    notes = runner.calls("curl")
    assert len(notes) == 2
    for target, note in zip(TARGETS, notes, strict=True):
        assert note.args[-1] == "https://gitlab.example/api/v4/projects/42/merge_requests/7/notes"
        assert "PRIVATE-TOKEN: stub-token" in note.args
        assert note.files["plan.md"].startswith(f"### usm-config plan: `{target}`")


def test_gitlab_schedule_opens_an_issue_on_drift(runner: Runner) -> None:
    # Nothing applied yet: every record is a change, so both targets have drifted.
    results = _gitlab(runner, "schedule")

    _ok(results, ["drift"])
    issues = runner.calls("curl")
    assert len(issues) == 2
    for target, issue in zip(TARGETS, issues, strict=True):
        assert issue.args[-1] == "https://gitlab.example/api/v4/projects/42/issues"
        assert f"title=usm-config: {target} has drifted from the blueprint" in issue.args
        assert "### usm-config plan: `" + target in issue.files["drift.md"]


def test_gitlab_default_branch_promotes_and_then_the_schedule_is_quiet(
    runner: Runner, source: Path
) -> None:
    _commit_overlay(source, NO_MANUAL_FLOW)

    results = _gitlab(runner, "push")

    _ok(results, ["plan-test", "apply-test", "plan-prod", "apply-prod"])
    assert [run.manual for run in results["apply-prod"]] == [True]
    assert [run.manual for run in results["apply-test"]] == [False]
    assert "Converged: a fresh plan shows no changes." in results["apply-prod"][0].output()
    assert [c.args[0] for c in runner.calls("git")] == ["add", "diff", "add", "diff"]

    _ok(_gitlab(runner, "schedule"), ["drift"])
    assert runner.calls("curl") == []
