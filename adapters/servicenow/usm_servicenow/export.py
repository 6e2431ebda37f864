"""ServiceNow records → a USM blueprint layer: the inverse of :mod:`usm_servicenow.mapping`.

Pure. The instance is read as ``plan`` reads it (references resolved); :func:`export_records`
turns what usm-config (or an administrator following USM) wrote back into the blueprint
elements the mapping would have written it from, as a layer over the USM reference:

- the catalog and knowledge base "Managed by usm-config." → the organisation (its name from
  their descriptions, their titles under ``x-servicenow`` when not the default ones);
- assignment groups → teams (a group beside a vendor company is a supplier), companies that are
  customers → external customers, offerings "<service> – <customer>" → the other customers;
- schedules and their weekly entries and holidays → schedules;
- business services → services (goods and actions from the short description), offerings → the
  service agreement, SLA definitions "<agreement> <priority> <target>" → the targets of the SA,
  OLAs and UCs; catalog items "Part of the service …" → the service's request items;
- the choice lists, the priority lookup rules, the "USM change" model and the problem states →
  call types, classification and the Change and Improve steps: the reference's where the
  instance holds exactly what the reference compiles to, else read from the instance;
- the "USM workflow n" knowledge articles → the workflows (:mod:`usm_servicenow.article_export`
  reads back their tailored steps, activities, RACI, work instructions and SLA clocks, the
  profiles the RACI tables name, the steps of the processes ServiceNow keeps no states for);
  an article the exported blueprint still does not render as it is (one edited by hand) is kept
  as it is under ``x-servicenow.article``, and said so in a finding.

Every record the exported blueprint does not compile to is a
:class:`~usm_config.export.model.Finding` naming it: the base system's own records, the
organisation's records that are not USM's, and the values an export has to guess.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import ValidationError

from usm_config.blueprint.model import Blueprint, Matrix, Process, ProcessStep, Workflow
from usm_config.blueprint.sequence import expand_path
from usm_config.blueprint.usm import CALL_TYPE_NAMES, CallType, ProcessId
from usm_config.engine.records import Record, ref_target
from usm_config.export.assess import Evidence, ProcessEvidence
from usm_config.export.model import Exported, Finding, FindingKind
from usm_config.export.text import sentences, slug, strip_suffix, template_pattern, unique
from usm_servicenow.article import render_workflow_article
from usm_servicenow.article_export import parse_article, tailor
from usm_servicenow.mapping import compile_records
from usm_servicenow.sandbox_baseline import baseline
from usm_servicenow.values import (
    AGREEMENT_TYPE,
    CALL_TYPE_COLUMN,
    CALL_TYPE_TABLE,
    CATEGORY_CHOICES,
    CHANGE_MODEL,
    CHANGE_STATES,
    DEFAULT_CLASSIFICATION,
    DEFAULT_CRITICALITY,
    KNOWN_ERROR_VALUE,
    OPERATIONAL_STATUS,
    PROBLEM_STATES,
    USM_STATE_BASE,
    WEEKDAYS,
    WORDS,
    priority_values,
)

Locale = str
Doc = dict[str, Any]


def _words(key: str, locale: Locale) -> str:
    en, nl = WORDS[key]
    return nl if locale == "nl" else en


def _match(key: str, locale: Locale, text: str, strip_dot: bool = False) -> re.Match[str] | None:
    template = _words(key, locale)
    if strip_dot:
        template, text = template.rstrip("."), text.rstrip(".")
    return template_pattern(template).match(text)


def _text(record: Record, name: str) -> str:
    value = record.fields.get(name)
    return value if isinstance(value, str) else ""


def _ref_key(record: Record, name: str) -> tuple[str, ...] | None:
    target = ref_target(record.fields.get(name))
    return target[1] if target else None


def _ref_name(record: Record, name: str) -> str | None:
    key = _ref_key(record, name)
    return key[-1] if key else None


@cache
def _baseline_rows() -> dict[str, dict[str, Any]]:
    """sys_id → the out-of-box row, over every baseline table."""
    return {
        str(row["sys_id"]): row
        for rows in baseline()["tables"].values()
        for row in rows
        if "sys_id" in row
    }


def _is_platform(record: Record) -> bool:
    """True for a record the instance had out of the box, unchanged (plain fields compared)."""
    row = _baseline_rows().get(record.target_id or "")
    if row is None:
        return False
    return all(
        str(row.get(name, "") or "") == value
        for name, value in record.fields.items()
        if isinstance(value, str)
    )


@dataclass
class _Instance:
    """The live records by kind, and the findings collected so far."""

    records: Sequence[Record]
    by_kind: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    findings: list[Finding] = field(default_factory=list)
    handled: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)

    def __post_init__(self) -> None:
        for record in self.records:
            self.by_kind[record.kind].append(record)

    def of(self, kind: str) -> list[Record]:
        return sorted(self.by_kind.get(kind, []), key=lambda r: r.key)

    def ours(self, kind: str) -> list[Record]:
        """The records of ``kind`` that are not the base system's own."""
        return [r for r in self.of(kind) if not _is_platform(r)]

    def find(self, record: Record, message: str, kind: FindingKind = FindingKind.LEFT_OUT) -> None:
        self.handled.add((record.kind, record.key))
        self.findings.append(Finding(record.address, message, record.target_id, kind))

    def note(self, where: str, message: str, kind: FindingKind = FindingKind.ASSUMED) -> None:
        self.findings.append(Finding(where, message, kind=kind))

    def choices(self, table: str, element: str) -> list[Record]:
        """The choices of ``table.element`` (platform's included), in sequence order."""
        rows = [
            r
            for r in self.of("sys_choice")
            if _text(r, "name") == table and _text(r, "element") == element
        ]
        return sorted(rows, key=lambda r: (_int(_text(r, "sequence")), r.key))


def _int(text: str, default: int = 0) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def _managed(text: str, locale: Locale) -> bool:
    return text.strip().endswith(_words("managed", locale))


# ----------------------------------------------------------------------------- organisation


