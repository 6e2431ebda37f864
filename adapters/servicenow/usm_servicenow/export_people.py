"""The ServiceNow export's organisation, teams, customers and schedules: the catalog and
knowledge base usm-config wrote, assignment groups and companies, schedules and their entries.
Pure."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from usm_config.blueprint.model import Locale
from usm_config.engine.records import Record
from usm_config.export.live import field_text
from usm_config.export.text import sentences, slug, strip_suffix, unique
from usm_servicenow.export_site import (
    Doc,
    Instance,
    is_managed,
    match_words,
    ref_name,
    words,
)
from usm_servicenow.values import (
    WEEKDAYS,
    WORDS,
)

# ----------------------------------------------------------------------------- organisation


def detect_locale(site: Instance) -> Locale:
    """Dutch when the instance holds usm-config's Dutch words (the call type column's label,
    "Beheerd door usm-config." in a description)."""
    for record in site.of("sys_dictionary"):
        if field_text(record, "column_label") == WORDS["call_type_column"][1]:
            return "nl"
    dutch = WORDS["managed"][1]
    for record in site.records:
        if any(isinstance(v, str) and v.endswith(dutch) for v in record.fields.values()):
            return "nl"
    return "en"


@dataclass(frozen=True)
class Home:
    """Where the organisation's catalog and knowledge base are."""

    catalog: Record | None
    knowledge_base: Record | None


def _base_owner(record: Record, locale: Locale) -> str | None:
    """The organisation a knowledge base's description names ("The eight USM workflows of
    {org}: …"), if it is one usm-config wrote."""
    text = strip_suffix(field_text(record, "description"), words("managed", locale))
    found = match_words("knowledge_base_description", locale, text)
    return found.group("org") if found else None


def read_organisation(site: Instance, locale: Locale, hint: str | None = None) -> tuple[Doc, Home]:
    """The organisation, from the catalog and knowledge base usm-config wrote (their
    descriptions name it), and where those are; where the instance holds several, the one
    named ``hint`` if it is there, else the first."""
    managed = words("managed", locale)
    bases = [r for r in site.ours("kb_knowledge_base") if is_managed(r, locale)]
    owners = {r.key: _base_owner(r, locale) for r in bases}
    named = [r for r in bases if owners[r.key] and owners[r.key] == hint]
    base = next(iter(named), None) or next((r for r in bases if owners[r.key]), None)
    name = owners[base.key] if base else None
    description = None
    described: list[tuple[Record, str, str | None]] = []
    for record in site.ours("sc_catalog"):
        if not is_managed(record, locale):
            continue
        parts = sentences(strip_suffix(field_text(record, "description"), managed))
        for i in range(len(parts)):
            found = match_words("catalog_description", locale, " ".join(parts[i:]))
            if found:
                described.append((record, found.group("org"), " ".join(parts[:i]) or None))
                break
    wanted = name or hint
    chosen = next((c for c in described if c[1] == wanted), None) or next(iter(described), None)
    catalogs = [c[0] for c in described]
    catalog = chosen[0] if chosen else None
    if chosen is not None and name in (None, chosen[1]):
        name, description = chosen[1], chosen[2]
    if catalog is not None:
        catalogs.remove(catalog)
        catalogs.insert(0, catalog)
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
    if catalog is not None and field_text(catalog, "title") != words("catalog", locale).format(
        org=name
    ):
        settings["catalog_title"] = field_text(catalog, "title")
    if base is not None and field_text(base, "title") != words("knowledge_base", locale).format(
        org=name
    ):
        settings["knowledge_base_title"] = field_text(base, "title")
    if settings:
        organisation["x-servicenow"] = settings
    return organisation, Home(catalog, base)


# ----------------------------------------------------------------------------- people


@dataclass
class People:
    """Team and customer ids by the names the instance shows."""

    teams: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)


def read_people(site: Instance, locale: Locale, people: People) -> tuple[list[Doc], list[Doc]]:
    """Teams (a group beside a vendor company is a supplier) and external customers
    (companies that are customers); their ids by name go into ``people``."""
    companies = {field_text(r, "name"): r for r in site.ours("core_company")}
    teams: list[Doc] = []
    used: set[str] = set()
    for record in site.ours("sys_user_group"):
        name = field_text(record, "name")
        if field_text(record, "active") != "true":
            site.find(record, "an inactive assignment group: not exported as a team")
            continue
        team: Doc = {"id": unique(slug(name), used), "name": name}
        company = companies.get(name)
        description = field_text(record, "description")
        prefix = words("supplier_group", locale).format(name=name) + "."
        if company is not None and field_text(company, "vendor") == "true":
            team["kind"] = "supplier"
            notes = field_text(company, "notes")
            if notes:
                team["description"] = notes
            elif description.startswith(prefix) and description != prefix:
                team["description"] = description[len(prefix) :].strip()
        else:
            team["kind"] = "internal"
            if description:
                team["description"] = description
        email = field_text(record, "email")
        if email and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            team["email"] = email
        elif email:
            site.find(record, f"the e-mail address '{email}' is not one: the team gets none")
        group_type = ref_name(record, "type")
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
        if field_text(company, "customer") != "true":
            continue
        customer: Doc = {"id": unique(slug(name), used), "name": name, "kind": "external"}
        notes = field_text(company, "notes")
        if notes and field_text(company, "vendor") != "true":
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


def read_schedules(site: Instance, locale: Locale) -> tuple[list[Doc], dict[str, str]]:
    """Schedules with weekly hours, and their ids by name; other entries are findings."""
    spans: dict[str, list[Record]] = defaultdict(list)
    for record in site.of("cmn_schedule_span"):
        parent = ref_name(record, "schedule")
        if parent is not None:
            spans[parent].append(record)
    out: list[Doc] = []
    ids: dict[str, str] = {}
    used: set[str] = set()
    for record in site.ours("cmn_schedule"):
        name = field_text(record, "name")
        weekly: list[Doc] = []
        holidays: list[str] = []
        odd: list[Record] = []
        for span in spans.get(name, []):
            kind, repeat = field_text(span, "type"), field_text(span, "repeat_type")
            start, end = field_text(span, "start_date_time"), field_text(span, "end_date_time")
            holiday = re.fullmatch(r"Holiday (\d{4}-\d{2}-\d{2})", field_text(span, "name"))
            if kind == "exclude" and holiday and field_text(span, "all_day") == "true":
                holidays.append(holiday.group(1))
                continue
            digits = field_text(span, "days_of_week")
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
        schedule["timezone"] = field_text(record, "time_zone") or "UTC"
        schedule["spans"] = weekly
        if holidays:
            schedule["holidays"] = sorted(holidays)
        ids[name] = schedule["id"]
        out.append(schedule)
    return out, ids
