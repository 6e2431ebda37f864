"""Jira lists priorities and a field's options in their order, which an administrator can
change: an apply puts the blueprint's levels and options back in the blueprint's order in one
go, also a level whose link to the one before it still holds but which a move displaced. A
field's options are put in order with one move per context, and options an administrator added
beside the blueprint's may stand anywhere."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsm_platform_support import Api
from usm_jsm.mapping import compile_blueprint
from usm_jsm.sandbox import create_app

from usm_config.blueprint.loader import load_blueprint
from usm_config.cli import cli
from usm_config.sandbox.serve import run_in_thread

ROOT = Path(__file__).resolve().parents[3]
TARGETS = 'targets:\n  jsm: {adapter: jsm, url: "sandbox:", lock_dir: state}\n'


def _copy_university(folder: Path) -> None:
    shutil.copy(ROOT / "blueprints" / "usm-reference.yaml", folder / "usm-reference.yaml")
    text = (ROOT / "blueprints" / "examples" / "university.yaml").read_text("utf-8")
    (folder / "university.yaml").write_text(
        text.replace("../usm-reference.yaml", "usm-reference.yaml"), encoding="utf-8"
    )


def _site(folder: Path) -> Api:
    """The embedded site as the last command left it (an app reads the store when it starts)."""
    return Api(create_app(db_path=folder / ".usm-sandbox" / "jsm.sqlite3"))


def _apply() -> str:
    """Apply the university example in the working directory; the command's output."""
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


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the university example applied to its embedded site, the working
    directory."""
    _copy_university(tmp_path)
    (tmp_path / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _apply()
    return tmp_path


def test_levels_and_options_moved_by_hand_go_back_in_one_apply(applied: Path) -> None:
    api = _site(applied)
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

    assert "Converged" in _apply()
    api = _site(applied)
    assert [o["value"] for o in _impact(api)[1]] == wanted
    assert [p["name"] for p in api.ok("GET", "priority")] == priorities


def test_options_added_by_hand_stand_where_the_administrator_puts_them(applied: Path) -> None:
    api = _site(applied)
    path, options = _impact(api)
    wanted = [o["value"] for o in options]

    # An option of the administrator's own, first: the blueprint's still stand in its order.
    added = api.ok("POST", path, {"options": [{"value": "Unknown"}]})["options"][0]["id"]
    body = {"customFieldOptionIds": [added], "position": "First"}
    assert api.call("PUT", f"{path}/move", body).status_code == 204
    plan = CliRunner().invoke(cli, ["plan", "university.yaml", "-t", "jsm", "-o", "summary"])
    assert "Plan: 0 to create, 0 to update, 0 to delete" in plan.output, plan.output

    # One of the blueprint's moved: the apply puts them first, in order, the other after.
    ids = {o["value"]: o["id"] for o in options}
    body = {"customFieldOptionIds": [ids[wanted[1]]], "position": "Last"}
    assert api.call("PUT", f"{path}/move", body).status_code == 204
    assert "Converged" in _apply()
    assert [o["value"] for o in _impact(_site(applied))[1]] == [*wanted, "Unknown"]


def test_a_new_site_gets_each_context_in_order_with_one_move(tmp_path: Path) -> None:
    """The options of each context, and the sub-options of each option, are created in one
    request (Jira adds them last), then one move per context, and per option with
    sub-options, puts them in the blueprint's order."""
    app = create_app(db_path=tmp_path / "jsm.sqlite3")
    _copy_university(tmp_path)
    with run_in_thread(app) as url:
        targets = tmp_path / "targets.yaml"
        targets.write_text(
            f'targets:\n  jsm: {{adapter: jsm, url: "{url}", lock_dir: "{tmp_path}",'
            " auth: {type: basic, username_env: E, password_env: T}}\n",
            encoding="utf-8",
        )
        blueprint = str(tmp_path / "university.yaml")
        result = CliRunner().invoke(
            cli,
            ["apply", blueprint, "-t", "jsm", "--targets", str(targets), "--auto-approve"],
            env={"E": "admin@example.com", "T": "sandbox-token"},
        )
        assert result.exit_code == 0, result.output
    log = app.state.request_log.entries()
    compiled = compile_blueprint(load_blueprint(tmp_path / "university.yaml").blueprint)
    count = Counter(r.kind for r in compiled.records)
    moves = [e for e in log if e.method == "PUT" and e.path.endswith("/option/move")]
    creates = [e for e in log if e.method == "POST" and e.path.endswith("/option")]
    assert len(moves) == count["field_option_order"] + count["field_child_option_order"] == 11
    assert len(creates) == len(moves)
    created = [o["value"] for e in creates for o in e.body["options"]]
    assert len(created) == count["field_option"] + count["field_child_option"]
    assert {m.body["position"] for m in moves} == {"First"}


def test_a_changed_order_shows_one_option_a_line(applied: Path) -> None:
    """An order too long for one line shows as a line diff of its options, in text and in
    Markdown, never cut."""
    reference = applied / "usm-reference.yaml"
    text = reference.read_text("utf-8")
    slow = "          - {id: slow, name: Slow, name_nl: Traag}\n"
    assert slow in text
    moved = text.replace(slow, "")
    partly = next(line for line in moved.splitlines(True) if "id: partly-unavailable" in line)
    reference.write_text(moved.replace(partly, partly + slow), encoding="utf-8")

    plain = CliRunner().invoke(cli, ["plan", "university.yaml", "-t", "jsm"])
    child = "field_child_option[USM category/Incident/Service degraded/{}]"
    lines = plain.output.splitlines()
    at = lines.index("      options:")
    assert lines[at + 1].startswith("        @@ ")
    # Slow goes after Partly unavailable: the diff takes one of the two out and puts it back.
    shown = sorted(lines[at + 2 : at + 5])
    assert [line[8] for line in shown] == [" ", "+", "-"]
    assert {line[9:] for line in shown} == {
        child.format("Slow"),
        child.format("Partly unavailable"),
    }
    assert "…" not in "\n".join(lines[at - 1 : at + 5])

    markdown = CliRunner().invoke(cli, ["plan", "university.yaml", "-t", "jsm", "-o", "markdown"])
    assert "options: line diff below" in markdown.output
    block = markdown.output.split("```diff\n", 1)[1].split("```", 1)[0]
    assert sorted(block.splitlines()[1:]) == [line[8:] for line in shown]