def _detect_locale(site: _Instance) -> Locale:
    """Dutch when the instance holds usm-config's Dutch words (the call type column's label,
    "Beheerd door usm-config." in a description)."""
    for record in site.of("sys_dictionary"):
        if _text(record, "column_label") == WORDS["call_type_column"][1]:
            return "nl"
    dutch = WORDS["managed"][1]
    for record in site.records:
        if any(isinstance(v, str) and v.endswith(dutch) for v in record.fields.values()):
            return "nl"
    return "en"


@dataclass(frozen=True)
class _Home:
    """Where the organisation's catalog and knowledge base are, and its locale."""

    locale: Locale
    catalog: Record | None
    knowledge_base: Record | None


def _base_owner(record: Record, locale: Locale) -> str | None:
    """The organisation a knowledge base's description names ("The eight USM workflows of
    {org}: …"), if it is one usm-config wrote."""
    text = strip_suffix(_text(record, "description"), _words("managed", locale))
    found = _match("knowledge_base_description", locale, text)
    return found.group("org") if found else None


def _organisation(site: _Instance, locale: Locale) -> tuple[Doc, _Home]:
    managed = _words("managed", locale)
    catalogs = [r for r in site.ours("sc_catalog") if _managed(_text(r, "description"), locale)]
    bases = [r for r in site.ours("kb_knowledge_base") if _managed(_text(r, "description"), locale)]
    owners = {r.key: _base_owner(r, locale) for r in bases}
    base = next((r for r in bases if owners[r.key]), None)
    name = owners[base.key] if base else None
    description = None
    catalog = catalogs[0] if catalogs else None
    if catalog is not None:
        parts = sentences(strip_suffix(_text(catalog, "description"), managed))
        for i in range(len(parts)):
            found = _match("catalog_description", locale, " ".join(parts[i:]))
            if found and name in (None, found.group("org")):
                name = found.group("org")
                description = " ".join(parts[:i]) or None
                break
    for extra in (*catalogs[1:], *[b for b in bases if b is not base]):
        site.find(extra, "another organisation's catalog or knowledge base: an export holds one")
    if name is None:
        name = "Exported ServiceNow instance"
        site.note(
            "sc_catalog[*], kb_knowledge_base[*]",
            "no catalog or knowledge base written by usm-config: the organisation's name is "
            "made up; set 'organisation.name'",
        )
    organisation: Doc = {"id": slug(name), "name": name}
    if description:
        organisation["description"] = description
    organisation["locale"] = locale
    settings: Doc = {}
    if catalog is not None and _text(catalog, "title") != _words("catalog", locale).format(
        org=name
    ):
        settings["catalog_title"] = _text(catalog, "title")
    if base is not None and _text(base, "title") != _words("knowledge_base", locale).format(
        org=name
    ):
        settings["knowledge_base_title"] = _text(base, "title")
    if settings:
        organisation["x-servicenow"] = settings
    return organisation, _Home(locale, catalog, base)


# ----------------------------------------------------------------------------- people


@dataclass
class _People:
    """Team and customer ids by the names the instance shows."""

    teams: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)


def _teams(site: _Instance, locale: Locale, people: _People) -> tuple[list[Doc], list[Doc]]:
    companies = {_text(r, "name"): r for r in site.ours("core_company")}
    teams: list[Doc] = []
    used: set[str] = set()
    for record in site.ours("sys_user_group"):
        name = _text(record, "name")
        if _text(record, "active") != "true":
            site.find(record, "an inactive assignment group: not exported as a team")
            continue
        team: Doc = {"id": unique(slug(name), used), "name": name}
        company = companies.get(name)
        description = _text(record, "description")
        prefix = _words("supplier_group", locale).format(name=name) + "."
        if company is not None and _text(company, "vendor") == "true":
            team["kind"] = "supplier"
            notes = _text(company, "notes")
            if notes:
                team["description"] = notes
            elif description.startswith(prefix) and description != prefix:
                team["description"] = description[len(prefix) :].strip()
        else:
            team["kind"] = "internal"
            if description:
                team["description"] = description
        email = _text(record, "email")
        if email and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            team["email"] = email
        elif email:
            site.find(record, f"the e-mail address '{email}' is not one: the team gets none")
        group_type = _ref_name(record, "type")
        if group_type:
            team["x-servicenow"] = {"group_type": group_type}
        people.teams[name] = team["id"]
        teams.append(team)
    if teams:
        site.note(
            "sys_user_group[*]",
            "ServiceNow keeps no team coordinator: no team has one; add 'coordinator'",
        )
    customers: list[Doc] = []
    for name, company in sorted(companies.items()):
        if _text(company, "customer") != "true":
            continue
        customer: Doc = {"id": unique(slug(name), used), "name": name, "kind": "external"}
        notes = _text(company, "notes")
        if notes and _text(company, "vendor") != "true":
            customer["description"] = notes
        people.customers[name] = customer["id"]
        customers.append(customer)
    people.ids = used
    return teams, customers


# ----------------------------------------------------------------------------- schedules


def _clock(value: str, start_day: str | None = None) -> str | None:
    """'20000103T080000' → '08:00'; the next day's midnight is '24:00'."""
    try:
        moment = datetime.strptime(value, "%Y%m%dT%H%M%S")
    except ValueError:
        return None
    if start_day is not None and moment.strftime("%Y%m%d") > start_day and moment.hour == 0:
        return "24:00"
    return moment.strftime("%H:%M")


