"""Blueprint → ServiceNow records: the pure half of the adapter.

:func:`compile_blueprint` turns a blueprint into the records ServiceNow should hold (see
``docs/adapters/servicenow.md`` for the table-by-table mapping). Nothing here does I/O, reads a
clock or draws a random number: the same blueprint always compiles to the same, sorted records.
The blueprint's nesting is walked by :mod:`usm_config.compile.walk`, records are collected in a
:class:`~usm_config.compile.sink.RecordSink`.

Values are the strings the Table API returns with ``sysparm_exclude_reference_link=true``;
references to other records are :func:`~usm_config.engine.records.ref` values, never sys_ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from pydantic import JsonValue

from usm_config.blueprint.model import Blueprint, Process
from usm_config.blueprint.usm import CallType, ProcessId
from usm_config.compile import walk
from usm_config.compile.memo import built_once
from usm_config.compile.sink import RecordSink
from usm_config.compile.sink import record_counts as count_records
from usm_config.compile.walk import AgreementKind, Lookups
from usm_config.compile.wording import described, named, service_description
from usm_config.engine.records import Desired, ref
from usm_servicenow.article import render_workflow_article
from usm_servicenow.kinds import KINDS
from usm_servicenow.sandbox_baseline import platform_choices
from usm_servicenow.values import (
    AGREEMENT_TYPE,
    CALL_TYPE_COLUMN,
    CALL_TYPE_TABLE,
    CATALOG_CALL_TYPES,
    CATEGORY_CHOICES,
    CHANGE_MODEL,
    DEFAULT_CLASSIFICATION,
    DEFAULT_CRITICALITY,
    KNOWN_ERROR_VALUE,
    OFFERING_PHASE,
    OPERATIONAL_STATUS,
    PAUSE_CONDITION,
    SPAN_ANCHOR,
    STATE_TABLES,
    STOP_CONDITION,
    TOOL,
    Fields,
    Path,
    article_title,
    call_type_name,
    catalog_title,
    days_of_week,
    glide_duration,
    holiday_name,
    join_parts,
    knowledge_base_title,
    level_values,
    offering_name,
    priority_values,
    schedule_date_time,
    sentence,
    setting,
    sla_name,
    span_name,
    start_condition,
    state_values,
    step_name,
    word,
    yes,
)

# ----------------------------------------------------------------------------- collecting


def _choice(
    out: RecordSink,
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
    out.add(
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


def _platform_label(column: str, value: str) -> str | None:
    """The base system's label of choice ``value`` of ``column`` ('table.element'), if any.

    Such a choice is the platform's: the adapter uses its value and never writes its label.
    """
    table, element = column.split(".")
    return platform_choices().get((table, element), {}).get(value)


def _group_ref(lk: Lookups, team_id: str | None) -> JsonValue:
    name = lk.team_name(team_id)
    return ref("sys_user_group", (name,)) if name else ""


# ----------------------------------------------------------------------------- the mapping


def _teams(bp: Blueprint, out: RecordSink, companies: dict[str, tuple[Fields, str, Path]]) -> None:
    group_types: set[str] = set()
    for visit in walk.teams(bp):
        team, at = visit.team, visit.path
        if team.kind == "supplier":
            description = join_parts(
                sentence(word(bp, "supplier_group", name=team.name)),
                sentence(team.description),
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
        group_type = setting(team, "group_type", "")
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
            fields["notes"] = join_parts(str(fields["notes"]), description).strip()
        return
    companies[name] = (
        {
            "name": name,
            "vendor": yes(role == "supplier"),
            "customer": yes(role == "customer"),
            "notes": description or "",
        },
        uid,
        at,
    )


def _schedules(bp: Blueprint, out: RecordSink) -> None:
    for visit in walk.schedules(bp):
        schedule = visit.schedule
        out.add(
            "cmn_schedule",
            {
                "name": schedule.name,
                # Spans are wall-clock times in this zone; an empty zone would float with
                # each user's own, and 'UTC' would move an Amsterdam day by one or two hours.
                "time_zone": walk.schedule_timezone(bp, schedule),
                "description": word(bp, "managed"),
            },
            f"schedule:{schedule.id}",
            visit.path,
        )
        parent = ref("cmn_schedule", (schedule.name,))
        for span in visit.spans:
            out.add(
                "cmn_schedule_span",
                {
                    "schedule": parent,
                    "name": span_name(span.span),
                    "type": "",
                    "days_of_week": days_of_week(span.span.days),
                    "start_date_time": schedule_date_time(SPAN_ANCHOR, span.span.start),
                    "end_date_time": schedule_date_time(SPAN_ANCHOR, span.span.end),
                    "repeat_type": "weekly",
                    "all_day": "false",
                },
                f"schedule:{schedule.id}:span:{span.index}",
                span.path,
            )
        for holiday in visit.holidays:
            day = holiday.day
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
                holiday.path,
            )


def _services(bp: Blueprint, lk: Lookups, choices: Mapping[str, str], out: RecordSink) -> None:
    for visit in walk.services(bp):
        svc = visit.service
        out.add(
            "cmdb_ci_service_business",
            {
                "name": svc.name,
                "short_description": service_description(bp, svc),
                "service_classification": setting(
                    svc, "service_classification", DEFAULT_CLASSIFICATION
                ),
                "busines_criticality": setting(svc, "business_criticality", DEFAULT_CRITICALITY),
                "operational_status": OPERATIONAL_STATUS[svc.status],
                "support_group": _group_ref(lk, lk.first_team(svc)),
            },
            f"service:{svc.id}",
            visit.path,
        )
        _agreements(bp, visit, lk, choices, out)


def _agreements(
    bp: Blueprint,
    visit: walk.ServiceVisit,
    lk: Lookups,
    choices: Mapping[str, str],
    out: RecordSink,
) -> None:
    svc = visit.service
    sa = svc.agreements.service
    if sa is None:
        return
    offering = offering_name(svc.name, lk.customer_name(sa.customer))
    hours = lk.schedules.get(sa.service_hours)
    support = lk.schedules.get(sa.support_hours)
    availability = (
        word(
            bp,
            "availability",
            value=f"{sa.availability:g}",
            hours=hours.name if hours else word(bp, "service_hours"),
        )
        if sa.availability is not None
        else ""
    )
    customer = lk.customers.get(sa.customer)
    agreements = list(walk.service_agreements(visit))
    out.add(
        "service_offering",
        {
            "name": offering,
            "parent": ref("cmdb_ci_service_business", (svc.name,)),
            "support_group": _group_ref(lk, lk.first_team(svc)),
            "schedule": ref("cmn_schedule", (hours.name,)) if hours else "",
            "consumer_type": customer.kind if customer else "internal",
            "phase": OFFERING_PHASE[svc.status],
            "short_description": join_parts(
                sentence(sa.description),
                word(bp, "channels", items=", ".join(sa.channels)),
                availability,
                word(bp, "support_hours", name=support.name) if support else "",
            ),
        },
        f"offering:{sa.id}",
        agreements[0].path,
    )
    clock = _Clock(
        offering=offering,
        schedule=ref("cmn_schedule", (support.name,)) if support else "",
        # The SLA clock runs in the support hours' zone (the organisation's without them).
        timezone=walk.schedule_timezone(bp, support),
    )
    for agreement in agreements:
        _slas(bp, agreement, clock, lk, choices, out)


@dataclass(frozen=True)
class _Clock:
    """What every SLA definition of one service shares: the offering and support hours."""

    offering: str
    schedule: JsonValue
    timezone: str


def _slas(
    bp: Blueprint,
    agreement: walk.AgreementVisit,
    clock: _Clock,
    lk: Lookups,
    choices: Mapping[str, str],
    out: RecordSink,
) -> None:
    team_id = agreement.team
    team = lk.team_name(team_id)
    if team_id is not None and team is None:
        team = team_id
    kind = agreement.kind.value
    vendor = ref("core_company", (team,)) if agreement.kind == AgreementKind.UC and team else ""
    for target in agreement.targets:
        priority = target.target.priority
        value = choices.get(priority, "")
        for which in ("response", "resolution"):
            out.add(
                "contract_sla",
                {
                    "name": sla_name(
                        agreement.id, lk.priority_name(priority), word(bp, f"sla_{which}")
                    ),
                    "type": AGREEMENT_TYPE[kind],
                    "collection": "incident",
                    "target": which,
                    "duration": glide_duration(getattr(target.target, which)),
                    "schedule": clock.schedule,
                    "timezone_source": "sla.timezone",
                    "timezone": clock.timezone,
                    "start_condition": start_condition(value, clock.offering, team),
                    "stop_condition": STOP_CONDITION[which],
                    "pause_condition": PAUSE_CONDITION[which],
                    "active": "true",
                    "vendor": vendor,
                },
                f"sla:{agreement.id}:{priority}:{which}",
                target.path,
            )


def _category_choices(
    bp: Blueprint, ct: CallType, table: str, nested: bool, out: RecordSink
) -> None:
    """Top-level categories → <table>.category. Below them → <table>.subcategory (dependent on
    the top-level value) where the table has one, else more category values labelled
    'Parent / Child'. Levels deeper than a subcategory are flattened the same way."""
    sequence = 0
    below = 0
    column = f"{table}.category"
    for visit in walk.categories(bp, ct):
        category = visit.category
        uid = f"category:{ct.value}:{category.id}"
        if visit.depth == 0:
            sequence += 1
            below = 0
            value = category_value(column, category.id, visit.name)
            if _platform_label(column, value) is None:
                _choice(out, column, value, visit.name, sequence, uid, visit.path)
        elif nested:
            below += 1
            label = " / ".join(visit.trail[1:])
            parent = category_value(column, visit.top.id, visit.top_name)
            sub = f"{table}.subcategory"
            _choice(out, sub, category.id, label, below, uid, visit.path, parent)
        else:
            sequence += 1
            value = category_value(column, category.id, visit.label)
            if _platform_label(column, value) is None:
                _choice(out, column, value, visit.label, sequence, uid, visit.path)


def category_value(column: str, category_id: str, label: str) -> str:
    """The choice value of a category: its id, or ``usm_<id>`` when the platform already has
    that value with another label (writing ours would relabel the platform's). A category
    labelled like the platform's choice of the same value is that choice."""
    platform = _platform_label(column, category_id)
    return f"usm_{category_id}" if platform not in (None, label) else category_id


def _classification(bp: Blueprint, choices: Mapping[str, str], out: RecordSink) -> None:
    cls = bp.classification
    if cls is None:
        return
    for ct, (table, nested) in CATEGORY_CHOICES.items():
        _category_choices(bp, ct, table, nested, out)
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
            field = f"incident.{element}"
            # Level n is the platform's value n where it has one (its label stays).
            if _platform_label(field, value) is None:
                _choice(out, field, value, named(bp, level), int(value), uid, (*at, label, j))
    for j, rank in enumerate(matrix.levels):
        value = choices[rank.id]
        uid = f"priority:{rank.id}"
        if _platform_label("incident.priority", value) is None:
            name = named(bp, rank)
            _choice(out, "incident.priority", value, name, int(value), uid, (*at, "levels", j))
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
                    "priority": choices.get(result, ""),
                    "active": "true",
                    "order": str(order),
                },
                f"priority-rule:{row.id}:{column.id}",
                (*at, "matrix", row.id, column.id),
            )


