"""Blueprint → ServiceNow records: the pure half of the adapter.

:func:`compile_blueprint` turns a blueprint into the records ServiceNow should hold (see
``docs/adapters/servicenow.md`` for the table-by-table mapping); :func:`check_overrides`
validates the blueprint's ``x-servicenow`` settings. Nothing here does I/O, reads a clock or
draws a random number: the same blueprint always compiles to the same, sorted records.

Values are the strings the Table API returns with ``sysparm_exclude_reference_link=true``;
references to other records are :func:`~usm_config.engine.records.ref` values, never sys_ids.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import jinja2
from markupsafe import Markup, escape
from pydantic import JsonValue

from usm_config.adapter import Problem
from usm_config.blueprint.model import (
    Blueprint,
    Category,
    Level,
    Matrix,
    Overridable,
    Process,
    ResponseTarget,
    Schedule,
    Service,
    SupportAgreement,
    Team,
    TimeSpan,
    Workflow,
    duration_minutes,
)
from usm_config.blueprint.sequence import expand_path
from usm_config.blueprint.usm import CALL_TYPE_NAMES, CallType, ProcessId
from usm_config.blueprint.validation_errors import format_path
from usm_config.diagnostics import did_you_mean
from usm_config.engine.records import Desired, Record, ref, ref_target
from usm_servicenow.kinds import KINDS

ADAPTER = "servicenow"
Path = tuple[str | int, ...]
Fields = dict[str, JsonValue]

CRITICALITIES = (
    "1 - most critical",
    "2 - somewhat critical",
    "3 - less critical",
    "4 - not critical",
)
CLASSIFICATIONS = ("Business Service", "Technical Service", "Application Service")
DEFAULT_CRITICALITY = "3 - less critical"
DEFAULT_CLASSIFICATION = "Business Service"

#: ``x-servicenow`` keys per element: a tuple of allowed values, or ``None`` for free text.
SERVICE_SETTINGS: dict[str, tuple[str, ...] | None] = {
    "business_criticality": CRITICALITIES,
    "service_classification": CLASSIFICATIONS,
}
TEAM_SETTINGS: dict[str, tuple[str, ...] | None] = {"group_type": None}
WORKFLOW_SETTINGS: dict[str, tuple[str, ...] | None] = {"flow": None}
ORGANISATION_SETTINGS: dict[str, tuple[str, ...] | None] = {
    "catalog_title": None,
    "knowledge_base_title": None,
}
_SETTINGS_HOME = {
    **dict.fromkeys(SERVICE_SETTINGS, "services"),
    **dict.fromkeys(TEAM_SETTINGS, "teams"),
    **dict.fromkeys(WORKFLOW_SETTINGS, "workflows"),
    **dict.fromkeys(ORGANISATION_SETTINGS, "the organisation"),
}

OPERATIONAL_STATUS = {"live": "1", "pipeline": "2", "retired": "6"}
OFFERING_PHASE = {"live": "Catalog", "pipeline": "Pipeline", "retired": "Retired"}
AGREEMENT_TYPE = {"service": "SLA", "olas": "OLA", "ucs": "Underpinning contract"}
STOP_CONDITION = {"response": "state!=1^EQ", "resolution": "stateIN6,7^EQ"}
PAUSE_CONDITION = {"response": "", "resolution": "state=3^EQ"}

#: Where the categories of each call type go: (table, subcategories supported).
CATEGORY_CHOICES: dict[CallType, tuple[str, bool]] = {
    CallType.INCIDENT: ("incident", True),
    CallType.REQUEST_FOR_CHANGE: ("change_request", False),
    CallType.RISK: ("problem", True),
}
CATALOG_CALL_TYPES = (CallType.WISH, CallType.SERVICE_REQUEST)

CHANGE_MODEL = "USM change"
#: Change steps are numbered from the platform's first change state (-5 = New) upwards;
#: 4 (Canceled) is left to the platform.
CHANGE_STATE_START = -5
CHANGE_STATE_RESERVED = frozenset({4})
#: Improve steps become problem states 101, 102, ...; "Known error" follows the last step.
PROBLEM_STATE_START = 101
KNOWN_ERROR_LABEL = "Known error"

CALL_TYPE_TABLE = "task"
CALL_TYPE_COLUMN = "u_usm_call_type"

#: Weekly spans start repeating on this Monday; holidays use their own date.
SPAN_ANCHOR = date(2000, 1, 3)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MANAGED = "Managed by usm-config."


# ----------------------------------------------------------------------------- value helpers


def glide_duration(value: str) -> str:
    """A blueprint duration as glide_duration text: '1d4h' → '1970-01-02 04:00:00'."""
    moment = datetime(1970, 1, 1) + timedelta(minutes=duration_minutes(value))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def days_of_week(days: Iterable[str]) -> str:
    """Weekdays as ServiceNow digits, 1 = Monday … 7 = Sunday: ('mon', 'fri') → '15'."""
    return "".join(str(WEEKDAYS.index(d) + 1) for d in sorted(set(days), key=WEEKDAYS.index))


def _day_runs(days: Iterable[str]) -> str:
    numbers = sorted({WEEKDAYS.index(d) for d in days})
    runs: list[list[int]] = []
    for n in numbers:
        if runs and runs[-1][-1] + 1 == n:
            runs[-1].append(n)
        else:
            runs.append([n])
    names = [WEEKDAYS[n].capitalize() for n in range(7)]
    parts = [
        f"{names[run[0]]}-{names[run[-1]]}" if len(run) > 2 else ",".join(names[n] for n in run)
        for run in runs
    ]
    return ",".join(parts)


def span_name(span: TimeSpan) -> str:
    """Name of a weekly span, e.g. 'Mon-Fri 08:00-17:00'."""
    return f"{_day_runs(span.days)} {span.start}-{span.end}"


def holiday_name(day: date) -> str:
    """Name of the schedule entry that closes a holiday, e.g. 'Holiday 2026-12-25'."""
    return f"Holiday {day.isoformat()}"


def schedule_date_time(day: date, clock: str = "00:00") -> str:
    """A schedule date-time as ServiceNow stores it: '20260101T080000' ('24:00' rolls over)."""
    hours, minutes = (int(part) for part in clock.split(":"))
    moment = datetime(day.year, day.month, day.day) + timedelta(hours=hours, minutes=minutes)
    return moment.strftime("%Y%m%dT%H%M%S")


def offering_name(service_name: str, customer_name: str) -> str:
    """Name of the offering that holds one service agreement: '<service> – <customer>'."""
    return f"{service_name} – {customer_name}"


def sla_name(agreement_id: str, priority_name: str, target: str) -> str:
    """Name of an SLA definition, e.g. 'sa-workplace Critical resolution'."""
    return f"{agreement_id} {priority_name} {target}"


def level_values(levels: Sequence[Level]) -> dict[str, str]:
    """Choice values of a scale in list order: the first level is '1'."""
    return {level.id: str(i) for i, level in enumerate(levels, start=1)}


def priority_values(matrix: Matrix) -> dict[str, str]:
    """Choice values of the priority levels: 1 … n in rank order (ties keep list order)."""
    ordered = sorted(enumerate(matrix.levels), key=lambda pair: (pair[1].rank, pair[0]))
    return {level.id: str(i) for i, (_, level) in enumerate(ordered, start=1)}


def change_state_values(count: int) -> list[str]:
    """Deterministic change_request state values for ``count`` steps: -5, -4, …, 3, 5, …"""
    values: list[str] = []
    value = CHANGE_STATE_START
    while len(values) < count:
        if value not in CHANGE_STATE_RESERVED:
            values.append(str(value))
        value += 1
    return values


def start_condition(priority: str, offering: str, group: str | None = None) -> str:
    """Encoded start condition of an SLA definition; dot-walks instead of using sys_ids."""
    parts = [f"priority={priority}", f"service_offering.name={offering}"]
    if group is not None:
        parts.append(f"assignment_group.name={group}")
    return "^".join(parts) + "^EQ"


def _setting(element: Overridable, key: str, default: str) -> str:
    value = element.override(ADAPTER).get(key)
    return value if isinstance(value, str) and value.strip() else default


def catalog_title(blueprint: Blueprint) -> str:
    """Title of the service catalog: ``x-servicenow.catalog_title`` or '<name> services'."""
    org = blueprint.organisation
    return _setting(org, "catalog_title", f"{org.name} services")


def knowledge_base_title(blueprint: Blueprint) -> str:
    """Title of the knowledge base: ``x-servicenow.knowledge_base_title`` or '<name> workflows'."""
    org = blueprint.organisation
    return _setting(org, "knowledge_base_title", f"{org.name} workflows")


def article_title(workflow: Workflow) -> str:
    """Short description of a workflow's knowledge article."""
    return f"USM workflow {workflow.number}: {workflow.name}"


