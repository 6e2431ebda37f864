"""A workflow knowledge item's HTML → what it shows: the inverse of ``knowledge_item.html.j2``.

TOPdesk's API reads a knowledge item's content back as written, and the item usm-config
publishes per workflow shows most of what the blueprint says about that workflow: its name,
trigger, path, every step of the expanded sequence (with the fork and the status each step
sets), the tailored steps with their RACI tables and work instructions, the SLA clocks and the
risk matrix. :func:`read_article` takes the content apart again, in the words of the language
it is written in (:data:`usm_config.compile.article.WORDING`). Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from usm_config.blueprint.model import Locale
from usm_config.compile.article import WORDING, ArticleWording, MatrixCells
from usm_config.export.text import ArticleStep


@dataclass
class _Block:
    """One block of the page: a paragraph, heading, list item or table row."""

    tag: str
    text: str = ""
    strong: str = ""
    cells: list[str] = field(default_factory=list)
    head: bool = False


class _Blocks(HTMLParser):
    """The page as a flat list of blocks, text unescaped."""

    _BLOCKS = ("p", "h2", "h3", "li", "tr")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self._open: _Block | None = None
        self._cell: list[str] | None = None
        self._strong = False
        self._thead = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        del attrs
        if tag == "thead":
            self._thead = True
        elif tag in self._BLOCKS:
            self._open = _Block(tag, head=self._thead)
        elif tag in ("td", "th") and self._open is not None:
            self._cell = []
        elif tag == "strong":
            self._strong = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._thead = False
        elif tag in self._BLOCKS and self._open is not None:
            self.blocks.append(self._open)
            self._open = None
        elif tag in ("td", "th") and self._open is not None and self._cell is not None:
            self._open.cells.append("".join(self._cell))
            self._cell = None
        elif tag == "strong":
            self._strong = False

    def handle_data(self, data: str) -> None:
        if self._open is None:
            return
        if self._cell is not None:
            self._cell.append(data)
            return
        self._open.text += data
        if self._strong:
            self._open.strong += data


@dataclass(frozen=True)
class TailoredRows:
    """A tailored step: where it stands, its work instruction, and its RACI table (profile
    names as columns; per activity its name, one code per column and its work instruction)."""

    position: int
    work_instruction: str
    profiles: tuple[str, ...]
    activities: tuple[tuple[str, tuple[str, ...], str], ...]


@dataclass(frozen=True)
class ClockRow:
    """An SLA clock: name, ``response`` or ``resolution``, and the positions it starts and
    stops at."""

    name: str
    target: str
    start: int
    stop: int


@dataclass(frozen=True)
class ArticleView:
    """What a workflow knowledge item shows, in its language."""

    number: int
    name: str
    description: str
    trigger: str
    trigger_description: str
    path: tuple[str, ...]
    process_descriptions: tuple[str, ...]
    rows: tuple[ArticleStep, ...]
    tailored: tuple[TailoredRows, ...]
    clocks: tuple[ClockRow, ...]
    matrix: MatrixCells | None


@dataclass
class _Tailoring:
    position: int
    instruction: str = ""
    profiles: tuple[str, ...] = ()
    activities: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)

    def rows(self) -> TailoredRows:
        return TailoredRows(self.position, self.instruction, self.profiles, tuple(self.activities))


class NotAnArticle(ValueError):
    """The content is not a workflow knowledge item usm-config wrote."""


def _template(text: str) -> re.Pattern[str]:
    """A regular expression for a wording with ``{placeholders}``, one group each."""
    parts = re.split(r"\{(\w+)\}", text)
    return re.compile(
        "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    )


_LABEL = re.compile(r"^(?P<position>\d+)\. .* \((?P<process>.+) (?P<number>\d+)\)$")


def _position(label: str) -> int:
    found = _LABEL.match(label)
    if found is None:
        raise NotAnArticle(f"not a step label: {label!r}")
    return int(found.group("position"))


def _step_row(cells: list[str], words: ArticleWording) -> ArticleStep:
    if len(cells) != 4:
        raise NotAnArticle(f"a steps row has {len(cells)} cells")
    position, where, name, status = cells
    process, _, number = where.rpartition(" ")
    fork = _template(" (" + words.fork + ")").pattern + "$"
    resumes = _template(" (" + words.resumes + ")").pattern + "$"
    forked = re.search(fork, name)
    if forked:
        name = name[: forked.start()]
    else:
        resumed = re.search(resumes, name)
        if resumed:
            name = name[: resumed.start()]
    return ArticleStep(int(position), process, int(number), name, bool(forked), status)


def read_article(content: str, locale: Locale) -> ArticleView:
    """The parts of a workflow knowledge item written in ``locale``; :class:`NotAnArticle`
    when the content is something else."""
    words = WORDING[locale]
    parser = _Blocks()
    parser.feed(content)
    parser.close()
    blocks = parser.blocks
    title = _template(words.title).fullmatch(blocks[0].strong) if blocks else None
    if title is None:
        raise NotAnArticle("no workflow title")
    section = ""
    description = trigger = trigger_description = ""
    path: tuple[str, ...] = ()
    described: list[str] = []
    rows: list[ArticleStep] = []
    tailored: list[TailoredRows] = []
    clocks: list[ClockRow] = []
    matrix_title = ""
    columns: tuple[str, ...] = ()
    matrix_rows: list[tuple[str, tuple[str, ...]]] = []
    current: _Tailoring | None = None

    def close_tailored() -> None:
        if current is not None:
            tailored.append(current.rows())

    target = {words.response: "response", words.resolution: "resolution"}
    for block in blocks[1:]:
        if block.tag == "h2":
            close_tailored()
            current = None
            section = block.text
            if section not in (
                words.trigger,
                words.path,
                words.steps,
                words.activities,
                words.clocks,
            ):
                matrix_title = section
            continue
        if section == "" and block.tag == "p":
            description = block.text
        elif section == words.trigger and block.tag == "p":
            trigger = block.strong
            trigger_description = block.text[len(block.strong) + 2 :]
        elif section == words.path and block.tag == "p":
            path = tuple(block.text.split(" → "))
        elif section == words.path and block.tag == "li":
            rest = block.text[len(block.strong) :]
            described.append(rest.split("): ", 1)[1] if "): " in rest else "")
        elif section == words.steps and block.tag == "tr" and not block.head:
            rows.append(_step_row(block.cells, words))
        elif section == words.activities and block.tag == "h3":
            close_tailored()
            current = _Tailoring(_position(block.text))
        elif section == words.activities and current is not None and block.tag == "p":
            prefix = f"{words.work_instruction}: "
            if block.text.startswith(prefix):
                current.instruction = block.text[len(prefix) :]
        elif section == words.activities and current is not None and block.tag == "tr":
            if block.head:
                current.profiles = tuple(block.cells[1:-1])
            else:
                codes = tuple(block.cells[1:-1])
                current.activities.append((block.cells[0], codes, block.cells[-1]))
        elif section == words.clocks and block.tag == "tr" and not block.head:
            name, which, start, stop = block.cells
            clocks.append(
                ClockRow(name, target.get(which, which), _position(start), _position(stop))
            )
        elif matrix_title and section == matrix_title and block.tag == "tr":
            if block.head:
                columns = tuple(block.cells[1:])
            else:
                matrix_rows.append((block.cells[0], tuple(block.cells[1:])))
    close_tailored()
    return ArticleView(
        number=int(title.group("number")),
        name=title.group("name"),
        description=description,
        trigger=trigger,
        trigger_description=trigger_description,
        path=path,
        process_descriptions=tuple(described),
        rows=tuple(rows),
        tailored=tuple(tailored),
        clocks=tuple(clocks),
        matrix=(columns, tuple(matrix_rows)) if matrix_title else None,
    )
