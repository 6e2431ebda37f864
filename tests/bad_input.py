"""Helpers of the bad-input corpora: read a case's expectations, run the CLI, check the refusal.

A case file states what the CLI must print for it in header comments, one line per problem::

    # expect: LINE:COLUMN CODE MESSAGE

MESSAGE is a substring of ``path: message`` as the CLI prints it; line numbers count the
header lines too. Every refusal must be located (``file:line:column: error[CODE]``), say how to
fix it (a ``fix:`` line), exit 1 and show no traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "blueprints" / "usm-reference.yaml"
EXPECT = re.compile(
    r"^# expect: (?P<line>\d+):(?P<column>\d+) (?P<code>[A-Z]+\d*) (?P<message>.+)$"
)


@dataclass(frozen=True)
class Expected:
    """One located problem the CLI must report."""

    line: int
    column: int
    code: str
    message: str


def expectations(case: Path) -> list[Expected]:
    """The ``# expect:`` lines at the top of ``case``."""
    found = []
    for text in case.read_bytes().decode("utf-8", "replace").splitlines():
        if text.startswith("# expect:"):
            match = EXPECT.match(text)
            assert match, f"{case.name}: cannot read expectation {text!r}"
            found.append(
                Expected(int(match["line"]), int(match["column"]), match["code"], match["message"])
            )
    assert found, f"{case.name} states no '# expect:' line"
    return found


def cases(folder: Path, suffix: str) -> list[Path]:
    """The case files of a corpus folder (``_support`` and other ``_`` names are not cases)."""
    return sorted(p for p in folder.iterdir() if p.suffix == suffix and p.name[0] != "_")


def invoke(*args: str) -> Result:
    """Run ``usm-config`` with ``args`` in-process."""
    return CliRunner().invoke(cli, list(args))


def assert_clean_failure(result: Result) -> None:
    """Exit 1, no traceback, no escaped exception."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def assert_refused(result: Result, shown: str, expected: Expected) -> None:
    """The CLI refused the input with this located problem and a fix."""
    assert_clean_failure(result)
    where = f"{shown}:{expected.line}:{expected.column}: error[{expected.code}]"
    lines = result.output.splitlines()
    at = [i for i, line in enumerate(lines) if line.startswith(where)]
    assert at, f"no line starts with {where!r}:\n{result.output}"
    matching = [i for i in at if expected.message in lines[i]]
    assert matching, f"{where}: no message {expected.message!r}:\n{result.output}"
    following = lines[matching[0] + 1 :]
    fix = next((line for line in following if not line.startswith("    also at")), "")
    assert fix.startswith("    fix: ") and len(fix) > len("    fix: "), result.output
