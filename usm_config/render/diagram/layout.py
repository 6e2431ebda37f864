"""Lay a :class:`~usm_config.render.diagram.flow.Flow` out on a regular grid.

One column (lane) per process of the path, headed by the process name; one row per step in
sequence order, so no two steps share a row and the arrow between consecutive steps runs in
the gap between their rows. SLA clocks get a column each to the right of the lanes: a bar from
the row of the step that starts the clock to the row of the step that stops it, labelled at
its start. Every label is wrapped with :func:`~usm_config.render.diagram.text.wrap` and every
box is sized from its lines, so text stays inside its box and boxes never overlap.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from usm_config.render.diagram.flow import Flow, FlowStep
from usm_config.render.diagram.text import text_width, wrap

MARGIN = 12
LANE_WIDTH = 196
LANE_GAP = 12
CLOCK_WIDTH = 150
PAD = 7
ROW_GAP = 22
HEADER_SIZE = 14
LABEL_SIZE = 13
NOTE_SIZE = 12
LINE_HEIGHT = 1.35  # of the font size; the glyphs of DejaVu Sans span 1.17 em


@dataclass(frozen=True)
class TextLine:
    """One line of text: its top-left corner, its measured width and its font size."""

    x: float
    y: float
    width: float
    size: float
    text: str
    role: str

    @property
    def height(self) -> float:
        return self.size * LINE_HEIGHT

    @property
    def baseline(self) -> float:
        return self.y + self.size


@dataclass(frozen=True)
class Box:
    """A rectangle with text: a lane header, a step or a clock label.

    ``kind`` is 'lane', 'step' or 'clock'; ``classes`` are extra CSS classes ('fork',
    'resume', 'sets-status'); ``position`` is the step's position in the sequence (0 otherwise).
    """

    kind: str
    x: float
    y: float
    width: float
    height: float
    lines: tuple[TextLine, ...]
    classes: tuple[str, ...] = ()
    position: int = 0

    def overlaps(self, other: Box) -> bool:
        """True when the two rectangles share any area."""
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )

    def holds(self, line: TextLine) -> bool:
        """True when ``line`` lies inside this box."""
        return (
            self.x <= line.x
            and line.x + line.width <= self.x + self.width
            and self.y <= line.y
            and line.y + line.height <= self.y + self.height
        )


@dataclass(frozen=True)
class Connector:
    """A polyline: 'next' between steps of one process, 'fork' and 'resume' across lanes,
    'clock' for a clock's bar."""

    kind: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Marker:
    """Where a clock starts ('start') or stops ('stop')."""

    kind: str
    x: float
    y: float


@dataclass(frozen=True)
class Layout:
    """A laid-out diagram in pixels."""

    title: str
    width: float
    height: float
    lanes: tuple[Box, ...]
    lane_height: float
    steps: tuple[Box, ...]
    clocks: tuple[Box, ...]
    connectors: tuple[Connector, ...]
    markers: tuple[Marker, ...]

    @property
    def boxes(self) -> tuple[Box, ...]:
        """Every box with text."""
        return self.lanes + self.steps + self.clocks


def _text_block(
    parts: list[tuple[str, float, str]], x: float, y: float, width: float
) -> tuple[tuple[TextLine, ...], float]:
    """Wrap ``(text, size, role)`` parts into lines from (x, y); return them and the height."""
    lines: list[TextLine] = []
    top = y
    for text, size, role in parts:
        for line in wrap(text, width, size):
            lines.append(TextLine(x, top, text_width(line, size), size, line, role))
            top += size * LINE_HEIGHT
    return tuple(lines), top - y


def _step_parts(step: FlowStep, flow: Flow) -> list[tuple[str, float, str]]:
    parts: list[tuple[str, float, str]] = [(step.label, LABEL_SIZE, "label")]
    if step.resumes_after:
        parts.append(
            ("← " + flow.words.resumes.format(process=step.resumes_after), NOTE_SIZE, "note")
        )
    if step.hands_over_to:
        parts.append(("→ " + flow.words.fork.format(process=step.hands_over_to), NOTE_SIZE, "note"))
    if step.status:
        parts.append(("⇒ " + flow.words.status.format(status=step.status), NOTE_SIZE, "status"))
    return parts


