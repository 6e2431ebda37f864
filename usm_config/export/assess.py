"""How far a tool's configuration is from USM: a score per process and per workflow, with
reasons.

The adapter's export says what it found (:class:`Evidence`: per USM process, the tool object
that carries it, its states in order, whether it was set up the USM way, and which hand-overs
to other processes it models); this module measures that against the USM reference. Pure.

A process scores 40 for being there at all and up to 60 for the share of USM's steps it has a
state for; a workflow scores the mean of its processes' scores, times the share of its
hand-overs the tool models, so it is supported end to end (100) only when every process on its
path has a state for every step and every hand-over is there. The reasons say what is
missing, what the tool has that USM does not, and what cannot be told because the tool's API
cannot read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from usm_config.blueprint.model import Blueprint, Process, ProcessStep
from usm_config.blueprint.usm import ProcessId


@dataclass(frozen=True)
class ProcessEvidence:
    """What the tool holds for one USM process."""

    process: ProcessId
    source: str | None
    """The tool object carrying the process (``workflow[USM Recover]``); None when none does."""
    states: tuple[str, ...] = ()
    """The object's states, in the order a call passes them."""
    usm: bool = False
    """True when set up the USM way: the states are USM's steps, in order."""
    hands_over_to: tuple[ProcessId, ...] = ()
    """The processes a call can be handed over to at the fork."""


@dataclass(frozen=True)
class Evidence:
    """What an adapter's export found that tells how USM-like the tool is."""

    processes: tuple[ProcessEvidence, ...] = ()
    categories_without_call_type: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    """What cannot be assessed because the API cannot read it, one sentence each."""


@dataclass(frozen=True)
class Score:
    """A score from 0 to 100 for one process or workflow, and why."""

    subject: str
    name: str
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Assessment:
    """The scores of one target, and the findings outside them."""

    target: str
    processes: tuple[Score, ...]
    workflows: tuple[Score, ...]
    findings: tuple[str, ...] = field(default=())

    @property
    def overall(self) -> int:
        """The mean of the process and workflow scores."""
        scores = [s.score for s in (*self.processes, *self.workflows)]
        return round(sum(scores) / len(scores)) if scores else 0

    def summary(self) -> str:
        """One line: overall score, and how many workflows the tool can support."""
        supported = sum(1 for w in self.workflows if w.score == 100)
        return (
            f"USM fit {self.overall}/100: {supported} of {len(self.workflows)} workflows "
            "supported end to end"
        )


def _norm(name: str) -> str:
    return " ".join(name.lower().replace("&", "and").split())


def _names(step: ProcessStep) -> set[str]:
    """A step's names in both languages, to compare with a tool's states in either."""
    return {_norm(n) for n in (step.name, step.name_nl) if n}


def _process_score(process: Process, found: ProcessEvidence | None, locale: str) -> Score:
    steps = [(s.name_nl or s.name) if locale == "nl" else s.name for s in process.steps]
    title = (process.name_nl or process.name) if locale == "nl" else process.name
    if found is None or found.source is None:
        return Score(
            "process",
            title,
            0,
            (f"nothing in the tool carries {title}: no workflow or state set for it",),
        )
    reasons = [f"carried by {found.source}"]
    if found.usm:
        covered = len(steps)
        reasons.append(f"set up the USM way: each of the {len(steps)} steps has a state")
        have = {_norm(s) for s in found.states}
        renamed = [n for n, s in zip(steps, process.steps, strict=True) if not _names(s) & have]
        if renamed:
            reasons.append(f"{len(renamed)} step(s) renamed: " + ", ".join(renamed))
        known = set().union(*map(_names, process.steps))
        if len(found.states) > len(steps):
            added = [s for s in found.states if _norm(s) not in known]
            reasons.append("steps added: " + ", ".join(added[: len(found.states) - len(steps)]))
    else:
        have = {_norm(s) for s in found.states}
        missing = [n for n, s in zip(steps, process.steps, strict=True) if not _names(s) & have]
        covered = len(steps) - len(missing)
        known = set().union(*map(_names, process.steps))
        extra = [s for s in found.states if _norm(s) not in known]
        reasons.append(f"{covered} of {len(steps)} USM steps have a state of that name")
        if missing:
            reasons.append("steps without a state: " + ", ".join(missing))
        if len(found.states) != len(steps):
            more = "more" if len(found.states) > len(steps) else "fewer"
            reasons.append(
                f"{len(found.states)} states, {more} than USM's {len(steps)} steps"
                + (": not USM's: " + ", ".join(extra) if extra else "")
            )
    return Score("process", title, round(40 + 60 * covered / len(steps)), tuple(reasons))


def assess(
    reference: Blueprint,
    evidence: Evidence,
    target: str,
    *,
    findings: Sequence[str] = (),
    locale: str | None = None,
) -> Assessment:
    """Score the tool described by ``evidence`` against the USM ``reference``. A step counts
    under its English or its Dutch name; the reasons name steps in ``locale`` (the tool's, as
    the export found it), by default the reference's."""
    locale = locale or reference.organisation.locale
    found = {e.process: e for e in evidence.processes}
    processes = tuple(_process_score(p, found.get(p.id), locale) for p in reference.processes)
    scored = {p.id: score.score for p, score in zip(reference.processes, processes, strict=True)}
    present = {pid for pid, score in scored.items() if score > 0}
    names = {
        p.id: ((p.name_nl or p.name) if locale == "nl" else p.name) for p in reference.processes
    }
    workflows = []
    for wf in reference.workflows:
        title = (wf.name_nl or wf.name) if locale == "nl" else wf.name
        reasons = []
        there = [p for p in wf.path if p in present]  # a process may occur twice on a path
        missing = [names[p] for p in wf.path if p not in present]
        if missing:
            reasons.append("processes missing: " + ", ".join(missing))
        partly = [f"{names[p]} ({scored[p]}/100)" for p in there if scored[p] < 100]
        if partly:
            reasons.append("processes carried in part: " + ", ".join(partly))
        pairs = list(zip(wf.path, wf.path[1:], strict=False))
        modelled = [(a, b) for a, b in pairs if a in found and b in found[a].hands_over_to]
        for a, b in pairs:
            if (a, b) not in modelled:
                reasons.append(f"no hand-over from {names[a]} to {names[b]}")
        share = sum(scored.get(p, 0) for p in wf.path) / (100 * len(wf.path))
        handovers = len(modelled) / len(pairs) if pairs else 1.0
        score = round(100 * share * handovers)
        if score == 100:
            reasons.append("every process on its path and every hand-over is there")
        workflows.append(Score("workflow", f"{wf.number}. {title}", score, tuple(reasons)))
    extra = [
        f"category not tied to a call type: {c}" for c in evidence.categories_without_call_type
    ]
    return Assessment(
        target,
        processes,
        tuple(workflows),
        (*extra, *evidence.unreadable, *findings),
    )
