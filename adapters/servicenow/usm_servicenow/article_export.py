"""A workflow's knowledge article read back: the inverse of ``templates/kb_workflow.html.j2``.

Pure. :func:`parse_article` reads the parts of an article the template renders from the
blueprint (the workflow's description and other-language name, the process descriptions, the
step table, the tailored steps with their RACI tables and work instructions, the SLA clocks);
:func:`tailor` turns what a set of articles show into the blueprint elements they were
rendered from: workflow tailorings, profiles (by the names the RACI tables show), renamed steps
of the processes ServiceNow keeps no states for, and process and call type descriptions.
Whether that reproduces an article exactly is for the caller to check by rendering it again.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from usm_config.blueprint.model import Blueprint, Locale
from usm_config.blueprint.usm import (
    PROCESSES,
    REVIEW_STEP,
    CallStatus,
    ProcessId,
    call_status_label,
)
from usm_config.compile.article import WORDING
from usm_config.compile.wording import description_in, text_key
from usm_config.export.text import ArticleStep, slug, unique

Doc = dict[str, Any]

_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>")
_ROW = re.compile(r"^\s*<tr>.*</tr>$")
_H2 = re.compile(r"^<h2>(.*)</h2>$")
_H3 = re.compile(r"^<h3>(.*)</h3>$")
_LI = re.compile(r"^\s*<li><strong>(.*?)</strong> \((.*?)\)(?:: (.*))?</li>$")
_OTHER_NAME = re.compile(r"(?:Dutch name|Engelse naam): <em>(.*?)</em>\.</p>$")
_LABEL = re.compile(r"^(\d+)\. (.*) \((.*) (\d+)\)$")


def _text(markup: str) -> str:
    """Template output back to the text it came from (``lines`` turned breaks into <br>)."""
    return html.unescape(markup.replace("<br>", "\n"))


@dataclass
class Tailored:
    """One tailored step: its label, work instruction and RACI table."""

    label: str
    work_instruction: str = ""
    profiles: list[str] = field(default_factory=list)
    activities: list[tuple[str, list[str], str]] = field(default_factory=list)


@dataclass
class Article:
    """What an article shows of the blueprint."""

    other_name: str = ""
    description: str = ""
    trigger_description: str = ""
    processes: dict[str, str] = field(default_factory=dict)
    rows: list[ArticleStep] = field(default_factory=list)
    tailored: list[Tailored] = field(default_factory=list)
    clocks: list[tuple[str, str, str, str]] = field(default_factory=list)


def parse_article(text: str, locale: str) -> Article:
    """The parts of an article rendered by usm-config (``locale``: its language)."""
    words = WORDING["nl" if locale == "nl" else "en"]
    fork = re.compile(re.escape(" (" + words.fork.split("{")[0]) + r".*\)$")
    out = Article()
    section = "intro"
    lines = text.splitlines()
    for i, line in enumerate(lines):
        heading = _H2.match(line)
        if heading:
            section = _text(heading.group(1))
            continue
        sub = _H3.match(line)
        if sub:
            out.tailored.append(Tailored(_text(sub.group(1))))
            continue
        if section == "intro":
            other = _OTHER_NAME.search(line)
            if i == 0 and other:
                out.other_name = _text(other.group(1))
            elif i == 1 and line.startswith("<p>") and line.endswith("</p>"):
                out.description = _text(line[3:-4])
        elif section == words.trigger:
            found = re.match(r"^<p><strong>.*?</strong>: (.*)</p>$", line)
            if found:
                out.trigger_description = _text(found.group(1))
        elif section == words.path:
            item = _LI.match(line)
            if item:
                out.processes[_text(item.group(1))] = _text(item.group(3) or "")
        elif section == words.steps and _ROW.match(line) and "<td>" in line:
            cells = [_text(c) for c in _CELL.findall(line)]
            process, _, number = cells[1].rpartition(" ")
            name = fork.sub("", cells[2])
            fork_step = name != cells[2]
            out.rows.append(
                ArticleStep(int(cells[0]), process, int(number), name, fork_step, cells[3])
            )
        elif section == words.activities and out.tailored:
            current = out.tailored[-1]
            instruction = re.match(
                rf"^<p><strong>{re.escape(words.work_instruction)}:</strong> (.*)</p>$", line
            )
            if instruction:
                current.work_instruction = _text(instruction.group(1))
            elif _ROW.match(line) and "<th>" in line:
                current.profiles = [_text(c) for c in _CELL.findall(line)][1:-1]
            elif _ROW.match(line) and "<td>" in line:
                cells = [_text(c) for c in _CELL.findall(line)]
                current.activities.append((cells[0], cells[1:-1], cells[-1]))
        elif section == words.clocks and _ROW.match(line) and "<td>" in line:
            name, target, start, stop = (_text(c) for c in _CELL.findall(line))
            out.clocks.append((name, target, start, stop))
    return out


# ----------------------------------------------------------------------------- inverse


def _process_names(bp: Blueprint, locale: str) -> dict[str, ProcessId]:
    out = {}
    for process in bp.processes:
        name = (process.name_nl or PROCESSES[process.id].name_nl) if locale == "nl" else None
        out[name or process.name] = process.id
    return out


def _step_name(bp: Blueprint, process: ProcessId, number: int, locale: str) -> str | None:
    found = next((p for p in bp.processes if p.id == process), None)
    if found is None or number > len(found.steps):
        return None
    step = found.steps[number - 1]
    canon = next((s.name_nl for s in PROCESSES[process].steps if s.key == step.key), None)
    return (step.name_nl or canon or step.name) if locale == "nl" else step.name


def _profile_order(headers: Sequence[Sequence[str]]) -> list[str]:
    """The profile names in an order every RACI table agrees with (first seen wins ties)."""
    seen: list[str] = []
    after: dict[str, set[str]] = {}
    for header in headers:
        for name in header:
            if name not in seen:
                seen.append(name)
                after[name] = set()
        for before, name in itertools.pairwise(header):
            after[name].add(before)
    order: list[str] = []
    while len(order) < len(seen):
        ready = [n for n in seen if n not in order and after[n] <= set(order)]
        order.append(ready[0] if ready else next(n for n in seen if n not in order))
    return order


@dataclass
class Tailoring:
    """What the articles give back to the blueprint."""

    workflows: dict[str, Doc] = field(default_factory=dict)
    profiles: list[Doc] = field(default_factory=list)
    processes: dict[ProcessId, Doc] = field(default_factory=dict)
    call_types: dict[str, str] = field(default_factory=dict)


def tailor(
    bp: Blueprint, articles: Mapping[str, Article], locale: str, own_states: Sequence[ProcessId]
) -> Tailoring:
    """The blueprint elements ``articles`` (by workflow id) show, over ``bp``; steps are
    renamed only in the processes of ``own_states`` (the others' names come from the tool's
    states)."""
    words = WORDING["nl" if locale == "nl" else "en"]
    out = Tailoring()
    processes = _process_names(bp, locale)
    known_profiles = {p.name: p.id for p in bp.profiles}
    headers = [t.profiles for a in articles.values() for t in a.tailored]
    used_ids: set[str] = {p.id for p in bp.profiles}
    profile_ids: dict[str, str] = {}
    for name in _profile_order(headers):
        if name in known_profiles:
            profile_ids[name] = known_profiles[name]
            continue
        ident = unique(slug(name), used_ids)
        profile_ids[name] = ident
        out.profiles.append({"id": ident, "name": name})
    step_names: dict[tuple[ProcessId, int], ArticleStep] = {}
    by_id = {wf.id: wf for wf in bp.workflows}
    for wf_id, article in sorted(articles.items()):
        wf = by_id[wf_id]
        doc: Doc = {"id": wf_id}
        if article.other_name:
            other = wf.name if locale == "nl" else wf.name_nl
            if article.other_name != other:
                doc["name" if locale == "nl" else "name_nl"] = article.other_name
        lang: Locale = "nl" if locale == "nl" else "en"
        if article.description != description_in(lang, wf):
            doc[text_key("description", lang)] = article.description
        call_type = next((c for c in bp.call_types if c.id == wf.trigger), None)
        if call_type and article.trigger_description != description_in(lang, call_type):
            out.call_types[call_type.id.value] = article.trigger_description
        _descriptions(bp, article, processes, lang, out)
        rows = {r.position: r for r in article.rows}
        tailored_positions = set()
        steps = []
        for tailored in article.tailored:
            label = _LABEL.match(tailored.label)
            row = rows.get(int(label.group(1))) if label else None
            process = processes.get(row.process) if row else None
            found = next((p for p in bp.processes if p.id == process), None)
            if row is None or found is None or row.number > len(found.steps):
                continue
            tailored_positions.add(row.position)
            step: Doc = {"process": found.id.value, "step": found.steps[row.number - 1].key}
            if row.name != _step_name(bp, found.id, row.number, locale):
                step["name"] = row.name
            activities = []
            ids: set[str] = set()
            for name, codes, instruction in tailored.activities:
                raci = {
                    profile_ids[p]: code
                    for p, code in zip(tailored.profiles, codes, strict=False)
                    if code
                }
                activity: Doc = {"id": unique(slug(name), ids), "name": name, "raci": raci}
                if instruction:
                    activity["work_instruction"] = instruction
                activities.append(activity)
            if activities:
                step["activities"] = activities
            if tailored.work_instruction:
                step["work_instruction"] = tailored.work_instruction
            steps.append(step)
        if steps:
            doc["steps"] = steps
        for row in article.rows:
            shown = processes.get(row.process)
            if shown in own_states and shown and row.position not in tailored_positions:
                step_names.setdefault((shown, row.number), row)
        clocks = []
        clock_ids: set[str] = set()
        for name, target, start, stop in article.clocks:
            refs = [_step_ref(label, rows, processes, bp) for label in (start, stop)]
            if refs[0] is None or refs[1] is None:
                continue
            clocks.append(
                {
                    "id": unique(slug(name), clock_ids),
                    "name": name,
                    "target": "response" if target == words.response else "resolution",
                    "start": refs[0],
                    "stop": refs[1],
                }
            )
        if clocks:
            doc["sla_clocks"] = clocks
        if len(doc) > 1:
            out.workflows[wf_id] = doc
    _renamed_steps(bp, step_names, locale, out)
    return out


def _descriptions(
    bp: Blueprint,
    article: Article,
    names: Mapping[str, ProcessId],
    lang: Locale,
    out: Tailoring,
) -> None:
    """Process descriptions the article's path shows otherwise than ``bp`` has them in the
    article's language ``lang``."""
    for process in bp.processes:
        shown = next((d for n, d in article.processes.items() if names.get(n) == process.id), None)
        if shown is not None and shown != description_in(lang, process):
            entry = out.processes.setdefault(process.id, {"id": process.id.value})
            entry[text_key("description", lang)] = shown


