"""Blueprint → Jira Service Management records: the pure half of the adapter.

:func:`compile_blueprint` turns a blueprint into the records a JSM site should hold (the table
is in ``docs/adapters/jsm.md``). Nothing here does I/O: the same blueprint always compiles to
the same sorted records.

How USM lands in Jira (usm.md §6.2): one issue type per call type, and one Jira workflow per
USM process, used by that call type's issue type. Jira maps exactly one workflow to an issue
type, while a USM workflow's route is chosen at its fork step; so a fork hands the call over to
the next process (a linked issue of that process's call type, as usm.md recommends) and the
call waits in a "Waiting for <process>" status until it resumes. Each Jira workflow names in
its description the USM workflows it carries, and its fork transitions name them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pydantic import JsonValue

from usm_config.blueprint.model import Blueprint, Level, Matrix, Process, Rank, Schedule
from usm_config.blueprint.usm import (
    CLOSE_STEP,
    KNOWN_ERROR_STEP,
    REVIEW_STEP,
    CallStatus,
    CallType,
    ProcessId,
)
from usm_config.compile import walk
from usm_config.compile.memo import built_once
from usm_config.compile.sink import RecordSink
from usm_config.compile.wording import described, named, service_description
from usm_config.engine.records import Desired, ref
from usm_jsm.kinds import KINDS
from usm_jsm.values import (
    CALL_STATUS_PROPERTY,
    CASCADING,
    CASCADING_SEARCHER,
    DONE,
    IN_PROGRESS,
    JIRA_PRIORITIES,
    PRIORITY_COLOURS,
    SELECT,
    SELECT_SEARCHER,
    TODO,
    TOOL,
    by_name,
    call_status,
    join,
    project_key,
    sentence,
    word,
)

Fields = dict[str, JsonValue]
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Names:
    """Names of the elements other records refer to, in the blueprint's locale."""

    def __init__(self, bp: Blueprint) -> None:
        self.bp = bp
        self.key = project_key(bp)
        self.project = ref("project", (self.key,))
        self.processes = {p.id: p for p in bp.processes}
        self.call_types = {ct.id: named(bp, ct) for ct in bp.call_types}
        self.process_call_type = {ct.process: ct.id for ct in bp.call_types}

    def process(self, process_id: ProcessId) -> str:
        process = self.processes.get(process_id)
        return named(self.bp, process) if process else process_id.value

    def step(self, process: Process, index: int) -> str:
        step = process.steps[index]
        return named(self.bp, step)

    def workflow(self, process_id: ProcessId) -> str:
        return word(self.bp, "workflow", process=self.process(process_id))

    def issue_type(self, call_type: CallType) -> JsonValue:
        name = self.call_types.get(call_type)
        return ref("issuetype", (name,)) if name else ""

    def waiting(self, process_id: ProcessId) -> str:
        return word(self.bp, "waiting", process=self.process(process_id))


# ----------------------------------------------------------------------------- organisation


def _project(bp: Blueprint, names: _Names, sink: RecordSink) -> None:
    org = bp.organisation
    scheme = word(bp, "scheme", org=org.name)
    sink.add(
        "project",
        {
            "key": names.key,
            "name": org.name,
            "description": join(sentence(org.description), word(bp, "managed")),
            "issueTypeScheme": ref("issuetypescheme", (scheme,)),
            "workflowScheme": ref("workflowscheme", (scheme,)),
        },
        "project",
        ("organisation",),
    )


def _people(bp: Blueprint, sink: RecordSink) -> None:
    for team in walk.teams(bp):
        sink.add("group", {"name": team.team.name}, f"team:{team.team.id}", team.path)
    for customer in walk.customers(bp):
        uid = f"customer:{customer.customer.id}"
        sink.add("organization", {"name": customer.customer.name}, uid, customer.path)


# ----------------------------------------------------------------------------- call types


def _issue_types(bp: Blueprint, names: _Names, sink: RecordSink) -> None:
    if not bp.call_types:
        return
    issue_types: list[JsonValue] = []
    for i, ct in enumerate(bp.call_types):
        name = names.call_types[ct.id]
        issue_types.append(ref("issuetype", (name,)))
        sink.add(
            "issuetype",
            {
                "name": name,
                "description": join(sentence(described(bp, ct)), word(bp, "managed")),
                "hierarchyLevel": 0,
            },
            f"call-type:{ct.id.value}",
            ("call_types", i),
        )
    sink.add(
        "issuetypescheme",
        {
            "name": word(bp, "scheme", org=bp.organisation.name),
            "description": join(word(bp, "all_issue_types") + ".", word(bp, "managed")),
            "issueTypes": issue_types,
        },
        "issue-type-scheme",
        ("call_types",),
    )