def _yes(value: bool) -> str:
    return "true" if value else "false"


def _sentence(text: str | None) -> str:
    if not text:
        return ""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


# ----------------------------------------------------------------------------- collecting


@dataclass
class _Out:
    """Records as they are produced, with the blueprint path each one comes from."""

    items: list[tuple[Record, Path]] = field(default_factory=list)

    def add(self, kind: str, fields: Fields, uid: str, path: Path) -> Record:
        spec = KINDS[kind]
        unknown = set(fields) - set(spec.owned_fields)
        if unknown:  # a programming error in this module, not a blueprint problem
            raise AssertionError(f"{kind} does not own {sorted(unknown)}")
        key = tuple(_key_text(fields[name]) for name in spec.key_fields)
        record = Record(kind=kind, key=key, fields=fields, uid=uid, source=format_path(path))
        self.items.append((record, path))
        return record

    def choice(
        self,
        column: str,
        value: str,
        label: str,
        sequence: int,
        uid: str,
        at: Path,
        parent: str = "",
    ) -> None:
        """Add a sys_choice for ``column`` ('table.element'); ``parent`` is its dependent_value."""
        table, element = column.split(".")
        self.add(
            "sys_choice",
            {
                "name": table,
                "element": element,
                "value": value,
                "label": label,
                "sequence": str(sequence),
                "language": "en",
                "dependent_value": parent,
                "inactive": "false",
            },
            uid,
            at,
        )


