"""usm_config.api returns the objects the command line prints, and fails the way it does."""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path

import pytest
from click.testing import CliRunner

from usm_config import aio, api
from usm_config.cli import cli
from usm_config.diagnostics import DiagnosticError, Severity
from usm_config.render.plan import render_json
from usm_config.runner import PlanMismatch, Session

REPO = Path(__file__).resolve().parents[2]
MUNICIPALITY = "blueprints/examples/municipality"


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_load_and_show_give_what_show_prints(workspace: Path) -> None:
    blueprint = api.load(MUNICIPALITY, target="sandbox-test")

    assert isinstance(blueprint, api.Blueprint)
    assert "woo-publicatie" in {s.id for s in blueprint.services}
    shown = json.loads(_cli("show", MUNICIPALITY, "--target", "sandbox-prod", "-o", "json"))
    assert api.show(MUNICIPALITY, target="sandbox-prod") == shown
    assert "woo-publicatie" not in {s["id"] for s in shown["services"]}


def test_validate_returns_the_located_diagnostics(workspace: Path) -> None:
    assert api.validate(MUNICIPALITY, target="sandbox-test", strict=True) == []
    overlay = Path("blueprints/environments/municipality/prod.yaml")
    overlay.write_text("omit: {services: [intranett]}\n", "utf-8")

    [problem] = api.validate(MUNICIPALITY, target="sandbox-prod")

    assert (problem.severity, problem.code) == (Severity.ERROR, "LOAD012")
    assert str(problem.location) == f"{overlay}:1:19"
    with pytest.raises(DiagnosticError) as raised:
        api.load(MUNICIPALITY, target="sandbox-prod")
    assert raised.value.diagnostics == (problem,)


def test_validate_reports_a_bad_target_as_a_diagnostic(workspace: Path) -> None:
    [problem] = api.validate(MUNICIPALITY, target="nope")

    assert problem.code == "TGT003"
    assert "unknown target 'nope'" in problem.message


def test_strict_turns_warnings_into_errors(workspace: Path) -> None:
    Path("blueprints/environments/municipality/prod.yaml").write_text(
        "teams:\n  - {id: idle, name: Idle, kind: internal, email: idle@lindeveen.example}\n",
        "utf-8",
    )
    [warning] = api.validate(MUNICIPALITY, target="sandbox-prod")
    assert (warning.severity, warning.code) == (Severity.WARNING, "SVC006")
    assert api.load(MUNICIPALITY, target="sandbox-prod")  # a warning does not stop a load
    [error] = api.validate(MUNICIPALITY, target="sandbox-prod", strict=True)
    assert (error.severity, error.code) == (Severity.ERROR, "SVC006")
    with pytest.raises(DiagnosticError):
        api.load(MUNICIPALITY, target="sandbox-prod", strict=True)


def test_plan_is_the_plan_the_cli_prints(workspace: Path) -> None:
    plan = api.plan(MUNICIPALITY, "sandbox-test")

    assert isinstance(plan, api.Plan)
    assert plan.overlays == ("blueprints/environments/municipality/test.yaml",)
    assert render_json(plan) == _cli("plan", MUNICIPALITY, "--target", "sandbox-test", "-o", "json")


def test_apply_a_saved_plan_then_refuse_a_stale_one(workspace: Path) -> None:
    _cli("plan", MUNICIPALITY, "--target", "sandbox-test", "--out", "plan.json")
    stale = api.plan(MUNICIPALITY, "sandbox-test")

    outcome = api.apply(MUNICIPALITY, "sandbox-test", plan="plan.json")

    assert isinstance(outcome, api.RunOutcome)
    assert outcome.applied and outcome.converged
    assert outcome.plan == stale
    with pytest.raises(PlanMismatch, match="live instance"):
        api.apply(MUNICIPALITY, "sandbox-test", plan=stale)
    again = api.apply(MUNICIPALITY, "sandbox-test")
    assert not again.applied and again.converged is False  # nothing applied, nothing re-planned
    assert [c.action for c in again.plan.changes] == ["manual"]


def test_a_missing_credential_is_raised_not_printed(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from usm_config.http import MissingCredentialError

    monkeypatch.delenv("SN_USER", raising=False)
    with pytest.raises(MissingCredentialError, match="SN_USER"):
        api.plan(MUNICIPALITY, "example-basic")


def test_the_python_example_runs(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(REPO / "examples" / "python" / "promote.py"), run_name="__main__")

    out = capsys.readouterr().out
    # A fresh sandbox: the municipality is created, what the instance has is adopted.
    assert re.search(r"^sandbox-test: \d+ to create, .* to adopt", out, flags=re.MULTILINE), out
    assert "converged: True" in out


def _readme_examples() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    return [block for block in blocks if "usm_config import api" in block]


@pytest.mark.parametrize("source", _readme_examples())
def test_the_readme_example_runs(workspace: Path, source: str) -> None:
    exec(compile(source, "README.md", "exec"), {"__name__": "__main__"})


def test_the_target_parallelism_is_the_client_s_and_a_run_s_parallelism_overrides_it(
    workspace: Path,
) -> None:
    text = (workspace / "targets.yaml").read_text(encoding="utf-8")
    (workspace / "targets.yaml").write_text(
        text.replace("  sandbox:\n", "  sandbox:\n    parallelism: 3\n", 1), encoding="utf-8"
    )
    ctx = api.context(MUNICIPALITY, "sandbox")

    async def run() -> tuple[int, int]:
        async with Session.open(ctx) as session:
            configured = session.client.parallelism
            await session.run(parallelism=7, approve=lambda plan: False)
            return configured, session.client.parallelism

    assert aio.run(run()) == (3, 7)