# ----------------------------------------------------------------------------- processes


def _category(index: int, count: int) -> str:
    if index == 0:
        return TODO
    return DONE if index == count - 1 else IN_PROGRESS


def _fork_targets(bp: Blueprint) -> dict[ProcessId, dict[ProcessId, list[str]]]:
    """Per process: the processes its fork hands over to, with the USM workflows that do so."""
    out: dict[ProcessId, dict[ProcessId, list[str]]] = {}
    for wf in bp.workflows:
        for here, after in zip(wf.path, wf.path[1:], strict=False):
            name = named(bp, wf)
            out.setdefault(here, {}).setdefault(after, []).append(name)
    return out


def _call_statuses(bp: Blueprint, process: Process) -> dict[str, tuple[CallStatus, ...]]:
    """Step key → the USM call statuses the step sets. The review step sets 'workflow
    fulfilled' on a call the process started and 'process fulfilled' on one handed over to
    it; one Jira workflow serves both, so it names each that occurs on some USM path."""
    review: list[CallStatus] = []
    if any(wf.path[:1] == (process.id,) for wf in bp.workflows):
        review.append(CallStatus.WORKFLOW_FULFILLED)
    if any(process.id in wf.path[1:] for wf in bp.workflows):
        review.append(CallStatus.PROCESS_FULFILLED)
    out: dict[str, tuple[CallStatus, ...]] = {}
    for step in process.steps:
        if step.key == REVIEW_STEP and review:
            out[step.key] = tuple(review)
        elif step.key == CLOSE_STEP:
            out[step.key] = (CallStatus.CLOSED,)
        elif (process.id, step.key) == KNOWN_ERROR_STEP:
            out[step.key] = (CallStatus.KNOWN_ERROR,)
    return out


def _statuses(bp: Blueprint, names: _Names, sink: RecordSink) -> None:
    """Every step of every process is a global status; steps with one name share a status."""
    seen: set[str] = set()
    forks = _fork_targets(bp)
    for i, process in enumerate(bp.processes):
        for j, step in enumerate(process.steps):
            name = names.step(process, j)
            if name in seen:
                continue
            seen.add(name)
            sink.add(
                "status",
                {
                    "name": name,
                    "statusCategory": _category(j, len(process.steps)),
                    "description": join(sentence(step.description), word(bp, "managed")),
                },
                f"step:{process.id.value}:{step.key}",
                ("processes", i, "steps", j),
            )
    waiting = sorted({after for targets in forks.values() for after in targets})
    for after in waiting:
        name = names.waiting(after)
        if name in seen:
            continue
        seen.add(name)
        index = next((i for i, p in enumerate(bp.processes) if p.id == after), 0)
        sink.add(
            "status",
            {"name": name, "statusCategory": IN_PROGRESS, "description": word(bp, "managed")},
            f"waiting:{after.value}",
            ("processes", index),
        )


def _workflow(bp: Blueprint, names: _Names, process: Process, at: walk.Path) -> Fields:
    steps = [names.step(process, j) for j in range(len(process.steps))]
    statuses_of = _call_statuses(bp, process)
    forks = _fork_targets(bp).get(process.id, {})
    statuses: list[JsonValue] = []
    for j, step in enumerate(process.steps):
        properties: dict[str, JsonValue] = {}
        if step.key in statuses_of:
            properties[CALL_STATUS_PROPERTY] = " / ".join(
                call_status(bp, status.value) for status in statuses_of[step.key]
            )
        statuses.append({"name": steps[j], "properties": properties})
    transitions: list[JsonValue] = [
        {"name": word(bp, "create"), "type": "INITIAL", "from": [], "to": steps[0]}
    ]
    for j in range(1, len(steps)):
        transitions.append(
            {"name": steps[j], "type": "DIRECTED", "from": [steps[j - 1]], "to": steps[j]}
        )
    fork = next((j for j, s in enumerate(process.steps) if s.fork), None)
    for after, carried in sorted(forks.items()):
        if fork is None or fork + 1 >= len(steps):
            continue
        waiting = names.waiting(after)
        statuses.append({"name": waiting, "properties": {}})
        transitions.append(
            {
                "name": word(bp, "hand_over", process=names.process(after)),
                "type": "DIRECTED",
                "from": [steps[fork]],
                "to": waiting,
                "description": word(bp, "carries", names=", ".join(sorted(carried))),
            }
        )
        transitions.append(
            {
                "name": word(bp, "resume", process=names.process(after)),
                "type": "DIRECTED",
                "from": [waiting],
                "to": steps[fork + 1],
            }
        )
    carried_all = sorted({named(bp, wf) for wf in bp.workflows if process.id in wf.path})
    return {
        "name": names.workflow(process.id),
        "description": join(
            sentence(described(bp, process)),
            word(bp, "carries", names=", ".join(carried_all)) if carried_all else "",
        ),
        "statuses": sorted(statuses, key=by_name),
        "transitions": sorted(transitions, key=by_name),
    }


