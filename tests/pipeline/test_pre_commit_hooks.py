"""The hooks of .pre-commit-hooks.yaml, run as pre-commit runs them: entry, args, file names."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
HOOKS = {hook["id"]: hook for hook in YAML(typ="safe").load(REPO / ".pre-commit-hooks.yaml")}
BIN = Path(sys.executable).parent


def _staged(root: Path, hook: dict[str, Any]) -> list[str]:
    """The files pre-commit would pass: those matching the hook's 'files' (YAML ones)."""
    pattern = re.compile(hook.get("files", ""))
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    return [n for n in names if pattern.search(n) and n.endswith((".yaml", ".yml"))]


def _run(root: Path, hook_id: str, args: list[str] = ()) -> subprocess.CompletedProcess[str]:  # type: ignore[assignment]
    hook = HOOKS[hook_id]
    argv = [*shlex.split(hook["entry"]), *hook.get("args", []), *args]
    if hook.get("pass_filenames", True):
        argv += _staged(root, hook)
    argv[0] = str(BIN / argv[0])
    return subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)


def test_the_hooks_are_python_hooks_of_this_package() -> None:
    assert set(HOOKS) == {"usm-config-validate", "usm-config-schema"}
    for hook in HOOKS.values():
        assert hook["language"] == "python"
        assert hook["entry"].split()[0] == "usm-config"
        assert hook["name"] and hook["description"]


def test_validate_checks_the_named_blueprint(workspace: Path) -> None:
    ok = _run(workspace, "usm-config-validate", ["blueprints/examples/municipality", "--strict"])
    assert ok.returncode == 0, ok.stderr
    with_target = _run(
        workspace, "usm-config-validate", ["blueprints/examples/municipality", "-t", "sandbox-test"]
    )
    assert with_target.returncode == 0, with_target.stderr

    teams = workspace / "blueprints/examples/municipality/teams.yaml"
    teams.write_text(teams.read_text("utf-8").replace("coordinator: ciso", "coordinator: cis"))
    broken = _run(workspace, "usm-config-validate", ["blueprints/examples/municipality"])

    assert broken.returncode == 1
    assert re.search(
        r"blueprints/examples/municipality/teams\.yaml:41:5: error\[REF001\] "
        r"teams\[4\]\.coordinator: unknown profile 'cis' \(did you mean 'ciso'\?\)",
        broken.stderr,
    ), broken.stderr


def test_schema_checks_every_blueprint_file_and_overlay(workspace: Path) -> None:
    files = _staged(workspace, HOOKS["usm-config-schema"])
    assert "blueprints/environments/municipality/prod.yaml" in files
    assert "blueprints/examples/municipality/teams.yaml" in files
    assert "targets.yaml" not in files

    ok = _run(workspace, "usm-config-schema")

    assert ok.returncode == 0, ok.stderr
    assert f"{len(files)} file(s) match the schema" in ok.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "services:\n  - id: woo-publicatie\n    statuss: live\n",
            "prod.yaml:3:5: error[JSONSCHEMA] services[0].statuss: unknown key 'statuss' "
            "(did you mean 'status'?)",
        ),
        (
            "omit: {service: [woo-publicatie]}\n",
            "prod.yaml:1:8: error[JSONSCHEMA] omit.service: unknown key 'service' "
            "(did you mean 'services'?)",
        ),
        (
            "teams:\n  - {id: werkplek, kind: team}\n",
            "prod.yaml:2:20: error[JSONSCHEMA] teams[0].kind: 'team' is not one of",
        ),
        ("services: [\n", "prod.yaml:2:1: error[YAML"),
    ],
)
def test_schema_locates_each_problem(workspace: Path, text: str, expected: str) -> None:
    (workspace / "blueprints/environments/municipality/prod.yaml").write_text(text, "utf-8")

    broken = _run(workspace, "usm-config-schema")

    assert broken.returncode == 1
    assert f"blueprints/environments/municipality/{expected}" in broken.stderr, broken.stderr
    assert "1 file(s) do not match the schema" in broken.stderr
    assert "Traceback" not in broken.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--check", "--out", "s.json", "targets.yaml"], "--check and --out do not go together"),
        (["targets.yaml"], "FILES are checked only with --check"),
    ],
)
def test_schema_refuses_mixed_options(workspace: Path, args: list[str], message: str) -> None:
    from click.testing import CliRunner

    from usm_config.cli import cli

    result = CliRunner().invoke(cli, ["schema", *args])

    assert result.exit_code == 1
    assert f"error: {message}" in result.stderr
