"""The corpus of broken blueprints: every problem is reported with its message and location.

Each case in ``tests/blueprint/broken`` is a file ``NN-name.yaml`` or a directory ``NN-name/``
(a blueprint of several files). Its header comments state what loading it must report, one
``# expect:`` line per diagnostic::

    # expect: [FILE:]LINE:COLUMN CODE MESSAGE [also at [FILE:]LINE:COLUMN]

FILE defaults to the file holding the line and is relative to that file's folder. MESSAGE is a
substring of ``path: message`` as the CLI prints it. Line numbers count the header lines too.
A case that must stay empty keeps its expectations in a sidecar ``NN-name.expect``. Folders
whose names start with ``_`` hold files that cases extend; they are not cases themselves.

The listed diagnostics must be exactly the ones reported (all errors, nothing else), and
``usm-config validate`` must print each of them with ``file:line:column`` and exit 1.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from usm_config.blueprint.loader import load_blueprint
from usm_config.diagnostics import Diagnostic, Severity, display_path
from usm_config.yamlsource import MAX_FILE_BYTES

REPO = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).resolve().parent / "broken"
MINIMUM_CORPUS = 25

_WHERE = r"(?:(?P<{0}file>[^\s:]+):)?(?P<{0}line>\d+):(?P<{0}column>\d+)"
EXPECT = re.compile(
    r"^# expect: "
    + _WHERE.format("")
    + r" (?P<code>[A-Z]+\d*) (?P<message>.+?)(?: also at "
    + _WHERE.format("also_")
    + r")?$"
)


@dataclass(frozen=True)
class Expected:
    """One diagnostic a corpus case must produce."""

    file: Path
    line: int
    column: int
    code: str
    message: str
    also: tuple[Path, int, int] | None

    def describe(self) -> str:
        return f"{display_path(self.file)}:{self.line}:{self.column} {self.code} {self.message}"


def _cases() -> list[Path]:
    return sorted(
        path
        for path in BROKEN.iterdir()
        if not path.name.startswith("_") and (path.is_dir() or path.suffix == ".yaml")
    )


def _sources(case: Path) -> list[Path]:
    files = sorted(case.rglob("*.yaml")) if case.is_dir() else [case]
    sidecar = case.with_suffix(".expect")
    return [*files, sidecar] if sidecar.exists() else files


def expectations(case: Path) -> list[Expected]:
    """Read the ``# expect:`` lines of a case (bytes that are not UTF-8 are tolerated)."""
    found = []
    for source in _sources(case):
        home = case if source.suffix == ".expect" else source
        for text in source.read_bytes().decode("utf-8", "replace").splitlines():
            if not text.startswith("# expect:"):
                continue
            match = EXPECT.match(text)
            assert match, f"{source.name}: cannot read expectation {text!r}"

            def where(prefix: str, match: re.Match[str] = match, home: Path = home) -> Path:
                name = match[f"{prefix}file"]
                return (home.parent / name).resolve() if name else home.resolve()

            also = None
            if match["also_line"]:
                also = (where("also_"), int(match["also_line"]), int(match["also_column"]))
            found.append(
                Expected(
                    where(""),
                    int(match["line"]),
                    int(match["column"]),
                    match["code"],
                    match["message"],
                    also,
                )
            )
    return found


def _key(diagnostic: Diagnostic) -> tuple[Path, int, int, str]:
    where = diagnostic.location
    return (Path(where.file).resolve(), where.line, where.column, diagnostic.code)


def _text(diagnostic: Diagnostic) -> str:
    return f"{diagnostic.path}: {diagnostic.message}" if diagnostic.path else diagnostic.message


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Diagnostics show paths relative to the working directory, as the CLI does.
    monkeypatch.chdir(REPO)


def test_corpus_is_large_enough() -> None:
    cases = _cases()
    assert len(cases) >= MINIMUM_CORPUS
    numbers = [case.name.split("-", 1)[0] for case in cases]
    assert all(number.isdigit() for number in numbers), numbers
    assert len(set(numbers)) == len(numbers), "case numbers must be unique"


