"""Blueprint → ServiceNow records: the pure half of the adapter.

:func:`compile_blueprint` turns a blueprint into the records ServiceNow should hold (see
``docs/adapters/servicenow.md`` for the table-by-table mapping); :func:`check_overrides`
validates the blueprint's ``x-servicenow`` settings. Nothing here does I/O, reads a clock or
draws a random number: the same blueprint always compiles to the same, sorted records.

Values are the strings the Table API returns with ``sysparm_exclude_reference_link=true``;
references to other records are :func:`~usm_config.engine.records.ref` values, never sys_ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import JsonValue

from usm_config.adapter import Problem
from usm_config.blueprint.model import (
    Blueprint,
    Category,
    Process,
    ResponseTarget,
    Schedule,
    Service,
    SupportAgreement,
    Team,
)
from usm_config.blueprint.usm import CALL_TYPE_NAMES, CallType, ProcessId
from usm_config.blueprint.validation_errors import format_path
from usm_config.engine.records import Desired, Record, ref, ref_target
from usm_servicenow.article import render_workflow_article
from usm_servicenow.kinds import KINDS
from usm_servicenow.values import (
    AGREEMENT_TYPE,
    CALL_TYPE_COLUMN,
    CALL_TYPE_TABLE,
    CATALOG_CALL_TYPES,
    CATEGORY_CHOICES,
    CHANGE_MODEL,
    DEFAULT_CLASSIFICATION,
    DEFAULT_CRITICALITY,
    KNOWN_ERROR_LABEL,
    MANAGED,
    OFFERING_PHASE,
    OPERATIONAL_STATUS,
    PAUSE_CONDITION,
    PROBLEM_STATE_START,
    SPAN_ANCHOR,
    STOP_CONDITION,
    Fields,
    Path,
    article_title,
    catalog_title,
    change_state_values,
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
    yes,
)

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
            description = join_parts(
                sentence(f"Assignment group of the supplier {team.name}"),
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
    return join_parts(
        sentence(svc.description),
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
                "service_classification": setting(
                    svc, "service_classification", DEFAULT_CLASSIFICATION
                ),
                "busines_criticality": setting(svc, "business_criticality", DEFAULT_CRITICALITY),
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
            "short_description": join_parts(
                sentence(sa.description),
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
            "description": join_parts(
                sentence(process.description), "The steps of the USM Change process.", MANAGED
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
            "description": join_parts(
                sentence(org.description), f"Service requests and wishes of {org.name}.", MANAGED
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
        flow = setting(wf, "flow", "")
        if flow and flow not in flows:
            flows.add(flow)
            out.add("sys_hub_flow", {"name": flow}, f"flow:{wf.id}", (*at, "x-servicenow", "flow"))


def build_records(bp: Blueprint) -> list[tuple[Record, Path]]:
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
    items = build_records(blueprint)
    clashes = name_clashes(items)
    if clashes:
        raise ValueError("; ".join(p.message for p in clashes))
    records = sorted((record for record, _ in items), key=lambda r: (r.kind, r.key))
    return Desired(records=tuple(records), notes=_notes(blueprint))


def name_clashes(items: Sequence[tuple[Record, Path]]) -> list[Problem]:
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


def record_counts(desired: Desired) -> dict[str, int]:
    """Number of records per kind, in the adapter's kind order."""
    counts = Counter(record.kind for record in desired.records)
    return {kind: counts[kind] for kind in KINDS if counts[kind]}


__all__ = ["compile_blueprint", "record_counts"]
