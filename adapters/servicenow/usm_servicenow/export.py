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

import html
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from usm_config.blueprint.model import SECTIONS, Blueprint, Locale, Workflow
from usm_config.blueprint.sequence import expand_path
from usm_config.blueprint.usm import ProcessId
from usm_config.compile.wording import description_in, name_in, text_key
from usm_config.engine.records import Record
from usm_config.export.assess import Evidence, ProcessEvidence
from usm_config.export.live import field_text
from usm_config.export.model import Exported, FindingKind
from usm_servicenow.article import render_workflow_article
from usm_servicenow.article_export import parse_article, tailor
from usm_servicenow.export_people import (
    Home,
    People,
    detect_locale,
    read_organisation,
    read_people,
    read_schedules,
)
from usm_servicenow.export_services import Context, read_services
from usm_servicenow.export_site import (
    Doc,
    Instance,
    as_int,
    is_platform,
    ref_name,
)
from usm_servicenow.export_tables import (
    call_type_names,
    categories_area,
    category_ids,
    change_area,
    choice_of,
    holds_exactly,
    priority_area,
    priority_ids,
    read_call_types,
    read_catalog_categories,
    read_categories,
    read_change_steps,
    read_priority_matrix,
    read_problem_steps,
)
from usm_servicenow.mapping import compile_records
from usm_servicenow.values import (
    CHANGE_MODEL,
    KNOWN_ERROR_VALUE,
)

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


def _workflow_docs(
    site: Instance, reference: Blueprint, home: Home, locale: Locale
) -> tuple[list[Doc], dict[str, Record]]:
    """Workflow tailorings from the articles' titles and flows; the article of each workflow."""
    base = field_text(home.knowledge_base, "title") if home.knowledge_base else None
    articles: dict[str, Record] = {}
    out = []
    for record in site.ours("kb_knowledge"):
        if base is None or ref_name(record, "kb_knowledge_base") != base:
            continue
        title = field_text(record, "short_description")
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
        if name != name_in(locale, wf):
            doc[text_key("name", locale)] = name
        flow = _FLOW[locale].search(field_text(record, "text"))
        if flow:
            doc["x-servicenow"] = {"flow": html.unescape(flow.group(1))}
        if len(doc) > 1:
            out.append(doc)
    return out, articles


_FLOW = {
    "en": re.compile(r"automated by the Flow Designer flow <strong>(.*?)</strong>"),
    "nl": re.compile(r"geautomatiseerd door de Flow Designer-flow <strong>(.*?)</strong>"),
}


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
    site: Instance,
    compiled: Mapping[tuple[str, tuple[str, ...]], Record],
    schedules: Mapping[str, str],
) -> None:
    for record in site.records:
        key = (record.kind, record.key)
        if key in compiled or key in site.used:
            continue
        if record.kind == "cmn_schedule_span" and ref_name(record, "schedule") in schedules:
            site.note(
                record.address,
                "carried over as weekly hours of its schedule; usm-config names the entries "
                "after their hours, so an apply writes this one anew",
            )
            continue
        if is_platform(record):
            site.report(record, "the base system's own record, not USM's", FindingKind.PLATFORM)
            continue
        reason = _LEFT_OUT.get(record.kind, "not part of a USM blueprint")
        site.report(record, reason)