def lane_x(index: int) -> float:
    """Left edge of lane ``index``."""
    return MARGIN + index * (LANE_WIDTH + LANE_GAP)


def layout_flow(flow: Flow) -> Layout:
    """Place lanes, steps, connectors and clocks of ``flow``."""
    inner = LANE_WIDTH - 2 * PAD
    headers: list[Box] = []
    header_height = 0.0
    blocks = []
    for index, lane in enumerate(flow.lanes):
        lines, height = _text_block(
            [(lane.name, HEADER_SIZE, "header")], lane_x(index) + PAD, MARGIN + PAD, inner
        )
        blocks.append(lines)
        header_height = max(header_height, height + 2 * PAD)
    for index, lines in enumerate(blocks):
        process = (f"p-{flow.lanes[index].process}",)
        headers.append(
            Box("lane", lane_x(index), MARGIN, LANE_WIDTH, header_height, lines, process)
        )

    box_width = LANE_WIDTH - 2 * PAD
    y = MARGIN + header_height + ROW_GAP
    steps: list[Box] = []
    for step in flow.steps:
        x = lane_x(step.lane) + PAD
        lines, height = _text_block(_step_parts(step, flow), x + PAD, y + PAD, box_width - 2 * PAD)
        classes = tuple(
            name
            for name, on in (
                ("fork", bool(step.hands_over_to)),
                ("resume", bool(step.resumes_after)),
                ("sets-status", bool(step.status)),
            )
            if on
        )
        steps.append(Box("step", x, y, box_width, height + 2 * PAD, lines, classes, step.position))
        y += height + 2 * PAD + ROW_GAP

    connectors = []
    for before, after in itertools.pairwise(steps):
        x1, y1 = before.x + before.width / 2, before.y + before.height
        x2, y2 = after.x + after.width / 2, after.y
        if x1 == x2:
            connectors.append(Connector("next", ((x1, y1), (x2, y2))))
        else:
            middle = y1 + ROW_GAP / 2
            kind = "fork" if "fork" in before.classes else "resume"
            connectors.append(Connector(kind, ((x1, y1), (x1, middle), (x2, middle), (x2, y2))))

    lanes_right = lane_x(len(flow.lanes)) - LANE_GAP
    clocks: list[Box] = []
    markers: list[Marker] = []
    by_position = {box.position: box for box in steps}
    bottom = y - ROW_GAP
    for index, clock in enumerate(flow.clocks):
        column = lanes_right + LANE_GAP + index * CLOCK_WIDTH
        bar = column + 8
        start, stop = by_position[clock.start], by_position[clock.stop]
        connectors.append(
            Connector("tick", ((start.x + start.width, start.y + 6), (bar, start.y + 6)))
        )
        connectors.append(Connector("tick", ((stop.x + stop.width, stop.y + 6), (bar, stop.y + 6))))
        connectors.append(Connector("clock", ((bar, start.y + 6), (bar, stop.y + 6))))
        markers += [Marker("start", bar, start.y + 6), Marker("stop", bar, stop.y + 6)]
        label_x, label_y = column + 18, start.y + 16
        lines, height = _text_block(
            [
                (clock.name, LABEL_SIZE, "clock"),
                (clock.target, NOTE_SIZE, "note"),
            ],
            label_x + PAD,
            label_y + PAD,
            CLOCK_WIDTH - 24 - 2 * PAD,
        )
        box = Box("clock", label_x, label_y, CLOCK_WIDTH - 24, height + 2 * PAD, lines)
        clocks.append(box)
        bottom = max(bottom, box.y + box.height)
    width = lanes_right + MARGIN + len(flow.clocks) * CLOCK_WIDTH
    height = bottom + MARGIN
    return Layout(
        title=flow.title,
        width=width,
        height=height,
        lanes=tuple(headers),
        lane_height=height - 2 * MARGIN,
        steps=tuple(steps),
        clocks=tuple(clocks),
        connectors=tuple(connectors),
        markers=tuple(markers),
    )
