"""Blueprint → TOPdesk records and checklist items: the pure half of the adapter.

:func:`build` turns a blueprint into the records a TOPdesk tenant should hold (the table is in
``docs/adapters/topdesk.md``): what the REST API writes (branches, departments, operator groups
with their task flags, services, the knowledge base) and one checklist item per setting it
cannot write (call management's search lists, categories, the matrices, service windows, SLA
service levels, change templates, operations activity types, Problem Management). A checklist
item's owned fields are only what TOPdesk's API can read back, so the next plan can check it
off; everything else the administrator needs to enter is in its *details*
(:attr:`Build.details`), which the checklist artifact shows. Nothing here does I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import jinja2
from pydantic import JsonValue

from usm_config.blueprint.model import Blueprint, Locale, Matrix, Schedule, Team, duration_minutes
from usm_config.blueprint.usm import CALL_TYPE_NAMES, CallStatus, CallType, ProcessId
from usm_config.compile import walk
from usm_config.compile.article import workflow_article
from usm_config.compile.memo import built_once
from usm_config.compile.settings import setting
from usm_config.compile.sink import RecordSink
from usm_config.compile.wording import named
from usm_config.engine.records import Desired, ref
from usm_config.render.jinja import template_environment
from usm_topdesk.kinds import KINDS
from usm_topdesk.values import (
    ADAPTER,
    CHANNELS,
    TOOL,
    call_status,
    duration_name,
    duration_period,
    locale,
    localised,
    other,
    process_name,
    word,
)

Fields = dict[str, JsonValue]
Address = tuple[str, tuple[str, ...]]

#: Operator-group task flags (supporting files ``OperatorGroupDto``) by the ``x-topdesk.tasks``
#: names that switch them on.
TASKS: dict[str, str] = {
    "first-line": "firstLineCallOperator",
    "second-line": "secondLineCallOperator",
    "change-coordinator": "changeCoordinator",
    "change-activities": "changeActivitiesOperator",
    "operations": "operationsOperator",
    "problem-manager": "problemManager",
}
#: The modules a category is used in (``/categories`` ``modules``), as TOPdesk names them.
MODULES = {
    "incidents": "Call Management",
    "changes": "Change Management",
    "problems": "Problem Management",
}
#: What an internal team does in USM's processes: solve calls (Recover, second line), carry
#: out change activities (Change) and operational activities (Operate).
TEAM_TASKS = ("second-line", "change-activities", "operations")
#: The first internal team is the service desk: it registers calls (first line), coordinates
#: changes and runs Improve.
DESK_TASKS = ("first-line", "change-coordinator", "problem-manager", *TEAM_TASKS)
#: A supplier solves what it is contracted for.
SUPPLIER_TASKS = ("second-line",)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Build:
    """The records of a blueprint, and what the checklist shows beyond their owned fields:
    ``details`` by ``(kind, key)``, each a list of (label, value) lines."""

    sink: RecordSink
    details: dict[Address, list[tuple[str, str]]] = field(default_factory=dict)

    def add(
        self,
        kind: str,
        fields: Fields,
        uid: str,
        path: walk.Path,
        details: Iterable[tuple[str, str]] = (),
    ) -> JsonValue:
        """Add one record (see :meth:`RecordSink.add`); returns a reference to it."""
        record = self.sink.add(kind, fields, uid, path)
        listed = [(label, value) for label, value in details if value]
        if listed:
            self.details.setdefault((kind, record.key), []).extend(listed)
        return ref(kind, record.key)


# ----------------------------------------------------------------------------- organisation


def provider_branch(bp: Blueprint) -> str:
    """The branch of the provider itself: its operator groups belong to it."""
    return bp.organisation.name


def _organisation(bp: Blueprint, out: Build) -> None:
    out.add(
        "branch",
        {"name": provider_branch(bp)},
        "organisation",
        ("organisation",),
        [("Time zone", bp.organisation.timezone)],
    )
    for visit in walk.customers(bp):
        customer = visit.customer
        uid = f"customer:{customer.id}"
        if customer.kind == "external":
            out.add("branch", {"name": customer.name}, uid, visit.path)
        else:
            out.add("department", {"name": customer.name}, uid, visit.path)


def group_name(team: Team) -> str:
    """A team's operator group: ``x-topdesk.operator_group``, else the team's name."""
    return setting(team, ADAPTER, "operator_group", "") or team.name


def team_tasks(bp: Blueprint, team: Team) -> tuple[str, ...]:
    """The task names of a team's operator group: ``x-topdesk.tasks``, else by its role."""
    explicit = setting(team, ADAPTER, "tasks", [])
    if explicit:
        return tuple(str(t) for t in explicit)
    desk = next((t for t in bp.teams if t.kind == "internal"), None)
    return role_tasks(team.kind, desk is not None and desk.id == team.id)


