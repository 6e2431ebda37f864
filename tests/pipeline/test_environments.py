"""Environments: a target's overlays are laid over the blueprint, checked as one, located in
their own files, named in every plan, and applied per target with its own state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from usm_config.blueprint.loader import load_blueprint
from usm_config.cli import cli

MUNICIPALITY = "blueprints/examples/municipality"
OVERLAYS = Path("blueprints/environments/municipality")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_each_environment_merges_its_overlay(workspace: Path) -> None:
    base = load_blueprint(MUNICIPALITY).blueprint
    test = load_blueprint(MUNICIPALITY, [OVERLAYS / "test.yaml"]).blueprint
    prod = load_blueprint(MUNICIPALITY, [OVERLAYS / "prod.yaml"]).blueprint
    assert base is not None and test is not None and prod is not None

    teams = {t.id: t for t in test.teams}
    assert teams["werkplek"].name == "TST Team Werkplek"
    assert teams["werkplek"].email == "ict-test@lindeveen.example"
    # Tailoring keeps the keys the overlay does not set.
    assert teams["werkplek"].description == {t.id: t for t in base.teams}["werkplek"].description
    assert test.organisation.name.endswith("(test)")
    assert test.organisation.locale == "nl"
    services = {s.id: s for s in test.services}
    assert services["woo-publicatie"].status == "live"
    assert {s.id: s for s in base.services}["woo-publicatie"].status == "pipeline"

    shown = _run("show", MUNICIPALITY, "--target", "sandbox-prod")[1]
    assert shown.splitlines()[0].endswith(f"{MUNICIPALITY} with overlay(s) {OVERLAYS}/prod.yaml")
    assert "woo-publicatie" not in {s.id for s in prod.services}
    assert len(prod.services) == len(base.services) - 1
    assert prod.teams == base.teams


def test_validate_with_a_target_checks_the_merged_result(workspace: Path) -> None:
    code, out, err = _run("validate", MUNICIPALITY, "--target", "sandbox-prod", "--strict")

    assert (code, err) == (0, "")
    assert "with the overlays of target 'sandbox-prod'" in out
    assert "(20 services" in out


def test_a_problem_in_an_overlay_is_located_in_the_overlay(workspace: Path) -> None:
    overlay = OVERLAYS / "test.yaml"
    text = overlay.read_text(encoding="utf-8")
    overlay.write_text(
        text.replace("    status: live\n", "    status: life\n    catalog: yes\n"), "utf-8"
    )
    line = 1 + text.splitlines().index("    status: live")

    code, _, err = _run("validate", MUNICIPALITY, "--target", "sandbox-test")

    assert code == 1
    assert f"{overlay}:{line}:5: error[SCHEMA] services[20].status: 'life'" in err
    assert f"{overlay}:{line + 1}:5: error[SCHEMA] services[" in err
    assert "unknown key 'catalog'" in err
    assert "is not a valid blueprint" in err
    # Without the target, the blueprint itself is still valid.
    assert _run("validate", MUNICIPALITY)[0] == 0


@pytest.mark.parametrize(
    ("overlay", "expected"),
    [
        (
            "omit: {services: [woo-publicatie, intranett]}\n",
            "prod.yaml:1:35: error[LOAD012] 'omit' names services 'intranett'",
        ),
        ("omit: [woo-publicatie]\n", "1:1: error[LOAD011] 'omit' takes a mapping"),
        ("extends: ../usm-reference.yaml\n", "1:1: error[LOAD009] an overlay cannot use"),
        (
            "teams:\n  - {id: werkplek, coordinator: nobody}\n",
            "prod.yaml:2:20: error[REF001] teams[1].coordinator: unknown profile 'nobody'",
        ),
    ],
)
def test_overlay_mistakes_are_located(workspace: Path, overlay: str, expected: str) -> None:
    path = OVERLAYS / "prod.yaml"
    path.write_text(overlay, "utf-8")

    code, _, err = _run("validate", MUNICIPALITY, "--target", "sandbox-prod")

    assert code == 1
    assert expected in err, err
    assert "Traceback" not in err


def test_a_missing_overlay_names_the_targets_file(workspace: Path) -> None:
    (OVERLAYS / "prod.yaml").unlink()

    code, _, err = _run("validate", MUNICIPALITY, "--target", "sandbox-prod")

    assert code == 1
    assert f"{OVERLAYS / 'prod.yaml'}: error[LOAD001] no such overlay file" in err
    assert "'overlays' in the targets file" in err


def test_an_unknown_target_fails_validate(workspace: Path) -> None:
    code, _, err = _run("validate", MUNICIPALITY, "--target", "sandbox-tset")

    assert code == 1
    assert "unknown target 'sandbox-tset' (did you mean 'sandbox-test'?)" in err


def _plan(target: str, *extra: str) -> dict[str, object]:
    code, out, err = _run("plan", MUNICIPALITY, "--target", target, "-o", "json", *extra)
    assert code == 0, err
    plan: dict[str, object] = json.loads(out)
    return plan


def _creates(plan: dict[str, object]) -> str:
    return json.dumps(plan["changes"], ensure_ascii=False)


def test_the_plan_says_which_overlay_produced_it(workspace: Path) -> None:
    overlay = str(OVERLAYS / "test.yaml")

    text = _run("plan", MUNICIPALITY, "--target", "sandbox-test", "-o", "summary")[1]
    markdown = _run("plan", MUNICIPALITY, "--target", "sandbox-test", "-o", "markdown")[1]
    plain = _run("plan", MUNICIPALITY, "--target", "sandbox", "-o", "summary")[1]

    assert text.splitlines()[0] == (
        f"Plan for target 'sandbox-test' (servicenow) from {MUNICIPALITY} with overlay(s) {overlay}"
    )
    assert f"blueprint `{MUNICIPALITY}` with overlay(s) `{overlay}`" in markdown
    assert _plan("sandbox-test")["overlays"] == [overlay]
    assert "overlay" not in plain.splitlines()[0]
    assert _plan("sandbox")["overlays"] == []


def test_promotion_applies_each_environment_with_its_own_values_and_state(
    workspace: Path,
) -> None:
    test_plan, prod_plan = _plan("sandbox-test"), _plan("sandbox-prod")
    assert "TST Team Werkplek" in _creates(test_plan)
    assert "TST Team Werkplek" not in _creates(prod_plan)
    assert "Publicatieplatform Wet open overheid (proef)" in _creates(test_plan)
    assert "Publicatieplatform Wet open overheid" not in _creates(prod_plan)
    assert test_plan["blueprint_fingerprint"] != prod_plan["blueprint_fingerprint"]

    # The same commit, promoted: test first, then prod from a saved plan.
    code, _, err = _run("apply", MUNICIPALITY, "--target", "sandbox-test", "--auto-approve")
    assert code == 0, err
    assert _run("plan", MUNICIPALITY, "--target", "sandbox-prod", "--out", "prod.json")[0] == 0
    # A plan saved for prod does not apply to test.
    code, _, err = _run("apply", MUNICIPALITY, "--target", "sandbox-test", "--plan", "prod.json")
    assert code == 1
    assert "not for 'sandbox-test'" in err
    code, _, err = _run("apply", MUNICIPALITY, "--target", "sandbox-prod", "--plan", "prod.json")
    assert code == 0, err

    state = workspace / ".usm-sandbox"
    assert (state / "municipality.sandbox-test.lock.json").is_file()
    assert (state / "municipality.sandbox-prod.lock.json").is_file()
    for target in ("sandbox-test", "sandbox-prod"):
        code, _, err = _run(
            "plan", MUNICIPALITY, "--target", target, "-o", "summary", "--detailed-exitcode"
        )
        # Only the Flow Designer flow, a manual step, stays pending in both.
        assert code == 2, err
        assert [c["action"] for c in _plan(target)["changes"]] == ["manual"]  # type: ignore[union-attr]
