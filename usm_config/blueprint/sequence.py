"""Expand a workflow's nested process path into its linear step sequence.

A fork hands the call to the next process of the path; when that process has finished, the
forking process resumes after its fork step. Workflow 3 (Recover → Change → Operate) therefore
runs Recover 1–5, Change 1–6, Operate 1–6, Change 7–9, Recover 6–7.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from usm_config.blueprint.model import Process, SequenceStep, StepTailoring
from usm_config.blueprint.usm import (
    CLOSE_STEP,
    KNOWN_ERROR_STEP,
    REVIEW_STEP,
    CallStatus,
    ProcessId,
)


def _status(process: ProcessId, key: str, depth: int) -> CallStatus | None:
    if key == REVIEW_STEP:
        return CallStatus.WORKFLOW_FULFILLED if depth == 0 else CallStatus.PROCESS_FULFILLED
    if key == CLOSE_STEP:
        return CallStatus.CLOSED
    if (process, key) == KNOWN_ERROR_STEP:
        return CallStatus.KNOWN_ERROR
    return None


def expand_path(
    path: Sequence[ProcessId],
    processes: Mapping[ProcessId, Process],
    tailoring: Sequence[StepTailoring] = (),
) -> tuple[SequenceStep, ...]:
    """Return the expanded steps of ``path`` using the (possibly tailored) ``processes``.

    Processes missing from ``processes`` are skipped; the checks report them.
    """
    renames = {(t.process, t.step): t.name for t in tailoring if t.name}
    out: list[SequenceStep] = []

    def visit(index: int, depth: int) -> None:
        process = processes.get(path[index])
        if process is None:
            return
        for number, step in enumerate(process.steps, start=1):
            out.append(
                SequenceStep(
                    position=len(out) + 1,
                    process=process.id,
                    step=step.key,
                    number=number,
                    name=renames.get((process.id, step.key), step.name),
                    depth=depth,
                    fork=step.fork and index + 1 < len(path),
                    status=_status(process.id, step.key, depth),
                )
            )
            if step.fork and index + 1 < len(path):
                visit(index + 1, depth + 1)

    if path:
        visit(0, 0)
    return tuple(out)


def compact(sequence: Sequence[SequenceStep]) -> str:
    """Summarise a sequence as runs, e.g. 'Recover 1–5, Change 1–6, Operate 1–6'."""
    runs: list[tuple[ProcessId, int, int]] = []
    for step in sequence:
        if runs and runs[-1][0] == step.process and runs[-1][2] + 1 == step.number:
            runs[-1] = (step.process, runs[-1][1], step.number)
        else:
            runs.append((step.process, step.number, step.number))
    return ", ".join(
        f"{p.value.capitalize()} {a}" if a == b else f"{p.value.capitalize()} {a}–{b}"
        for p, a, b in runs
    )