def _key_text(value: JsonValue) -> str:
    target = ref_target(value)
    if target is not None:
        return "/".join(target[1])
    return "" if value is None else str(value)


@dataclass(frozen=True)
class _Lookups:
    teams: dict[str, Team]
    schedules: dict[str, Schedule]
    customer_names: dict[str, str]
    customer_kinds: dict[str, str]
    priority_names: dict[str, str]
    priority_values: dict[str, str]
    categories: dict[CallType, dict[str, Category]]
    first_category: dict[CallType, Category]


def _flatten(categories: Iterable[Category]) -> Iterable[Category]:
    for category in categories:
        yield category
        yield from _flatten(category.children)


def _lookups(bp: Blueprint) -> _Lookups:
    cls = bp.classification
    categories = cls.categories if cls else {}
    return _Lookups(
        teams={t.id: t for t in bp.teams},
        schedules={s.id: s for s in bp.schedules},
        customer_names={c.id: c.name for c in bp.customers},
        customer_kinds={c.id: c.kind for c in bp.customers},
        priority_names={lvl.id: lvl.name for lvl in cls.priority.levels} if cls else {},
        priority_values=priority_values(cls.priority) if cls else {},
        categories={ct: {c.id: c for c in _flatten(cats)} for ct, cats in categories.items()},
        first_category={ct: cats[0] for ct, cats in categories.items() if cats},
    )


def _team_name(lk: _Lookups, team_id: str | None) -> str | None:
    team = lk.teams.get(team_id) if team_id else None
    return team.name if team else None


def _group_ref(lk: _Lookups, team_id: str | None) -> JsonValue:
    name = _team_name(lk, team_id)
    return ref("sys_user_group", (name,)) if name else ""


# ----------------------------------------------------------------------------- the mapping


def _teams(bp: Blueprint, out: _Out, companies: dict[str, tuple[Fields, str, Path]]) -> None:
    group_types: set[str] = set()
    for i, team in enumerate(bp.teams):
        at: Path = ("teams", i)
        if team.kind == "supplier":
            description = _join(
                _sentence(f"Assignment group of the supplier {team.name}"),
                _sentence(team.description),
            )
            _company(companies, team.name, "supplier", team.description, f"supplier:{team.id}", at)
        else:
            description = team.description or ""
        fields: Fields = {
            "name": team.name,
            "description": description,
            "email": team.email or "",
            "active": "true",
        }
        group_type = _setting(team, "group_type", "")
        if group_type:
            fields["type"] = ref("sys_user_group_type", (group_type,))
            if group_type not in group_types:
                group_types.add(group_type)
                out.add(
                    "sys_user_group_type",
                    {"name": group_type},
                    f"group-type:{team.id}",
                    (*at, "x-servicenow", "group_type"),
                )
        out.add("sys_user_group", fields, f"team:{team.id}", at)


def _company(
    companies: dict[str, tuple[Fields, str, Path]],
    name: str,
    role: str,
    description: str | None,
    uid: str,
    at: Path,
) -> None:
    """Suppliers and external customers share core_company; one name is one company."""
    if name in companies:
        fields = companies[name][0]
        fields["vendor" if role == "supplier" else "customer"] = "true"
        if description and str(fields["notes"]) != description:
            fields["notes"] = _join(str(fields["notes"]), description).strip()
        return
    companies[name] = (
        {
            "name": name,
            "vendor": _yes(role == "supplier"),
            "customer": _yes(role == "customer"),
            "notes": description or "",
        },
        uid,
        at,
    )