def _processes(bp: Blueprint, out: RecordSink) -> None:
    for i, process in enumerate(bp.processes):
        if process.id == ProcessId.IMPROVE:
            _problem_states(bp, process, ("processes", i), out)
        elif process.id == ProcessId.CHANGE:
            _change_model(bp, process, ("processes", i), out)


def _step_names(bp: Blueprint, process: Process) -> list[str]:
    return [step_name(bp, process.id, s.key, s.name, s.name_nl) for s in process.steps]


def _problem_states(bp: Blueprint, process: Process, at: Path, out: RecordSink) -> None:
    """Improve steps → problem.state: the platform's states where the meaning fits
    (values.PROBLEM_STATES, never relabelled), new values in the 900s for the others."""
    names = _step_names(bp, process)
    values = state_values(process.id, [s.key for s in process.steps])
    for j, (step, (value, platform)) in enumerate(zip(process.steps, values, strict=True)):
        if not platform:
            uid = f"step:improve:{step.key}"
            _choice(out, "problem.state", value, names[j], j + 1, uid, (*at, "steps", j))
    # Known error follows the step that sets it (USM: the cause is known).
    label = word(bp, "known_error")
    after = next(
        (j for j, s in enumerate(process.steps) if s.key == "determine-cause"), len(values) - 1
    )
    _choice(out, "problem.state", KNOWN_ERROR_VALUE, label, after + 2, "status:known-error", at)


