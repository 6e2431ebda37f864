"""The knowledge article that shows an agent one tailored USM workflow."""

from __future__ import annotations

from dataclasses import dataclass

from usm_config.blueprint.model import (
    Blueprint,
    Matrix,
    Workflow,
)
from usm_config.blueprint.sequence import expand_path
from usm_config.blueprint.usm import CALL_TYPE_NAMES, CallType, ProcessId
from usm_servicenow.templating import environment
from usm_servicenow.values import knowledge_base_title, setting

# ----------------------------------------------------------------------------- the article


@dataclass(frozen=True)
class SequenceRow:
    """One row of an article's step table."""

    position: int
    process: str
    number: int
    name: str
    depth: int
    status: str
    hands_over_to: str


@dataclass(frozen=True)
class ActivityRow:
    """One activity of a tailored step with its RACI codes, one per profile column."""

    name: str
    codes: tuple[str, ...]
    work_instruction: str


@dataclass(frozen=True)
class TailoredStep:
    """A step the organisation tailored: activities, RACI table and work instruction."""

    title: str
    work_instruction: str
    profiles: tuple[str, ...]
    activities: tuple[ActivityRow, ...]


@dataclass(frozen=True)
class ClockRow:
    """An SLA clock of the workflow."""

    name: str
    target: str
    start: str
    stop: str


@dataclass(frozen=True)
class MatrixView:
    """A classification matrix as a table."""

    title: str
    corner: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class ProcessRow:
    """A process on the workflow's path."""

    name: str
    role: str
    description: str


@dataclass(frozen=True)
class Article:
    """Everything the workflow article template shows."""

    number: int
    name: str
    name_nl: str
    description: str
    kind: str
    trigger: str
    trigger_description: str
    path: str
    processes: tuple[ProcessRow, ...]
    sequence: tuple[SequenceRow, ...]
    tailored: tuple[TailoredStep, ...]
    clocks: tuple[ClockRow, ...]
    matrix: MatrixView | None
    flow: str
    knowledge_base: str


def _matrix_view(matrix: Matrix, title: str, names: tuple[str, str]) -> MatrixView:
    levels = {lvl.id: lvl.name for lvl in matrix.levels}
    return MatrixView(
        title=title,
        corner=f"{names[0]} \\ {names[1]}",
        columns=tuple(c.name for c in matrix.columns),
        rows=tuple(
            (
                row.name,
                tuple(
                    levels.get(matrix.matrix.get(row.id, {}).get(col.id, ""), "")
                    for col in matrix.columns
                ),
            )
            for row in matrix.rows
        ),
    )


def workflow_article(bp: Blueprint, wf: Workflow) -> Article:
    """The data shown in a workflow's knowledge article."""
    processes = {p.id: p for p in bp.processes}
    names = {
        pid: (processes[pid].name if pid in processes else pid.value.capitalize())
        for pid in ProcessId
    }
    sequence = expand_path(wf.path, processes, wf.steps)
    call_type = next((ct for ct in bp.call_types if ct.id == wf.trigger), None)
    profiles = {p.id: p.name for p in bp.profiles}
    profile_order = [p.id for p in bp.profiles]
    rows = []
    for step in sequence:
        following = wf.path.index(step.process) + 1
        rows.append(
            SequenceRow(
                position=step.position,
                process=names[step.process],
                number=step.number,
                name=step.name,
                depth=step.depth,
                status=step.status.value if step.status else "",
                hands_over_to=names[wf.path[following]] if step.fork else "",
            )
        )
    where = {(s.process, s.step): s for s in sequence}

    def step_label(process: ProcessId, key: str) -> str:
        found = where.get((process, key))
        if found is None:
            return f"{names[process]} {key}"
        return f"{found.position}. {found.name} ({names[process]} {found.number})"

    tailored = []
    for tailoring in wf.steps:
        used = {pid for a in tailoring.activities for pid in a.raci}
        columns = [p for p in profile_order if p in used] + sorted(used - set(profile_order))
        tailored.append(
            TailoredStep(
                title=step_label(tailoring.process, tailoring.step),
                work_instruction=tailoring.work_instruction or "",
                profiles=tuple(profiles.get(p, p) for p in columns),
                activities=tuple(
                    ActivityRow(
                        name=a.name,
                        codes=tuple(a.raci.get(p, "") for p in columns),
                        work_instruction=a.work_instruction or "",
                    )
                    for a in tailoring.activities
                ),
            )
        )
    cls = bp.classification
    return Article(
        number=wf.number,
        name=wf.name,
        name_nl=wf.name_nl or "",
        description=wf.description or "",
        kind="proactive" if wf.proactive else "reactive",
        trigger=call_type.name if call_type else CALL_TYPE_NAMES[wf.trigger][0],
        trigger_description=(call_type.description or "") if call_type else "",
        path=" → ".join(names[p] for p in wf.path),
        processes=tuple(
            ProcessRow(
                name=names[pid],
                role="initiating process" if depth == 0 else "forked into",
                description=(processes[pid].description or "") if pid in processes else "",
            )
            for depth, pid in enumerate(wf.path)
        ),
        sequence=tuple(rows),
        tailored=tuple(tailored),
        clocks=tuple(
            ClockRow(
                name=c.name,
                target=c.target,
                start=step_label(c.start.process, c.start.step),
                stop=step_label(c.stop.process, c.stop.step),
            )
            for c in wf.sla_clocks
        ),
        matrix=(
            _matrix_view(cls.risk, "Risk classification", ("Effect", "Likelihood"))
            if cls and wf.trigger == CallType.RISK
            else None
        ),
        flow=setting(wf, "flow", ""),
        knowledge_base=knowledge_base_title(bp),
    )


def render_workflow_article(bp: Blueprint, wf: Workflow) -> str:
    """The HTML body of a workflow's knowledge article (kb_knowledge.text)."""
    template = environment().get_template("kb_workflow.html.j2")
    return template.render(article=workflow_article(bp, wf))
