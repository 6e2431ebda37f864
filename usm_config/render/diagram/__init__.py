"""Workflow diagrams laid out by this package: a regular grid of process lanes and steps.

:func:`workflow_flow` extracts what to draw, :func:`layout_flow` places it, and
:func:`render_svg`, :func:`render_mermaid` and :func:`render_dot` write it. No system binary
is needed; text is measured with a fixed width table (:mod:`.text`).
"""

from __future__ import annotations

from usm_config.render.diagram.flow import Flow, FlowClock, FlowStep, Lane, workflow_flow
from usm_config.render.diagram.layout import Box, Layout, layout_flow
from usm_config.render.diagram.svg import render_svg
from usm_config.render.diagram.text_formats import render_dot, render_mermaid

__all__ = [
    "Box",
    "Flow",
    "FlowClock",
    "FlowStep",
    "Lane",
    "Layout",
    "layout_flow",
    "render_dot",
    "render_mermaid",
    "render_svg",
    "workflow_flow",
]