def _workflows(bp: Blueprint, names: _Names, sink: RecordSink) -> None:
    if not bp.processes:
        return
    scheme_name = word(bp, "scheme", org=bp.organisation.name)
    for i, process in enumerate(bp.processes):
        at: walk.Path = ("processes", i)
        sink.add("workflow", _workflow(bp, names, process, at), f"process:{process.id.value}", at)
    default = names.workflow(
        ProcessId.OPERATE if ProcessId.OPERATE in names.processes else bp.processes[0].id
    )
    sink.add(
        "workflowscheme",
        {
            "name": scheme_name,
            "description": join(word(bp, "all_issue_types") + ".", word(bp, "managed")),
            "defaultWorkflow": ref("workflow", (default,)),
        },
        "workflow-scheme",
        ("processes",),
    )
    scheme = ref("workflowscheme", (scheme_name,))
    for i, ct in enumerate(bp.call_types):
        if ct.process not in names.processes:
            continue
        sink.add(
            "workflowscheme_mapping",
            {
                "scheme": scheme,
                "issueType": names.issue_type(ct.id),
                "workflow": ref("workflow", (names.workflow(ct.process),)),
            },
            f"call-type:{ct.id.value}:workflow",
            ("call_types", i, "process"),
        )


# ----------------------------------------------------------------------------- classification


def _select_field(
    bp: Blueprint, sink: RecordSink, key: str, uid: str, at: walk.Path, cascading: bool = False
) -> JsonValue:
    name = word(bp, key)
    sink.add(
        "field",
        {
            "name": name,
            "type": CASCADING if cascading else SELECT,
            "searcherKey": CASCADING_SEARCHER if cascading else SELECT_SEARCHER,
            "description": word(bp, "managed"),
        },
        uid,
        at,
    )
    return ref("field", (name,))


def _context(
    bp: Blueprint,
    sink: RecordSink,
    field: JsonValue,
    name: str,
    issue_type: JsonValue,
    project: JsonValue,
    uid: str,
    at: walk.Path,
) -> JsonValue:
    record = sink.add(
        "field_context",
        {
            "field": field,
            "name": name,
            "description": word(bp, "managed"),
            "issueType": issue_type,
            "project": project,
        },
        uid,
        at,
    )
    return ref("field_context", record.key)


def _options(
    sink: RecordSink,
    context: JsonValue,
    values: Sequence[tuple[str, str, walk.Path]],
    order: tuple[str, walk.Path],
) -> None:
    """The options of a select field's context, and their order, that of ``values``
    (``order``: the order's uid and path)."""
    options: list[JsonValue] = []
    for value, uid, at in values:
        fields = {"context": context, "value": value, "disabled": False}
        options.append(ref("field_option", sink.add("field_option", fields, uid, at).key))
    if options:
        sink.add("field_option_order", {"context": context, "options": options}, *order)


