"""The overview figure: USM's five processes and the hand-overs between them.

The processes sit where USM's process model puts them relative to each other: the three that
start from a customer's or a risk's call on top (Agree, Improve, Recover), the two they hand
over to below (Change, then Operate). Each arrow is a hand-over used by at least one workflow;
its label lists those workflows' numbers, each a link to the workflow's page.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from usm_config.render.diagram.svg import FONT, PROCESS_STYLE
from usm_config.render.diagram.text import text_width, wrap

BOX_W, BOX_H = 180.0, 56.0
WIDTH, HEIGHT = 780.0, 300.0
#: Top-left corner of each process box.
PLACES: dict[str, tuple[float, float]] = {
    "agree": (30.0, 20.0),
    "improve": (300.0, 20.0),
    "recover": (570.0, 20.0),
    "change": (165.0, 224.0),
    "operate": (435.0, 224.0),
}
#: Where an arrow leaves (bottom or right of the source) and arrives (top or left of the
#: target), as a fraction of the box width, and where along the arrow its label sits.
ANCHORS: dict[tuple[str, str], tuple[float, float, float]] = {
    ("agree", "change"): (0.5, 0.25, 0.4),
    ("improve", "agree"): (-1, -1, 0.5),
    ("improve", "change"): (0.4, 0.5, 0.3),
    ("improve", "operate"): (0.6, 0.25, 0.3),
    ("recover", "change"): (0.4, 0.75, 0.62),
    ("recover", "operate"): (0.6, 0.75, 0.45),
    ("change", "operate"): (-1, -1, 0.5),
}
LABEL_SIZE = 12.0
NAME_SIZE = 15.0


@dataclass(frozen=True)
class HandOver:
    """An arrow between two processes and the numbers of the workflows that use it."""

    source: str
    target: str
    workflows: tuple[int, ...]


def hand_overs(paths: Sequence[tuple[int, Sequence[str]]]) -> tuple[HandOver, ...]:
    """The hand-overs of workflows given as (number, process path), in a fixed order."""
    found: dict[tuple[str, str], list[int]] = {}
    for number, path in paths:
        for source, target in itertools.pairwise(path):
            found.setdefault((source, target), []).append(number)
    return tuple(
        HandOver(source, target, tuple(sorted(found[(source, target)])))
        for source, target in ANCHORS
        if (source, target) in found
    )


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _ends(edge: HandOver) -> tuple[float, float, float, float, float]:
    out, into, at = ANCHORS[(edge.source, edge.target)]
    sx, sy = PLACES[edge.source]
    tx, ty = PLACES[edge.target]
    if out < 0:  # side by side: right edge to left edge (or left to right)
        if sx < tx:
            return sx + BOX_W, sy + BOX_H / 2, tx, ty + BOX_H / 2, at
        return sx, sy + BOX_H / 2, tx + BOX_W, ty + BOX_H / 2, at
    return sx + out * BOX_W, sy + BOX_H, tx + into * BOX_W, ty, at


def render_process_model(
    names: Mapping[str, str], edges: Sequence[HandOver], href: Callable[[int], str], title: str
) -> str:
    """The figure as inline SVG; ``names`` are the processes' names in the page's language."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="process-model" role="group" '
        f'width="{_num(WIDTH)}" height="{_num(HEIGHT)}" viewBox="0 0 {_num(WIDTH)} '
        f'{_num(HEIGHT)}" aria-labelledby="pm-title">',
        f'<title id="pm-title">{escape(title)}</title>',
        f"<style>text {{ font-family: {FONT}; }} .pm-box {{ stroke: none; }} "
        ".pm-name { fill: #ffffff; font-weight: bold; } "
        ".pm-edge { stroke: #55657a; stroke-width: 1.6; fill: none; } "
        ".pm-label { fill: #ffffff; stroke: #55657a; } .pm-wf { fill: #1d4f91; "
        "font-weight: bold; text-decoration: underline; } "
        f"{PROCESS_STYLE}</style>",
        '<defs><marker id="pm-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#55657a"/></marker></defs>',
    ]
    labels = []
    for edge in edges:
        x1, y1, x2, y2, at = _ends(edge)
        out.append(
            f'<line class="pm-edge" x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" '
            f'y2="{_num(y2)}" marker-end="url(#pm-arrow)"/>'
        )
        cx, cy = x1 + (x2 - x1) * at, y1 + (y2 - y1) * at
        texts = [str(n) for n in edge.workflows]
        gap = text_width(" ", LABEL_SIZE)
        width = sum(text_width(t, LABEL_SIZE) for t in texts) + gap * (len(texts) - 1) + 12
        height = LABEL_SIZE * 1.35 + 6
        left = cx - width / 2
        parts = [
            f'<rect class="pm-label" x="{_num(left)}" y="{_num(cy - height / 2)}" '
            f'width="{_num(width)}" height="{_num(height)}" rx="9"/>'
        ]
        x = left + 6
        for number, text in zip(edge.workflows, texts, strict=True):
            parts.append(
                f'<a href={quoteattr(href(number))}><text class="pm-wf" x="{_num(x)}" '
                f'y="{_num(cy + LABEL_SIZE * 0.36)}" font-size="{_num(LABEL_SIZE)}">{text}'
                "</text></a>"
            )
            x += text_width(text, LABEL_SIZE) + gap
        labels.append("".join(parts))
    for process, (x, y) in PLACES.items():
        lines = wrap(names.get(process, process), BOX_W - 16, NAME_SIZE)
        out.append(
            f'<rect class="pm-box p-{process}" x="{_num(x)}" y="{_num(y)}" '
            f'width="{_num(BOX_W)}" height="{_num(BOX_H)}" rx="6"/>'
        )
        top = y + BOX_H / 2 - len(lines) * NAME_SIZE * 1.35 / 2
        for index, line in enumerate(lines):
            out.append(
                f'<text class="pm-name" x="{_num(x + BOX_W / 2)}" text-anchor="middle" '
                f'y="{_num(top + index * NAME_SIZE * 1.35 + NAME_SIZE)}" '
                f'font-size="{_num(NAME_SIZE)}">{escape(line)}</text>'
            )
    out.extend(labels)
    out.append("</svg>")
    return "\n".join(out) + "\n"
