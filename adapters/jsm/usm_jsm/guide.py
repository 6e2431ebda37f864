"""The adapter's offline files: the workflow guide and the checklist of manual steps. Pure.

``workflow-guide.md`` shows agents each USM workflow as it runs in Jira (the tool-neutral
article model of :mod:`usm_config.compile.article`, with the Jira status of every step);
``manual-steps.md`` lists every manual step of a plan with the exact values to enter, since
the public API can write neither queues, portal groups, calendars, SLAs nor automation.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from pydantic import JsonValue

from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.usm import ProcessId
from usm_config.compile.article import workflow_article
from usm_config.compile.wording import named
from usm_config.engine.plan import Action, Change
from usm_config.engine.records import ref_target
from usm_config.render.jinja import template_environment
from usm_jsm.kinds import KINDS
from usm_jsm.values import word

MANUAL_INTRO = (
    "The Jira Cloud REST API cannot write these; do them in Jira's settings with exactly these "
    "values. Every plan checks again what it can read."
)


def _cell(value: object) -> str:
    """Text for one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


@functools.cache
def _environment() -> jinja2.Environment:
    # Markdown, not HTML: no escaping.
    return template_environment("usm_jsm", autoescape=False, filters={"cell": _cell})


def render_workflow_guide(bp: Blueprint) -> str:
    """The workflow guide of ``bp``, in its locale."""
    statuses: dict[tuple[ProcessId, str], str] = {
        (process.id, step.key): named(bp, step)
        for process in bp.processes
        for step in process.steps
    }
    return (
        _environment()
        .get_template("workflow_guide.md.j2")
        .render(
            heading=word(bp, "guide", org=bp.organisation.name),
            intro=word(bp, "guide_intro"),
            jira_status=word(bp, "jira_status"),
            articles=[workflow_article(bp, wf) for wf in bp.workflows],
            statuses=statuses,
        )
    )


@dataclass(frozen=True)
class _Step:
    label: str
    name: str
    project: str
    reason: str
    instructions: str
    values: tuple[tuple[str, Any], ...]


def _shown(value: JsonValue) -> Any:
    target = ref_target(value)
    if target is not None:
        return "/".join(target[1])
    if isinstance(value, list):
        return [str(_shown(item)) for item in value]
    if isinstance(value, dict) and {"jql", "duration"} <= value.keys():
        # An SLA goal, as the SLA settings page lists it: "JQL: target (calendar)".
        calendar = f" ({value['calendar']})" if value.get("calendar") else ""
        return f"{value['jql']}: {value['duration']}{calendar}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in sorted(value.items()))
    return "" if value is None else str(value)


def render_manual_steps(bp: Blueprint, changes: Sequence[Change]) -> str:
    """The manual steps among ``changes``, with every value in full. The checklist is for the
    administrator who runs usm-config, so it speaks English like the plan does; the values are
    what Jira users will see, in the blueprint's locale."""
    steps = []
    for change in changes:
        if change.action != Action.MANUAL:
            continue
        values = dict(change.fields) or {d.field: d.after for d in change.diff}
        project = values.pop("project", "")
        spec = KINDS.get(change.kind)
        steps.append(
            _Step(
                label=spec.label if spec else change.kind,
                name=change.key[-1] if change.key else "",
                project=str(_shown(project)) if project else "",
                reason=change.reason,
                instructions=change.instructions,
                values=tuple((k, _shown(v)) for k, v in sorted(values.items()) if k != "name"),
            )
        )
    return (
        _environment()
        .get_template("manual_steps.md.j2")
        .render(
            heading=f"Manual steps in Jira: {bp.organisation.name}",
            intro=MANUAL_INTRO,
            steps=steps,
        )
    )
