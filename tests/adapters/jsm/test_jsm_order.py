"""Jira lists priorities and a field's options in their order, which an administrator can
change: an apply puts the blueprint's levels and options back in the blueprint's order in one
go, also an option whose link to the one before it still holds but which a move displaced."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsm_platform_support import Api
from usm_jsm.sandbox import create_app

from usm_config.cli import cli

ROOT = Path(__file__).resolve().parents[3]
TARGETS = 'targets:\n  jsm: {adapter: jsm, url: "sandbox:", lock_dir: state}\n'


def _site(folder: Path) -> Api:
    """The embedded site as the last command left it (an app reads the store when it starts)."""
    return Api(create_app(db_path=folder / ".usm-sandbox" / "jsm.sqlite3"))


def _apply(folder: Path) -> str:
    result = CliRunner().invoke(
        cli, ["apply", "university.yaml", "-t", "jsm", "--auto-approve", "-o", "summary"]
    )
    assert result.exit_code == 0, result.output
    return result.output


def _impact(api: Api) -> tuple[str, list[dict[str, str]]]:
    field = next(f for f in api.ok("GET", "field") if f["name"] == "Impact")
    contexts = api.ok("GET", f"field/{field['id']}/context")["values"]
    scoped = next(c for c in contexts if not c["isGlobalContext"])
    path = f"field/{field['id']}/context/{scoped['id']}/option"
    return path, api.ok("GET", path)["values"]


def test_levels_and_options_moved_by_hand_go_back_in_one_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(ROOT / "blueprints" / "usm-reference.yaml", tmp_path / "usm-reference.yaml")
    text = (ROOT / "blueprints" / "examples" / "university.yaml").read_text("utf-8")
    (tmp_path / "university.yaml").write_text(
        text.replace("../usm-reference.yaml", "usm-reference.yaml"), encoding="utf-8"
    )
    (tmp_path / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _apply(tmp_path)
    api = _site(tmp_path)
    path, options = _impact(api)
    wanted = [o["value"] for o in options]
    priorities = [p["name"] for p in api.ok("GET", "priority")]

    # The administrator puts the two lowest impacts first, and Critical last.
    ids = {o["value"]: o["id"] for o in options}
    for value in (wanted[3], wanted[2]):
        body = {"customFieldOptionIds": [ids[value]], "position": "First"}
        assert api.call("PUT", f"{path}/move", body).status_code == 204
    critical = next(p["id"] for p in api.ok("GET", "priority") if p["name"] == "Critical")
    moved = api.call("PUT", "priority/move", {"ids": [critical], "position": "Last"})
    assert moved.status_code == 204
    assert [o["value"] for o in _impact(api)[1]] == [*wanted[2:], *wanted[:2]]

    assert "Converged" in _apply(tmp_path)
    api = _site(tmp_path)
    assert [o["value"] for o in _impact(api)[1]] == wanted
    assert [p["name"] for p in api.ok("GET", "priority")] == priorities