def _step_ref(
    label: str, rows: Mapping[int, ArticleStep], processes: Mapping[str, ProcessId], bp: Blueprint
) -> Doc | None:
    found = _LABEL.match(label)
    row = rows.get(int(found.group(1))) if found else None
    process = processes.get(row.process) if row else None
    steps = next((p.steps for p in bp.processes if p.id == process), ())
    if row is None or process is None or row.number > len(steps):
        return None
    return {"process": process.value, "step": steps[row.number - 1].key}


def _renamed_steps(
    bp: Blueprint, rows: Mapping[tuple[ProcessId, int], ArticleStep], locale: str, out: Tailoring
) -> None:
    """Steps the articles show otherwise than ``bp`` has them (renamed, added, removed) →
    process steps. A step keeps the key of the step it stands for: the one of its name, the
    first and the last, the fork, the review step (by the status it sets); else a new key."""
    for process in bp.processes:
        count = max((n for p, n in rows if p == process.id), default=0)
        if not count:
            continue
        shown = [rows.get((process.id, n + 1)) for n in range(count)]
        if count == len(process.steps) and all(
            row is None or row.name == _step_name(bp, process.id, n + 1, locale)
            for n, row in enumerate(shown)
        ):
            continue
        same = count == len(process.steps)
        by_name = {
            _step_name(bp, process.id, n + 1, locale): s for n, s in enumerate(process.steps)
        }
        fork = next((s for s in process.steps if s.fork), None)
        keys: set[str] = set()
        steps = []
        for n, row in enumerate(shown):
            base = process.steps[n] if same else None
            if base is None and row is not None:
                base = by_name.get(row.name)
            if base is None and n == 0:
                base = process.steps[0]
            elif base is None and n == count - 1:
                base = process.steps[-1]
            elif base is None and row is not None and row.fork:
                base = fork
            elif base is None and row is not None and row.status in _FULFILLED:
                base = next((s for s in process.steps if s.key == REVIEW_STEP), None)
            if base is not None and base.key in keys:
                base = None
            name = row.name if row is not None else (base.name if base else f"Step {n + 1}")
            doc: Doc = (
                base.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
                if base
                else {}
            )
            doc["key"] = unique(base.key if base else slug(name), keys)
            doc["name"] = base.name if base else name
            doc[text_key("name", locale)] = name
            if row is not None:
                doc.pop("fork", None)
                if row.fork:
                    doc["fork"] = True
            steps.append(doc)
        out.processes.setdefault(process.id, {"id": process.id.value})["steps"] = steps


#: The status a review step sets, as the step table shows it.
_FULFILLED = {
    call_status_label(status, lang)
    for status in (CallStatus.WORKFLOW_FULFILLED, CallStatus.PROCESS_FULFILLED)
    for lang in ("en", "nl")
}
