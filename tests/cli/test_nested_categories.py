"""Categories nested three deep (a catalogue category in a category in a category) are written
in one apply on each adapter's embedded sandbox: a record that refers to another of its own kind
is written after it, and the next plan reads the reference back."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]
TARGETS = """\
targets:
  servicenow: {adapter: servicenow, url: "sandbox:", lock_dir: state}
  jsm: {adapter: jsm, url: "sandbox:", lock_dir: state}
  topdesk: {adapter: topdesk, url: "sandbox:", lock_dir: state}
"""


def _nested(tmp_path: Path) -> Path:
    shutil.copy(REPO / "blueprints" / "usm-reference.yaml", tmp_path / "usm-reference.yaml")
    reference = yaml.safe_load((REPO / "blueprints" / "usm-reference.yaml").read_text("utf-8"))
    classification: dict[str, Any] = reference["classification"]
    access = classification["categories"]["service-request"][0]
    access["children"] = [
        {"id": "vpn", "name": "VPN"},
        {"id": "accounts", "name": "Accounts", "children": [{"id": "guest", "name": "Guest"}]},
    ]
    document = {
        "usm": 1,
        "extends": "usm-reference.yaml",
        "organisation": {"id": "nest", "name": "Nest", "locale": "en", "timezone": "UTC"},
        "classification": classification,
    }
    path = tmp_path / "nested.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    (tmp_path / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    return path


@pytest.mark.parametrize("target", ["servicenow", "jsm", "topdesk"])
def test_nested_categories_are_written_in_one_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    path = _nested(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["apply", str(path), "-t", target, "--auto-approve", "-o", "summary"]
    )
    assert result.exit_code == 0, result.output
    assert "Converged" in result.output
    assert "failed" not in result.output
