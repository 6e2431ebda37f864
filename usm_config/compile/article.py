"""The tool-neutral view of a workflow article: what an agent needs to work one USM workflow.

:func:`workflow_article` builds a :class:`WorkflowArticle` from a blueprint and one of its
workflows: its title, trigger and path, the expanded step sequence (with the fork and resume
points and the status each step sets), the SLA clocks, and the tailored steps with their
activities, RACI rows resolved to profile names, and work instructions. Each adapter renders
the model in its own template (HTML for a ServiceNow knowledge article, a Confluence or Jira
page, ...); :attr:`WorkflowArticle.wording` holds the fixed phrases of the article in its
language so that templates need not hard-code them.

The article is written in the blueprint's locale (``organisation.locale``) unless a locale is
passed. In Dutch, process, step and call-type names come from the ``name_nl`` fields, falling
back to USM's own Dutch names in :mod:`usm_config.blueprint.usm`; names the organisation wrote
itself (a tailored step name, activities, profiles) are shown as written. Statuses keep USM's
terms ('workflow fulfilled', ...) in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass

from usm_config.blueprint.model import (
    Blueprint,
    Locale,
    Matrix,
    Process,
    StepTailoring,
    Workflow,
)
from usm_config.blueprint.sequence import expand_path
from usm_config.blueprint.usm import (
    CALL_TYPE_NAMES,
    PROCESSES,
    CallType,
    ProcessId,
    call_status_label,
)
from usm_config.compile.wording import description_in, name_in


@dataclass(frozen=True)
class ArticleWording:
    """The fixed phrases of a workflow article in one language."""

    title: str
    reactive: str
    proactive: str
    initiating: str
    forked_into: str
    trigger: str
    path: str
    steps: str
    fork_rule: str
    position: str
    process: str
    step: str
    status: str
    fork: str
    resumes: str
    activities: str
    activity: str
    work_instruction: str
    raci_legend: str
    clocks: str
    clock: str
    target: str
    starts_at: str
    stops_at: str
    response: str
    resolution: str
    risk_matrix: str
    effect: str
    likelihood: str


WORDING: dict[str, ArticleWording] = {
    "en": ArticleWording(
        title="USM workflow {number}: {name}",
        reactive="reactive",
        proactive="proactive",
        initiating="initiating process",
        forked_into="forked into",
        trigger="Trigger",
        path="Path",
        steps="Steps",
        fork_rule="At a fork the call is handed to the next process of the path; when that "
        "process has finished, the forking process resumes where it left off.",
        position="#",
        process="Process",
        step="Step",
        status="Status it sets",
        fork="fork: hands over to {process}",
        resumes="resumes after {process}",
        activities="Activities, responsibilities and work instructions",
        activity="Activity",
        work_instruction="Work instruction",
        raci_legend="R = responsible, A = accountable, C = consulted, I = informed.",
        clocks="SLA clocks",
        clock="Clock",
        target="Target",
        starts_at="Starts at",
        stops_at="Stops at",
        response="response",
        resolution="resolution",
        risk_matrix="Risk classification",
        effect="Effect",
        likelihood="Likelihood",
    ),
    "nl": ArticleWording(
        title="USM-workflow {number}: {name}",
        reactive="reactief",
        proactive="proactief",
        initiating="startend proces",
        forked_into="via een fork ingeschakeld",
        trigger="Aanleiding",
        path="Pad",
        steps="Stappen",
        fork_rule="Bij een fork gaat de call naar het volgende proces van het pad; als dat "
        "proces klaar is, gaat het proces dat de fork maakte verder waar het gebleven was.",
        position="#",
        process="Proces",
        step="Stap",
        status="Status die de stap zet",
        fork="fork: draagt over aan {process}",
        resumes="gaat verder na {process}",
        activities="Activiteiten, verantwoordelijkheden en werkinstructies",
        activity="Activiteit",
        work_instruction="Werkinstructie",
        raci_legend="R = uitvoerend (responsible), A = eindverantwoordelijk (accountable), "
        "C = geraadpleegd (consulted), I = geïnformeerd (informed).",
        clocks="SLA-klokken",
        clock="Klok",
        target="Norm",
        starts_at="Start bij",
        stops_at="Stopt bij",
        response="reactietijd",
        resolution="oplostijd",
        risk_matrix="Risicoclassificatie",
        effect="Effect",
        likelihood="Waarschijnlijkheid",
    ),
}


@dataclass(frozen=True)
class ProcessRow:
    """A process on the workflow's path: its name, its role there, its description."""

    id: ProcessId
    name: str
    role: str
    description: str


