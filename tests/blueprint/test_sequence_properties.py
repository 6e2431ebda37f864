"""Properties of workflow expansion: forks nest like a call stack, for any tailoring.

The processes are drawn at random around the canonical ones: extra steps between the first and
the last, any interior step as the fork, renamed steps. Whatever the tailoring, expanding one of
the eight paths must visit every step of every process on it exactly once, in stack order.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from usm_config.blueprint.model import Process, ProcessStep, SequenceStep, StepTailoring
from usm_config.blueprint.sequence import compact, expand_path
from usm_config.blueprint.usm import (
    KNOWN_ERROR_STEP,
    PROCESSES,
    WORKFLOW_BY_NUMBER,
    WORKFLOWS,
    CallStatus,
    ProcessId,
)

Drawn = tuple[tuple[ProcessId, ...], dict[ProcessId, Process]]


@st.composite
def tailored_process(draw: st.DrawFn, pid: ProcessId) -> Process:
    canon = PROCESSES[pid]
    keys = [step.key for step in canon.steps]
    inner = keys[1:-1]
    extras = draw(st.lists(st.integers(0, len(inner)), max_size=4))
    for n, at in enumerate(extras):
        inner.insert(at, f"extra-{n}")
    keys = [keys[0], *inner, keys[-1]]
    fork_at = draw(st.integers(1, len(keys) - 2)) if canon.fork_key else None
    return Process(
        id=pid,
        name=canon.name,
        trigger=canon.trigger,
        steps=tuple(
            ProcessStep(key=key, name=f"Step {key}", fork=i == fork_at)
            for i, key in enumerate(keys)
        ),
    )


@st.composite
def workflows(draw: st.DrawFn) -> Drawn:
    path = draw(st.sampled_from(WORKFLOWS)).path
    processes = {pid: draw(tailored_process(pid)) for pid in path}
    return path, processes


def _positions(sequence: tuple[SequenceStep, ...], pid: ProcessId) -> list[int]:
    return [s.position for s in sequence if s.process == pid]


@settings(max_examples=150, deadline=None, database=None)
@given(workflows())
def test_every_step_of_every_process_on_the_path_appears_exactly_once(drawn: Drawn) -> None:
    path, processes = drawn

    sequence = expand_path(path, processes)

    expected = Counter((pid, step.key) for pid in path for step in processes[pid].steps)
    assert Counter((s.process, s.step) for s in sequence) == expected
    assert [s.position for s in sequence] == list(range(1, len(sequence) + 1))
    for pid in path:
        steps = [s for s in sequence if s.process == pid]
        assert [s.step for s in steps] == [step.key for step in processes[pid].steps]
        assert [s.number for s in steps] == list(range(1, len(steps) + 1))


@settings(max_examples=150, deadline=None, database=None)
@given(workflows())
def test_depth_is_the_nesting_level_and_the_initiator_is_at_depth_zero(drawn: Drawn) -> None:
    path, processes = drawn

    sequence = expand_path(path, processes)

    assert {s.depth for s in sequence if s.process == path[0]} == {0}
    for level, pid in enumerate(path):
        assert {s.depth for s in sequence if s.process == pid} == {level}


@settings(max_examples=150, deadline=None, database=None)
@given(workflows())
def test_nesting_is_stack_like(drawn: Drawn) -> None:
    path, processes = drawn

    sequence = expand_path(path, processes)

    for level, pid in enumerate(path[:-1]):
        own = [s for s in sequence if s.process == pid]
        fork = next(s for s in own if s.fork)
        resumed = own[own.index(fork) + 1]
        nested = [p for inner in path[level + 1 :] for p in _positions(sequence, inner)]
        # Everything nested runs after the fork and before the process resumes ...
        assert all(fork.position < p < resumed.position for p in nested)
        # ... and fills the gap completely: the process is interrupted only by its fork.
        assert resumed.position - fork.position - 1 == len(nested)
        # The nested process starts right after the fork.
        assert sequence[fork.position].process == path[level + 1]
        assert sequence[fork.position].number == 1


@settings(max_examples=150, deadline=None, database=None)
@given(workflows())
def test_only_forks_that_hand_over_are_marked(drawn: Drawn) -> None:
    path, processes = drawn

    sequence = expand_path(path, processes)

    forks = [(s.process, s.step) for s in sequence if s.fork]
    expected = [
        (pid, next(step.key for step in processes[pid].steps if step.fork)) for pid in path[:-1]
    ]
    assert sorted(forks) == sorted(expected)


@settings(max_examples=150, deadline=None, database=None)
@given(workflows())
def test_statuses_follow_the_nesting(drawn: Drawn) -> None:
    path, processes = drawn

    sequence = expand_path(path, processes)

    for s in sequence:
        if s.step == "review":
            expected = (
                CallStatus.WORKFLOW_FULFILLED if s.depth == 0 else CallStatus.PROCESS_FULFILLED
            )
        elif s.step == "close":
            expected = CallStatus.CLOSED
        elif (s.process, s.step) == KNOWN_ERROR_STEP:
            expected = CallStatus.KNOWN_ERROR
        else:
            expected = None
        assert s.status == expected, s


@settings(max_examples=50, deadline=None, database=None)
@given(workflows(), st.data())
def test_tailoring_renames_steps_without_changing_the_order(
    drawn: Drawn, data: st.DataObject
) -> None:
    path, processes = drawn
    plain = expand_path(path, processes)
    chosen = data.draw(st.lists(st.sampled_from(plain), max_size=5, unique_by=lambda s: s.position))
    tailoring = [
        StepTailoring(process=s.process, step=s.step, name=f"Our {s.step}") for s in chosen
    ]

    renamed = expand_path(path, processes, tailoring)

    assert [(s.process, s.step, s.depth) for s in renamed] == [
        (s.process, s.step, s.depth) for s in plain
    ]
    renamed_at = {s.position for s in chosen}
    for before, after in zip(plain, renamed, strict=True):
        expected = f"Our {before.step}" if before.position in renamed_at else before.name
        assert after.name == expected


def test_workflow_3_runs_as_the_usm_book_describes() -> None:
    canonical = {
        pid: Process(
            id=pid,
            name=p.name,
            trigger=p.trigger,
            steps=tuple(ProcessStep(key=s.key, name=s.name, fork=s.fork) for s in p.steps),
        )
        for pid, p in PROCESSES.items()
    }

    sequence = expand_path(WORKFLOW_BY_NUMBER[3].path, canonical)

    assert compact(sequence) == "Recover 1–5, Change 1–6, Operate 1–6, Change 7–9, Recover 6–7"


def test_a_missing_process_is_skipped() -> None:
    # The checks report the missing process (USM001); expansion must not fail meanwhile.
    recover = PROCESSES[ProcessId.RECOVER]
    processes = {
        ProcessId.RECOVER: Process(
            id=ProcessId.RECOVER,
            name=recover.name,
            trigger=recover.trigger,
            steps=tuple(ProcessStep(key=s.key, name=s.name, fork=s.fork) for s in recover.steps),
        )
    }

    sequence = expand_path(WORKFLOW_BY_NUMBER[3].path, processes)

    assert compact(sequence) == "Recover 1–7"
