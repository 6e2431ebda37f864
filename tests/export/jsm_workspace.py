"""What the export tests on the JSM sandbox share: a copy of the blueprints and the schema with
a ``jsm`` sandbox target, made the working directory, and running the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
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