def _schedules(bp: Blueprint, out: _Out) -> None:
    for i, schedule in enumerate(bp.schedules):
        at: Path = ("schedules", i)
        out.add(
            "cmn_schedule",
            {"name": schedule.name, "time_zone": schedule.timezone, "description": MANAGED},
            f"schedule:{schedule.id}",
            at,
        )
        parent = ref("cmn_schedule", (schedule.name,))
        for j, span in enumerate(schedule.spans):
            out.add(
                "cmn_schedule_span",
                {
                    "schedule": parent,
                    "name": span_name(span),
                    "type": "",
                    "days_of_week": days_of_week(span.days),
                    "start_date_time": schedule_date_time(SPAN_ANCHOR, span.start),
                    "end_date_time": schedule_date_time(SPAN_ANCHOR, span.end),
                    "repeat_type": "weekly",
                    "all_day": "false",
                },
                f"schedule:{schedule.id}:span:{j}",
                (*at, "spans", j),
            )
        for j, day in enumerate(schedule.holidays):
            out.add(
                "cmn_schedule_span",
                {
                    "schedule": parent,
                    "name": holiday_name(day),
                    "type": "exclude",
                    "days_of_week": "",
                    "start_date_time": schedule_date_time(day),
                    "end_date_time": schedule_date_time(day + timedelta(days=1)),
                    "repeat_type": "",
                    "all_day": "true",
                },
                f"schedule:{schedule.id}:holiday:{day.isoformat()}",
                (*at, "holidays", j),
            )


def _service_description(svc: Service) -> str:
    facility = svc.facility
    return _join(
        _sentence(svc.description),
        f"Goods: {', '.join(facility.goods)}." if facility.goods else "",
        f"Actions: {', '.join(facility.actions)}." if facility.actions else "",
    )


def _services(bp: Blueprint, lk: _Lookups, out: _Out) -> None:
    for i, svc in enumerate(bp.services):
        at: Path = ("services", i)
        first_team = svc.supported_by[0] if svc.supported_by else None
        out.add(
            "cmdb_ci_service_business",
            {
                "name": svc.name,
                "short_description": _service_description(svc),
                "service_classification": _setting(
                    svc, "service_classification", DEFAULT_CLASSIFICATION
                ),
                "busines_criticality": _setting(svc, "business_criticality", DEFAULT_CRITICALITY),
                "operational_status": OPERATIONAL_STATUS[svc.status],
                "support_group": _group_ref(lk, first_team),
            },
            f"service:{svc.id}",
            at,
        )
        _agreements(svc, at, lk, out)


def _agreements(svc: Service, at: Path, lk: _Lookups, out: _Out) -> None:
    sa = svc.agreements.service
    if sa is None:
        return
    sa_at: Path = (*at, "agreements", "service")
    offering = offering_name(svc.name, lk.customer_names.get(sa.customer, sa.customer))
    hours = lk.schedules.get(sa.service_hours)
    support = lk.schedules.get(sa.support_hours)
    availability = (
        f"Availability: {sa.availability:g}% during {hours.name if hours else 'service hours'}."
        if sa.availability is not None
        else ""
    )
    out.add(
        "service_offering",
        {
            "name": offering,
            "parent": ref("cmdb_ci_service_business", (svc.name,)),
            "support_group": _group_ref(lk, svc.supported_by[0] if svc.supported_by else None),
            "schedule": ref("cmn_schedule", (hours.name,)) if hours else "",
            "consumer_type": lk.customer_kinds.get(sa.customer, "internal"),
            "phase": OFFERING_PHASE[svc.status],
            "short_description": _join(
                _sentence(sa.description),
                f"Channels: {', '.join(sa.channels)}.",
                availability,
                f"Support hours: {support.name}." if support else "",
            ),
        },
        f"offering:{sa.id}",
        sa_at,
    )
    clock = _Clock(
        offering=offering,
        schedule=ref("cmn_schedule", (support.name,)) if support else "",
        timezone=support.timezone if support else "",
    )
    _slas(sa.id, "service", sa.targets, None, clock, sa_at, lk, out)
    for kind in ("olas", "ucs"):
        agreements: tuple[SupportAgreement, ...] = getattr(svc.agreements, kind)
        for j, agreement in enumerate(agreements):
            _slas(
                agreement.id,
                kind,
                agreement.targets,
                agreement.team,
                clock,
                (*at, "agreements", kind, j),
                lk,
                out,
            )


@dataclass(frozen=True)
class _Clock:
    """What every SLA definition of one service shares: the offering and support hours."""

    offering: str
    schedule: JsonValue
    timezone: str


