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


def _docs(blueprint: str, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["docs", blueprint, "--out", str(out)])
    return result.exit_code, result.output


def test_a_second_run_replaces_its_pages_and_removes_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert _docs("blueprints/examples/municipality", out)[0] == 0
    services = {p.name for p in out.glob("service-*.html")}
    (out / "README.md").write_text("our own notes", encoding="utf-8")
    (out / "extra.html").write_text("<p>our own page</p>", encoding="utf-8")

    code, output = _docs("blueprints/usm-reference.yaml", out)
    assert code == 0, output
    left = {p.name for p in out.iterdir()}
    # The municipality's service pages and source pages were its own, and are gone ...
    assert not services & left
    assert all(name in left for name in ("index.html", "style.css", "workflow-8.svg"))
    # ... while files it did not write stay as they were.
    assert (out / "README.md").read_text(encoding="utf-8") == "our own notes"
    assert (out / "extra.html").read_text(encoding="utf-8") == "<p>our own page</p>"


def test_a_file_of_a_page_name_that_docs_did_not_write_stops_the_run(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("<h1>our intranet</h1>", encoding="utf-8")
    (out / "style.css").write_text("body { color: red }", encoding="utf-8")
    result = CliRunner().invoke(cli, ["docs", "blueprints/usm-reference.yaml", "--out", str(out)])
    assert result.exit_code == 1
    assert "did not write (index.html, style.css)" in result.stderr
    assert "empty folder" in result.stderr and "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "style.css"]
    assert (out / "index.html").read_text(encoding="utf-8") == "<h1>our intranet</h1>"