def _matrix_fields(
    bp: Blueprint, names: _Names, sink: RecordSink, matrix: Matrix, which: str, at: walk.Path
) -> None:
    """The two scales of a matrix as select fields and its result as a rule (manual step)."""
    rows, columns, result = (
        ("impact", "urgency", None)
        if which == "priority"
        else ("effect", "likelihood", "risk_level")
    )
    issue_type: JsonValue = "" if which == "priority" else names.issue_type(CallType.RISK)
    scales: list[tuple[str, Sequence[Level | Rank], str]] = [
        (rows, matrix.rows, "rows"),
        (columns, matrix.columns, "columns"),
    ]
    if result is not None:
        scales.append((result, matrix.levels, "levels"))
    for scale, levels, label in scales:
        field = _select_field(bp, sink, scale, f"field:{which}:{scale}", (*at, label))
        context = _context(
            bp,
            sink,
            field,
            bp.organisation.name,
            issue_type,
            names.project,
            f"context:{which}:{scale}",
            (*at, label),
        )
        _options(
            sink,
            context,
            [
                (named(bp, lvl), f"{scale}:{lvl.id}", (*at, label, k))
                for k, lvl in enumerate(levels)
            ],
            (f"options:{which}:{scale}", (*at, label)),
        )
    rank_names = {lvl.id: named(bp, lvl) for lvl in matrix.levels}
    row_names = {lvl.id: named(bp, lvl) for lvl in matrix.rows}
    column_names = {lvl.id: named(bp, lvl) for lvl in matrix.columns}
    combinations: list[JsonValue] = [
        f"{row_names[r]} × {column_names[c]} → {rank_names.get(v, v)}"
        for r in (lvl.id for lvl in matrix.rows)
        for c, v in sorted(
            matrix.matrix.get(r, {}).items(),
            key=lambda kv: list(column_names).index(kv[0]) if kv[0] in column_names else 99,
        )
        if c in column_names
    ]
    rule = "priority_rule" if which == "priority" else "risk_rule"
    sink.add(
        "automation_rule",
        {
            "project": names.project,
            "name": word(bp, rule),
            "trigger": f"{word(bp, rows)}, {word(bp, columns)}",
            "result": "Priority" if which == "priority" else word(bp, "risk_level"),
            "combinations": combinations,
        },
        f"rule:{which}",
        (*at, "matrix"),
    )


def _priorities(bp: Blueprint, sink: RecordSink, matrix: Matrix, at: walk.Path) -> None:
    """The levels as priorities, in rank order: issues sort by the site's order of priorities.
    A level the site already has (Jira's own "High") stays where it is, since other projects
    sort by it too; each other level goes right after the level ranked above it, the first
    before all the site's."""
    above: JsonValue = ""
    for k, lvl in enumerate(sorted(matrix.levels, key=lambda level: level.rank)):
        index = next(i for i, level in enumerate(matrix.levels) if level.id == lvl.id)
        name = named(bp, lvl)
        fields: dict[str, JsonValue] = {
            "name": name,
            "statusColor": PRIORITY_COLOURS[min(k, len(PRIORITY_COLOURS) - 1)],
        }
        if name.casefold() not in JIRA_PRIORITIES:
            fields["after"] = above
        sink.add("priority", fields, f"priority:{lvl.id}", (*at, "levels", index))
        above = ref("priority", (name,))


def _categories(bp: Blueprint, names: _Names, sink: RecordSink) -> None:
    """One cascading select field; a context per call type (scoped to its issue type); top-level
    categories are options, everything below them sub-options labelled 'Child / Grandchild'."""
    visits = list(walk.categories(bp))
    if not visits:
        return
    field = _select_field(
        bp, sink, "category", "field:category", ("classification", "categories"), True
    )
    contexts: dict[CallType, JsonValue] = {}
    options: dict[tuple[CallType, str], JsonValue] = {}
    # The options of each context and the sub-options of each option, in the walk's order,
    # and where each option is in the blueprint.
    orders: dict[CallType | tuple[CallType, str], list[JsonValue]] = {}
    paths: dict[tuple[CallType, str], walk.Path] = {}
    for visit in visits:
        ct = visit.call_type
        if ct not in contexts:
            contexts[ct] = _context(
                bp,
                sink,
                field,
                names.call_types.get(ct, ct.value),
                names.issue_type(ct),
                names.project,
                f"context:category:{ct.value}",
                ("classification", "categories", ct.value),
            )
        uid = f"category:{ct.value}:{visit.category.id}"
        if visit.depth == 0:
            fields = {"context": contexts[ct], "value": visit.name, "disabled": False}
            record = sink.add("field_option", fields, uid, visit.path)
            options[(ct, visit.top.id)] = ref("field_option", record.key)
            paths[(ct, visit.top.id)] = visit.path
            orders.setdefault(ct, []).append(options[(ct, visit.top.id)])
        else:
            sub = (ct, visit.top.id)
            fields = {
                "parent": options[sub],
                "value": " / ".join(visit.trail[1:]),
                "disabled": False,
            }
            record = sink.add("field_child_option", fields, uid, visit.path)
            orders.setdefault(sub, []).append(ref("field_child_option", record.key))
    for of, listed in orders.items():
        if isinstance(of, tuple):
            uid = f"options:category:{of[0].value}:{of[1]}"
            order = {"parent": options[of], "options": listed}
            sink.add("field_child_option_order", order, uid, paths[of])
        else:
            at = ("classification", "categories", of.value)
            order = {"context": contexts[of], "options": listed}
            sink.add("field_option_order", order, f"options:category:{of.value}", at)


