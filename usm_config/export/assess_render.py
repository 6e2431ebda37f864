"""An assessment as text, JSON, Markdown and HTML."""

from __future__ import annotations

import json

from jinja2 import select_autoescape

from usm_config.export.assess import Assessment
from usm_config.render.jinja import template_environment

_ENV = template_environment(
    "usm_config.render",
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=False,
    sandboxed=True,
)


def render_text(assessment: Assessment) -> str:
    """For a terminal: each score with its reasons."""
    lines = [f"USM assessment of {assessment.target}", ""]
    for title, scores in (("Processes", assessment.processes), ("Workflows", assessment.workflows)):
        lines.append(f"{title}:")
        for score in scores:
            lines.append(f"  {score.score:>3}  {score.name}")
            lines += [f"         - {reason}" for reason in score.reasons]
        lines.append("")
    if assessment.findings:
        lines.append("Findings:")
        lines += [f"  - {finding}" for finding in assessment.findings]
        lines.append("")
    lines.append(assessment.summary() + ".")
    return "\n".join(lines) + "\n"


def render_json(assessment: Assessment) -> str:
    """Machine-readable."""
    data = {
        "target": assessment.target,
        "overall": assessment.overall,
        "summary": assessment.summary(),
        "processes": [
            {"name": s.name, "score": s.score, "reasons": list(s.reasons)}
            for s in assessment.processes
        ],
        "workflows": [
            {"name": s.name, "score": s.score, "reasons": list(s.reasons)}
            for s in assessment.workflows
        ],
        "findings": list(assessment.findings),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_markdown(assessment: Assessment) -> str:
    """For a report or an issue."""
    return _ENV.get_template("assessment.md.j2").render(a=assessment)


def render_html(assessment: Assessment) -> str:
    """One self-contained page."""
    return _ENV.get_template("assessment.html.j2").render(a=assessment)


RENDERERS = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}
