"""Located diagnostics: what is wrong with user input, where, and how to fix it.

Every problem in a blueprint or a targets file becomes a :class:`Diagnostic`. The CLI prints
them as ``file:line:column: severity[code] path: message`` followed by a ``fix:`` line, and
turns the presence of errors into exit code 1.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple


class Severity(StrEnum):
    """How bad a diagnostic is: errors stop the run, warnings are printed."""

    ERROR = "error"
    WARNING = "warning"


class Location(NamedTuple):
    """A position in a source file; line and column are 1-based.

    A named tuple rather than a frozen dataclass: a large blueprint holds hundreds of
    thousands of locations, and a tuple is several times cheaper to create.
    """

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about user input."""

    severity: Severity
    code: str
    message: str
    location: Location
    path: str = ""
    hint: str = ""
    related: tuple[Location, ...] = ()

    def render(self) -> str:
        """Render as the multi-line text the CLI prints."""
        where = f" {self.path}:" if self.path else ""
        lines = [f"{self.location}: {self.severity}[{self.code}]{where} {self.message}"]
        lines.extend(f"    also at {other}" for other in self.related)
        if self.hint:
            lines.append(f"    fix: {self.hint}")
        return "\n".join(lines)

    def as_warning_error(self) -> Diagnostic:
        """Return this diagnostic promoted to an error (for ``--strict``)."""
        return Diagnostic(
            Severity.ERROR,
            self.code,
            self.message,
            self.location,
            self.path,
            self.hint,
            self.related,
        )


class DiagnosticError(Exception):
    """Raised when input cannot be used; carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted_diagnostics(diagnostics))
        super().__init__("\n".join(d.render() for d in self.diagnostics))


SourceIndex = Mapping[tuple[str | int, ...], Location]


class LazyIndex(Mapping[tuple[str | int, ...], Location]):
    """A source index made the first time a location is asked for.

    Every value of a large blueprint has an entry (about 60 MB at 5,000 services), yet most
    runs report nothing and never look one up: ``build`` runs only when one is needed.
    """

    def __init__(self, build: Callable[[], SourceIndex]) -> None:
        self._build: Callable[[], SourceIndex] | None = build
        self._index: SourceIndex = {}

    @property
    def made(self) -> bool:
        """True once the index was asked for and built."""
        return self._build is None

    def _made(self) -> SourceIndex:
        if self._build is not None:
            self._index, self._build = self._build(), None
        return self._index

    def __getitem__(self, path: tuple[str | int, ...]) -> Location:
        return self._made()[path]

    def __iter__(self) -> Iterator[tuple[str | int, ...]]:
        return iter(self._made())

    def __len__(self) -> int:
        return len(self._made())


def locate(index: SourceIndex, path: tuple[str | int, ...]) -> Location:
    """Find where ``path`` (or its nearest written ancestor) is in the source."""
    for end in range(len(path), -1, -1):
        found = index.get(path[:end])
        if found is not None:
            return found
    return next(iter(index.values()), Location("<input>"))


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Order diagnostics by file and position, errors before warnings at the same place."""
    return sorted(
        diagnostics,
        key=lambda d: (d.location, d.severity != Severity.ERROR, d.code, d.message),
    )


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or an empty string."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def display_path(path: Path | str) -> str:
    """Show a path relative to the working directory when it lies below it."""
    candidate = Path(path)
    # Symbolic links are not followed: a link is shown by its own name, even when it points
    # nowhere or at itself.
    absolute = Path(os.path.abspath(candidate))  # noqa: PTH100 (resolve follows links)
    cwd = Path.cwd()
    for base in (cwd, cwd.resolve()):
        try:
            return str(absolute.relative_to(base))
        except ValueError:
            continue
    return str(candidate)


#: Half of a character: a UTF-16 surrogate, which only an escape such as ``\ud83d`` writes
#: into text read from YAML or JSON (a pair is joined into one character, a lone one is not);
#: no file, terminal or API takes it.
_HALF_CHARACTER = re.compile("[\ud800-\udfff]")


def half_character(text: str) -> str | None:
    """The first half of a character (a lone surrogate) in ``text``, or ``None``."""
    if text.isascii():
        return None
    found = _HALF_CHARACTER.search(text)
    return found.group() if found else None
