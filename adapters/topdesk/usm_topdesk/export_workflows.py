"""The workflow knowledge items → processes, workflows, call types, profiles and the risk
matrix of a blueprint layer: the part of the TOPdesk inverse that reads the articles.

TOPdesk's API cannot read (or write) any process configuration, but the knowledge item
usm-config publishes per workflow, in the organisation's language with a translation into the
other, shows everything the blueprint says about the workflow (:mod:`usm_topdesk.article_read`).
Read in both languages, the items give back each process's name, description and steps (English
and Dutch names, the fork, the statuses that tell the review, close and known-error steps),
each workflow's names, description, tailored steps (RACI per activity, work instructions) and
SLA clocks, the call types that trigger them, the profiles of the RACI tables and Improve's risk
matrix. What the items do not show (step descriptions, activity and clock ids, profile
descriptions and USM roles) comes from the reference where a name matches, or is made up from
the name. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from usm_config.blueprint.model import Blueprint, Matrix, Process, Workflow
from usm_config.blueprint.usm import (
    CALL_TYPE_NAMES,
    CLOSE_STEP,
    KNOWN_ERROR_STEP,
    PROCESSES,
    REVIEW_STEP,
    CallStatus,
    ProcessId,
    call_status_label,
)
from usm_config.compile.article import MatrixCells, matrix_cells
from usm_config.compile.wording import name_in, text_in
from usm_topdesk.article_read import ArticleView

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """A blueprint id made from a display name: lower case, words joined by ``-``, cut to
    leave room for :func:`unique`'s suffix within an id's 63 characters."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _SLUG.sub("-", plain.lower()).strip("-")[:56].strip("-") or "unnamed"


def unique(ident: str, taken: set[str]) -> str:
    """``ident``, or ``ident-2``, ``ident-3`` … when taken; the result is taken from now on."""
    found, n = ident, 1
    while found in taken:
        n += 1
        found = f"{ident}-{n}"
    taken.add(found)
    return found


@dataclass(frozen=True)
class Pair:
    """One workflow's knowledge item, read in English and in Dutch."""

    workflow: Workflow
    en: ArticleView
    nl: ArticleView


@dataclass(frozen=True)
class _Row:
    """A step of a workflow's sequence, in both languages."""

    process: ProcessId
    number: int
    en: str
    nl: str
    fork: bool
    status: CallStatus | None
    tailored: bool


@dataclass
class Layer:
    """The parts of the blueprint layer the articles give back."""

    processes: list[dict[str, Any]] = field(default_factory=list)
    workflows: list[dict[str, Any]] = field(default_factory=list)
    call_types: list[dict[str, Any]] = field(default_factory=list)
    profiles: list[dict[str, Any]] = field(default_factory=list)
    risk: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    """Why an article could not be read back, one sentence each."""


_STATUSES = {call_status_label(s, "en"): s for s in CallStatus}


def _dutch_step(process: Process, key: str, name: str, name_nl: str | None) -> str:
    canon = {s.key: s.name_nl for s in PROCESSES[process.id].steps}
    return name_nl or canon.get(key) or name


def _dutch_process(process: Process) -> str:
    return process.name_nl or PROCESSES[process.id].name_nl


def _rows(pair: Pair, names: Mapping[str, ProcessId]) -> list[_Row]:
    tailored = {t.position for t in pair.en.tailored}
    return [
        _Row(
            names[en.process],
            en.number,
            en.name,
            nl.name,
            en.fork,
            _STATUSES.get(en.status),
            en.position in tailored,
        )
        for en, nl in zip(pair.en.rows, pair.nl.rows, strict=True)
    ]


def _usable(pair: Pair) -> str | None:
    """Why the pair cannot be read back against its workflow, or None."""
    if len(pair.en.path) != len(pair.workflow.path) or len(pair.nl.path) != len(pair.en.path):
        return "its path is not the reference's"
    if len(pair.en.rows) != len(pair.nl.rows):
        return "its two languages show different steps"
    return None


# ----------------------------------------------------------------------------- processes