def _schedules(site: _Instance, locale: Locale) -> tuple[list[Doc], dict[str, str]]:
    spans: dict[str, list[Record]] = defaultdict(list)
    for record in site.of("cmn_schedule_span"):
        parent = _ref_name(record, "schedule")
        if parent is not None:
            spans[parent].append(record)
    out: list[Doc] = []
    ids: dict[str, str] = {}
    used: set[str] = set()
    for record in site.ours("cmn_schedule"):
        name = _text(record, "name")
        weekly: list[Doc] = []
        holidays: list[str] = []
        odd: list[Record] = []
        for span in spans.get(name, []):
            kind, repeat = _text(span, "type"), _text(span, "repeat_type")
            start, end = _text(span, "start_date_time"), _text(span, "end_date_time")
            holiday = re.fullmatch(r"Holiday (\d{4}-\d{2}-\d{2})", _text(span, "name"))
            if kind == "exclude" and holiday and _text(span, "all_day") == "true":
                holidays.append(holiday.group(1))
                continue
            digits = _text(span, "days_of_week")
            begin, until = _clock(start), _clock(end, start[:8])
            if (
                kind == ""
                and repeat == "weekly"
                and digits
                and all(d in "1234567" for d in digits)
                and begin
                and until
            ):
                days = [WEEKDAYS[int(d) - 1] for d in digits]
                weekly.append({"days": days, "start": begin, "end": until})
            else:
                odd.append(span)
        if not weekly:
            site.find(record, "a schedule without weekly hours: not a USM schedule")
            continue
        for span in odd:
            site.find(span, "a schedule entry that is neither weekly hours nor a holiday")
        schedule: Doc = {"id": unique(slug(name), used), "name": name}
        schedule["timezone"] = _text(record, "time_zone") or "UTC"
        schedule["spans"] = weekly
        if holidays:
            schedule["holidays"] = sorted(holidays)
        ids[name] = schedule["id"]
        out.append(schedule)
    return out, ids


# ----------------------------------------------------------------------------- classification


@dataclass
class _Priorities:
    """The priority levels: choice value → level id."""

    ids: dict[str, str] = field(default_factory=dict)


def _priorities(matrix: Matrix) -> _Priorities:
    """Choice value → level id of ``matrix``, the priority matrix the export carries."""
    return _Priorities({value: ident for ident, value in priority_values(matrix).items()})


def _level_docs(site: _Instance, element: str, values: Iterable[str]) -> list[Doc]:
    labels = {_text(r, "value"): _text(r, "label") for r in site.choices("incident", element)}
    levels: list[Doc] = []
    used: set[str] = set()
    for value in sorted(set(values), key=_int):
        name = labels.get(value, value)
        levels.append({"id": unique(slug(name), used), "name": name})
    return levels


def _priority_from_live(site: _Instance) -> Doc | None:
    """The priority matrix the lookup rules hold (the active ones)."""
    rules = [r for r in site.of("dl_u_priority") if _text(r, "active") == "true"]
    if not rules:
        return None
    impacts = _level_docs(site, "impact", (_text(r, "impact") for r in rules))
    urgencies = _level_docs(site, "urgency", (_text(r, "urgency") for r in rules))
    labels = {_text(r, "value"): _text(r, "label") for r in site.choices("incident", "priority")}
    values = sorted({_text(r, "priority") for r in rules}, key=_int)
    levels: list[Doc] = []
    used: set[str] = set()
    by_value: dict[str, str] = {}
    for value in values:
        name = labels.get(value, value)
        ident = unique(slug(name), used)
        level: Doc = {
            "id": ident,
            "name": name,
            "rank": max(1, min(99, _int(value, 1))),
        }
        by_value[value] = ident
        levels.append(level)
    impact_ids = {str(i): lvl["id"] for i, lvl in enumerate(impacts, start=1)}
    urgency_ids = {str(i): lvl["id"] for i, lvl in enumerate(urgencies, start=1)}
    matrix: dict[str, dict[str, str]] = {}
    for rule in rules:
        row = impact_ids.get(_text(rule, "impact"))
        column = urgency_ids.get(_text(rule, "urgency"))
        if row and column:
            matrix.setdefault(row, {})[column] = by_value[_text(rule, "priority")]
    return {"rows": impacts, "columns": urgencies, "levels": levels, "matrix": matrix}


def _categories_from_live(
    site: _Instance, locale: Locale, call_type_names: Mapping[str, CallType]
) -> Doc:
    """Categories per call type as the instance holds them: the choice lists of incident,
    change_request and problem (USM's values, the platform's left out), and the catalog
    categories of wishes and service requests."""
    out: Doc = {}
    for call_type, (table, nested) in CATEGORY_CHOICES.items():
        tops: list[Doc] = []
        by_value: dict[str, Doc] = {}
        for record in site.choices(table, "category"):
            if _is_platform(record):
                continue
            value, label = _text(record, "value"), _text(record, "label")
            ident = value[4:] if value.startswith("usm_") else value
            doc: Doc = {"id": slug(ident), "name": label}
            by_value[value] = doc
            tops.append(doc)
        if nested:
            for record in site.choices(table, "subcategory"):
                parent = by_value.get(_text(record, "dependent_value"))
                if parent is None or _is_platform(record):
                    continue
                label = _text(record, "label").split(" / ")[-1]
                parent.setdefault("children", []).append(
                    {"id": slug(_text(record, "value")), "name": label}
                )
        if tops:
            out[call_type.value] = tops
    return out


def _catalog_categories(
    site: _Instance, locale: Locale, home: _Home, names: Mapping[CallType, str]
) -> Doc:
    if home.catalog is None:
        return {}
    title = _text(home.catalog, "title")
    records = [r for r in site.ours("sc_category") if _ref_name(r, "sc_catalog") == title]
    by_title: dict[str, Doc] = {}
    roots: dict[CallType, list[Doc]] = defaultdict(list)
    parents: dict[str, str] = {}
    kinds: dict[str, CallType] = {}
    for record in records:
        found = _match("category", locale, _text(record, "description"))
        if not found:
            continue
        call_type = next((ct for ct, n in names.items() if n == found.group("call_type")), None)
        if call_type is None:
            continue
        name = _text(record, "title")
        by_title[name] = {"id": slug(name), "name": name}
        kinds[name] = call_type
        parent = _ref_name(record, "parent")
        if parent:
            parents[name] = parent
    for name, doc in by_title.items():
        parent = parents.get(name)
        if parent in by_title:
            by_title[parent].setdefault("children", []).append(doc)
        else:
            roots[kinds[name]].append(doc)
    return {ct.value: docs for ct, docs in roots.items()}


# ----------------------------------------------------------------------------- processes


