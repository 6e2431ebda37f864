"""A copy of the repository's blueprints and targets.yaml to run commands in, as a fresh clone.

The ``workspace`` fixture of ``tests/api`` and ``tests/pipeline``: their conftest modules import
it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def copy_repo(into: Path) -> Path:
    """Copy what a user's pipeline checks out (blueprints, targets.yaml, schema) into ``into``."""
    for folder in ("blueprints", "schema"):
        shutil.copytree(REPO / folder, into / folder)
    shutil.copy(REPO / "targets.yaml", into / "targets.yaml")
    return into


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the repository layout, made the working directory."""
    root = copy_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    return root