def _process_steps(
    process: Process, rows: Sequence[_Row]
) -> tuple[list[dict[str, Any]] | None, dict[int, str], dict[int, tuple[str, str]]]:
    """The process's steps as a ``steps`` list (None when they are the reference's), the key
    of each step number, and each number's (English, Dutch) name outside any tailoring."""
    count = max(r.number for r in rows)
    names: dict[int, tuple[str, str]] = {}
    for row in sorted(rows, key=lambda r: r.tailored):
        if not row.tailored or row.en != row.nl:
            names.setdefault(row.number, (row.en, row.nl))
    forks = {r.number for r in rows if r.fork}
    statuses = {r.number: r.status for r in rows if r.status is not None}
    base = list(process.steps)
    for number in range(1, count + 1):
        if number not in names:
            ref = base[number - 1] if number <= len(base) else None
            row = next(r for r in rows if r.number == number)
            names[number] = (
                (ref.name, _dutch_step(process, ref.key, ref.name, ref.name_nl))
                if ref
                else (row.en, row.nl)
            )
    live = [names[n] for n in range(1, count + 1)]
    reference = [(s.name, _dutch_step(process, s.key, s.name, s.name_nl)) for s in base]
    base_fork = {i for i, s in enumerate(base, 1) if s.fork}
    if live == reference and (not forks or forks == base_fork):
        return None, {i: s.key for i, s in enumerate(base, 1)}, names
    by_status = {
        CallStatus.WORKFLOW_FULFILLED: REVIEW_STEP,
        CallStatus.PROCESS_FULFILLED: REVIEW_STEP,
        CallStatus.CLOSED: CLOSE_STEP,
    }
    if process.id == KNOWN_ERROR_STEP[0]:
        by_status[CallStatus.KNOWN_ERROR] = KNOWN_ERROR_STEP[1]
    special = set(by_status.values())
    by_name = {}
    for known in base:
        if known.key not in special:
            by_name[known.name] = known
            by_name[_dutch_step(process, known.key, known.name, known.name_nl)] = known
    ref_fork = next((s for s in base if s.fork), None)
    taken: set[str] = set()
    keys: dict[int, str] = {}
    steps: list[dict[str, Any]] = []
    for number, (en, nl) in enumerate(live, 1):
        status = statuses.get(number)
        found = by_name.get(en) or by_name.get(nl)
        if status in by_status:
            key = by_status[status]
        elif found is not None and found.key not in taken:
            key = found.key
        elif number == 1:
            key = base[0].key
        elif number in forks and ref_fork:
            key = ref_fork.key
        else:
            key = slug(en)
        key = unique(key, taken)
        keys[number] = key
        ref = next((s for s in base if s.key == key), None)
        step: dict[str, Any] = {"key": key, "name": en, "name_nl": nl}
        if number in forks or (not forks and ref is not None and ref.fork):
            step["fork"] = True
        if ref is not None and ref.description:
            step["description"] = ref.description
        steps.append(step)
    return steps, keys, names


# ----------------------------------------------------------------------------- profiles


def _profiles(pairs: Sequence[Pair], known_in: Blueprint, layer: Layer) -> dict[str, str]:
    """Profile name → id, for every profile the RACI tables show; new ones join the layer in
    an order that puts every table's columns as the table has them."""
    known = {p.name: p.id for p in known_in.profiles}
    after: dict[str, set[str]] = defaultdict(set)
    order: list[str] = []
    for pair in pairs:
        for tailored in pair.en.tailored:
            for i, name in enumerate(tailored.profiles):
                if name not in order:
                    order.append(name)
                after[name].update(tailored.profiles[:i])
    ids = dict(known)
    taken = set(known.values())
    placed: list[str] = []
    pending = [n for n in order if n not in known]
    while pending:
        ready = next((n for n in pending if after[n] <= set(placed) | set(known)), pending[0])
        pending.remove(ready)
        placed.append(ready)
        ids[ready] = unique(slug(ready), taken)
        layer.profiles.append({"id": ids[ready], "name": ready})
    return ids


# ----------------------------------------------------------------------------- workflows


def _tailorings(
    pair: Pair,
    rows: Sequence[_Row],
    keys: Mapping[ProcessId, Mapping[int, str]],
    names: Mapping[ProcessId, Mapping[int, tuple[str, str]]],
    profiles: Mapping[str, str],
    activity_ids: set[str],
) -> list[dict[str, Any]]:
    out = []
    for tailored in pair.en.tailored:
        row = rows[tailored.position - 1]
        entry: dict[str, Any] = {
            "process": row.process.value,
            "step": keys[row.process][row.number],
        }
        if (row.en, row.nl) != names[row.process][row.number]:
            entry["name"] = row.en
        if tailored.work_instruction:
            entry["work_instruction"] = tailored.work_instruction
        activities = []
        for name, codes, instruction in tailored.activities:
            activity: dict[str, Any] = {
                "id": unique(slug(name), activity_ids),
                "name": name,
                "raci": {
                    profiles[p]: code
                    for p, code in zip(tailored.profiles, codes, strict=True)
                    if code
                },
            }
            if instruction:
                activity["work_instruction"] = instruction
            activities.append(activity)
        if activities:
            entry["activities"] = activities
        out.append(entry)
    return out


