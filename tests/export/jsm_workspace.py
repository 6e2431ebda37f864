"""What the export tests on the JSM sandbox share: a copy of the blueprints and the schema with
a ``jsm`` sandbox target, made the working directory, and running the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The copy, with ``targets.yaml`` naming one target: ``jsm``, state in ``state/``."""
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    shutil.copytree(REPO / "schema", tmp_path / "schema")
    (tmp_path / "targets.yaml").write_text(
        'targets:\n  jsm: {adapter: jsm, url: "sandbox:", lock_dir: state}\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*argv: str) -> Result:
    """Run the CLI; no output may hold a traceback."""
    result = CliRunner().invoke(cli, list(argv))
    assert "Traceback" not in result.output, result.output
    return result


def plan_json(path: str, target: str) -> dict[str, object]:
    """``plan PATH -t TARGET -o json``, parsed (it must succeed)."""
    result = run("plan", path, "-t", target, "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout[result.stdout.index("{") :])
    assert isinstance(data, dict)
    return data


def addresses(plan: dict[str, object], action: str) -> set[str]:
    """The addresses of the plan's changes of ``action``."""
    changes = plan["changes"]
    assert isinstance(changes, list)
    return {f"{c['kind']}[{'/'.join(c['key'])}]" for c in changes if c["action"] == action}


def reference_classification() -> dict[str, Any]:
    """The reference blueprint's classification as plain data, to tailor."""
    reference = yaml.safe_load((REPO / "blueprints" / "usm-reference.yaml").read_text("utf-8"))
    classification: dict[str, Any] = reference["classification"]
    return classification


def apply_and_export(target: str, classification: dict[str, Any]) -> dict[str, Any]:
    """Apply the municipality with ``classification`` laid over it (``tailored.yaml`` in the
    working directory) to ``target``, export the target into ``exported/``, and return the
    exported documents merged into one."""
    layer = {"extends": ["blueprints/examples/municipality"], "classification": classification}
    Path("tailored.yaml").write_text(yaml.safe_dump(layer, allow_unicode=True), encoding="utf-8")
    applied = run("apply", "tailored.yaml", "-t", target, "--auto-approve", "-o", "summary")
    assert applied.exit_code == 0, applied.output
    exported = run("export", "-t", target, "--out", "exported")
    assert exported.exit_code == 0, exported.output
    written: dict[str, Any] = {}
    for path in Path("exported").glob("*.yaml"):
        written.update(yaml.safe_load(path.read_text("utf-8")) or {})
    return written