def _change_model(bp: Blueprint, process: Process, at: Path, out: RecordSink) -> None:
    """Change steps → the change model 'USM change': one model state per step (named after
    the step) on a change_request.state value, the platform's where the meaning fits
    (values.CHANGE_STATES, never relabelled), a new one in the 900s otherwise."""
    model = ref("chg_model", (CHANGE_MODEL,))
    names = _step_names(bp, process)
    out.add(
        "chg_model",
        {
            "name": CHANGE_MODEL,
            "table_name": "change_request",
            "state_field": "state",
            "active": "true",
            "description": join_parts(
                sentence(described(bp, process)), word(bp, "change_model"), word(bp, "managed")
            ),
        },
        "process:change",
        at,
    )
    states = state_values(process.id, [s.key for s in process.steps])
    values = [value for value, _ in states]
    for j, (step, (value, platform)) in enumerate(zip(process.steps, states, strict=True)):
        step_at: Path = (*at, "steps", j)
        if not platform:
            uid = f"state:change:{step.key}"
            _choice(out, "change_request.state", value, names[j], j + 1, uid, step_at)
        out.add(
            "sttrm_state",
            {
                "sttrm_model": model,
                "state_label": names[j],
                "state_value": value,
                "state_sequence": str((j + 1) * 100),
                "initial_state": yes(j == 0),
            },
            f"step:change:{step.key}",
            step_at,
        )
        if j:
            before = process.steps[j - 1]
            out.add(
                "sttrm_state_transition",
                {
                    "name": word(bp, "transition", before=names[j - 1], after=names[j]),
                    "from_state": ref("sttrm_state", (CHANGE_MODEL, values[j - 1])),
                    "to_state": ref("sttrm_state", (CHANGE_MODEL, value)),
                    "automatic": "false",
                },
                f"transition:change:{before.key}:{step.key}",
                step_at,
            )


