"""What the export tests on the TOPdesk sandbox share: a copy of the blueprints and the schema
with three sandbox targets named as in the project's ``targets.yaml`` (``sandbox-topdesk``,
``sandbox-jsm``, ``sandbox``: ServiceNow), made the working directory, and the TOPdesk
sandbox's random ids made readable for golden files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

TARGETS = """\
targets:
  sandbox-topdesk: {adapter: topdesk, url: "sandbox:", lock_dir: state}
  sandbox-jsm: {adapter: jsm, url: "sandbox:", lock_dir: state}
  sandbox: {adapter: servicenow, url: "sandbox:", lock_dir: state}
"""

#: The sandbox gives what it creates random UUIDs; the golden files show where one stood.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def readable(text: str) -> str:
    """``text`` with every UUID replaced by ``<uuid>``."""
    return _UUID.sub("<uuid>", text)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The copy, state in ``state/``."""
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    shutil.copytree(REPO / "schema", tmp_path / "schema")
    (tmp_path / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path