@dataclass(frozen=True)
class StepRow:
    """One step of the expanded sequence.

    ``hands_over_to`` names the process a fork step hands the call to; ``resumes_after``
    names the process after which this step's process resumes (both empty elsewhere).
    ``status`` is the USM status the step sets on the call, or empty.
    """

    position: int
    process_id: ProcessId
    process: str
    step: str
    number: int
    name: str
    depth: int
    status: str
    hands_over_to: str
    resumes_after: str


@dataclass(frozen=True)
class ActivityRow:
    """An activity of a tailored step; ``codes`` line up with the step's ``profiles``."""

    name: str
    codes: tuple[str, ...]
    work_instruction: str


@dataclass(frozen=True)
class TailoredStep:
    """A step the organisation tailored: activities, RACI table and work instruction.

    ``title`` reads '3. Analyze (Recover 3)'; ``profiles`` are the names of the profiles that
    appear in any RACI of the step, in blueprint order.
    """

    title: str
    work_instruction: str
    profiles: tuple[str, ...]
    activities: tuple[ActivityRow, ...]

    def raci(self, activity: ActivityRow) -> tuple[tuple[str, str], ...]:
        """The (profile name, code) pairs of ``activity`` that have a code."""
        return tuple((p, c) for p, c in zip(self.profiles, activity.codes, strict=True) if c)


@dataclass(frozen=True)
class ClockRow:
    """An SLA clock: its name, which target it measures, and its start and stop steps."""

    name: str
    target: str
    start: str
    stop: str


#: A classification matrix as a table: its column names, and per row its name and the names
#: of the levels in its cells.
MatrixCells = tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]


@dataclass(frozen=True)
class MatrixView:
    """A classification matrix as a table: column names, and per row its name and cells."""

    title: str
    corner: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class WorkflowArticle:
    """Everything a workflow article shows, in one language (``locale``)."""

    locale: Locale
    wording: ArticleWording
    workflow_id: str
    number: int
    title: str
    name: str
    name_en: str
    name_nl: str
    description: str
    kind: str
    trigger: str
    trigger_description: str
    path: str
    processes: tuple[ProcessRow, ...]
    sequence: tuple[StepRow, ...]
    tailored: tuple[TailoredStep, ...]
    clocks: tuple[ClockRow, ...]
    matrix: MatrixView | None


def _process_name(pid: ProcessId, processes: dict[ProcessId, Process], locale: Locale) -> str:
    process = processes.get(pid)
    if locale == "nl":
        return (process.name_nl if process else None) or PROCESSES[pid].name_nl
    return process.name if process else pid.value.capitalize()


def _step_names(
    processes: dict[ProcessId, Process], tailoring: tuple[StepTailoring, ...], locale: Locale
) -> dict[tuple[ProcessId, str], str]:
    """Each step's name in ``locale``; a tailored name is shown as the organisation wrote it."""
    canon = {(pid, s.key): s.name_nl for pid, p in PROCESSES.items() for s in p.steps}
    names = {}
    for pid, process in processes.items():
        for step in process.steps:
            dutch = step.name_nl or canon.get((pid, step.key))
            names[(pid, step.key)] = (dutch or step.name) if locale == "nl" else step.name
    names.update({(t.process, t.step): t.name for t in tailoring if t.name})
    return names