def role_tasks(kind: str, desk: bool) -> tuple[str, ...]:
    """The task names a team of ``kind`` gets by default: the service desk's (``desk``: the
    first internal team), a solution team's or a supplier's."""
    if kind == "supplier":
        return SUPPLIER_TASKS
    return DESK_TASKS if desk else TEAM_TASKS


def _operator_groups(bp: Blueprint, out: Build) -> None:
    lookups = walk.Lookups.of(bp)
    branch = ref("branch", (provider_branch(bp),))
    for visit in walk.teams(bp):
        team = visit.team
        tasks = team_tasks(bp, team)
        fields: Fields = {
            "groupName": group_name(team),
            "branch": branch,
            "email": team.email or "",
        }
        fields.update({flag: name in tasks for name, flag in TASKS.items()})
        coordinator = lookups.profiles.get(team.coordinator or "")
        out.add(
            "operator_group",
            fields,
            f"team:{team.id}",
            visit.path,
            [("Coordinator (profile)", coordinator.name if coordinator else "")],
        )


# ----------------------------------------------------------------------------- services


def _services(bp: Blueprint, out: Build) -> None:
    lookups = walk.Lookups.of(bp)
    for visit in walk.services(bp):
        svc = visit.service
        owner = lookups.profiles.get(svc.owner or "")
        teams = [lookups.team_name(t) or t for t in svc.supported_by]
        service = out.add(
            "service",
            {"name": svc.name},
            f"service:{svc.id}",
            visit.path,
            [
                ("Description", svc.description or ""),
                ("Status", svc.status),
                ("Manager (profile)", owner.name if owner else ""),
                ("Supported by", ", ".join(teams)),
                ("Goods", ", ".join(svc.facility.goods)),
                ("Actions", ", ".join(svc.facility.actions)),
            ],
        )
        for item in walk.service_requests(visit):
            request = item.item
            call_type = localised(bp, *CALL_TYPE_NAMES[CallType(request.call_type)])
            category = lookups.request_category(request)
            team = lookups.team_name(lookups.request_team(svc, request))
            out.add(
                "request_form",
                {"service": service, "name": request.name, "callType": call_type},
                f"request:{request.id}",
                item.path,
                [
                    ("Description", request.description or ""),
                    ("Category", named(bp, category) if category else ""),
                    ("Operator group", team or ""),
                ],
            )


# ----------------------------------------------------------------------------- knowledge


@functools.cache
def _environment() -> jinja2.Environment:
    filters = {"lines": lambda text: " ".join(str(text).split())}
    return template_environment(
        "usm_topdesk", autoescape=True, keep_trailing_newline=False, filters=filters
    )


def article(bp: Blueprint, index: int, lang: Locale) -> tuple[str, str]:
    """The title and HTML content of workflow ``index``'s knowledge item in ``lang``."""
    wf = bp.workflows[index]
    model = workflow_article(bp, wf, lang)
    title = word(bp, "article", lang, number=wf.number, name=model.name)
    html = (
        _environment()
        .get_template("knowledge_item.html.j2")
        .render(article=model, managed=word(bp, "managed", lang))
    )
    return title, html


def _knowledge(bp: Blueprint, out: Build) -> None:
    if not bp.workflows:
        return
    lang = locale(bp)
    folder = out.add(
        "knowledge_folder",
        {"title": word(bp, "folder")},
        "folder",
        ("workflows",),
    )
    for visit in walk.workflows(bp):
        index = int(visit.path[1])
        title, content = article(bp, index, lang)
        other_title, other_content = article(bp, index, other(lang))
        out.add(
            "knowledge_item",
            {
                "title": title,
                "folder": folder,
                "language": lang,
                "content": content,
                "translation": {
                    "language": other(lang),
                    "title": other_title,
                    "content": other_content,
                },
            },
            f"workflow:{visit.workflow.id}",
            visit.path,
        )


