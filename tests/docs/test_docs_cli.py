"""`usm-config docs PATH --out DIR`: what it writes and how it refuses bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_docs_writes_every_page(sites: dict[str, Path]) -> None:
    site = sites["municipality"]
    names = {p.name for p in site.iterdir()}
    assert {
        "index.html",
        "style.css",
        "services.html",
        "teams.html",
        "customers.html",
        "schedules.html",
        "classification.html",
        "landing.html",
        "sources.html",
    } <= names
    assert {f"workflow-{n}.html" for n in range(1, 9)} <= names
    assert {f"workflow-{n}.svg" for n in range(1, 9)} <= names
    assert len([n for n in names if n.startswith("service-")]) == 21
    assert len([n for n in names if n.startswith("source-")]) == 7  # six files + the reference


def test_docs_reports_what_it_wrote(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["docs", "blueprints/usm-reference.yaml", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stdout and "index.html" in result.stdout
    assert (tmp_path / "out" / "workflow-8.html").is_file()


def test_an_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.write_text("not a directory", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["docs", "blueprints/usm-reference.yaml", "--out", str(target)]
    )
    assert result.exit_code == 1
    assert "--out is a file, not a directory" in result.stderr
    assert target.read_text(encoding="utf-8") == "not a directory"


def test_an_invalid_blueprint_is_reported_with_its_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("usm: 1\norganisation: {id: x, name: X, locale: fr}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["docs", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "bad.yaml:2:" in result.stderr
    assert not (tmp_path / "out").exists()


def test_landing_lists_every_installed_adapter(sites: dict[str, Path]) -> None:
    text = (sites["municipality"] / "landing.html").read_text(encoding="utf-8")
    assert 'id="adapter-servicenow"' in text and 'id="adapter-jsm"' in text
    assert "update-set.xml" in text and "workflow-guide.md" in text
    assert "handmatige stap" in text  # JSM queues and SLAs are manual steps
