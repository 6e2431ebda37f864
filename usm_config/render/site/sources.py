"""Links from the catalogue back to the blueprint: file and line of every element.

Each blueprint file becomes a page of the site (its text with numbered, linkable lines), so
that a link such as ``source-workflows.html#L52`` works from ``file://`` and from any web
server alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from usm_config.diagnostics import Location, SourceIndex, locate


@dataclass(frozen=True)
class SourceRef:
    """Where an element is written: ``label`` reads 'file:line', ``short`` the same with the
    file's name only, ``href`` links its line."""

    label: str
    short: str
    href: str


@dataclass(frozen=True)
class SourceFile:
    """A blueprint file and the page that shows it."""

    shown: str
    path: Path
    page: str


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "file"


class Sources:
    """The blueprint's files and a locator from element paths to :class:`SourceRef`."""

    def __init__(self, files: list[Path], index: SourceIndex) -> None:
        self.index = index
        shown = {loc.file for loc in index.values()}
        self.files: list[SourceFile] = []
        taken: set[str] = set()
        for path in files:
            label = next((s for s in shown if Path(s).resolve() == path.resolve()), str(path))
            page = f"source-{_slug(path.stem)}.html"
            counter = 2
            while page in taken:
                page = f"source-{_slug(path.stem)}-{counter}.html"
                counter += 1
            taken.add(page)
            self.files.append(SourceFile(label, path, page))
        self.pages = {f.shown: f.page for f in self.files}

    def ref(self, path: tuple[str | int, ...]) -> SourceRef | None:
        """Where ``path`` (or its nearest written ancestor) is written, or None if unknown."""
        if not self.index:
            return None
        return self.at(locate(self.index, path))

    def at(self, location: Location) -> SourceRef | None:
        """The link to ``location``, or None when it is in no file of the site."""
        page = self.pages.get(location.file)
        if page is None:
            return None
        return SourceRef(
            f"{location.file}:{location.line}",
            f"{Path(location.file).name}:{location.line}",
            f"{page}#L{location.line}",
        )