def matrix_cells(matrix: Matrix, lang: Locale) -> MatrixCells:
    """The table an article in ``lang`` shows of ``matrix`` (an export compares it with the
    table it reads back)."""
    levels = {lvl.id: name_in(lang, lvl) for lvl in matrix.levels}
    return (
        tuple(name_in(lang, c) for c in matrix.columns),
        tuple(
            (
                name_in(lang, row),
                tuple(
                    levels.get(matrix.matrix.get(row.id, {}).get(col.id, ""), "")
                    for col in matrix.columns
                ),
            )
            for row in matrix.rows
        ),
    )


def _matrix_view(matrix: Matrix, title: str, names: tuple[str, str], lang: Locale) -> MatrixView:
    columns, rows = matrix_cells(matrix, lang)
    return MatrixView(title, f"{names[0]} \\ {names[1]}", columns, rows)


def workflow_article(bp: Blueprint, wf: Workflow, locale: Locale | None = None) -> WorkflowArticle:
    """The article of workflow ``wf`` of ``bp``, in ``locale`` (default: the blueprint's)."""
    lang: Locale = locale or bp.organisation.locale
    words = WORDING[lang]
    processes = {p.id: p for p in bp.processes}
    names = {pid: _process_name(pid, processes, lang) for pid in ProcessId}
    step_names = _step_names(processes, wf.steps, lang)
    sequence = expand_path(wf.path, processes, wf.steps)
    rows = []
    for i, step in enumerate(sequence):
        previous = sequence[i - 1] if i else None
        resumed = previous is not None and previous.depth > step.depth
        rows.append(
            StepRow(
                position=step.position,
                process_id=step.process,
                process=names[step.process],
                step=step.step,
                number=step.number,
                name=step_names.get((step.process, step.step), step.name),
                depth=step.depth,
                status=call_status_label(step.status, lang) if step.status else "",
                hands_over_to=names[wf.path[step.depth + 1]] if step.fork else "",
                resumes_after=names[wf.path[step.depth + 1]] if resumed else "",
            )
        )
    where = {(row.process_id, row.step): row for row in rows}

    def step_label(process: ProcessId, key: str) -> str:
        found = where.get((process, key))
        if found is None:
            return f"{names[process]} {key}"
        return f"{found.position}. {found.name} ({names[process]} {found.number})"

    profiles = {p.id: p.name for p in bp.profiles}
    tailored = []
    for tailoring in wf.steps:
        used = {pid for a in tailoring.activities for pid in a.raci}
        columns = [p for p in profiles if p in used] + sorted(used - set(profiles))
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
    call_type = next((ct for ct in bp.call_types if ct.id == wf.trigger), None)
    if lang == "nl":
        name = wf.name_nl or wf.name
        trigger = (call_type.name_nl if call_type else None) or CALL_TYPE_NAMES[wf.trigger][1]
    else:
        name = wf.name
        trigger = call_type.name if call_type else CALL_TYPE_NAMES[wf.trigger][0]

    cls = bp.classification
    return WorkflowArticle(
        locale=lang,
        wording=words,
        workflow_id=wf.id,
        number=wf.number,
        title=words.title.format(number=wf.number, name=name),
        name=name,
        name_en=wf.name,
        name_nl=wf.name_nl or "",
        description=description_in(lang, wf),
        kind=words.proactive if wf.proactive else words.reactive,
        trigger=trigger,
        trigger_description=description_in(lang, call_type),
        path=" → ".join(names[p] for p in wf.path),
        processes=tuple(
            ProcessRow(
                id=pid,
                name=names[pid],
                role=words.initiating if depth == 0 else words.forked_into,
                description=description_in(lang, processes.get(pid)),
            )
            for depth, pid in enumerate(wf.path)
        ),
        sequence=tuple(rows),
        tailored=tuple(tailored),
        clocks=tuple(
            ClockRow(
                name=c.name,
                target=words.response if c.target == "response" else words.resolution,
                start=step_label(c.start.process, c.start.step),
                stop=step_label(c.stop.process, c.stop.step),
            )
            for c in wf.sla_clocks
        ),
        matrix=(
            _matrix_view(cls.risk, words.risk_matrix, (words.effect, words.likelihood), lang)
            if cls and wf.trigger == CallType.RISK
            else None
        ),
    )