def _slas(
    agreement_id: str,
    kind: str,
    targets: Sequence[ResponseTarget],
    team_id: str | None,
    clock: _Clock,
    at: Path,
    lk: _Lookups,
    out: _Out,
) -> None:
    team = _team_name(lk, team_id)
    if team_id is not None and team is None:
        team = team_id
    vendor = ref("core_company", (team,)) if kind == "ucs" and team else ""
    for k, target in enumerate(targets):
        priority = lk.priority_names.get(target.priority, target.priority)
        value = lk.priority_values.get(target.priority, "")
        for which in ("response", "resolution"):
            out.add(
                "contract_sla",
                {
                    "name": sla_name(agreement_id, priority, which),
                    "type": AGREEMENT_TYPE[kind],
                    "collection": "incident",
                    "target": which,
                    "duration": glide_duration(getattr(target, which)),
                    "schedule": clock.schedule,
                    "timezone_source": "sla.timezone",
                    "timezone": clock.timezone,
                    "start_condition": start_condition(value, clock.offering, team),
                    "stop_condition": STOP_CONDITION[which],
                    "pause_condition": PAUSE_CONDITION[which],
                    "active": "true",
                    "vendor": vendor,
                },
                f"sla:{agreement_id}:{target.priority}:{which}",
                (*at, "targets", k),
            )


def _descendants(
    category: Category, at: Path, prefix: str = ""
) -> Iterator[tuple[Category, Path, str]]:
    """Every category below ``category``, with its path and a 'Child / Grandchild' label."""
    for k, child in enumerate(category.children):
        child_at: Path = (*at, "children", k)
        label = f"{prefix} / {child.name}" if prefix else child.name
        yield child, child_at, label
        yield from _descendants(child, child_at, label)


def _tree(
    category: Category, parent: Category | None, at: Path
) -> Iterator[tuple[Category, Category | None, Path]]:
    """``category`` and everything below it, each with its parent and path."""
    yield category, parent, at
    for k, child in enumerate(category.children):
        yield from _tree(child, category, (*at, "children", k))


def _category_choices(
    ct: CallType, table: str, nested: bool, cats: Sequence[Category], out: _Out
) -> None:
    """Top-level categories → <table>.category. Below them → <table>.subcategory (dependent on
    the top-level value) where the table has one, else more category values labelled
    'Parent / Child'. Levels deeper than a subcategory are flattened the same way."""
    sequence = 0
    for j, top in enumerate(cats):
        at: Path = ("classification", "categories", ct.value, j)
        sequence += 1
        uid = f"category:{ct.value}:{top.id}"
        out.choice(f"{table}.category", top.id, top.name, sequence, uid, at)
        for k, (child, child_at, label) in enumerate(_descendants(top, at), start=1):
            uid = f"category:{ct.value}:{child.id}"
            if nested:
                out.choice(f"{table}.subcategory", child.id, label, k, uid, child_at, top.id)
            else:
                sequence += 1
                full = f"{top.name} / {label}"
                out.choice(f"{table}.category", child.id, full, sequence, uid, child_at)


def _classification(bp: Blueprint, lk: _Lookups, out: _Out) -> None:
    cls = bp.classification
    if cls is None:
        return
    for ct, (table, nested) in CATEGORY_CHOICES.items():
        _category_choices(ct, table, nested, cls.categories.get(ct, ()), out)
    matrix = cls.priority
    at: Path = ("classification", "priority")
    impacts, urgencies = level_values(matrix.rows), level_values(matrix.columns)
    for element, levels, values, label in (
        ("impact", matrix.rows, impacts, "rows"),
        ("urgency", matrix.columns, urgencies, "columns"),
    ):
        for j, level in enumerate(levels):
            value = values[level.id]
            uid = f"{element}:{level.id}"
            out.choice(f"incident.{element}", value, level.name, int(value), uid, (*at, label, j))
    for j, rank in enumerate(matrix.levels):
        value = lk.priority_values[rank.id]
        uid = f"priority:{rank.id}"
        out.choice("incident.priority", value, rank.name, int(value), uid, (*at, "levels", j))
    order = 0
    for row in matrix.rows:
        for column in matrix.columns:
            order += 100
            result = matrix.matrix.get(row.id, {}).get(column.id)
            if result is None:
                continue  # an incomplete matrix is a blueprint error the checks report
            out.add(
                "dl_u_priority",
                {
                    "impact": impacts[row.id],
                    "urgency": urgencies[column.id],
                    "priority": lk.priority_values.get(result, ""),
                    "active": "true",
                    "order": str(order),
                },
                f"priority-rule:{row.id}:{column.id}",
                (*at, "matrix", row.id, column.id),
            )


def _processes(bp: Blueprint, out: _Out) -> None:
    for i, process in enumerate(bp.processes):
        if process.id == ProcessId.IMPROVE:
            _problem_states(process, ("processes", i), out)
        elif process.id == ProcessId.CHANGE:
            _change_model(process, ("processes", i), out)