def _call_types(bp: Blueprint, out: RecordSink) -> None:
    if not bp.call_types:
        return
    out.add(
        "sys_dictionary",
        {
            "name": CALL_TYPE_TABLE,
            "element": CALL_TYPE_COLUMN,
            "column_label": word(bp, "call_type_column"),
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
        label = call_type_name(bp, ct.id)
        _choice(out, column, value, label, i + 1, f"call-type:{value}", ("call_types", i))


def _catalog(bp: Blueprint, lk: Lookups, out: RecordSink) -> None:
    categories = [visit for ct in CATALOG_CALL_TYPES for visit in walk.categories(bp, ct)]
    requests = list(walk.requests(bp))
    if not requests and not categories:
        return
    org = bp.organisation
    title = catalog_title(bp)
    catalog = ref("sc_catalog", (title,))
    out.add(
        "sc_catalog",
        {
            "title": title,
            "description": join_parts(
                sentence(org.description),
                word(bp, "catalog_description", org=org.name),
                word(bp, "managed"),
            ),
            "active": "true",
        },
        "catalog",
        ("organisation",),
    )
    for visit in categories:
        category, parent = visit.category, visit.parent
        out.add(
            "sc_category",
            {
                "title": visit.name,
                "description": word(
                    bp,
                    "category",
                    call_type=call_type_name(bp, visit.call_type),
                    name=visit.name,
                ),
                "sc_catalog": catalog,
                "parent": ref("sc_category", (visit.trail[-2],)) if parent else "",
                "active": "true",
            },
            f"category:{visit.call_type.value}:{category.id}",
            visit.path,
        )
    for request in requests:
        item, svc = request.item, request.service
        home = lk.request_category(item)
        out.add(
            "sc_cat_item",
            {
                "name": item.name,
                "short_description": item.description or item.name,
                "description": word(
                    bp,
                    "item",
                    service=svc.name,
                    call_type=call_type_name(bp, CallType(item.call_type)).lower(),
                ),
                "category": ref("sc_category", (named(bp, home),)) if home else "",
                "sc_catalogs": catalog,
                "group": _group_ref(lk, lk.request_team(svc, item)),
                "active": "true",
                "type": "item",
            },
            f"request:{item.id}",
            request.path,
        )


def _workflows(bp: Blueprint, out: RecordSink) -> None:
    if not bp.workflows:
        return
    org = bp.organisation
    title = knowledge_base_title(bp)
    out.add(
        "kb_knowledge_base",
        {
            "title": title,
            "description": join_parts(
                word(bp, "knowledge_base_description", org=org.name), word(bp, "managed")
            ),
            "active": "true",
        },
        "knowledge-base",
        ("workflows",),
    )
    base = ref("kb_knowledge_base", (title,))
    flows: set[str] = set()
    for visit in walk.workflows(bp):
        wf, at = visit.workflow, visit.path
        out.add(
            "kb_knowledge",
            {
                "short_description": article_title(bp, wf),
                "kb_knowledge_base": base,
                "workflow_state": "published",
                "text": render_workflow_article(bp, wf),
            },
            f"workflow:{wf.id}",
            at,
        )
        flow = setting(wf, "flow", "")
        if flow and flow not in flows:
            flows.add(flow)
            out.add("sys_hub_flow", {"name": flow}, f"flow:{wf.id}", (*at, "x-servicenow", "flow"))


@built_once
def compile_records(bp: Blueprint) -> RecordSink:
    """Every record ``bp`` maps to, with its blueprint path, clashes included.

    The sink is shared by calls for the same blueprint object: read it, do not add to it.
    """
    out = RecordSink(KINDS, TOOL)
    lk = Lookups.of(bp)
    choices = priority_values(bp.classification.priority) if bp.classification else {}
    companies: dict[str, tuple[Fields, str, Path]] = {}
    _teams(bp, out, companies)
    for visit in walk.customers(bp):
        customer = visit.customer
        if customer.kind == "external":
            uid = f"customer:{customer.id}"
            _company(companies, customer.name, "customer", customer.description, uid, visit.path)
    for fields, uid, at in companies.values():
        out.add("core_company", fields, uid, at)
    _schedules(bp, out)
    _services(bp, lk, choices, out)
    _classification(bp, choices, out)
    _processes(bp, out)
    _call_types(bp, out)
    _catalog(bp, lk, out)
    _workflows(bp, out)
    return out


def _platform_notes(bp: Blueprint) -> list[str]:
    """Which USM names use a base-system choice as it is (its label is left alone)."""
    notes = []
    for process in bp.processes:
        if process.id not in STATE_TABLES:
            continue
        table = STATE_TABLES[process.id][0]
        states = state_values(process.id, [s.key for s in process.steps])
        shared = [
            f"{name} → {value} '{_platform_label(f'{table}.state', value)}'"
            for name, (value, platform) in zip(_step_names(bp, process), states, strict=True)
            if platform
        ]
        if shared:
            notes.append(
                f"{table}.state: the {process.name} steps use the platform's states "
                f"{'; '.join(shared)} (their labels are left as they are)"
            )
    cls = bp.classification
    if cls is not None:
        matrix = cls.priority
        columns = (
            ("impact", matrix.rows, level_values(matrix.rows)),
            ("urgency", matrix.columns, level_values(matrix.columns)),
            ("priority", matrix.levels, priority_values(matrix)),
        )
        for element, levels, values in columns:
            shared = [
                f"{level.name} → {values[level.id]} '{label}'"
                for level in levels
                if (label := _platform_label(f"incident.{element}", values[level.id]))
            ]
            if shared:
                notes.append(
                    f"incident.{element}: the levels use the platform's values "
                    f"{'; '.join(shared)} (their labels are left as they are)"
                )
    return notes


def _notes(bp: Blueprint) -> tuple[str, ...]:
    notes = _platform_notes(bp)
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
    with one name); :func:`~usm_servicenow.overrides.check_overrides` reports those as
    problems first.
    """
    return compile_records(blueprint).desired(_notes(blueprint))


def record_counts(desired: Desired) -> dict[str, int]:
    """Number of records per kind, in the adapter's kind order."""
    return count_records(desired.records, KINDS)


__all__ = ["compile_blueprint", "compile_records", "record_counts"]