def _change_steps(
    site: _Instance, reference: Process, locale: Locale
) -> tuple[list[Doc], str | None]:
    """The USM change model's states in sequence → Change steps, and the model's description."""
    model = next((r for r in site.of("chg_model") if _text(r, "name") == CHANGE_MODEL), None)
    if model is None:
        return [], None
    states = sorted(
        (r for r in site.of("sttrm_state") if _ref_name(r, "sttrm_model") == CHANGE_MODEL),
        key=lambda r: _int(_text(r, "state_sequence")),
    )
    by_value = {v: k for k, v in CHANGE_STATES.items()}
    labels = [(_text(r, "state_value"), _text(r, "state_label")) for r in states]
    steps = _steps_of(reference, labels, by_value, locale)
    text = strip_suffix(_text(model, "description"), _words("managed", locale))
    text = strip_suffix(text, _words("change_model", locale))
    return steps, text or None


def _problem_steps(site: _Instance, reference: Process, locale: Locale) -> list[Doc]:
    """The problem states usm-config added (900 + position) between the platform's → Improve
    steps; a position without one is the next reference step on a platform state."""
    ours = {
        _int(_text(r, "value")) - USM_STATE_BASE: _text(r, "label")
        for r in site.choices("problem", "state")
        if not _is_platform(r)
        and _text(r, "value") != KNOWN_ERROR_VALUE
        and USM_STATE_BASE < _int(_text(r, "value")) < USM_STATE_BASE + 100
    }
    if not ours:
        return []
    platform_steps = [s for s in reference.steps if s.key in PROBLEM_STATES]
    length = max(len(reference.steps), *ours)
    labels: list[tuple[str, str]] = []
    for position in range(1, length + 1):
        if position in ours:
            labels.append((str(USM_STATE_BASE + position), ours[position]))
        elif platform_steps:
            step = platform_steps.pop(0)
            labels.append((PROBLEM_STATES[step.key], _step_label(step, locale)))
    by_value = {v: k for k, v in PROBLEM_STATES.items()}
    return _steps_of(reference, labels, by_value, locale)


def _step_label(step: ProcessStep, locale: Locale) -> str:
    return (step.name_nl or step.name) if locale == "nl" else step.name


def _steps_of(
    reference: Process,
    labels: Sequence[tuple[str, str]],
    by_value: Mapping[str, str],
    locale: Locale,
) -> list[Doc]:
    """Steps from (state value, label) pairs: the key of the platform state a value is, else
    of the reference step with that name, else one made from the label."""
    by_key = {s.key: s for s in reference.steps}
    by_label = {_step_label(s, locale): s for s in reference.steps}
    fork = next((s.key for s in reference.steps if s.fork), None)
    used: set[str] = set()
    steps = []
    for value, label in labels:
        base = by_key.get(by_value.get(value, "")) or by_label.get(label)
        key = unique(base.key if base else slug(label), used)
        step: Doc = {"key": key}
        if locale == "nl":
            step["name"] = base.name if base else label
            step["name_nl"] = label
        else:
            step["name"] = label
            if base and base.name_nl:
                step["name_nl"] = base.name_nl
        if key == fork:
            step["fork"] = True
        if base and base.description and base.key == key:
            step["description"] = base.description
        steps.append(step)
    return steps


# ----------------------------------------------------------------------------- services