# ----------------------------------------------------------------------------- call management


def _call_types(bp: Blueprint, out: Build) -> None:
    for i, ct in enumerate(bp.call_types):
        out.add(
            "call_type",
            {"name": named(bp, ct)},
            f"call-type:{ct.id.value}",
            ("call_types", i),
            [("Starts the process", process_name(bp, ct.process))],
        )


def _entry_types(bp: Blueprint, out: Build) -> None:
    seen: set[str] = set()
    for visit in walk.agreements(bp):
        if visit.kind != walk.AgreementKind.SERVICE:
            continue
        for j, channel in enumerate(getattr(visit.agreement, "channels", ())):
            if channel in seen:
                continue
            seen.add(channel)
            name = CHANNELS[channel][1 if locale(bp) == "nl" else 0]
            out.add(
                "entry_type", {"name": name}, f"channel:{channel}", (*visit.path, "channels", j)
            )


def _cells(bp: Blueprint, matrix: Matrix) -> list[JsonValue]:
    rows = {lvl.id: named(bp, lvl) for lvl in matrix.rows}
    columns = {lvl.id: named(bp, lvl) for lvl in matrix.columns}
    levels = {lvl.id: named(bp, lvl) for lvl in matrix.levels}
    return [
        f"{rows[r]} × {columns[c]} → {levels.get(matrix.matrix.get(r, {}).get(c, ''), '')}"
        for r in rows
        for c in columns
    ]


def _priorities(bp: Blueprint, out: Build) -> None:
    cls = bp.classification
    if cls is None:
        return
    at: walk.Path = ("classification", "priority")
    matrix = cls.priority
    for kind, levels, label in (
        ("impact", matrix.rows, "rows"),
        ("urgency", matrix.columns, "columns"),
    ):
        for k, lvl in enumerate(levels):
            out.add(kind, {"name": named(bp, lvl)}, f"{kind}:{lvl.id}", (*at, label, k))
    for k, rank in enumerate(matrix.levels):
        out.add(
            "priority",
            {"name": named(bp, rank)},
            f"priority:{rank.id}",
            (*at, "levels", k),
            [("Rank (1 is handled first)", str(rank.rank))],
        )
    out.add(
        "priority_matrix",
        {"name": word(bp, "matrix"), "cells": _cells(bp, matrix)},
        "rule:priority",
        (*at, "matrix"),
    )
    risk = cls.risk
    out.add(
        "risk_matrix",
        {"name": word(bp, "risk_matrix"), "cells": _cells(bp, risk)},
        "rule:risk",
        ("classification", "risk"),
        [
            (
                "Risk levels (by rank)",
                ", ".join(named(bp, r) for r in sorted(risk.levels, key=lambda r: r.rank)),
            )
        ],
    )


def _durations(bp: Blueprint, out: Build) -> None:
    seen: set[int] = set()
    for target in walk.targets(bp):
        for which in ("response", "resolution"):
            minutes = duration_minutes(getattr(target.target, which))
            if minutes in seen:
                continue
            seen.add(minutes)
            periods, unit = duration_period(minutes)
            out.add(
                "duration",
                {"name": duration_name(bp, minutes)},
                f"duration:{minutes}",
                (*target.path, which),
                [("Basic periods", str(periods)), ("Time span type", unit)],
            )


