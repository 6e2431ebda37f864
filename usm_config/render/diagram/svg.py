"""Write a :class:`~usm_config.render.diagram.layout.Layout` as a standalone SVG document.

The SVG carries its own styles, so it looks the same inline in a page, opened on its own, or
pasted into a wiki. Step boxes link to ``step_href`` (formatted with the step's position) when
one is given.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from usm_config.render.diagram.layout import Box, Layout, TextLine

FONT = "'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif"
#: One colour per process, shared by the diagrams and the catalogue's pages.
PROCESS_COLOURS = {
    "agree": "#2b5c9e",
    "change": "#8a5a00",
    "recover": "#b02a2a",
    "operate": "#2c7a45",
    "improve": "#6a3fb5",
}
PROCESS_STYLE = " ".join(f".p-{p}, .d-p-{p} {{ fill: {c}; }}" for p, c in PROCESS_COLOURS.items())
STYLE = f"""
text {{ font-family: {FONT}; fill: #1b1f24; }}
.d-lane {{ fill: #f3f5f8; }}
.d-lane.d-alt {{ fill: #e6ecf3; }}
.d-box {{ fill: #ffffff; stroke: #55657a; stroke-width: 1.2; }}
.d-box.d-header {{ stroke: none; }}
.t-header {{ fill: #ffffff; font-weight: bold; }}
.d-box.d-fork {{ stroke: #b3541e; stroke-width: 2.4; }}
.d-box.d-resume {{ stroke: #2e6f40; stroke-width: 2.4; }}
.d-box.d-clock {{ fill: #fff8e1; stroke: #9a7b1c; }}
.t-note {{ fill: #3d4a5a; }}
.t-status {{ fill: #6b2d8f; font-weight: bold; }}
.t-clock {{ font-weight: bold; }}
.d-next, .d-fork-edge, .d-resume-edge {{ fill: none; stroke: #55657a; stroke-width: 1.4; }}
.d-fork-edge {{ stroke: #b3541e; stroke-dasharray: 5 3; }}
.d-resume-edge {{ stroke: #2e6f40; stroke-dasharray: 5 3; }}
.d-clock-bar {{ fill: none; stroke: #9a7b1c; stroke-width: 3; }}
.d-tick {{ fill: none; stroke: #9a7b1c; stroke-width: 1; stroke-dasharray: 2 3; }}
.d-start {{ fill: #9a7b1c; }}
.d-stop {{ fill: #ffffff; stroke: #9a7b1c; stroke-width: 2; }}
a:focus .d-box, a:hover .d-box {{ stroke-width: 3; }}
{PROCESS_STYLE}
"""


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(line: TextLine) -> str:
    return (
        f'<text class="t-{line.role}" x="{_num(line.x)}" y="{_num(line.baseline)}" '
        f'font-size="{_num(line.size)}">{escape(line.text)}</text>'
    )


def _box(box: Box, extra: str = "") -> str:
    classes = " ".join(f"d-{name}" for name in ("box", extra or box.kind, *box.classes))
    rect = (
        f'<rect class="{classes}" x="{_num(box.x)}" y="{_num(box.y)}" '
        f'width="{_num(box.width)}" height="{_num(box.height)}" rx="4"/>'
    )
    return rect + "".join(_text(line) for line in box.lines)


def render_svg(layout: Layout, step_href: str | None = None, ident: str = "wf") -> str:
    """The diagram as an SVG document (no XML declaration, so it can also be inlined).

    ``ident`` prefixes the ids inside the SVG (the arrow marker), so that several diagrams
    can share one page.
    """
    arrow = f"{ident}-arrow"
    # With links inside, the diagram is a group: assistive technology must reach the links.
    role = "img" if step_href is None else "group"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" role="{role}" '
        f'width="{_num(layout.width)}" height="{_num(layout.height)}" '
        f'viewBox="0 0 {_num(layout.width)} {_num(layout.height)}" '
        f"aria-labelledby={quoteattr(ident + '-title')}>",
        f'<title id="{ident}-title">{escape(layout.title)}</title>',
        f"<style>{STYLE}</style>",
        f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#55657a"/></marker></defs>',
    ]
    for index, lane in enumerate(layout.lanes):
        alt = " d-alt" if index % 2 else ""
        out.append(
            f'<rect class="d-lane{alt}" x="{_num(lane.x)}" y="{_num(lane.y)}" '
            f'width="{_num(lane.width)}" height="{_num(layout.lane_height)}"/>'
        )
    for connector in layout.connectors:
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in connector.points)
        end = f' marker-end="url(#{arrow})"' if connector.kind in ("next", "fork", "resume") else ""
        css = {"fork": "fork-edge", "resume": "resume-edge", "clock": "clock-bar"}
        kind = css.get(connector.kind, connector.kind)
        out.append(f'<polyline class="d-{kind}" points="{points}"{end}/>')
    for marker in layout.markers:
        if marker.kind == "start":
            out.append(
                f'<circle class="d-start" cx="{_num(marker.x)}" cy="{_num(marker.y)}" r="5"/>'
            )
        else:
            out.append(
                f'<rect class="d-stop" x="{_num(marker.x - 4.5)}" y="{_num(marker.y - 4.5)}" '
                'width="9" height="9"/>'
            )
    out.extend(_box(lane, "header") for lane in layout.lanes)
    for step in layout.steps:
        if step_href is None:
            out.append(f"<g>{_box(step)}</g>")
        else:
            href = quoteattr(step_href.format(position=step.position))
            out.append(f"<a href={href}>{_box(step)}</a>")
    out.extend(_box(clock) for clock in layout.clocks)
    out.append("</svg>")
    return "\n".join(out) + "\n"