def _classification(bp: Blueprint, names: _Names, sink: RecordSink) -> None:
    cls = bp.classification
    if cls is None:
        return
    _categories(bp, names, sink)
    _priorities(bp, sink, cls.priority, ("classification", "priority"))
    _matrix_fields(bp, names, sink, cls.priority, "priority", ("classification", "priority"))
    _matrix_fields(bp, names, sink, cls.risk, "risk", ("classification", "risk"))


# ----------------------------------------------------------------------------- services


def _jql_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _services(bp: Blueprint, names: _Names, sink: RecordSink) -> None:
    for visit in walk.services(bp):
        svc = visit.service
        sink.add(
            "component",
            {
                "project": names.project,
                "name": svc.name,
                "description": service_description(bp, svc),
            },
            f"service:{svc.id}",
            visit.path,
        )
        request_names: list[JsonValue] = []
        for item in walk.service_requests(visit):
            request_names.append(item.item.name)
            sink.add(
                "requesttype",
                {
                    "project": names.project,
                    "name": item.item.name,
                    "description": sentence(item.item.description or item.item.name),
                    "helpText": word(bp, "service_part", service=svc.name),
                    "issueType": names.issue_type(CallType(item.item.call_type)),
                },
                f"request:{item.item.id}",
                item.path,
            )
        if request_names:
            sink.add(
                "portal_group",
                {
                    "project": names.project,
                    "name": svc.name,
                    "requestTypes": sorted(request_names, key=str),
                },
                f"portal-group:{svc.id}",
                (*visit.path, "requests"),
            )


def _queues(bp: Blueprint, names: _Names, sink: RecordSink) -> None:
    for i, ct in enumerate(bp.call_types):
        name = names.call_types[ct.id]
        sink.add(
            "queue",
            {
                "project": names.project,
                "name": word(bp, "open_queue", call_type=name),
                "jql": (
                    f"project = {names.key} AND issuetype = {_jql_text(name)} "
                    "AND statusCategory != Done ORDER BY priority DESC, created ASC"
                ),
            },
            f"queue:{ct.id.value}",
            ("call_types", i),
        )


# ----------------------------------------------------------------------------- agreements


def _hours(duration: str) -> str:
    """A blueprint duration ('1d4h30m') as an SLA goal ('28h 30m'); a day is 24 hours."""
    parts = {unit: int(n) for n, unit in re.findall(r"(\d+)([dhm])", duration)}
    hours = parts.get("d", 0) * 24 + parts.get("h", 0)
    minutes = parts.get("m", 0)
    return join(f"{hours}h" if hours else "", f"{minutes}m" if minutes else "") or "0m"


def _working_hours(schedule: Schedule) -> list[JsonValue]:
    """``"mon 08:00-17:00"`` per day and span, by day and start time (as a calendar lists them)."""
    rows: list[JsonValue] = []
    for day in _DAYS:
        for span in sorted(schedule.spans, key=lambda s: (str(s.start), str(s.end))):
            if day in span.days:
                rows.append(f"{day} {span.start}-{span.end}")
    return rows


def _calendars(bp: Blueprint, names: _Names, sink: RecordSink) -> None:
    for visit in walk.schedules(bp):
        schedule = visit.schedule
        sink.add(
            "calendar",
            {
                "project": names.project,
                "name": schedule.name,
                "timeZone": walk.schedule_timezone(bp, schedule),
                "workingHours": _working_hours(schedule),
                "holidays": list[JsonValue](sorted({d.isoformat() for d in schedule.holidays})),
            },
            f"schedule:{schedule.id}",
            visit.path,
        )