def _statuses(bp: Blueprint, out: Build) -> None:
    """One processing status per USM call status the blueprint's processes set, and an
    on-hold status per process a fork hands over to."""
    index = {p.id: i for i, p in enumerate(bp.processes)}
    used: list[tuple[CallStatus, ProcessId]] = []
    for wf in bp.workflows:
        for step in wf.sequence:
            if step.status is not None and step.status not in [s for s, _ in used]:
                used.append((step.status, step.process))
    for status, pid in sorted(used, key=lambda s: list(CallStatus).index(s[0])):
        out.add(
            "processing_status",
            {"name": call_status(bp, status.value)},
            f"status:{status.value}",
            ("processes", index.get(pid, 0)),
            [
                ("On hold", "no"),
                ("Processing state", "completed" if status == CallStatus.CLOSED else "in progress"),
            ],
        )
    waiting = sorted({pid for wf in bp.workflows for pid in wf.path[1:]}, key=list(ProcessId).index)
    for pid in waiting:
        out.add(
            "processing_status",
            {"name": word(bp, "waiting", process=process_name(bp, pid))},
            f"waiting:{pid.value}",
            ("processes", index.get(pid, 0)),
            [("On hold", "yes: the clock stops while the other process works")],
        )
    codes = ["fulfilled", "aborted"] + (["no_agreement"] if ProcessId.AGREE in index else [])
    for code in codes:
        pid = ProcessId.AGREE if code == "no_agreement" else next(iter(index), ProcessId.RECOVER)
        out.add(
            "closure_code",
            {"name": word(bp, code)},
            f"closure:{code}",
            ("processes", index.get(pid, 0)),
        )


def _categories(bp: Blueprint, out: Build) -> None:
    """TOPdesk has one category tree of two levels for every module; a blueprint has a tree
    per call type. A category is used in Incident Management for incidents, service requests
    and wishes, in Change Management for requests for change, in Problem Management for risks;
    a deeper category becomes the subcategory 'Child / Grandchild' of its top-level one."""
    modules = {
        CallType.INCIDENT: "incidents",
        CallType.SERVICE_REQUEST: "incidents",
        CallType.WISH: "incidents",
        CallType.REQUEST_FOR_CHANGE: "changes",
        CallType.RISK: "problems",
    }
    tops: dict[str, tuple[set[str], set[str], str, walk.Path]] = {}
    subs: dict[tuple[str, str], tuple[set[str], str, walk.Path]] = {}
    for visit in walk.categories(bp):
        names = CALL_TYPE_NAMES[visit.call_type]
        call_type = names[1] if locale(bp) == "nl" else names[0]
        uid = f"category:{visit.call_type.value}:{visit.category.id}"
        if visit.depth == 0:
            flags, types, _, _ = tops.setdefault(visit.name, (set(), set(), uid, visit.path))
            flags.add(modules[visit.call_type])
            types.add(call_type)
        else:
            key = (visit.top_name, " / ".join(visit.trail[1:]))
            types, _, _ = subs.setdefault(key, (set(), uid, visit.path))
            types.add(call_type)
    for name, (flags, types, uid, path) in tops.items():
        used = ", ".join(MODULES[m] for m in ("incidents", "changes", "problems") if m in flags)
        out.add(
            "category",
            {"name": name},
            uid,
            path,
            [("Used in", used), ("Used for the call types", ", ".join(sorted(types)))],
        )
    for (top, name), (types, uid, path) in subs.items():
        out.add(
            "subcategory",
            {"category": ref("category", (top,)), "name": name},
            uid,
            path,
            [("Used for the call types", ", ".join(sorted(types)))],
        )


# ----------------------------------------------------------------------------- agreements


def _hours(schedule: Schedule) -> list[tuple[str, str]]:
    lines = []
    for day in _DAYS:
        spans = [f"{s.start}–{s.end}" for s in schedule.spans if day in s.days]
        if spans:
            lines.append((day.capitalize(), ", ".join(spans)))
    holidays = ", ".join(d.isoformat() for d in schedule.holidays)
    return [("Time zone", schedule.timezone), *lines, ("Closed on", holidays)]


def _service_windows(bp: Blueprint, out: Build) -> None:
    for visit in walk.schedules(bp):
        schedule = visit.schedule
        out.add(
            "service_window",
            {"name": schedule.name},
            f"schedule:{schedule.id}",
            visit.path,
            _hours(schedule),
        )


