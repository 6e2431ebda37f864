"""What a workflow diagram shows, independent of how it is drawn.

:func:`workflow_flow` turns a blueprint workflow into a :class:`Flow`: one lane per process of
the path (initiating process first), the expanded step sequence (the same expansion ``show``
prints), where the call is handed over and where it resumes, the status each step sets, and
the SLA clocks with the steps where they start and stop. All text is in the blueprint's locale,
taken from :func:`usm_config.compile.article.workflow_article`.
"""

from __future__ import annotations

from dataclasses import dataclass

from usm_config.blueprint.model import Blueprint, Locale, Workflow
from usm_config.compile.article import workflow_article


@dataclass(frozen=True)
class FlowWords:
    """The fixed phrases a diagram prints, in one language."""

    fork: str
    resumes: str
    status: str
    clock_start: str
    clock_stop: str


WORDS: dict[str, FlowWords] = {
    "en": FlowWords(
        fork="hands over to {process}",
        resumes="resumes after {process}",
        status="sets: {status}",
        clock_start="starts",
        clock_stop="stops",
    ),
    "nl": FlowWords(
        fork="draagt over aan {process}",
        resumes="gaat verder na {process}",
        status="zet: {status}",
        clock_start="start",
        clock_stop="stopt",
    ),
}


@dataclass(frozen=True)
class Lane:
    """A process on the workflow's path."""

    process: str
    name: str


@dataclass(frozen=True)
class FlowStep:
    """One step of the expanded sequence; ``lane`` indexes :attr:`Flow.lanes`.

    ``hands_over_to`` and ``resumes_after`` name a process (empty when the step does neither);
    ``status`` is the USM status the step sets, or empty.
    """

    position: int
    lane: int
    process: str
    key: str
    number: int
    name: str
    hands_over_to: str = ""
    resumes_after: str = ""
    status: str = ""

    @property
    def label(self) -> str:
        """The step as it reads in the diagram: its number within its process and its name."""
        return f"{self.number}. {self.name}"


@dataclass(frozen=True)
class FlowClock:
    """An SLA clock: running from the start of step ``start`` to the start of step ``stop``
    (positions in the sequence)."""

    name: str
    target: str
    start: int
    stop: int


@dataclass(frozen=True)
class Flow:
    """A workflow ready to draw."""

    number: int
    title: str
    lanes: tuple[Lane, ...]
    steps: tuple[FlowStep, ...]
    clocks: tuple[FlowClock, ...]
    words: FlowWords


def workflow_flow(bp: Blueprint, wf: Workflow, locale: Locale | None = None) -> Flow:
    """The diagram content of workflow ``wf`` of ``bp`` in ``locale`` (default: the
    blueprint's)."""
    article = workflow_article(bp, wf, locale)
    lanes = tuple(Lane(row.id.value, row.name) for row in article.processes)
    steps = tuple(
        FlowStep(
            position=row.position,
            lane=row.depth,
            process=row.process_id.value,
            key=row.step,
            number=row.number,
            name=row.name,
            hands_over_to=row.hands_over_to,
            resumes_after=row.resumes_after,
            status=row.status,
        )
        for row in article.sequence
    )
    where = {(s.process, s.key): s.position for s in steps}
    clocks = []
    for clock in wf.sla_clocks:
        start = where.get((clock.start.process.value, clock.start.step))
        stop = where.get((clock.stop.process.value, clock.stop.step))
        if start is not None and stop is not None:
            target = (
                article.wording.response
                if clock.target == "response"
                else (article.wording.resolution)
            )
            clocks.append(FlowClock(clock.name, target, min(start, stop), max(start, stop)))
    return Flow(wf.number, article.title, lanes, steps, tuple(clocks), WORDS[article.locale])