def _duration(glide: str) -> str | None:
    """glide_duration text → a blueprint duration: '1970-01-02 04:00:00' → '1d4h'."""
    try:
        moment = datetime.strptime(glide, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    minutes = int((moment - datetime(1970, 1, 1)).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    text = (
        (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + (f"{mins}m" if mins else "")
    )
    return text or "0m"


_CONDITION = re.compile(r"^(?P<parts>.*)\^EQ$")


def _condition(text: str) -> dict[str, str]:
    match = _CONDITION.match(text)
    parts = (match.group("parts") if match else text).split("^")
    return dict(p.split("=", 1) for p in parts if "=" in p)


def _facility(description: str, locale: Locale) -> Doc:
    out: Doc = {}
    facility: Doc = {}
    rest = []
    for text in sentences(description):
        goods = _match("goods", locale, text, strip_dot=True)
        actions = _match("actions", locale, text, strip_dot=True)
        if goods:
            facility["goods"] = goods.group("items").split(", ")
        elif actions:
            facility["actions"] = actions.group("items").split(", ")
        else:
            rest.append(text)
    if rest:
        out["description"] = " ".join(rest)
    if facility:
        out["facility"] = facility
    return out


@dataclass
class _Context:
    site: _Instance
    locale: Locale
    people: _People
    schedules: dict[str, str]
    priorities: _Priorities
    call_types: Mapping[CallType, str]
    categories: Mapping[CallType, Mapping[str, str]]
    home: _Home


def _services(ctx: _Context, customers: list[Doc]) -> list[Doc]:
    site, locale = ctx.site, ctx.locale
    services: dict[str, Doc] = {}
    used: set[str] = set()
    for record in site.ours("cmdb_ci_service_business"):
        name = _text(record, "name")
        service: Doc = {"id": unique(slug(name), used), "name": name}
        service.update(_facility(_text(record, "short_description"), locale))
        status = {v: k for k, v in OPERATIONAL_STATUS.items()}.get(
            _text(record, "operational_status")
        )
        if status is None:
            site.note(
                record.address, "an operational status USM has no lifecycle for: exported as live"
            )
            status = "live"
        if status != "live":
            service["status"] = status
        team = ctx.people.teams.get(_ref_name(record, "support_group") or "")
        if team:
            service["supported_by"] = [team]
        settings = {}
        classification = _text(record, "service_classification")
        if classification and classification != DEFAULT_CLASSIFICATION:
            settings["service_classification"] = classification
        criticality = _text(record, "busines_criticality")
        if criticality and criticality != DEFAULT_CRITICALITY:
            settings["business_criticality"] = criticality
        if settings:
            service["x-servicenow"] = settings
        services[name] = service
    if services:
        site.note(
            "cmdb_ci_service_business[*]",
            "ServiceNow keeps service owners as users, not USM profiles: no service has an "
            "'owner'; add them",
        )
    _agreements(ctx, services, customers)
    _requests(ctx, services)
    for service in services.values():
        missing = [k for k in ("agreements", "supported_by") if k not in service]
        if service.get("status", "live") == "live" and missing:
            # A live service needs its agreement and a supporting team (blueprint errors).
            service["status"] = "pipeline"
            site.note(
                f"cmdb_ci_service_business[{service['name']}]",
                "an operational service without an offering that holds its agreement, or "
                f"without a support group: exported in the pipeline; add {' and '.join(missing)}"
                ", then set 'status: live'",
            )
    return list(services.values())


def _agreements(ctx: _Context, services: dict[str, Doc], customers: list[Doc]) -> None:
    site, locale = ctx.site, ctx.locale
    slas: dict[str, list[Record]] = defaultdict(list)
    for record in site.ours("contract_sla"):
        offering = _condition(_text(record, "start_condition")).get("service_offering.name")
        if offering:
            slas[offering].append(record)
    kinds = {v: k for k, v in AGREEMENT_TYPE.items()}
    known_customers = {c["name"]: c for c in customers}
    for record in site.ours("service_offering"):
        parent = _ref_name(record, "parent")
        service = services.get(parent or "")
        name = _text(record, "name")
        prefix = f"{parent} – "
        if service is None or not name.startswith(prefix) or "agreements" in service:
            site.find(record, "an offering that is not the service agreement of a USM service")
            continue
        customer_name = name[len(prefix) :]
        customer = known_customers.get(customer_name)
        if customer is None:
            kind = _text(record, "consumer_type")
            customer = {
                "id": unique(slug(customer_name), ctx.people.ids),
                "name": customer_name,
                "kind": "external" if kind == "external" else "internal",
            }
            known_customers[customer_name] = customer
            customers.append(customer)
        sa: Doc = {"id": "", "customer": customer["id"]}
        hours = ctx.schedules.get(_ref_name(record, "schedule") or "")
        support = None
        rest = []
        for text in sentences(_text(record, "short_description")):
            channels = _match("channels", locale, text, strip_dot=True)
            availability = _match("availability", locale, text, strip_dot=True)
            supported = _match("support_hours", locale, text, strip_dot=True)
            if channels:
                sa["channels"] = [c for c in channels.group("items").split(", ") if c]
            elif availability:
                value = availability.group("value")
                sa["availability"] = float(value) if "." in value else int(value)
                hours = hours or ctx.schedules.get(availability.group("hours"))
            elif supported:
                support = ctx.schedules.get(supported.group("name"))
            else:
                rest.append(text)
        if rest:
            sa["description"] = " ".join(rest)
        agreements: dict[tuple[str, str], Doc] = {}
        for sla in sorted(slas.get(name, []), key=lambda r: r.key):
            parts = _text(sla, "name").split(" ")
            which = _text(sla, "target")
            condition = _condition(_text(sla, "start_condition"))
            priority = ctx.priorities.ids.get(condition.get("priority", ""))
            kind = kinds.get(_text(sla, "type"), "")
            duration = _duration(_text(sla, "duration"))
            if (
                len(parts) < 3
                or parts[-1] != which
                or which not in ("response", "resolution")
                or priority is None
                or not kind
                or duration is None
                or _text(sla, "active") != "true"
            ):
                site.find(sla, "an SLA definition that is not one of a USM agreement's targets")
                continue
            agreement = agreements.setdefault((kind, parts[0]), {"id": parts[0], "targets": {}})
            if kind == "service":
                support = support or ctx.schedules.get(_ref_name(sla, "schedule") or "")
            else:
                group = condition.get("assignment_group.name", "")
                team = ctx.people.teams.get(group, slug(group))
                agreement["team"] = team
            agreement["targets"].setdefault(priority, {"priority": priority})[which] = duration
        service_agreements: Doc = {}
        for (kind, ident), agreement in agreements.items():
            targets = [t for t in agreement["targets"].values() if len(t) == 3]
            if kind == "service":
                sa["id"] = ident
                if targets:
                    sa["targets"] = targets
                continue
            doc = {"id": ident, "team": agreement["team"]}
            if targets:
                doc["targets"] = targets
            service_agreements.setdefault("olas" if kind == "olas" else "ucs", []).append(doc)
            team = agreement["team"]
            supported = service.setdefault("supported_by", [])
            if team not in supported:
                supported.append(team)
        if not sa["id"]:
            sa["id"] = f"sa-{service['id']}"
            site.note(
                record.address,
                f"no SLA definition names the agreement: its id is made up ({sa['id']})",
            )
        if hours:
            sa["service_hours"] = hours
        if support:
            sa["support_hours"] = support
        elif hours:
            sa["support_hours"] = hours
        order = [
            "id",
            "customer",
            "service_hours",
            "support_hours",
            "channels",
            "availability",
            "targets",
            "description",
        ]
        service_agreements["service"] = {k: sa[k] for k in order if k in sa}
        service["agreements"] = {
            k: service_agreements[k] for k in ("service", "olas", "ucs") if k in service_agreements
        }
    if services:
        site.note(
            "contract_sla[*]",
            "OLAs and UCs keep no contract reference or description in ServiceNow, and an "
            "agreement without SLA definitions cannot be seen: add them to the blueprint",
        )


def _requests(ctx: _Context, services: dict[str, Doc]) -> None:
    site, locale, home = ctx.site, ctx.locale, ctx.home
    if home.catalog is None:
        return
    title = _text(home.catalog, "title")
    by_label = {name.lower(): ct for ct, name in ctx.call_types.items()}
    used: set[str] = set()
    for record in site.ours("sc_cat_item"):
        if _ref_name(record, "sc_catalogs") != title:
            continue
        found = _match("item", locale, _text(record, "description"))
        service = services.get(found.group("service")) if found else None
        call_type = by_label.get(found.group("call_type")) if found else None
        if service is None or call_type not in (CallType.SERVICE_REQUEST, CallType.WISH):
            site.find(record, "a catalog item that belongs to no USM service")
            continue
        name = _text(record, "name")
        item: Doc = {"id": unique(slug(name), used), "name": name}
        if call_type != CallType.SERVICE_REQUEST:
            item["call_type"] = call_type.value
        category = _ref_name(record, "category")
        categories = ctx.categories.get(call_type, {})
        first = next(iter(categories), None)
        if category and category != first and category in categories:
            item["category"] = categories[category]
        team = ctx.people.teams.get(_ref_name(record, "group") or "")
        supported = service.get("supported_by") or []
        if team and (not supported or team != supported[0]):
            item["team"] = team
        description = _text(record, "short_description")
        if description and description != name:
            item["description"] = description
        service.setdefault("requests", []).append(item)


# ----------------------------------------------------------------------------- blueprint


def _overlay(base: Doc, layer: Doc) -> Doc:
    """Lay ``layer`` over ``base`` the way the loader does: collections merge by id, the
    organisation and classification by key, other keys are replaced."""
    out = dict(base)
    for key, value in layer.items():
        old = out.get(key)
        if isinstance(old, list) and isinstance(value, list):
            items = list(old)
            where = {item.get("id"): i for i, item in enumerate(items) if isinstance(item, dict)}
            for item in value:
                if isinstance(item, dict) and item.get("id") in where:
                    items[where[item["id"]]] = {**items[where[item["id"]]], **item}
                else:
                    items.append(item)
            out[key] = items
        elif key in ("organisation", "classification") and isinstance(old, dict):
            out[key] = {**old, **value}
        else:
            out[key] = value
    return out


def _materialise(reference: Blueprint, document: Doc) -> Blueprint | None:
    """The blueprint ``document`` makes over ``reference`` (None when it is not valid)."""
    base = reference.model_dump(mode="json", by_alias=True, exclude_unset=True)
    base.pop("extends", None)
    for wf in base.get("workflows", []):
        wf.pop("sequence", None)
    try:
        bp = Blueprint.model_validate(_overlay(base, document))
    except ValidationError:
        return None
    processes = {p.id: p for p in bp.processes}
    workflows = tuple(
        wf.model_copy(update={"sequence": expand_path(wf.path, processes, wf.steps)})
        for wf in bp.workflows
    )
    return bp.model_copy(update={"workflows": workflows})


def _compiled(bp: Blueprint) -> dict[tuple[str, tuple[str, ...]], Record]:
    try:
        records = compile_records(bp).desired(()).records
    except ValueError:
        return {}
    return {(r.kind, r.key): r for r in records}


def _same(
    live: Mapping[tuple[str, tuple[str, ...]], Record],
    desired: Mapping[tuple[str, tuple[str, ...]], Record],
    area: Callable[[Record], bool],
) -> bool:
    """True when the records of ``area`` the blueprint compiles to are live as they are, and
    no other record of the area is (the platform's own aside)."""
    for key, record in desired.items():
        if not area(record):
            continue
        found = live.get(key)
        if found is None or any(found.fields.get(n) != v for n, v in record.fields.items()):
            return False
    return all(key in desired or _is_platform(r) for key, r in live.items() if area(r))


def _choice_of(*columns: str) -> Callable[[Record], bool]:
    wanted = {tuple(c.split(".")) for c in columns}
    return lambda r: r.kind == "sys_choice" and (_text(r, "name"), _text(r, "element")) in wanted


_CATEGORY_COLUMNS = [f"{t}.category" for t, _ in CATEGORY_CHOICES.values()] + [
    f"{t}.subcategory" for t, nested in CATEGORY_CHOICES.values() if nested
]


def _categories_area(catalog: str | None) -> Callable[[Record], bool]:
    choice = _choice_of(*_CATEGORY_COLUMNS)
    return lambda r: (
        choice(r)
        or (
            r.kind == "sc_category"
            and catalog is not None
            and _ref_name(r, "sc_catalog") == catalog
        )
    )


def _change_area(r: Record) -> bool:
    return r.kind in ("chg_model", "sttrm_state", "sttrm_state_transition") or _choice_of(
        "change_request.state"
    )(r)


def _priority_area(r: Record) -> bool:
    return r.kind == "dl_u_priority" or _choice_of(
        "incident.impact", "incident.urgency", "incident.priority"
    )(r)


def _category_ids(bp: Blueprint) -> dict[CallType, dict[str, str]]:
    """Per call type, category name → id, in the classification's order (depth first)."""
    out: dict[CallType, dict[str, str]] = {}
    if bp.classification is None:
        return out
    for call_type, categories in bp.classification.categories.items():
        names: dict[str, str] = {}
        stack = list(reversed(categories))
        while stack:
            category = stack.pop()
            names.setdefault(category.name, category.id)
            stack.extend(reversed(category.children))
        out[call_type] = names
    return out


def _call_type_names(bp: Blueprint, locale: Locale) -> dict[CallType, str]:
    out = {}
    for call_type in CallType:
        defined = next((ct for ct in bp.call_types if ct.id == call_type), None)
        en, nl = CALL_TYPE_NAMES[call_type]
        if defined is None:
            out[call_type] = nl if locale == "nl" else en
        else:
            out[call_type] = (defined.name_nl or nl) if locale == "nl" else defined.name
    return out


def _call_types(site: _Instance, reference: Blueprint, locale: Locale) -> list[Doc]:
    """Call type tailorings: a call type whose choice label is not the reference's name."""
    labels = {
        _text(r, "value"): _text(r, "label")
        for r in site.choices(CALL_TYPE_TABLE, CALL_TYPE_COLUMN)
    }
    names = _call_type_names(reference, locale)
    out = []
    for call_type in reference.call_types:
        label = labels.get(call_type.id.value)
        if label and label != names[call_type.id]:
            out.append({"id": call_type.id.value, ("name_nl" if locale == "nl" else "name"): label})
    return out


def _workflow_docs(
    site: _Instance, reference: Blueprint, home: _Home, locale: Locale
) -> tuple[list[Doc], dict[str, Record]]:
    """Workflow tailorings from the articles' titles and flows; the article of each workflow."""
    base = _text(home.knowledge_base, "title") if home.knowledge_base else None
    articles: dict[str, Record] = {}
    out = []
    for record in site.ours("kb_knowledge"):
        if base is None or _ref_name(record, "kb_knowledge_base") != base:
            continue
        title = _text(record, "short_description")
        found = re.match(r"^USM[- ]workflow (\d+): (.+)$", title)
        wf = next(
            (w for w in reference.workflows if found and w.number == int(found.group(1))), None
        )
        if wf is None or found is None:
            site.find(record, "an article of the knowledge base that is not a USM workflow")
            continue
        articles[wf.id] = record
        doc: Doc = {"id": wf.id}
        name = found.group(2)
        if name != ((wf.name_nl or wf.name) if locale == "nl" else wf.name):
            doc["name_nl" if locale == "nl" else "name"] = name
        flow = _FLOW[locale].search(_text(record, "text"))
        if flow:
            doc["x-servicenow"] = {"flow": _unescape(flow.group(1))}
        if len(doc) > 1:
            out.append(doc)
    return out, articles


_FLOW = {
    "en": re.compile(r"automated by the Flow Designer flow <strong>(.*?)</strong>"),
    "nl": re.compile(r"geautomatiseerd door de Flow Designer-flow <strong>(.*?)</strong>"),
}


def _unescape(text: str) -> str:
    import html  # noqa: PLC0415

    return html.unescape(text)


# ----------------------------------------------------------------------------- the rest

#: Why records the exported blueprint does not compile to are left out, by kind.
_LEFT_OUT: Mapping[str, str] = {
    "core_company": "a company that is neither a supplier with an assignment group nor a customer",
    "sys_user_group_type": "a group type no team uses",
    "cmn_schedule": "a schedule that is not one of USM's",
    "cmn_schedule_span": "an entry of a schedule that is not a USM schedule",
    "cmdb_ci_service_business": "a business service that is not one of USM's",
    "service_offering": "an offering that is not a USM service agreement",
    "contract_sla": "an SLA definition of no USM agreement (its condition names no offering)",
    "sc_cat_item": "a catalog item of another catalog",
    "kb_knowledge": "an article of another knowledge base",
    "sys_choice": "a choice that is not one of USM's call types, categories, levels or steps",
    "dl_u_priority": "a priority rule outside the USM priority matrix",
    "chg_model": "a change model that is not the USM change model",
    "sttrm_state": "a state of another change model",
    "sttrm_state_transition": "a transition of another change model",
    "sc_catalog": "a catalog that is not the organisation's USM catalog",
    "sc_category": "a category of another catalog",
    "kb_knowledge_base": "a knowledge base that is not the USM workflows' one",
    "sys_dictionary": "a column that is not USM's",
}


def _left_out(
    site: _Instance,
    compiled: Mapping[tuple[str, tuple[str, ...]], Record],
    schedules: Mapping[str, str],
) -> None:
    for record in site.records:
        key = (record.kind, record.key)
        if key in compiled or key in site.handled:
            continue
        if record.kind == "cmn_schedule_span" and _ref_name(record, "schedule") in schedules:
            site.note(
                record.address,
                "carried over as weekly hours of its schedule; usm-config names the entries "
                "after their hours, so an apply writes this one anew",
            )
            continue
        if _is_platform(record):
            site.findings.append(
                Finding(
                    record.address,
                    "the base system's own record, not USM's",
                    record.target_id,
                    FindingKind.PLATFORM,
                )
            )
            continue
        reason = _LEFT_OUT.get(record.kind, "not part of a USM blueprint")
        site.findings.append(Finding(record.address, reason, record.target_id))


def _evidence(
    site: _Instance, bp: Blueprint | None, home: _Home, articles: Mapping[str, Record]
) -> Evidence:
    """Per USM process, what carries it: the USM change model, the problem states, the
    platform's incident states and the catalog; hand-overs are those the published workflow
    articles describe."""
    processes: list[ProcessEvidence] = []

    def labels(table: str) -> tuple[str, ...]:
        return tuple(_text(r, "label") for r in site.choices(table, "state"))

    hands: dict[ProcessId, list[ProcessId]] = defaultdict(list)
    if bp is not None:
        for wf in bp.workflows:
            if wf.id in articles:
                for a, b in zip(wf.path, wf.path[1:], strict=False):
                    if b not in hands[a]:
                        hands[a].append(b)
    model = [r for r in site.of("sttrm_state") if _ref_name(r, "sttrm_model") == CHANGE_MODEL]
    if model:
        states = tuple(
            _text(r, "state_label")
            for r in sorted(model, key=lambda r: _int(_text(r, "state_sequence")))
        )
        processes.append(
            ProcessEvidence(
                ProcessId.CHANGE,
                f"chg_model[{CHANGE_MODEL}]",
                states,
                True,
                tuple(hands[ProcessId.CHANGE]),
            )
        )
    else:
        processes.append(
            ProcessEvidence(
                ProcessId.CHANGE, "sys_choice[change_request.state]", labels("change_request")
            )
        )
    problem = site.choices("problem", "state")
    usm = any(_text(r, "value") == KNOWN_ERROR_VALUE for r in problem)
    states = tuple(_text(r, "label") for r in problem if _text(r, "value") != KNOWN_ERROR_VALUE)
    processes.append(
        ProcessEvidence(
            ProcessId.IMPROVE,
            "sys_choice[problem.state]",
            states,
            usm,
            tuple(hands[ProcessId.IMPROVE]),
        )
    )
    processes.append(
        ProcessEvidence(
            ProcessId.RECOVER,
            "sys_choice[incident.state]",
            labels("incident"),
            False,
            tuple(hands[ProcessId.RECOVER]),
        )
    )
    if home.catalog is not None:
        # Requests are catalog items; a requested item keeps the platform's own states.
        processes.append(
            ProcessEvidence(
                ProcessId.OPERATE,
                home.catalog.address,
                (),
                False,
                tuple(hands[ProcessId.OPERATE]),
            )
        )
    # Every category column belongs to the table of one call type: none is without one.
    return Evidence(
        tuple(processes),
        (),
        (
            "Agree cannot be assessed by its states: ServiceNow has no ticket of its own for "
            "wishes; Operate's steps cannot be, as requested items keep the platform's states",
        ),
    )


def export_records(live: Iterable[Record], reference: Blueprint) -> Exported:
    """The instance's USM configuration as a blueprint layer over ``reference``."""
    site = _Instance(list(live))
    locale = _detect_locale(site)
    organisation, home = _organisation(site, locale)
    people = _People()
    teams, customers = _teams(site, locale, people)
    schedules, schedule_ids = _schedules(site, locale)
    document: Doc = {"organisation": organisation}
    local_ref = _materialise(reference, {"organisation": organisation}) or reference
    live_by_key = {(r.kind, r.key): r for r in site.records}
    expected = _compiled(local_ref)

    # Call types, processes and classification: the reference's unless the instance differs.
    document["call_types"] = _call_types(site, reference, locale)
    processes: list[Doc] = []
    change = next((p for p in reference.processes if p.id == ProcessId.CHANGE), None)
    if change is not None and not _same(live_by_key, expected, _change_area):
        steps, description = _change_steps(site, change, locale)
        if steps:
            doc: Doc = {"id": "change", "steps": steps}
            if description and description != (change.description or "").strip():
                doc["description"] = description
            processes.append(doc)
    improve = next((p for p in reference.processes if p.id == ProcessId.IMPROVE), None)
    if improve is not None and not _same(live_by_key, expected, _choice_of("problem.state")):
        steps = _problem_steps(site, improve, locale)
        if steps:
            processes.append({"id": "improve", "steps": steps})
            site.note(
                "sys_choice[problem.state]",
                "the Improve steps on the platform's problem states are taken from the USM "
                "reference in its order",
            )
    document["processes"] = processes
    classification: Doc = {}
    catalog_title = _text(home.catalog, "title") if home.catalog else None
    names = _call_type_names(_materialise(reference, document) or local_ref, locale)
    if not _same(live_by_key, expected, _categories_area(catalog_title)):
        categories = _categories_from_live(site, locale, {})
        categories.update(_catalog_categories(site, locale, home, names))
        if categories:
            classification["categories"] = categories
            site.note(
                "sys_choice[*.category]",
                "the categories are read from the choice lists: a category with the "
                "platform's own value and label cannot be told from the platform's",
            )
    if not _same(live_by_key, expected, _priority_area):
        matrix = _priority_from_live(site)
        if matrix is not None:
            classification["priority"] = matrix
    if classification:
        document["classification"] = classification
    document["customers"] = customers
    document["teams"] = teams
    document["schedules"] = schedules
    shaped = _materialise(reference, document) or local_ref
    priorities = (
        _priorities(shaped.classification.priority) if shaped.classification else _Priorities()
    )
    ctx = _Context(
        site,
        locale,
        people,
        schedule_ids,
        priorities,
        _call_type_names(shaped, locale),
        _category_ids(shaped),
        home,
    )
    document["services"] = _services(ctx, customers)
    document["customers"] = customers
    workflows, articles = _workflow_docs(site, reference, home, locale)
    document["workflows"] = workflows
    bp = _materialise(reference, document)
    if bp is not None and articles:
        _read_articles(site, reference, bp, articles, document, locale)
        bp = _materialise(reference, document)
    if bp is not None:
        kept = _articles(site, bp, articles, document)
        if kept:
            bp = _materialise(reference, document)
    compiled = _compiled(bp) if bp is not None else {}
    _left_out(site, compiled, schedule_ids)
    evidence = _evidence(site, bp, home, articles)
    ordered = {k: document[k] for k in _ORDER if document.get(k)}
    # A state shows one name: a step's other-language name is the reference's, or a copy.
    assumed: dict[str, tuple[str, ...]] = {"steps": ("name",) if locale == "nl" else ("name_nl",)}
    return Exported(ordered, tuple(site.findings), assumed, evidence)


#: The processes whose steps ServiceNow keeps no states for: their names come from the articles.
_ARTICLE_ONLY = (ProcessId.AGREE, ProcessId.RECOVER, ProcessId.OPERATE)


def _read_articles(
    site: _Instance,
    reference: Blueprint,
    bp: Blueprint,
    articles: Mapping[str, Record],
    document: Doc,
    locale: Locale,
) -> None:
    """Add to ``document`` what the articles show: workflow tailorings, profiles, the steps
    of the processes without states, process and call type descriptions."""
    parsed = {ident: parse_article(_text(r, "text"), locale) for ident, r in articles.items()}
    found = tailor(bp, parsed, locale, _ARTICLE_ONLY)
    # The tailored steps are named by their number in the process: read them again once the
    # processes have the steps the articles show.
    _merge(document.setdefault("processes", []), found.processes.values())
    again = _materialise(reference, document)
    if again is not None:
        found = tailor(again, parsed, locale, _ARTICLE_ONLY)
    if found.profiles:
        document["profiles"] = found.profiles
        site.note(
            "kb_knowledge[*]",
            "profiles come back by the names the articles' RACI tables show: without their "
            "USM role or description; add 'usm_role'",
        )
    _merge(document.setdefault("workflows", []), found.workflows.values())
    _merge(document.setdefault("processes", []), found.processes.values())
    calls = [{"id": ident, "description": text} for ident, text in found.call_types.items()]
    _merge(document.setdefault("call_types", []), calls)


def _merge(docs: list[Doc], more: Iterable[Doc]) -> None:
    """Lay each of ``more`` over the doc of ``docs`` with its id, or append it."""
    by_id = {d["id"]: d for d in docs}
    for doc in more:
        if doc["id"] in by_id:
            by_id[doc["id"]].update(doc)
        else:
            docs.append(doc)
            by_id[doc["id"]] = doc


def _articles(site: _Instance, bp: Blueprint, articles: Mapping[str, Record], document: Doc) -> int:
    """Keep, under ``x-servicenow.article``, each article the blueprint does not render as it
    is; returns how many."""
    kept = 0
    by_id = {wf.id: wf for wf in bp.workflows}
    docs = {d["id"]: d for d in document["workflows"]}
    for ident, record in sorted(articles.items()):
        wf: Workflow | None = by_id.get(ident)
        text = _text(record, "text")
        if wf is None or render_workflow_article(bp, wf) == text:
            continue
        doc = docs.get(ident)
        if doc is None:
            doc = {"id": ident}
            document["workflows"].append(doc)
            docs[ident] = doc
        doc.setdefault("x-servicenow", {})["article"] = text
        site.note(
            record.address,
            "the article is not one usm-config renders from the blueprint read back (edited by "
            "hand?): its text is kept as it is under 'x-servicenow.article', which does not "
            "travel to other tools; remove it to let usm-config write the article again",
            FindingKind.LEFT_OUT,
        )
        kept += 1
    return kept


_ORDER = (
    "organisation",
    "profiles",
    "customers",
    "teams",
    "schedules",
    "services",
    "call_types",
    "processes",
    "workflows",
    "classification",
)


__all__ = ["export_records"]