def _service_levels(bp: Blueprint, out: Build) -> None:
    lookups = walk.Lookups.of(bp)
    kinds = {
        walk.AgreementKind.SERVICE: "SA",
        walk.AgreementKind.OLA: "OLA",
        walk.AgreementKind.UC: "UC",
    }
    for visit in walk.agreements(bp):
        agreement = visit.agreement
        if visit.kind == walk.AgreementKind.SERVICE:
            contract = lookups.customer_name(getattr(agreement, "customer", ""))
        else:
            contract = lookups.team_name(visit.team) or (visit.team or "")
        details = [("Agreement", f"{kinds[visit.kind]} {agreement.id}")]
        if visit.kind == walk.AgreementKind.SERVICE:
            sa = visit.service.agreements.service
            assert sa is not None
            service_hours = lookups.schedules.get(sa.service_hours)
            support_hours = lookups.schedules.get(sa.support_hours)
            details += [
                ("Service window (service hours)", service_hours.name if service_hours else ""),
                ("Support hours", support_hours.name if support_hours else ""),
                ("Availability", f"{sa.availability}%" if sa.availability else ""),
            ]
        details += [("Reference", getattr(agreement, "reference", None) or "")]
        for target in visit.targets:
            priority = lookups.priority_name(target.target.priority)
            response = duration_name(bp, duration_minutes(target.target.response))
            resolution = duration_name(bp, duration_minutes(target.target.resolution))
            details.append(
                (f"Priority {priority}", f"response {response}, resolution {resolution}")
            )
        out.add(
            "service_level",
            {
                "contract": contract,
                "service": ref("service", (visit.service.name,)),
            },
            f"agreement:{agreement.id}",
            visit.path,
            [("Service level", f"{kinds[visit.kind]} {visit.service.name}"), *details],
        )


# ----------------------------------------------------------------------------- processes


def _process_steps(bp: Blueprint, out: Build) -> None:
    """Change templates (one per workflow through Change, its activities Change's steps),
    Operate's steps as operational activity types, Improve's steps as problem statuses."""
    processes = {p.id: (i, p) for i, p in enumerate(bp.processes)}
    if ProcessId.CHANGE in processes:
        i, change = processes[ProcessId.CHANGE]
        steps = [named(bp, s) for s in change.steps]
        for visit in walk.workflows(bp):
            wf = visit.workflow
            if ProcessId.CHANGE not in wf.path:
                continue
            name = named(bp, wf)
            out.add(
                "change_template",
                {"briefDescription": word(bp, "change_template", workflow=name)[:80]},
                f"change-template:{wf.id}",
                visit.path,
                [
                    ("Change type", "extensive"),
                    ("Started by", process_name(bp, wf.path[0])),
                    *((f"Activity {n}", step) for n, step in enumerate(steps, 1)),
                ],
            )
    for pid, kind in ((ProcessId.OPERATE, "activity_type"), (ProcessId.IMPROVE, "problem_status")):
        if pid not in processes:
            continue
        i, process = processes[pid]
        for j, step in enumerate(process.steps):
            out.add(
                kind,
                {"name": named(bp, step)},
                f"step:{pid.value}:{step.key}",
                ("processes", i, "steps", j),
                [("Description", step.description or "")],
            )


# ----------------------------------------------------------------------------- compile


@built_once
def build(bp: Blueprint) -> Build:
    """Every record of ``bp``, with the blueprint path each one comes from and the details
    of every checklist item."""
    out = Build(RecordSink(KINDS, TOOL))
    _organisation(bp, out)
    _operator_groups(bp, out)
    _services(bp, out)
    _knowledge(bp, out)
    _call_types(bp, out)
    _entry_types(bp, out)
    _priorities(bp, out)
    _durations(bp, out)
    _statuses(bp, out)
    _categories(bp, out)
    _service_windows(bp, out)
    _service_levels(bp, out)
    _process_steps(bp, out)
    return out


def _notes(bp: Blueprint) -> Iterable[str]:
    if bp.profiles:
        yield (
            f"{len(bp.profiles)} profile(s) appear in the RACI tables of the workflows' knowledge "
            "items; TOPdesk operators are people, not roles, and are not written"
        )
    yield (
        "TOPdesk's API cannot write most process settings: 'plan --artifacts DIR' writes the "
        "checklist (checklist.html, checklist.md) with every value, grouped by settings screen"
    )


def compile_blueprint(bp: Blueprint) -> Desired:
    """The records a TOPdesk tenant should hold for ``bp``, sorted by kind and key.

    Raises ``ValueError`` when two elements map onto one record; the adapter's override check
    reports those as located problems first.
    """
    return build(bp).sink.desired(tuple(_notes(bp)))


__all__ = [
    "TASKS",
    "Build",
    "article",
    "build",
    "compile_blueprint",
    "group_name",
    "role_tasks",
    "team_tasks",
]
