"""The ServiceNow export's services: business services, the offering that holds each service
agreement, the SLA definitions of its targets, OLAs and UCs, and the catalog items of its
requests. Pure."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from usm_config.blueprint.model import Locale
from usm_config.blueprint.usm import CallType
from usm_config.engine.records import Record
from usm_config.export.live import field_text
from usm_config.export.text import facility, sentences, slug, unique
from usm_servicenow.export_people import Home, People
from usm_servicenow.export_site import Doc, Instance, match_words, ref_name, words
from usm_servicenow.values import (
    AGREEMENT_TYPE,
    DEFAULT_CLASSIFICATION,
    DEFAULT_CRITICALITY,
    OPERATIONAL_STATUS,
)

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


@dataclass
class Context:
    site: Instance
    locale: Locale
    people: People
    schedules: dict[str, str]
    priorities: Mapping[str, str]
    call_types: Mapping[CallType, str]
    categories: Mapping[CallType, Mapping[str, str]]
    home: Home


def read_services(ctx: Context, customers: list[Doc]) -> list[Doc]:
    """Business services with their agreements and request items; the customers the
    offerings name are added to ``customers``."""
    site, locale = ctx.site, ctx.locale
    services: dict[str, Doc] = {}
    used: set[str] = set()
    for record in site.ours("cmdb_ci_service_business"):
        name = field_text(record, "name")
        service: Doc = {"id": unique(slug(name), used), "name": name}
        description = field_text(record, "short_description")
        service.update(facility(description, locale))
        status = {v: k for k, v in OPERATIONAL_STATUS.items()}.get(
            field_text(record, "operational_status")
        )
        if status is None:
            site.note(
                record.address, "an operational status USM has no lifecycle for: exported as live"
            )
            status = "live"
        if status != "live":
            service["status"] = status
        team = ctx.people.teams.get(ref_name(record, "support_group") or "")
        if team:
            service["supported_by"] = [team]
        settings = {}
        classification = field_text(record, "service_classification")
        if classification and classification != DEFAULT_CLASSIFICATION:
            settings["service_classification"] = classification
        criticality = field_text(record, "busines_criticality")
        if criticality and criticality != DEFAULT_CRITICALITY:
            settings["business_criticality"] = criticality
        if settings:
            service["x-servicenow"] = settings
        services[name] = service
    if services:
        site.note(
            "cmdb_ci_service_business[*]",
            "ServiceNow keeps service owners as users, not USM profiles, and one support "
            "group per service: no service has an 'owner', and 'supported_by' holds the "
            "support group and the teams of the OLAs and UCs; add the others",
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


def _agreements(ctx: Context, services: dict[str, Doc], customers: list[Doc]) -> None:
    site, locale = ctx.site, ctx.locale
    slas: dict[str, list[Record]] = defaultdict(list)
    for record in site.ours("contract_sla"):
        offering = _condition(field_text(record, "start_condition")).get("service_offering.name")
        if offering:
            slas[offering].append(record)
    kinds = {v: k for k, v in AGREEMENT_TYPE.items()}
    known_customers = {c["name"]: c for c in customers}
    for record in site.ours("service_offering"):
        parent = ref_name(record, "parent")
        service = services.get(parent or "")
        name = field_text(record, "name")
        prefix = f"{parent} – "
        if service is None or not name.startswith(prefix) or "agreements" in service:
            site.find(record, "an offering that is not the service agreement of a USM service")
            continue
        customer_name = name[len(prefix) :]
        customer = known_customers.get(customer_name)
        if customer is None:
            kind = field_text(record, "consumer_type")
            customer = {
                "id": unique(slug(customer_name), ctx.people.ids),
                "name": customer_name,
                "kind": "external" if kind == "external" else "internal",
            }
            known_customers[customer_name] = customer
            customers.append(customer)
        sa: Doc = {"id": "", "customer": customer["id"]}
        hours = ctx.schedules.get(ref_name(record, "schedule") or "")
        support = None
        rest = []
        for text in sentences(field_text(record, "short_description")):
            channels = match_words("channels", locale, text, strip_dot=True)
            availability = match_words("availability", locale, text, strip_dot=True)
            supported = match_words("support_hours", locale, text, strip_dot=True)
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
            parts = field_text(sla, "name").split(" ")
            which = field_text(sla, "target")
            condition = _condition(field_text(sla, "start_condition"))
            priority = ctx.priorities.get(condition.get("priority", ""))
            kind = kinds.get(field_text(sla, "type"), "")
            duration = _duration(field_text(sla, "duration"))
            if (
                len(parts) < 3
                or which not in ("response", "resolution")
                or parts[-1] != words(f"sla_{which}", ctx.locale)
                or priority is None
                or not kind
                or duration is None
                or field_text(sla, "active") != "true"
            ):
                site.find(sla, "an SLA definition that is not one of a USM agreement's targets")
                continue
            agreement = agreements.setdefault((kind, parts[0]), {"id": parts[0], "targets": {}})
            if kind == "service":
                support = support or ctx.schedules.get(ref_name(sla, "schedule") or "")
            else:
                group = condition.get("assignment_group.name", "")
                team = ctx.people.teams.get(group, slug(group))
                agreement["team"] = team
            agreement["targets"].setdefault(priority, {"priority": priority})[which] = duration
        service_agreements: Doc = {}
        for (kind, ident), agreement in agreements.items():
            # In the order of the priority levels, each as the blueprint writes it.
            rank = {ident: i for i, ident in enumerate(ctx.priorities.values())}
            targets = [
                {key: t[key] for key in ("priority", "response", "resolution")}
                for _, t in sorted(agreement["targets"].items(), key=lambda p: rank[p[0]])
                if len(t) == 3
            ]
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


def _requests(ctx: Context, services: dict[str, Doc]) -> None:
    site, locale, home = ctx.site, ctx.locale, ctx.home
    if home.catalog is None:
        return
    title = field_text(home.catalog, "title")
    by_label = {name.lower(): ct for ct, name in ctx.call_types.items()}
    used: set[str] = set()
    for record in site.ours("sc_cat_item"):
        if ref_name(record, "sc_catalogs") != title:
            continue
        found = match_words("item", locale, field_text(record, "description"))
        service = services.get(found.group("service")) if found else None
        call_type = by_label.get(found.group("call_type")) if found else None
        if service is None or call_type not in (CallType.SERVICE_REQUEST, CallType.WISH):
            site.find(record, "a catalog item that belongs to no USM service")
            continue
        name = field_text(record, "name")
        item: Doc = {"id": unique(slug(name), used), "name": name}
        if call_type != CallType.SERVICE_REQUEST:
            item["call_type"] = call_type.value
        category = ref_name(record, "category")
        categories = ctx.categories.get(call_type, {})
        first = next(iter(categories), None)
        if category and category != first and category in categories:
            item["category"] = categories[category]
        team = ctx.people.teams.get(ref_name(record, "group") or "")
        supported = service.get("supported_by") or []
        if team and (not supported or team != supported[0]):
            item["team"] = team
        description = field_text(record, "short_description")
        if description and description != name:
            item["description"] = description
        service.setdefault("requests", []).append(item)