def _evidence(
    site: Instance, bp: Blueprint | None, home: Home, articles: Mapping[str, Record]
) -> Evidence:
    """Per USM process, what carries it: the USM change model, the problem states, the
    platform's incident states and the catalog; hand-overs are those the published workflow
    articles describe."""
    processes: list[ProcessEvidence] = []

    def labels(table: str) -> tuple[str, ...]:
        return tuple(field_text(r, "label") for r in site.choices(table, "state"))

    hands: dict[ProcessId, list[ProcessId]] = defaultdict(list)
    if bp is not None:
        for wf in bp.workflows:
            if wf.id in articles:
                for a, b in zip(wf.path, wf.path[1:], strict=False):
                    if b not in hands[a]:
                        hands[a].append(b)
    model = [r for r in site.of("sttrm_state") if ref_name(r, "sttrm_model") == CHANGE_MODEL]
    if model:
        states = tuple(
            field_text(r, "state_label")
            for r in sorted(model, key=lambda r: as_int(field_text(r, "state_sequence")))
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
    usm = any(field_text(r, "value") == KNOWN_ERROR_VALUE for r in problem)
    states = tuple(
        field_text(r, "label") for r in problem if field_text(r, "value") != KNOWN_ERROR_VALUE
    )
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


def export_records(
    live: Iterable[Record], reference: Blueprint, scope: Blueprint | None = None
) -> Exported:
    """The instance's USM configuration as a blueprint layer over ``reference``; with
    ``scope`` (the blueprint an export is pulled into), its elements keep that blueprint's ids
    where the names match, and so do the references to them; and what ServiceNow does not keep
    is taken from it (see :func:`_keep_from_scope`)."""
    site = Instance(list(live))
    locale = detect_locale(site)
    hint = scope.organisation.name if scope is not None else None
    organisation, home = read_organisation(site, locale, hint)
    people = People()
    teams, customers = read_people(site, locale, people)
    schedules, schedule_ids = read_schedules(site, locale)
    document: Doc = {"organisation": organisation}
    local_ref = _materialise(reference, {"organisation": organisation}) or reference
    live_by_key = {(r.kind, r.key): r for r in site.records}
    expected = _compiled(local_ref)

    # Call types, processes and classification: the reference's unless the instance differs.
    document["call_types"] = read_call_types(site, reference, locale)
    processes: list[Doc] = []
    change = next((p for p in reference.processes if p.id == ProcessId.CHANGE), None)
    if change is not None and not holds_exactly(live_by_key, expected, change_area):
        steps, description = read_change_steps(site, change, locale)
        if steps:
            doc: Doc = {"id": "change", "steps": steps}
            if description and description != description_in(locale, change).strip():
                doc[text_key("description", locale)] = description
            processes.append(doc)
    improve = next((p for p in reference.processes if p.id == ProcessId.IMPROVE), None)
    if improve is not None and not holds_exactly(live_by_key, expected, choice_of("problem.state")):
        steps = read_problem_steps(site, improve, locale)
        if steps:
            processes.append({"id": "improve", "steps": steps})
            site.note(
                "sys_choice[problem.state]",
                "the Improve steps on the platform's problem states are taken from the USM "
                "reference in its order",
            )
    document["processes"] = processes
    classification: Doc = {}
    catalog_title = field_text(home.catalog, "title") if home.catalog else None
    names = call_type_names(_materialise(reference, document) or local_ref, locale)
    if not holds_exactly(live_by_key, expected, categories_area(catalog_title)):
        categories = read_categories(site, reference, locale)
        categories.update(read_catalog_categories(site, reference, locale, home, names))
        if categories:
            classification["categories"] = categories
            site.note(
                "sys_choice[*.category]",
                "the categories are read from the choice lists: a category with the "
                "platform's own value and label cannot be told from the platform's",
            )
    if not holds_exactly(live_by_key, expected, priority_area):
        matrix = read_priority_matrix(site)
        if matrix is not None:
            classification["priority"] = matrix
    if classification:
        document["classification"] = classification
    document["customers"] = customers
    document["teams"] = teams
    document["schedules"] = schedules
    shaped = _materialise(reference, document) or local_ref
    priorities = priority_ids(shaped.classification.priority) if shaped.classification else {}
    ctx = Context(
        site,
        locale,
        people,
        schedule_ids,
        priorities,
        call_type_names(shaped, locale),
        category_ids(shaped, locale),
        home,
    )
    document["services"] = read_services(ctx, customers)
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
    if scope is not None:
        _adopt_ids(document, scope)
        _keep_from_scope(document, scope, reference)
    ordered = {k: document[k] for k in SECTIONS if document.get(k)}
    # A state shows one name: a step's other-language name is the reference's, or a copy.
    assumed: dict[str, tuple[str, ...]] = {"steps": ("name",) if locale == "nl" else ("name_nl",)}
    return Exported(ordered, tuple(site.findings), assumed, evidence)


#: The processes whose steps ServiceNow keeps no states for: their names come from the articles.
_ARTICLE_ONLY = (ProcessId.AGREE, ProcessId.RECOVER, ProcessId.OPERATE)


def _read_articles(
    site: Instance,
    reference: Blueprint,
    bp: Blueprint,
    articles: Mapping[str, Record],
    document: Doc,
    locale: Locale,
) -> None:
    """Add to ``document`` what the articles show: workflow tailorings, profiles, the steps
    of the processes without states, process and call type descriptions."""
    parsed = {ident: parse_article(field_text(r, "text"), locale) for ident, r in articles.items()}
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
    key = text_key("description", locale)
    calls = [{"id": ident, key: text} for ident, text in found.call_types.items()]
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


def _articles(site: Instance, bp: Blueprint, articles: Mapping[str, Record], document: Doc) -> int:
    """Keep, under ``x-servicenow.article``, each article the blueprint does not render as it
    is; returns how many."""
    kept = 0
    by_id = {wf.id: wf for wf in bp.workflows}
    docs = {d["id"]: d for d in document["workflows"]}
    for ident, record in sorted(articles.items()):
        wf: Workflow | None = by_id.get(ident)
        text = field_text(record, "text")
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


__all__ = ["export_records"]


def _adopt_ids(document: Doc, scope: Blueprint) -> None:
    """Give the exported elements the ids ``scope`` has for the same names (an export invents
    ids from names), and follow them in every reference."""
    renamed: dict[str, dict[str, str]] = {}
    sections: dict[str, Sequence[Any]] = {
        "teams": scope.teams,
        "customers": scope.customers,
        "schedules": scope.schedules,
        "services": scope.services,
        "profiles": scope.profiles,
    }
    for section, elements in sections.items():
        by_name = {e.name: e.id for e in elements}
        renamed[section] = {}
        for doc in document.get(section, []):
            ident = by_name.get(doc["name"])
            if ident and ident != doc["id"]:
                renamed[section][doc["id"]] = ident
                doc["id"] = ident
    teams, customers, hours = renamed["teams"], renamed["customers"], renamed["schedules"]
    services = {s.id: s for s in scope.services}
    for service in document.get("services", []):
        service["supported_by"] = [teams.get(t, t) for t in service.get("supported_by", [])]
        agreements = service.get("agreements", {})
        sa = agreements.get("service")
        if sa:
            sa["customer"] = customers.get(sa["customer"], sa["customer"])
            for key in ("service_hours", "support_hours"):
                if key in sa:
                    sa[key] = hours.get(sa[key], sa[key])
        for kind in ("olas", "ucs"):
            for agreement in agreements.get(kind, []):
                agreement["team"] = teams.get(agreement["team"], agreement["team"])
        known = services.get(service["id"])
        items = {r.name: r.id for r in known.requests} if known else {}
        for item in service.get("requests", []):
            item["id"] = items.get(item["name"], item["id"])
            if "team" in item:
                item["team"] = teams.get(item["team"], item["team"])
    profiles = renamed["profiles"]
    for workflow in document.get("workflows", []):
        for step in workflow.get("steps", []):
            for activity in step.get("activities", []):
                activity["raci"] = {profiles.get(p, p): c for p, c in activity["raci"].items()}


def _keep_from_scope(document: Doc, scope: Blueprint, reference: Blueprint) -> None:
    """Fill in, from ``scope``, the values ServiceNow does not keep, on the elements both
    have: a team's coordinator, a service's owner and its other supporting teams, an internal
    customer's description, an OLA's or UC's reference and description, a profile's role and
    description, a step's description. What the instance holds always wins."""
    kept: dict[str, tuple[Sequence[Any], tuple[str, ...]]] = {
        "teams": (scope.teams, ("coordinator",)),
        "customers": (scope.customers, ("description",)),
        "profiles": (scope.profiles, ("usm_role", "description")),
        "services": (scope.services, ("owner",)),
    }
    for section, (elements, keys) in kept.items():
        by_id = {e.id: e for e in elements}
        for doc in document.get(section, []):
            known = by_id.get(doc["id"])
            for key in keys:
                value = getattr(known, key, None) if known else None
                if value is not None and key not in doc:
                    doc[key] = value
    services = {s.id: s for s in scope.services}
    for doc in document.get("services", []):
        known = services.get(doc["id"])
        if known is None:
            continue
        supported = doc.get("supported_by", [])
        if supported and list(known.supported_by[:1]) == supported[:1]:
            doc["supported_by"] = [*known.supported_by] + [
                t for t in supported if t not in known.supported_by
            ]
        for kind in ("olas", "ucs"):
            theirs = {a.id: a for a in getattr(known.agreements, kind)}
            order = list(theirs)
            ours = doc.get("agreements", {}).get(kind, [])
            # The instance keeps no order of agreements: the blueprint's.
            ours.sort(key=lambda a: order.index(a["id"]) if a["id"] in order else len(order))
            for agreement in ours:
                match = theirs.get(agreement["id"])
                for key in ("reference", "description"):
                    value = getattr(match, key, None) if match else None
                    if value is not None:
                        agreement.setdefault(key, value)
    processes = {p.id.value: p for p in scope.processes}
    defaults = {p.id.value: {s.key: s for s in p.steps} for p in reference.processes}
    for process in document.get("processes", []):
        known_process = processes.get(process["id"])
        steps = {s.key: s for s in known_process.steps} if known_process else {}
        for step in process.get("steps", []):
            described = steps.get(step["key"])
            if described is None:
                continue
            if described.description:
                step.setdefault("description", described.description)
            # A step every article shows under a workflow's own name comes back with the
            # reference's names: the blueprint's are as good a guess, and change nothing.
            default = defaults.get(process["id"], {}).get(step["key"])
            if default is not None and (step.get("name"), step.get("name_nl")) == (
                default.name,
                default.name_nl,
            ):
                step["name"] = described.name
                if described.name_nl:
                    step["name_nl"] = described.name_nl
