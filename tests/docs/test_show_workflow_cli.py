"""`usm-config show PATH --workflow N --output mermaid|dot|svg` and its errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]
MUNICIPALITY = "blueprints/examples/municipality"


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _show(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["show", MUNICIPALITY, *args])
    return result.exit_code, result.stdout, result.stderr


def test_mermaid_draws_the_workflow_in_the_blueprints_language() -> None:
    code, out, err = _show("--workflow", "3", "--output", "mermaid")
    assert code == 0, err
    assert out.startswith("flowchart TB\n")
    assert 'subgraph p0["Herstellen"]' in out
    assert "draagt over aan Wijzigen" in out
    assert "Reactietijd storing" in out


def test_dot_is_a_digraph_with_one_cluster_per_process() -> None:
    code, out, _ = _show("-w", "1", "-o", "dot")
    assert code == 0
    assert out.startswith("digraph workflow {")
    assert out.count("subgraph cluster_") == 3
    assert out.rstrip().endswith("}")


def test_svg_is_well_formed_and_has_every_step() -> None:
    code, out, _ = _show("--workflow", "6", "--output", "svg")
    assert code == 0
    root = ET.fromstring(out)
    groups = [e for e in root.iter() if str(e.tag).endswith("}g")]
    assert len(groups) == 31  # Improve 7 + Agree 8 + Change 10 (with cab-review) + Operate 6


def test_an_unknown_workflow_number_is_a_located_error() -> None:
    code, out, err = _show("--workflow", "9", "--output", "mermaid")
    assert code == 1
    assert out == ""
    assert "workflows.yaml:" in err
    assert "no workflow 9" in err
    assert "1, 2, 3, 4, 5, 6, 7, 8" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "svg"], "--output svg needs --workflow N"),
        (["--workflow", "2"], "use it with --output mermaid, dot or svg"),
        (["--workflow", "2", "--output", "json"], "use it with --output mermaid, dot or svg"),
    ],
)
def test_workflow_and_diagram_output_go_together(args: list[str], message: str) -> None:
    code, out, err = _show(*args)
    assert code == 1
    assert out == ""
    assert message in err


def test_text_output_is_unchanged_without_workflow() -> None:
    code, out, _ = _show()
    assert code == 0
    golden = REPO / "tests" / "golden" / "show" / "municipality.txt"
    assert out == golden.read_text(encoding="utf-8")
