"""The folder a catalogue is written into: its own pages replaced, stale ones removed, and
every other file left alone.

Each file carries a mark (a ``generator`` meta tag, a comment atop the style sheet and the
diagrams), so a second ``docs --out`` into the same folder knows the files a previous run
wrote: it replaces them and removes the pages of services or source files the blueprint no
longer has. A file of the same name without the mark (an ``index.html`` of its own) stops the
run before anything is written; files of other names are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

#: How a diagram file says it was written by ``usm-config docs``; pages say it in base.html.j2
#: and the style sheet atop style.css.j2.
SVG_MARK = "<!-- Written by usm-config docs. -->\n"
MARKS = (
    '<meta name="generator" content="usm-config docs">',
    "/* Written by usm-config docs.",
    SVG_MARK.strip(),
)
#: Suffixes of the files a catalogue holds.
SUFFIXES = frozenset({".html", ".css", ".svg"})


class SiteFolderError(Exception):
    """The folder holds files of the catalogue's names that it did not write."""


def written_by_docs(path: Path) -> bool:
    """Whether ``path`` is a page a ``usm-config docs`` run wrote: its head carries the mark."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            head = handle.read(2048)
    except OSError:
        return False
    return any(mark in head for mark in MARKS)


def write_site(pages: Iterable[tuple[str, str]], out: Path) -> list[str]:
    """Write ``pages`` (file name, text) into ``out`` (created when missing); remove the pages
    a previous run wrote that are not among them. Returns the names written.

    Raises :class:`SiteFolderError`, before writing anything, when a file of one of the names
    exists and is not a page a previous run wrote.
    """
    site = dict(pages)
    if out.is_dir():
        strangers = sorted(
            name for name in site if (out / name).exists() and not written_by_docs(out / name)
        )
        if strangers:
            shown = ", ".join(strangers[:5]) + (" …" if len(strangers) > 5 else "")
            raise SiteFolderError(
                f"{out} already holds {len(strangers)} file(s) of the catalogue's names that "
                f"usm-config docs did not write ({shown}); write the catalogue into an empty "
                "folder, or move those files"
            )
        stale = [
            path
            for path in sorted(out.iterdir())
            if path.suffix in SUFFIXES
            and path.name not in site
            and path.is_file()
            and written_by_docs(path)
        ]
    else:
        stale = []
    out.mkdir(parents=True, exist_ok=True)
    for name, text in site.items():
        (out / name).write_text(text, encoding="utf-8")
    for path in stale:
        path.unlink()
    return list(site)