def _problem_states(process: Process, at: Path, out: _Out) -> None:
    for j, step in enumerate(process.steps):
        value = str(PROBLEM_STATE_START + j)
        uid = f"step:improve:{step.key}"
        out.choice("problem.state", value, step.name, j + 1, uid, (*at, "steps", j))
    count = len(process.steps)
    value = str(PROBLEM_STATE_START + count)
    out.choice("problem.state", value, KNOWN_ERROR_LABEL, count + 1, "status:known-error", at)


def _change_model(process: Process, at: Path, out: _Out) -> None:
    model = ref("chg_model", (CHANGE_MODEL,))
    out.add(
        "chg_model",
        {
            "name": CHANGE_MODEL,
            "table_name": "change_request",
            "state_field": "state",
            "active": "true",
            "description": _join(
                _sentence(process.description), "The steps of the USM Change process.", MANAGED
            ),
        },
        "process:change",
        at,
    )
    values = change_state_values(len(process.steps))
    for j, (step, value) in enumerate(zip(process.steps, values, strict=True)):
        step_at: Path = (*at, "steps", j)
        uid = f"state:change:{step.key}"
        out.choice("change_request.state", value, step.name, j + 1, uid, step_at)
        out.add(
            "sttrm_state",
            {
                "sttrm_model": model,
                "state_label": step.name,
                "state_value": value,
                "state_sequence": str((j + 1) * 100),
                "initial_state": _yes(j == 0),
            },
            f"step:change:{step.key}",
            step_at,
        )
        if j:
            before = process.steps[j - 1]
            out.add(
                "sttrm_state_transition",
                {
                    "name": f"{before.name} to {step.name}",
                    "from_state": ref("sttrm_state", (CHANGE_MODEL, values[j - 1])),
                    "to_state": ref("sttrm_state", (CHANGE_MODEL, value)),
                    "automatic": "false",
                },
                f"transition:change:{before.key}:{step.key}",
                step_at,
            )


def _call_types(bp: Blueprint, out: _Out) -> None:
    if not bp.call_types:
        return
    out.add(
        "sys_dictionary",
        {
            "name": CALL_TYPE_TABLE,
            "element": CALL_TYPE_COLUMN,
            "column_label": "USM call type",
            "internal_type": "string",
            "max_length": "40",
            "choice": "1",
        },
        f"column:{CALL_TYPE_TABLE}.{CALL_TYPE_COLUMN}",
        ("call_types",),
    )
    for i, ct in enumerate(bp.call_types):
        column = f"{CALL_TYPE_TABLE}.{CALL_TYPE_COLUMN}"
        value = ct.id.value
        out.choice(column, value, ct.name, i + 1, f"call-type:{value}", ("call_types", i))


def _catalog(bp: Blueprint, lk: _Lookups, out: _Out) -> None:
    cls = bp.classification
    categories = {ct: cls.categories.get(ct, ()) for ct in CATALOG_CALL_TYPES} if cls else {}
    has_items = any(svc.requests for svc in bp.services)
    if not has_items and not any(categories.values()):
        return
    org = bp.organisation
    title = catalog_title(bp)
    catalog = ref("sc_catalog", (title,))
    out.add(
        "sc_catalog",
        {
            "title": title,
            "description": _join(
                _sentence(org.description), f"Service requests and wishes of {org.name}.", MANAGED
            ),
            "active": "true",
        },
        "catalog",
        ("organisation",),
    )
    for ct, cats in categories.items():
        for j, cat in enumerate(cats):
            at: Path = ("classification", "categories", ct.value, j)
            for category, parent, category_at in _tree(cat, None, at):
                out.add(
                    "sc_category",
                    {
                        "title": category.name,
                        "description": f"{CALL_TYPE_NAMES[ct][0]} category: {category.name}.",
                        "sc_catalog": catalog,
                        "parent": ref("sc_category", (parent.name,)) if parent else "",
                        "active": "true",
                    },
                    f"category:{ct.value}:{category.id}",
                    category_at,
                )
    for i, svc in enumerate(bp.services):
        for j, item in enumerate(svc.requests):
            ct = CallType(item.call_type)
            home = (
                lk.categories.get(ct, {}).get(item.category)
                if item.category
                else lk.first_category.get(ct)
            )
            team = item.team or (svc.supported_by[0] if svc.supported_by else None)
            out.add(
                "sc_cat_item",
                {
                    "name": item.name,
                    "short_description": item.description or item.name,
                    "description": (
                        f"Part of the service {svc.name}; handled as a "
                        f"{CALL_TYPE_NAMES[ct][0].lower()}."
                    ),
                    "category": ref("sc_category", (home.name,)) if home else "",
                    "sc_catalogs": catalog,
                    "group": _group_ref(lk, team),
                    "active": "true",
                    "type": "item",
                },
                f"request:{item.id}",
                ("services", i, "requests", j),
            )


