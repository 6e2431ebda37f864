"""Workflow diagrams: the order of `show`, boxes that never overlap, text inside its box."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from usm_config.blueprint.loader import load_blueprint
from usm_config.cli import cli
from usm_config.render.diagram import (
    Flow,
    FlowClock,
    FlowStep,
    Lane,
    layout_flow,
    render_dot,
    render_mermaid,
    render_svg,
    workflow_flow,
)
from usm_config.render.diagram.flow import WORDS
from usm_config.render.diagram.layout import Layout
from usm_config.render.diagram.text import text_width, wrap

REPO = Path(__file__).resolve().parents[2]
BLUEPRINTS = [
    "blueprints/usm-reference.yaml",
    "blueprints/examples/municipality",
    "blueprints/examples/university.yaml",
]
STEP_LINE = re.compile(r"^\s+(\d+)\.\s+([a-z]+)\.([a-z0-9-]+)\s")


def _show_sequences(path: str) -> dict[int, list[tuple[str, str]]]:
    """The (process, step key) order of every workflow as `show` prints it."""
    result = CliRunner().invoke(cli, ["show", path])
    assert result.exit_code == 0, result.output
    sequences: dict[int, list[tuple[str, str]]] = {}
    current = 0
    for line in result.stdout.splitlines():
        header = re.match(r"^  (\d)  ", line)
        if header:
            current = int(header.group(1))
            sequences[current] = []
        elif (step := STEP_LINE.match(line)) and current:
            sequences[current].append((step.group(2), step.group(3)))
    return sequences


def _check(layout: Layout) -> None:
    for first, second in itertools.combinations(layout.boxes, 2):
        assert not first.overlaps(second), (first, second)
    for box in layout.boxes:
        for line in box.lines:
            assert box.holds(line), (box, line)
    assert all(box.x + box.width <= layout.width for box in layout.boxes)
    assert all(box.y + box.height <= layout.height for box in layout.boxes)


@pytest.mark.parametrize("path", BLUEPRINTS)
def test_diagram_step_order_matches_show(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    shown = _show_sequences(path)
    blueprint = load_blueprint(path).blueprint
    assert blueprint is not None
    assert sorted(shown) == list(range(1, 9))
    for wf in blueprint.workflows:
        flow = workflow_flow(blueprint, wf)
        layout = layout_flow(flow)
        _check(layout)
        by_position = {s.position: s for s in flow.steps}
        top_to_bottom = [
            by_position[box.position] for box in sorted(layout.steps, key=lambda b: b.y)
        ]
        assert [(s.process, s.key) for s in top_to_bottom] == shown[wf.number], wf.number
        lanes = [flow.lanes[s.lane].process for s in top_to_bottom]
        assert lanes == [process for process, _ in shown[wf.number]]
        svg = ET.fromstring(render_svg(layout))
        links = [a for a in svg.iter() if str(a.tag).endswith("}g")]
        assert len(links) == len(flow.steps)


def test_fork_and_resume_are_drawn_where_show_puts_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    blueprint = load_blueprint("blueprints/usm-reference.yaml").blueprint
    assert blueprint is not None
    flow = workflow_flow(blueprint, next(wf for wf in blueprint.workflows if wf.number == 3))
    forks = [(s.process, s.key, s.hands_over_to) for s in flow.steps if s.hands_over_to]
    resumes = [(s.process, s.key, s.resumes_after) for s in flow.steps if s.resumes_after]
    assert forks == [("recover", "recover", "Change"), ("change", "deploy", "Operate")]
    assert resumes == [("change", "review", "Operate"), ("recover", "review", "Change")]
    statuses = {(s.process, s.key): s.status for s in flow.steps if s.status}
    assert statuses[("recover", "review")] == "workflow fulfilled"
    assert statuses[("operate", "review")] == "process fulfilled"
    layout = layout_flow(flow)
    classes = {box.position: box.classes for box in layout.steps}
    assert "fork" in classes[5] and "resume" in classes[len(flow.steps) - 1]


def test_clocks_span_from_their_start_to_their_stop_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)
    blueprint = load_blueprint("blueprints/examples/municipality").blueprint
    assert blueprint is not None
    wf = next(wf for wf in blueprint.workflows if wf.number == 3)
    flow = workflow_flow(blueprint, wf)
    assert len(flow.clocks) == len(wf.sla_clocks) == 2
    layout = layout_flow(flow)
    steps = {box.position: box for box in layout.steps}
    bars = [c for c in layout.connectors if c.kind == "clock"]
    for clock, bar in zip(flow.clocks, bars, strict=True):
        assert bar.points[0][1] == steps[clock.start].y + 6
        assert bar.points[-1][1] == steps[clock.stop].y + 6


def test_mermaid_and_dot_carry_every_step_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    blueprint = load_blueprint("blueprints/examples/municipality").blueprint
    assert blueprint is not None
    wf = next(wf for wf in blueprint.workflows if wf.number == 3)
    flow = workflow_flow(blueprint, wf)
    mermaid = render_mermaid(flow)
    edges = re.findall(r"^  s(\d+) -\.?->? s(\d+)$|^  s(\d+) -\.-> s(\d+)$", mermaid, re.M)
    pairs = [(int(a or c), int(b or d)) for a, b, c, d in edges]
    assert pairs == [(n, n + 1) for n in range(1, len(flow.steps))]
    dot = render_dot(flow)
    assert dot.count(" -> ") == len(flow.steps) - 1 + 2 * len(flow.clocks)
    assert "subgraph cluster_p2" in dot and 'label="Uitvoeren"' in dot


NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=90
) | st.sampled_from(
    [
        "Toetsen oplevering en terugkoppelen",
        "Wijzigingsverzoekafhandelingscoördinatieoverleg",
        "W" * 60,
        "i" * 200,
    ]
)


@st.composite
def flows(draw: st.DrawFn) -> Flow:
    lanes = tuple(
        Lane(f"p{i}", draw(NAMES)) for i in range(draw(st.integers(min_value=1, max_value=4)))
    )
    count = draw(st.integers(min_value=1, max_value=12))
    steps = tuple(
        FlowStep(
            position=position,
            lane=draw(st.integers(min_value=0, max_value=len(lanes) - 1)),
            process="p",
            key=f"s{position}",
            number=draw(st.integers(min_value=1, max_value=12)),
            name=draw(NAMES),
            hands_over_to=draw(st.sampled_from(["", "Wijzigen", "A very long process name"])),
            resumes_after=draw(st.sampled_from(["", "Uitvoeren"])),
            status=draw(st.sampled_from(["", "workflow fulfilled", "known error"])),
        )
        for position in range(1, count + 1)
    )
    clocks = tuple(
        FlowClock(draw(NAMES), draw(st.sampled_from(["response", "oplostijd"])), *sorted(pair))
        for pair in draw(
            st.lists(
                st.tuples(
                    st.integers(min_value=1, max_value=count),
                    st.integers(min_value=1, max_value=count),
                ),
                max_size=3,
            )
        )
    )
    locale = draw(st.sampled_from(["en", "nl"]))
    return Flow(1, draw(NAMES), lanes, steps, clocks, WORDS[locale])


@settings(max_examples=150, deadline=None)
@given(flows())
def test_boxes_never_overlap_and_text_stays_inside(flow: Flow) -> None:
    layout = layout_flow(flow)
    _check(layout)
    ET.fromstring(render_svg(layout, "#step-{position}"))


@settings(max_examples=300, deadline=None)
@given(NAMES, st.sampled_from([11.0, 13.0, 14.0]), st.floats(min_value=20, max_value=400))
def test_wrap_keeps_every_character_and_every_line_fits(
    text: str, size: float, width: float
) -> None:
    lines = wrap(text, width, size)
    assert "".join("".join(lines).split()) == "".join(text.split())
    assert all(text_width(line, size) <= width for line in lines)
