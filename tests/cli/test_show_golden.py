"""Golden files for ``usm-config show``: the reference library and every example blueprint.

The expected output lives in ``tests/golden/show/<name>.txt`` and ``<name>.json``. After an
intended change, rewrite them with::

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/cli/test_show_golden.py

and review the diff. A mismatch fails with a unified diff of expected against actual output.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support import UPDATE_GOLDEN, assert_golden

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "show"


def _blueprints() -> list[Path]:
    examples = REPO / "blueprints" / "examples"
    found = [REPO / "blueprints" / "usm-reference.yaml"]
    if examples.is_dir():
        found += sorted(
            p for p in examples.iterdir() if p.is_dir() or p.suffix in (".yaml", ".yml")
        )
    return found


def _name(path: Path) -> str:
    return path.stem if path.is_file() else path.name


def check_golden(golden: Path, actual: str) -> None:
    """Compare ``actual`` with a golden file of this module."""
    shown = golden.relative_to(REPO) if golden.is_relative_to(REPO) else golden
    assert_golden(golden, actual, shown=str(shown))


@pytest.mark.parametrize("output", ["text", "json"])
@pytest.mark.parametrize("path", _blueprints(), ids=_name)
def test_show_matches_golden(path: Path, output: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # 'show' prints the blueprint's path relative to the working dir

    result = CliRunner().invoke(cli, ["show", str(path.relative_to(REPO)), "--output", output])

    assert result.exit_code == 0, result.output
    assert result.stderr == "", "a valid blueprint shows without warnings"
    suffix = "txt" if output == "text" else "json"
    check_golden(GOLDEN / f"{_name(path)}.{suffix}", result.stdout)


def test_every_golden_file_belongs_to_a_blueprint() -> None:
    names = {_name(path) for path in _blueprints()}
    stale = [p.name for p in GOLDEN.glob("*") if p.stem not in names]
    assert stale == [], "remove golden files of blueprints that no longer exist"


def test_a_mismatch_reports_a_unified_diff(tmp_path: Path) -> None:
    golden = tmp_path / "golden.txt"
    golden.write_text("line one\nline two\n", encoding="utf-8")
    if UPDATE_GOLDEN:
        pytest.skip("UPDATE_GOLDEN rewrites instead of comparing")

    with pytest.raises(pytest.fail.Exception) as failure:
        check_golden(golden, "line one\nline 2\n")

    message = str(failure.value)
    assert "-line two" in message
    assert "+line 2" in message
    assert "@@" in message
