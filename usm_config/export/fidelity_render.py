"""The fidelity report of a migration as text, JSON, Markdown and HTML."""

from __future__ import annotations

import json
from collections import defaultdict

from jinja2 import select_autoescape

from usm_config.export.fidelity import ElementLanding, FidelityReport, Landing
from usm_config.render.jinja import template_environment

_ENV = template_environment(
    "usm_config.render",
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=False,
    sandboxed=True,
)


def _by_landing(report: FidelityReport) -> dict[Landing, list[ElementLanding]]:
    grouped: defaultdict[Landing, list[ElementLanding]] = defaultdict(list)
    for element in report.elements:
        grouped[element.landing].append(element)
    return {landing: grouped[landing] for landing in Landing if grouped[landing]}


def render_text(report: FidelityReport) -> str:
    """For a terminal: what was lost, then each landing with its elements."""
    lines = [f"Migration from {report.source} to {report.target}", ""]
    if report.lost_on_export:
        lines.append("Lost on export from the source:")
        lines += [f"  - {f.render()}" for f in report.lost_on_export]
        lines.append("")
    if report.changed:
        lines.append(f"Changed on the way ({len(report.changed)}):")
        for item in report.changed:
            e = item.element
            lines.append(f"  {e.what} '{e.name}' [{e.path}]: {item.changed}")
        lines.append("")
    for landing, items in _by_landing(report).items():
        lines.append(f"{landing.value} ({len(items)}):")
        for item in items:
            where = f" -> {', '.join(item.records[:3])}" if item.records else ""
            more = f" (+{len(item.records) - 3})" if len(item.records) > 3 else ""
            why = f" ({item.why})" if item.why else ""
            lines.append(
                f"  {item.element.what} '{item.element.name}' [{item.element.path}]{where}{more}"
                f"{why}"
            )
        lines.append("")
    for note in report.notes:
        lines.append(f"note: {note}")
    if report.plan_summary:
        lines.append(f"Plan for {report.target}: {report.plan_summary}.")
    lines.append(f"Fidelity: {report.summary()}.")
    return "\n".join(lines) + "\n"


def render_json(report: FidelityReport) -> str:
    """Machine-readable: every element with its landing and records."""
    data = {
        "source": report.source,
        "target": report.target,
        "summary": report.summary(),
        "lost": report.lost,
        "plan": report.plan_summary,
        "lost_on_export": [
            {"record": f.record, "id": f.target_id, "kind": f.kind.value, "message": f.message}
            for f in report.lost_on_export
        ],
        "elements": [
            {
                "path": e.element.path,
                "what": e.element.what,
                "name": e.element.name,
                "landing": e.landing.value,
                "records": list(e.records),
                "why": e.why,
                "changed": e.changed,
            }
            for e in report.elements
        ],
        "notes": list(report.notes),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_markdown(report: FidelityReport) -> str:
    """For a pull request or a migration plan document."""
    return _ENV.get_template("fidelity.md.j2").render(
        report=report, groups=_by_landing(report), Landing=Landing
    )


def render_html(report: FidelityReport) -> str:
    """One self-contained page."""
    return _ENV.get_template("fidelity.html.j2").render(
        report=report, groups=_by_landing(report), Landing=Landing
    )


RENDERERS = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}