def _workflows(bp: Blueprint, out: _Out) -> None:
    if not bp.workflows:
        return
    org = bp.organisation
    title = knowledge_base_title(bp)
    out.add(
        "kb_knowledge_base",
        {
            "title": title,
            "description": f"The eight USM workflows of {org.name}: steps, roles and "
            f"instructions. {MANAGED}",
            "active": "true",
        },
        "knowledge-base",
        ("workflows",),
    )
    base = ref("kb_knowledge_base", (title,))
    flows: set[str] = set()
    for i, wf in enumerate(bp.workflows):
        at: Path = ("workflows", i)
        out.add(
            "kb_knowledge",
            {
                "short_description": article_title(wf),
                "kb_knowledge_base": base,
                "workflow_state": "published",
                "text": render_workflow_article(bp, wf),
            },
            f"workflow:{wf.id}",
            at,
        )
        flow = _setting(wf, "flow", "")
        if flow and flow not in flows:
            flows.add(flow)
            out.add("sys_hub_flow", {"name": flow}, f"flow:{wf.id}", (*at, "x-servicenow", "flow"))


def _build(bp: Blueprint) -> list[tuple[Record, Path]]:
    out = _Out()
    lk = _lookups(bp)
    companies: dict[str, tuple[Fields, str, Path]] = {}
    _teams(bp, out, companies)
    for i, customer in enumerate(bp.customers):
        if customer.kind == "external":
            _company(
                companies,
                customer.name,
                "customer",
                customer.description,
                f"customer:{customer.id}",
                ("customers", i),
            )
    for fields, uid, at in companies.values():
        out.add("core_company", fields, uid, at)
    _schedules(bp, out)
    _services(bp, lk, out)
    _classification(bp, lk, out)
    _processes(bp, out)
    _call_types(bp, out)
    _catalog(bp, lk, out)
    _workflows(bp, out)
    return out.items


def _notes(bp: Blueprint) -> tuple[str, ...]:
    notes = []
    if bp.profiles:
        notes.append(
            f"{len(bp.profiles)} profile(s) appear in the knowledge articles' RACI tables; "
            "ServiceNow roles are security configuration and are not written"
        )
    owners = sum(1 for svc in bp.services if svc.owner)
    if owners:
        notes.append(
            f"{owners} service owner(s) are profiles, not ServiceNow users; owned_by is left "
            "as it is"
        )
    return tuple(notes)


def compile_blueprint(blueprint: Blueprint) -> Desired:
    """The records ServiceNow should hold for ``blueprint``, sorted by kind and key.

    Raises ``ValueError`` when two elements map onto the same record (for example two teams
    with one name); :func:`check_overrides` reports those as problems first.
    """
    items = _build(blueprint)
    clashes = _clashes(items)
    if clashes:
        raise ValueError("; ".join(p.message for p in clashes))
    records = sorted((record for record, _ in items), key=lambda r: (r.kind, r.key))
    return Desired(records=tuple(records), notes=_notes(blueprint))


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


def _lines(text: str) -> Markup:
    """Escape ``text`` and keep its line breaks as ``<br>``."""
    return Markup("<br>").join(escape(line) for line in text.strip().splitlines())


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("usm_servicenow", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["lines"] = _lines
    return env


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
        flow=_setting(wf, "flow", ""),
        knowledge_base=knowledge_base_title(bp),
    )


def render_workflow_article(bp: Blueprint, wf: Workflow) -> str:
    """The HTML body of a workflow's knowledge article (kb_knowledge.text)."""
    template = _environment().get_template("kb_workflow.html.j2")
    return template.render(article=workflow_article(bp, wf))


# ----------------------------------------------------------------------------- checks


def _elements(
    bp: Blueprint,
) -> Iterable[tuple[Path, Overridable, Mapping[str, tuple[str, ...] | None], str]]:
    """Every element that may carry ``x-servicenow``, with the settings it accepts."""
    none: dict[str, tuple[str, ...] | None] = {}
    yield (), bp, none, "the blueprint"
    yield ("organisation",), bp.organisation, ORGANISATION_SETTINGS, "the organisation"
    for name, noun, settings in (
        ("profiles", "profile", none),
        ("customers", "customer", none),
        ("teams", "team", TEAM_SETTINGS),
        ("schedules", "schedule", none),
        ("call_types", "call type", none),
        ("processes", "process", none),
        ("workflows", "workflow", WORKFLOW_SETTINGS),
    ):
        for i, element in enumerate(getattr(bp, name)):
            yield (name, i), element, settings, f"{noun} '{element.id}'"
    for i, svc in enumerate(bp.services):
        at: Path = ("services", i)
        yield at, svc, SERVICE_SETTINGS, f"service '{svc.id}'"
        if svc.agreements.service:
            sa = svc.agreements.service
            yield (*at, "agreements", "service"), sa, none, f"agreement '{sa.id}'"
        for kind in ("olas", "ucs"):
            for j, agreement in enumerate(getattr(svc.agreements, kind)):
                yield (*at, "agreements", kind, j), agreement, none, f"agreement '{agreement.id}'"
        for j, item in enumerate(svc.requests):
            yield (*at, "requests", j), item, none, f"request '{item.id}'"
    if bp.classification:
        yield ("classification",), bp.classification, none, "the classification"