def _clocks(
    pair: Pair, rows: Sequence[_Row], keys: Mapping[ProcessId, Mapping[int, str]]
) -> list[dict[str, Any]]:
    taken: set[str] = set()
    out = []
    for clock in pair.en.clocks:
        ends = {}
        for end, position in (("start", clock.start), ("stop", clock.stop)):
            row = rows[position - 1]
            ends[end] = {"process": row.process.value, "step": keys[row.process][row.number]}
        out.append(
            {
                "id": unique(slug(f"{pair.workflow.id} {clock.name}"), taken),
                "name": clock.name,
                "target": clock.target,
                **ends,
            }
        )
    return out


def _workflow_entry(
    pair: Pair, steps: list[dict[str, Any]], clocks: list[dict[str, Any]]
) -> dict[str, Any] | None:
    wf = pair.workflow
    entry: dict[str, Any] = {"id": wf.id}
    if pair.en.name != wf.name:
        entry["name"] = pair.en.name
    if pair.nl.name != name_in("nl", wf):
        entry["name_nl"] = pair.nl.name
    if pair.en.description != (wf.description or ""):
        entry["description"] = pair.en.description
    if pair.nl.description != text_in("nl", wf.description or "", wf.description_nl):
        entry["description_nl"] = pair.nl.description
    base_steps = [
        t.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for t in wf.steps
    ]
    if steps != base_steps:
        entry["steps"] = steps
    base_clocks = [c.model_dump(mode="json", exclude_none=True) for c in wf.sla_clocks]
    if [_no_id(c) for c in clocks] != [_no_id(c) for c in base_clocks]:
        entry["sla_clocks"] = clocks
    return entry if len(entry) > 1 else None


def _no_id(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "id"}


def _call_type(pair: Pair, reference: Blueprint) -> dict[str, Any] | None:
    ct = next((c for c in reference.call_types if c.id == pair.workflow.trigger), None)
    if ct is None:
        return None
    entry: dict[str, Any] = {"id": ct.id.value}
    if pair.en.trigger != ct.name:
        entry["name"] = pair.en.trigger
    if pair.nl.trigger != (ct.name_nl or CALL_TYPE_NAMES[ct.id][1]):
        entry["name_nl"] = pair.nl.trigger
    if pair.en.trigger_description != (ct.description or ""):
        entry["description"] = pair.en.trigger_description
    if pair.nl.trigger_description != text_in("nl", ct.description or "", ct.description_nl):
        entry["description_nl"] = pair.nl.trigger_description
    return entry if len(entry) > 1 else None


def _risk(pair: Pair, matrix: Matrix) -> dict[str, Any] | None:
    """The risk matrix the item shows, or None when it is the reference's in both languages:
    its scales and levels from the English table, their Dutch names from the Dutch one."""
    if pair.en.matrix is None:
        return None
    english = pair.en.matrix == matrix_cells(matrix, "en")
    dutch = pair.nl.matrix is None or pair.nl.matrix == matrix_cells(matrix, "nl")
    if english and dutch:
        return None
    doc = (
        matrix.model_dump(mode="json", exclude_none=True)
        if english
        else _read(pair.en.matrix, matrix)
    )
    if pair.nl.matrix is not None:
        _name_in_dutch(doc, pair.nl.matrix)
    return doc


def _read(shown: MatrixCells, matrix: Matrix) -> dict[str, Any]:
    """The matrix an English risk table shows; ids of the levels ``matrix`` names alike."""
    columns, rows = shown
    by_name = {lvl.name: lvl for lvl in (*matrix.rows, *matrix.columns)}
    ranks = {lvl.name: lvl for lvl in matrix.levels}

    def level(name: str, taken: set[str]) -> dict[str, Any]:
        known = by_name.get(name)
        return {"id": unique(known.id if known else slug(name), taken), "name": name}

    row_levels = [level(name, set()) for name, _ in rows]
    column_levels = [level(name, set()) for name in columns]
    names = sorted({cell for _, cells in rows for cell in cells if cell})
    next_rank = max((r.rank for r in matrix.levels), default=0)
    out_levels = []
    taken: set[str] = set()
    for name in sorted(names, key=lambda n: (ranks[n].rank if n in ranks else 99, n)):
        known_rank = ranks.get(name)
        if known_rank is None:
            next_rank += 1
        out_levels.append(
            {
                "id": unique(known_rank.id if known_rank else slug(name), taken),
                "name": name,
                "rank": known_rank.rank if known_rank else min(next_rank, 99),
            }
        )
    level_ids = {lvl["name"]: lvl["id"] for lvl in out_levels}
    return {
        "rows": row_levels,
        "columns": column_levels,
        "levels": out_levels,
        "matrix": {
            r["id"]: {
                c["id"]: level_ids[cell]
                for c, cell in zip(column_levels, cells, strict=True)
                if cell
            }
            for r, (_, cells) in zip(row_levels, rows, strict=True)
        },
    }


