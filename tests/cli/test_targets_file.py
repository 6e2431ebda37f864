"""targets.yaml: located errors, did-you-mean, and no pasted secret echoed back."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from usm_config.cli import cli
from usm_config.diagnostics import DiagnosticError
from usm_config.targets import load_targets, resolve_target

PASTED = "Hunter2-Pasted-Secret!"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_pasted_secret_is_not_echoed_and_the_fix_names_env_vars(tmp_path: Path) -> None:
    """A credential written where a variable name belongs is refused without quoting it."""
    path = write(
        tmp_path,
        "targets:\n  prod:\n    adapter: servicenow\n    url: https://x.service-now.com\n"
        f'    auth: {{type: basic, username_env: SN_USER, password_env: "{PASTED}"}}\n',
    )
    with pytest.raises(DiagnosticError) as caught:
        load_targets(path)
    (diagnostic,) = caught.value.diagnostics
    assert PASTED not in diagnostic.render()
    assert (diagnostic.location.line, diagnostic.path) == (5, "targets.prod.auth.password_env")
    assert "environment variable" in diagnostic.hint


def test_unknown_key_and_bad_url_are_located(tmp_path: Path) -> None:
    """Every problem of the file is reported at its line, with a did-you-mean."""
    path = write(
        tmp_path,
        "targets:\n  prod:\n    adapter: servicenow\n    url: example.service-now.com\n"
        "    parallelizm: 3\n",
    )
    with pytest.raises(DiagnosticError) as caught:
        load_targets(path)
    rendered = [(d.location.line, d.message) for d in caught.value.diagnostics]
    assert rendered[0][0] == 4 and "is not a URL" in rendered[0][1]
    assert rendered[1] == (5, "unknown key 'parallelizm' (did you mean 'parallelism'?)")


def test_unknown_target_gets_a_suggestion(tmp_path: Path) -> None:
    """A misspelt target name is answered with the closest one."""
    path = write(tmp_path, 'targets:\n  sandbox:\n    adapter: servicenow\n    url: "sandbox:"\n')
    with pytest.raises(DiagnosticError, match="did you mean 'sandbox'"):
        resolve_target(path, "sandbx")


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    """No targets file: a clear message, not a traceback."""
    with pytest.raises(DiagnosticError, match="no targets file found"):
        load_targets(tmp_path / "targets.yaml")


def test_options_of_an_adapter_without_options_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An adapter that takes no options says so, plainly, instead of ignoring them."""
    (tmp_path / "targets.yaml").write_text(
        'targets:\n  sn: {adapter: servicenow, url: "sandbox:", options: {private_api: true}}\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    blueprint = Path(__file__).resolve().parents[2] / "blueprints" / "usm-reference.yaml"
    result = CliRunner().invoke(cli, ["plan", str(blueprint), "-t", "sn"])
    assert result.exit_code == 1
    assert (
        "adapter 'servicenow' takes no options; remove 'options' from the target" in result.output
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["../x", "a/b", "/tmp/abs", ".hidden", "..", "a\\\\b", "a b"])
def test_a_target_name_that_is_not_a_plain_name_is_refused_where_it_is(
    tmp_path: Path, name: str
) -> None:
    """Names become file names (lock, journal, sandbox state): only plain names pass."""
    path = write(
        tmp_path,
        'targets:\n  ok: {adapter: servicenow, url: "sandbox:"}\n'
        f'  "{name}": {{adapter: servicenow, url: "sandbox:"}}\n',
    )
    with pytest.raises(DiagnosticError) as caught:
        load_targets(path)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.location.line == 3
    assert diagnostic.render().startswith(f"{path}:3:3: error")
    assert "may hold only letters, digits, '-', '_' and '.' (not first)" in diagnostic.message


def test_plain_target_names_pass(tmp_path: Path) -> None:
    names = ["prod", "eu-test.2", "_staging", "a.b.c"]
    path = write(
        tmp_path,
        "targets:\n" + "".join(f'  {n}: {{adapter: servicenow, url: "sandbox:"}}\n' for n in names),
    )
    assert sorted(load_targets(path).targets) == sorted(names)


def test_nothing_is_written_outside_the_lock_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path as a target name is refused before any lock, journal or sandbox file exists."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "targets.yaml").write_text(
        "targets:\n"
        '  ../escape: {adapter: servicenow, url: "sandbox:", lock_dir: state}\n'
        '  /tmp/escape: {adapter: servicenow, url: "sandbox:", lock_dir: state}\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(work)
    blueprint = Path(__file__).resolve().parents[2] / "blueprints" / "usm-reference.yaml"
    before = set(tmp_path.rglob("*"))
    for name in ("../escape", "/tmp/escape"):
        for command in (["plan"], ["apply", "--auto-approve"], ["sandbox", "reset"]):
            argv = [*command, str(blueprint), "-t", name]
            result = CliRunner().invoke(cli, argv)
            assert result.exit_code == 1, result.output
            assert "Traceback" not in result.output
            assert "targets.yaml:2:3: error" in result.output
    assert set(tmp_path.rglob("*")) == before
    assert not Path("/tmp/escape.sqlite3").exists()