#: SLA conditions by the names Jira's SLA settings give them (usm_jsm.private).
START_CONDITION = "Issue Created"
STOP_CONDITION = "Entered Status: "


def goal_order(goal: JsonValue) -> tuple[str, ...]:
    """The order of an SLA metric's goals: by JQL, then target and calendar."""
    fields = goal if isinstance(goal, dict) else {}
    return tuple(str(fields.get(name, "")) for name in ("jql", "duration", "calendar"))


def _slas(bp: Blueprint, names: _Names, sink: RecordSink) -> None:
    """Two SLA metrics (response, resolution) per agreement kind and team, one goal per
    agreement target: ``{jql, duration, calendar}``, the JQL on the service's component and
    the priority, the calendar the service's support hours. Start and stop are the names of
    Jira's SLA conditions."""
    lookups = walk.Lookups.of(bp)
    recover = names.processes.get(ProcessId.RECOVER)
    second = names.step(recover, 1) if recover and len(recover.steps) > 1 else ""
    review = (
        next(
            (names.step(recover, j) for j, s in enumerate(recover.steps) if s.key == REVIEW_STEP),
            "",
        )
        if recover
        else ""
    )
    # uid by agreement kind and team id, so renaming a team renames its metrics.
    metrics: dict[tuple[str, str], tuple[list[JsonValue], walk.Path, str]] = {}
    for agreement in walk.agreements(bp):
        sa = agreement.service.agreements.service
        hours = lookups.schedules.get(sa.support_hours) if sa else None
        team = lookups.team_name(agreement.team) or (agreement.team or "")
        if agreement.kind == walk.AgreementKind.SERVICE:
            suffix = ""
        else:
            suffix = word(
                bp, "ola" if agreement.kind == walk.AgreementKind.OLA else "uc", team=team
            )
        for target in agreement.targets:
            priority = lookups.priority_name(target.target.priority)
            for which in ("response", "resolution"):
                name = join(word(bp, which), f"({suffix})" if suffix else "")
                uid = f"sla:{which}:{agreement.kind.value}:{agreement.team or ''}"
                goals, _, _ = metrics.setdefault((which, name), ([], target.path, uid))
                goals.append(
                    {
                        "jql": f"component = {_jql_text(agreement.service.name)} AND priority = "
                        f"{_jql_text(priority)}",
                        "duration": _hours(getattr(target.target, which)),
                        "calendar": hours.name if hours else "",
                    }
                )
    for (which, name), (goals, at, uid) in sorted(metrics.items()):
        sink.add(
            "sla",
            {
                "project": names.project,
                "name": name,
                "start": START_CONDITION,
                "stop": f"{STOP_CONDITION}{second if which == 'response' else review}",
                "pause": "",
                "goals": sorted(goals, key=goal_order),
            },
            uid,
            at,
        )


# ----------------------------------------------------------------------------- compile


@built_once
def build(bp: Blueprint) -> RecordSink:
    """Every record of ``bp``, with the blueprint path each one comes from."""
    sink = RecordSink(KINDS, TOOL)
    names = _Names(bp)
    _project(bp, names, sink)
    _people(bp, sink)
    _issue_types(bp, names, sink)
    _statuses(bp, names, sink)
    _workflows(bp, names, sink)
    _classification(bp, names, sink)
    _services(bp, names, sink)
    _queues(bp, names, sink)
    _calendars(bp, names, sink)
    _slas(bp, names, sink)
    return sink


def _notes(bp: Blueprint) -> Iterable[str]:
    if bp.profiles:
        yield (
            f"{len(bp.profiles)} profile(s) appear in the RACI tables of the workflow guide "
            "(plan --artifacts DIR); Jira project roles are permission settings and are not written"
        )
    if any(wf.steps for wf in bp.workflows):
        yield (
            "workflow tailoring (activities, RACI, work instructions) is written to the "
            "workflow guide artifact (plan --artifacts DIR)"
        )


def compile_blueprint(bp: Blueprint) -> Desired:
    """The records a JSM site should hold for ``bp``, sorted by kind and key.

    Raises ``ValueError`` when two elements map onto one record; the adapter's override check
    reports those as located problems first.
    """
    return build(bp).desired(tuple(_notes(bp)))


__all__ = ["START_CONDITION", "STOP_CONDITION", "build", "compile_blueprint", "goal_order"]