def test_empty_file_case_stays_empty() -> None:
    assert (BROKEN / "04-empty-file.yaml").read_bytes() == b""


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case.name)
def test_broken_blueprint_reports_exactly_its_expectations(case: Path) -> None:
    expected = expectations(case)
    assert expected, f"{case.name} states no '# expect:' line"

    result = load_blueprint(case)

    assert Counter(_key(d) for d in result.diagnostics) == Counter(
        (e.file, e.line, e.column, e.code) for e in expected
    ), "\n".join(d.render() for d in result.diagnostics)
    for want in expected:
        matching = [
            d
            for d in result.diagnostics
            if _key(d) == (want.file, want.line, want.column, want.code)
            and want.message in _text(d)
        ]
        assert matching, f"no diagnostic matches {want.describe()}"
        diagnostic = matching[0]
        assert diagnostic.severity is Severity.ERROR
        assert diagnostic.hint, "every diagnostic says how to fix it"
        if want.also is not None:
            related = [(Path(r.file).resolve(), r.line, r.column) for r in diagnostic.related]
            assert related == [want.also]


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case.name)
def test_cli_validate_prints_each_problem_with_its_location(case: Path) -> None:
    from click.testing import CliRunner

    from usm_config.cli import cli

    result = CliRunner().invoke(cli, ["validate", str(case.relative_to(REPO))])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for want in expectations(case):
        shown = f"{display_path(want.file)}:{want.line}:{want.column}: error[{want.code}]"
        assert shown in result.output
        assert want.message in result.output
        if want.also is not None:
            file, line, column = want.also
            assert f"    also at {display_path(file)}:{line}:{column}" in result.output
    assert "is not a valid blueprint" in result.output


def test_all_schema_errors_of_a_file_are_reported_in_one_run() -> None:
    result = load_blueprint(BROKEN / "42-three-schema-errors.yaml")

    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert len(errors) >= 3
    assert {d.code for d in errors} == {"SCHEMA"}
    assert len({d.location.line for d in errors}) == len(errors), "independent places"
    assert {d.path for d in errors} == {
        "organisation.locale",
        "customers[0].kind",
        "teams[0].emial",
    }


def test_both_duplicate_keys_of_a_file_are_reported_in_one_run() -> None:
    result = load_blueprint(BROKEN / "18-duplicate-keys.yaml")

    assert [(d.code, d.location.line) for d in result.diagnostics] == [
        ("YAML003", 9),
        ("YAML003", 10),
    ]


def test_duplicate_id_across_files_reports_both_locations() -> None:
    case = BROKEN / "19-duplicate-ids-across-files"

    (diagnostic,) = load_blueprint(case).diagnostics

    assert Path(diagnostic.location.file).name == "teams.yaml"
    assert [Path(r.file).name for r in diagnostic.related] == ["main.yaml"]
    assert f"also at {display_path(case / 'main.yaml')}:9:5" in diagnostic.render()


def test_alias_bomb_fails_fast() -> None:
    started = time.perf_counter()
    result = load_blueprint(BROKEN / "26-alias-bomb.yaml")
    elapsed = time.perf_counter() - started

    assert [d.code for d in result.diagnostics] == ["YAML009"]
    assert elapsed < 2.0, f"took {elapsed:.2f}s"


def test_deeply_nested_document_fails_fast_without_recursion_error(tmp_path: Path) -> None:
    # Deep enough to exhaust the interpreter's stack in the YAML composer itself.
    path = tmp_path / "deep.yaml"
    path.write_text("usm: 1\nx-deep: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")

    started = time.perf_counter()
    result = load_blueprint(path)
    elapsed = time.perf_counter() - started

    assert [(d.code, d.location.line) for d in result.diagnostics] == [("YAML011", 2)]
    assert elapsed < 10.0, f"took {elapsed:.2f}s"  # ruamel needs ~1.5 s to hit the stack limit


def _write_large_file(path: Path, size: int) -> None:
    chunk = b"# padding to make the file larger than the limit\n" * 20_000
    with path.open("wb") as out:
        out.write(b"usm: 1\n")
        written = 7
        while written < size:
            out.write(chunk)
            written += len(chunk)
        out.truncate(size)


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    _write_large_file(path, 50 * 1024 * 1024)
    assert path.stat().st_size > MAX_FILE_BYTES

    started = time.perf_counter()
    result = load_blueprint(path)
    elapsed = time.perf_counter() - started

    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "YAML010"
    assert diagnostic.severity is Severity.ERROR
    assert "the file is too large (50.0 MiB; the limit is 10 MiB)" in diagnostic.message
    assert elapsed < 1.0, f"took {elapsed:.2f}s"


def test_cli_refuses_a_file_over_the_size_limit(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from usm_config.cli import cli

    path = tmp_path / "huge.yaml"
    _write_large_file(path, 50 * 1024 * 1024)

    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["validate", str(path)])
    elapsed = time.perf_counter() - started

    assert result.exit_code == 1
    assert f"{display_path(path)}: error[YAML010]" in result.output
    assert "Traceback" not in result.output
    assert elapsed < 2.0, f"took {elapsed:.2f}s"