def _setting_problems(
    at: Path, element: Overridable, allowed: Mapping[str, tuple[str, ...] | None], label: str
) -> Iterable[Problem]:
    for key, value in element.override(ADAPTER).items():
        path: Path = (*at, "x-servicenow", key)
        if key not in allowed:
            if allowed:
                hint = "ServiceNow settings here: " + ", ".join(sorted(allowed))
            else:
                hint = f"{label} takes no ServiceNow settings; remove it"
            home = _SETTINGS_HOME.get(key)
            if home:
                hint = f"'{key}' is a setting of {home}; move it there"
            yield Problem(
                path,
                f"unknown ServiceNow setting '{key}' on {label}{did_you_mean(key, allowed)}",
                hint,
            )
            continue
        choices = allowed[key]
        if not isinstance(value, str) or not value.strip():
            expected = "one of " + ", ".join(f"'{c}'" for c in choices) if choices else "text"
            yield Problem(path, f"'{key}' must be {expected}", f"write {key} as {expected}")
        elif choices is not None and value not in choices:
            yield Problem(
                path,
                f"'{value}' is not a ServiceNow {key.replace('_', ' ')}"
                f"{did_you_mean(value, choices)}",
                "use one of: " + ", ".join(f"'{c}'" for c in choices),
            )


def _clashes(items: Sequence[tuple[Record, Path]]) -> list[Problem]:
    seen: dict[tuple[str, tuple[str, ...]], Path] = {}
    problems = []
    for record, path in items:
        address = (record.kind, record.key)
        if address in seen:
            label = KINDS[record.kind].label
            problems.append(
                Problem(
                    path,
                    f"{format_path(path)} and {format_path(seen[address])} both become the "
                    f"ServiceNow {label} '{'/'.join(record.key)}'",
                    f"give them different names: ServiceNow identifies a {label} by "
                    + ", ".join(KINDS[record.kind].key_fields),
                )
            )
        else:
            seen[address] = path
    return problems


def _query_problems(bp: Blueprint) -> Iterable[Problem]:
    """Names that SLA conditions put into encoded queries, which cannot escape '^'."""
    hint = "encoded queries cannot escape '^'; remove it from the name"
    for i, svc in enumerate(bp.services):
        if "^" in svc.name:
            yield Problem(
                ("services", i, "name"),
                f"service name '{svc.name}' contains '^', which SLA conditions cannot match",
                hint,
            )
    for i, customer in enumerate(bp.customers):
        if "^" in customer.name:
            yield Problem(
                ("customers", i, "name"),
                f"customer name '{customer.name}' contains '^', which SLA conditions cannot match",
                hint,
            )
    for i, team in enumerate(bp.teams):
        if "^" in team.name:
            yield Problem(
                ("teams", i, "name"),
                f"team name '{team.name}' contains '^', which SLA conditions cannot match",
                hint,
            )


def check_overrides(blueprint: Blueprint) -> list[Problem]:
    """Problems with the blueprint's ``x-servicenow`` settings, and with names ServiceNow
    cannot hold apart (two elements becoming one record, '^' in names used in queries)."""
    problems: list[Problem] = []
    for at, element, allowed, label in _elements(blueprint):
        problems.extend(_setting_problems(at, element, allowed, label))
    problems.extend(_query_problems(blueprint))
    problems.extend(_clashes(_build(blueprint)))
    return problems


def record_counts(desired: Desired) -> dict[str, int]:
    """Number of records per kind, in the adapter's kind order."""
    counts = Counter(record.kind for record in desired.records)
    return {kind: counts[kind] for kind in KINDS if counts[kind]}


__all__ = [
    "CLASSIFICATIONS",
    "CRITICALITIES",
    "Article",
    "article_title",
    "catalog_title",
    "check_overrides",
    "compile_blueprint",
    "days_of_week",
    "glide_duration",
    "knowledge_base_title",
    "offering_name",
    "priority_values",
    "record_counts",
    "render_workflow_article",
    "schedule_date_time",
    "span_name",
    "start_condition",
    "workflow_article",
]