def _name_in_dutch(doc: dict[str, Any], shown: MatrixCells) -> None:
    """Give ``doc``'s scales and levels the Dutch names a Dutch risk table shows, place by
    place (a table of another shape is left alone): ``name_nl`` where it is not ``name``."""
    columns, rows = shown
    if len(columns) != len(doc["columns"]) or len(rows) != len(doc["rows"]):
        return
    levels = {lvl["id"]: lvl for lvl in doc["levels"]}
    named: list[tuple[dict[str, Any], str]] = [
        *zip(doc["columns"], columns, strict=True),
        *((row, name) for row, (name, _) in zip(doc["rows"], rows, strict=True)),
    ]
    for row, (_, cells) in zip(doc["rows"], rows, strict=True):
        if len(cells) != len(doc["columns"]):
            return
        for column, cell in zip(doc["columns"], cells, strict=True):
            ident = doc["matrix"].get(row["id"], {}).get(column["id"])
            if ident in levels and cell:
                named.append((levels[ident], cell))
    for element, name in named:
        element.pop("name_nl", None)
        if name != element["name"]:
            element["name_nl"] = name


# ----------------------------------------------------------------------------- the layer


def read_workflows(
    pairs: Sequence[Pair], reference: Blueprint, scope: Blueprint | None = None
) -> Layer:
    """The layer the workflow knowledge items ``pairs`` give back, over ``reference``; a
    profile named as one of ``scope``'s (the blueprint it is pulled into) keeps its id."""
    layer = Layer()
    usable = []
    for pair in pairs:
        problem = _usable(pair)
        if problem:
            layer.problems.append(f"USM workflow {pair.workflow.number}: {problem}")
        else:
            usable.append(pair)
    processes = {p.id: p for p in reference.processes}
    process_names: dict[ProcessId, tuple[str, str, str, str]] = {}
    rows_of: dict[int, list[_Row]] = {}
    by_process: dict[ProcessId, list[_Row]] = defaultdict(list)
    for pair in usable:
        names: dict[str, ProcessId] = {}
        for pid, en, nl, text, text_nl in zip(
            pair.workflow.path,
            pair.en.path,
            pair.nl.path,
            pair.en.process_descriptions,
            pair.nl.process_descriptions,
            strict=False,
        ):
            names[en] = pid
            process_names.setdefault(pid, (en, nl, text, text_nl))
        rows_of[pair.workflow.number] = _rows(pair, names)
        for row in rows_of[pair.workflow.number]:
            by_process[row.process].append(row)
    keys: dict[ProcessId, dict[int, str]] = {}
    step_names: dict[ProcessId, dict[int, tuple[str, str]]] = {}
    for pid, process in processes.items():
        entry: dict[str, Any] = {"id": pid.value}
        if pid in process_names:
            en, nl, text, text_nl = process_names[pid]
            if en != process.name:
                entry["name"] = en
            if nl != _dutch_process(process):
                entry["name_nl"] = nl
            if text != (process.description or ""):
                entry["description"] = text
            if text_nl != text_in("nl", process.description or "", process.description_nl):
                entry["description_nl"] = text_nl
        if by_process.get(pid):
            steps, keys[pid], step_names[pid] = _process_steps(process, by_process[pid])
            if steps is not None:
                entry["steps"] = steps
        if len(entry) > 1:
            layer.processes.append(entry)
    profiles = _profiles(usable, scope or reference, layer)
    activity_ids: set[str] = set()
    call_types: dict[str, dict[str, Any]] = {}
    for pair in usable:
        rows = rows_of[pair.workflow.number]
        steps = _tailorings(pair, rows, keys, step_names, profiles, activity_ids)
        tailored = _workflow_entry(pair, steps, _clocks(pair, rows, keys))
        if tailored is not None:
            layer.workflows.append(tailored)
        call_type = _call_type(pair, reference)
        if call_type is not None:
            call_types.setdefault(call_type["id"], call_type)
        if reference.classification is not None and layer.risk is None:
            layer.risk = _risk(pair, reference.classification.risk)
    layer.call_types = sorted(call_types.values(), key=lambda e: str(e["id"]))
    return layer


__all__ = ["Layer", "Pair", "read_workflows", "slug", "unique"]
