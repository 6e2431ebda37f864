"""TOPdesk records → a USM blueprint layer: the inverse of :mod:`usm_topdesk.mapping`.

Pure. The tenant is read as ``plan`` reads it, and turned back into the blueprint elements the
mapping would have written it from, as a layer over the USM reference:

- the branch the operator groups belong to → the organisation; the other branches → external
  customers, departments → internal customers; operator groups → teams (a group with the
  supplier's task flags only is a supplier; flags other than the role's default go under
  ``x-topdesk.tasks``); services → services;
- the workflow knowledge items → processes, workflows, call types, profiles and the risk
  matrix (:mod:`usm_topdesk.export_workflows`); their language → the organisation's locale.

The checklist items TOPdesk's lists hold (call types, categories, priorities, statuses, …)
are compared with what the exported blueprint compiles to: the ones it accounts for are its
own; the rest are :class:`~usm_config.export.model.Finding`\\ s naming their record: the
tenant's out-of-box values (the sandbox baseline lists them) are the platform's, others are
left out. What TOPdesk's API cannot read at all (the matrices, request forms, Problem
Management, service window hours, SLA targets) is said in findings too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from pydantic import ValidationError

from usm_config.blueprint.model import Blueprint, Locale
from usm_config.blueprint.usm import CALL_TYPE_NAMES, PROCESSES, ProcessId
from usm_config.engine.records import Record, ref_target
from usm_config.export.assess import Evidence, ProcessEvidence
from usm_config.export.layer import lay_over
from usm_config.export.live import LiveRecords, field_text
from usm_config.export.model import Exported, Finding, FindingKind
from usm_config.sandbox.baseline import package_data
from usm_topdesk.article_read import read_article
from usm_topdesk.export_workflows import Layer, Pair, read_workflows, slug, unique
from usm_topdesk.kinds import UNREADABLE
from usm_topdesk.mapping import (
    SUPPLIER_TASKS,
    TASKS,
    compile_blueprint,
    group_name,
    role_tasks,
)
from usm_topdesk.values import ADAPTER, WORDS, folder_language

Address = tuple[str, tuple[str, ...]]

#: The e-mail addresses a blueprint's team takes (``Team.email``).
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _target_name(record: Record, name: str) -> str:
    found = ref_target(record.fields.get(name))
    return found[1][-1] if found and found[1] else ""


# ----------------------------------------------------------------------------- platform

#: The baseline table (``sandbox_baseline.json``) of each kind, and the field naming its rows.
_BASELINE: Mapping[str, tuple[str, str]] = {
    "branch": ("branch", "name"),
    "department": ("department", "name"),
    "operator_group": ("operatorgroup", "groupName"),
    "service": ("service", "name"),
    "category": ("category", "name"),
    "call_type": ("call_type", "name"),
    "entry_type": ("entry_type", "name"),
    "impact": ("impact", "name"),
    "urgency": ("urgency", "name"),
    "duration": ("duration", "name"),
    "priority": ("priority", "name"),
    "processing_status": ("processing_status", "name"),
    "closure_code": ("closure_code", "name"),
    "service_window": ("service_window", "name"),
    "change_template": ("change_template", "briefDescription"),
    "activity_type": ("operations_type", "name"),
}


@cache
def _platform() -> frozenset[Address]:
    """The (kind, key) of every record a new tenant holds before anyone configures it."""
    tables = package_data("usm_topdesk", "sandbox_baseline.json")["tables"]
    found: set[Address] = set()
    for kind, (table, name) in _BASELINE.items():
        rows = tables.get(table, [])
        names = {str(r.get("id")): str(r.get(name) or "") for r in rows}
        for row in rows:
            parent = row.get("parent") if kind == "category" else None
            if isinstance(parent, dict):
                found.add(
                    ("subcategory", (names.get(str(parent.get("id")), ""), names[str(row["id"])]))
                )
            else:
                found.add((kind, (names[str(row["id"])],)))
    for row in tables.get("kb_folder", []):
        for text in (row.get("_translations") or {}).values():
            found.add(("knowledge_folder", (str(text.get("title") or ""),)))
    return frozenset(found)


def _is_platform(record: Record) -> bool:
    return (record.kind, record.key) in _platform()


# ----------------------------------------------------------------------------- locale


def _usm_folder(tenant: LiveRecords) -> Record | None:
    titles = {WORDS["folder"][0], WORDS["folder"][1]}
    return next(
        (r for r in tenant.of("knowledge_folder") if field_text(r, "title") in titles), None
    )


def _locale(tenant: LiveRecords, folder: Record | None) -> Locale:
    """The language of the USM knowledge folder's title; else Dutch when TOPdesk's call types
    carry USM's Dutch names, else English."""
    if folder is not None:
        return folder_language(field_text(folder, "title"))
    dutch = {nl for en, nl in CALL_TYPE_NAMES.values() if nl != en}
    names = {field_text(r, "name") for r in tenant.of("call_type")}
    return "nl" if names & dutch else "en"


# ----------------------------------------------------------------------------- articles


def _pairs(
    tenant: LiveRecords, reference: Blueprint, folder: Record | None, locale: Locale
) -> list[Pair]:
    """The USM folder's knowledge items read back, by workflow (each once, the first by
    number); an item that is not a workflow article is left out."""
    if folder is None:
        return []
    tenant.use(folder)
    workflows = {wf.number: wf for wf in reference.workflows}
    pairs: dict[int, Pair] = {}
    for record in tenant.of("knowledge_item"):
        if ref_target(record.fields.get("folder")) != ("knowledge_folder", folder.key):
            continue
        translation = record.fields.get("translation")
        other = translation if isinstance(translation, dict) else {}
        language = field_text(record, "language") or locale
        try:
            own = read_article(field_text(record, "content"), "nl" if language == "nl" else "en")
            there = read_article(
                str(other.get("content") or ""), "en" if language == "nl" else "nl"
            )
        except (ValueError, IndexError):  # NotAnArticle, or content cut or edited by hand
            tenant.find(record, "a knowledge item in the USM folder that is not a workflow article")
            continue
        wf = workflows.get(own.number)
        if wf is None or own.number in pairs:
            tenant.find(record, f"a second article of USM workflow {own.number}, or of none")
            continue
        tenant.use(record)
        en, nl = (there, own) if language == "nl" else (own, there)
        pairs[own.number] = Pair(wf, en, nl)
    return [pairs[n] for n in sorted(pairs)]


# ----------------------------------------------------------------------------- organisation


def _provider(tenant: LiveRecords) -> Record | None:
    """The branch most operator groups belong to: usm-config puts them in the organisation's."""
    counts = Counter(_target_name(r, "branch") for r in tenant.of("operator_group"))
    counts.pop("", None)
    if not counts:
        return None
    name = sorted(counts.items(), key=lambda c: (-c[1], c[0]))[0][0]
    return next((r for r in tenant.of("branch") if field_text(r, "name") == name), None)


def _organisation(tenant: LiveRecords, provider: Record | None, locale: Locale) -> dict[str, Any]:
    if provider is None:
        tenant.findings.insert(
            0,
            Finding(
                "operator_group[*]",
                "no operator group names the branch of the organisation: the export names "
                "the organisation 'Exported TOPdesk tenant'; rename it",
                kind=FindingKind.ASSUMED,
            ),
        )
        return {
            "id": "exported-topdesk-tenant",
            "name": "Exported TOPdesk tenant",
            "locale": locale,
        }
    tenant.use(provider)
    name = field_text(provider, "name")
    return {"id": slug(name), "name": name, "locale": locale}


def _customers(tenant: LiveRecords, provider: Record | None) -> list[dict[str, Any]]:
    taken: set[str] = set()
    out = []
    for record in tenant.of("branch"):
        if record is provider or _is_platform(record):
            continue
        tenant.use(record)
        name = field_text(record, "name")
        out.append({"id": unique(slug(name), taken), "name": name, "kind": "external"})
    for record in tenant.of("department"):
        if _is_platform(record):
            continue
        tenant.use(record)
        name = field_text(record, "name")
        out.append({"id": unique(slug(name), taken), "name": name, "kind": "internal"})
    return out


def _tasks(record: Record) -> tuple[str, ...]:
    return tuple(name for name, flag in TASKS.items() if record.fields.get(flag) is True)


def _teams(
    tenant: LiveRecords, provider: Record | None, scope: Blueprint | None
) -> list[dict[str, Any]]:
    """Operator groups as teams. The mapping gives the first internal team the desk's tasks,
    so the teams come in ``scope``'s order (the blueprint an export is pulled into), then the
    service desk (the group that takes first-line calls) before the others. A group ``scope``
    has a team for keeps that team's id, name and kind."""
    known = {group_name(t): (i, t) for i, t in enumerate(scope.teams)} if scope else {}
    groups = [r for r in tenant.of("operator_group") if not _is_platform(r)]
    groups.sort(
        key=lambda r: (
            known.get(field_text(r, "groupName"), (len(known), None))[0],
            "first-line" not in _tasks(r),
            field_text(r, "groupName"),
        )
    )
    taken: set[str] = set()
    teams: list[dict[str, Any]] = []
    desk_given = False
    for record in groups:
        tenant.use(record)
        name = field_text(record, "groupName")
        tasks = _tasks(record)
        _, mine = known.get(name, (0, None))
        kind = mine.kind if mine else "supplier" if tasks == SUPPLIER_TASKS else "internal"
        team: dict[str, Any] = {
            "id": unique(mine.id if mine else slug(name), taken),
            "name": mine.name if mine else name,
            "kind": kind,
        }
        email = field_text(record, "email")
        if _EMAIL.match(email):
            team["email"] = email
        elif email:
            tenant.find(record, f"its e-mail address '{email}' is not one a blueprint takes")
        settings: dict[str, Any] = {}
        if team["name"] != name:
            settings["operator_group"] = name
        desk = kind == "internal" and not desk_given
        desk_given = desk_given or desk
        if set(role_tasks(kind, desk)) != set(tasks):
            settings["tasks"] = list(tasks)
        if settings:
            team[f"x-{ADAPTER}"] = settings
        teams.append(team)
        branch = _target_name(record, "branch")
        if provider is not None and branch != field_text(provider, "name"):
            tenant.report(
                record,
                f"belongs to the branch '{branch}'; usm-config puts every operator group "
                "in the organisation's branch",
            )
    if teams:
        tenant.note(
            "operator_group[*]",
            "TOPdesk keeps no team kind or coordinator, and no link from a service to the "
            "groups that support it: a group with only the second-line task is exported as "
            "a supplier, every other one as an internal team; add each service's "
            "'supported_by'",
        )
    return teams


def _services(tenant: LiveRecords) -> list[dict[str, Any]]:
    taken: set[str] = set()
    out = []
    for record in tenant.of("service"):
        if _is_platform(record):
            continue
        tenant.use(record)
        name = field_text(record, "name")
        out.append({"id": unique(slug(name), taken), "name": name, "status": "pipeline"})
    if out:
        tenant.note(
            "service[*]",
            "TOPdesk's services API reads a service's name only: every service is exported "
            "in the pipeline without description, facility, supporting teams or agreements; "
            "add them, then set 'status: live'",
        )
    return out


# ----------------------------------------------------------------------------- the rest

#: Why a record the exported blueprint does not account for is left out, by kind.
_LEFT_OUT: Mapping[str, str] = {
    "branch": "a branch that is neither the organisation nor a customer",
    "knowledge_folder": "a knowledge base folder that is not usm-config's USM workflows folder",
    "knowledge_item": "a knowledge item outside the USM workflows folder",
    "call_type": "a call type that is not one of USM's five",
    "entry_type": "an entry type that is none of the channels of USM's service agreements",
    "impact": "an impact that is not a row of the USM priority matrix",
    "urgency": "an urgency that is not a column of the USM priority matrix",
    "priority": "a priority that is not one of the USM priority levels",
    "duration": "a duration no exported SLA target uses (the targets cannot be read)",
    "processing_status": "a processing status that is not a USM call status",
    "closure_code": "a closure code usm-config does not use",
    "category": "a category that is not one of the USM classification's; TOPdesk does not tie "
    "it to a call type: add it under 'classification.categories' of its call type",
    "subcategory": "a subcategory that is not one of the USM classification's",
    "service_window": "a service window: its opening hours cannot be read; add it as a "
    "schedule by hand",
    "service_level": "an SLA service level: its targets cannot be read; add the service's "
    "agreements by hand",
    "change_template": "a change template that is not a USM workflow's",
    "activity_type": "an operational activity type that is not a step of Operate",
}

#: What TOPdesk holds where its API cannot read it, per checklist kind the API cannot read.
_UNREADABLE: Mapping[str, str] = {
    "priority_matrix": "the impact × urgency priority matrix cannot be read: the export keeps "
    "the reference's priority matrix",
    "request_form": "Self-Service Portal request forms have no API: services are exported "
    "without their requests",
    "problem_status": "TOPdesk has no Problem Management API: Improve's statuses cannot be read "
    "(its steps come from the workflow knowledge items)",
    "risk_matrix": "the problem priority matrix cannot be read (the risk matrix comes from the "
    "workflow knowledge items)",
}

_READ_NOTHING = (
    "Schedules, service agreements, OLAs and UCs are not exported: TOPdesk's API reads the "
    "names of service windows and which service is in which SLA contract, but neither opening "
    "hours nor targets. Add 'schedules' and each service's 'agreements' by hand."
)


def _accounted(
    tenant: LiveRecords, document: Mapping[str, Any], reference: Blueprint
) -> set[Address]:
    """The (kind, key) of every record the exported layer compiles to (none, and a finding,
    when the layer does not make a valid blueprint or does not compile)."""
    try:
        return {(r.kind, r.key) for r in compile_blueprint(lay_over(reference, document)).records}
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = f"the export is not a valid blueprint here: {first['msg']}"
    except ValueError as exc:  # two elements become one TOPdesk record
        where, message = "*", f"the export does not compile: {exc}"
    tenant.note(where, message, FindingKind.LEFT_OUT)
    return set()


def _left_out(tenant: LiveRecords, accounted: set[Address]) -> None:
    for record in tenant.records:
        address = (record.kind, record.key)
        if address in tenant.used:
            continue
        if address in accounted:
            tenant.use(record)
            continue
        if _is_platform(record):
            tenant.report(
                record, "a value a new TOPdesk tenant comes with, not USM's", FindingKind.PLATFORM
            )
            continue
        reason = _LEFT_OUT.get(record.kind, "not part of a USM blueprint")
        kind = (
            FindingKind.UNREADABLE
            if record.kind in ("service_window", "service_level")
            else FindingKind.LEFT_OUT
        )
        tenant.report(record, reason, kind)


# ----------------------------------------------------------------------------- assess

#: The call types a new tenant comes with, by the USM process whose calls they stand for
#: (Call Management handles them all; sandbox baseline).
_PLATFORM_CALL_TYPES: Mapping[str, ProcessId] = {
    "Disruption": ProcessId.RECOVER,
    "Request": ProcessId.OPERATE,
    "Complaint": ProcessId.AGREE,
}

_UNREADABLE_FOR_ASSESS = (
    "Improve cannot be assessed: TOPdesk has no Problem Management API",
    "service agreements, SLA targets and schedules cannot be assessed: TOPdesk's API reads "
    "no opening hours or SLA targets",
)


def _steps_shown(
    reference: Blueprint, layer: Layer
) -> dict[ProcessId, tuple[str, str, tuple[str, ...]]]:
    """Per process, its English and Dutch name and its steps' English names, as the exported
    layer has them (the reference's where the layer does not change them)."""
    tailored = {str(p["id"]): p for p in layer.processes}
    out = {}
    for process in reference.processes:
        mine = tailored.get(process.id.value, {})
        steps = mine.get("steps")
        out[process.id] = (
            str(mine.get("name", process.name)),
            str(mine.get("name_nl", process.name_nl or PROCESSES[process.id].name_nl)),
            tuple(str(s["name"]) for s in steps) if steps else tuple(s.name for s in process.steps),
        )
    return out


def _evidence(
    tenant: LiveRecords,
    reference: Blueprint,
    locale: Locale,
    layer: Layer,
    accounted: set[Address],
    documented: set[ProcessId],
) -> Evidence:
    """Per USM process, what carries it in TOPdesk: Call Management (a call type of the
    process, USM's before the one a new tenant comes with) for Agree, Recover and Operate,
    Change Management's templates for Change; Improve lives in Problem Management, which the
    API cannot read. A process is set up the USM way when a workflow knowledge item documents
    it and every record of its list the export compiles to is there: its states are then the
    steps the knowledge items show; otherwise they are the processing statuses (TOPdesk keeps
    no states per process). A hand-over to another process is modelled where the "Waiting for
    <process>" processing status is."""
    present = {(r.kind, r.key) for r in tenant.records}
    shown = _steps_shown(reference, layer)
    statuses = tuple(r.key[-1] for r in tenant.of("processing_status"))
    waiting = {
        pid
        for pid, (en, nl, _) in shown.items()
        if WORDS["waiting"][locale == "nl"].format(process=nl if locale == "nl" else en) in statuses
    }
    usm_call_types = {}
    for ct in reference.call_types:
        usm_call_types[ct.name] = ct.process
        usm_call_types[ct.name_nl or CALL_TYPE_NAMES[ct.id][1]] = ct.process
    carriers: dict[ProcessId, tuple[str, str]] = {}
    for table in (usm_call_types, _PLATFORM_CALL_TYPES):
        for record in tenant.of("call_type"):
            pid = table.get(field_text(record, "name"))
            if pid is not None and pid != ProcessId.IMPROVE:
                carriers.setdefault(pid, (record.address, "processing_status"))
    if tenant.of("change_template"):
        carriers[ProcessId.CHANGE] = ("change_template[*]", "change_template")
    out = []
    for process in reference.processes:
        if process.id not in carriers:
            out.append(ProcessEvidence(process.id, None))
            continue
        source, kind = carriers[process.id]
        wanted = {a for a in accounted if a[0] == kind}
        usm = process.id in documented and bool(wanted) and wanted <= present
        states = shown[process.id][2] if usm else statuses if kind == "processing_status" else ()
        out.append(
            ProcessEvidence(
                process.id,
                source,
                states,
                usm=usm,
                hands_over_to=tuple(sorted(waiting - {process.id})),
            )
        )
    loose = tuple(r.address for r in tenant.of("category") if (r.kind, r.key) not in accounted)
    return Evidence(tuple(out), loose, _UNREADABLE_FOR_ASSESS)


# ----------------------------------------------------------------------------- export


def _prune(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if value}


#: What the export fills in without TOPdesk keeping it (see the findings of kind "assumed").
_ASSUMED: dict[str, tuple[str, ...]] = {
    "teams": ("kind",),
    "services": ("status",),
}


def export_records(
    live: Iterable[Record], reference: Blueprint, scope: Blueprint | None = None
) -> Exported:
    """The tenant's USM configuration as a blueprint layer over ``reference``; given the
    blueprint the export is pulled into (``scope``), its teams keep their ids and names, and
    profiles their ids."""
    tenant = LiveRecords(list(live))
    folder = _usm_folder(tenant)
    locale = _locale(tenant, folder)
    pairs = _pairs(tenant, reference, folder, locale)
    layer = read_workflows(pairs, reference, scope)
    provider = _provider(tenant)
    document: dict[str, Any] = {
        "organisation": _organisation(tenant, provider, locale),
        "profiles": layer.profiles,
        "customers": _customers(tenant, provider),
        "teams": _teams(tenant, provider, scope),
        "services": _services(tenant),
        "call_types": layer.call_types,
        "processes": layer.processes,
        "workflows": layer.workflows,
    }
    if layer.risk is not None:
        document["classification"] = {"risk": layer.risk}
    if pairs:
        tenant.note(
            "knowledge_item[*]",
            "the workflow knowledge items do not show step descriptions, profiles' "
            "descriptions and USM roles, or the ids of activities and SLA clocks: steps "
            "keep the reference's descriptions where they keep its key, and the ids are "
            "made from the names",
        )
        shown = {pair.workflow.id for pair in pairs}
        missing = [wf.id for wf in reference.workflows if wf.id not in shown]
        if missing:
            document["omit"] = {"workflows": missing}
    else:
        tenant.findings.insert(
            0,
            Finding(
                "knowledge_item[*]",
                "no USM workflow knowledge items (a knowledge base folder 'USM workflows'): "
                "processes, workflows and call types are the reference's",
            ),
        )
    for problem in layer.problems:
        tenant.note("knowledge_item[*]", problem, FindingKind.UNREADABLE)
    document = _prune(document)
    accounted = _accounted(tenant, document, reference)
    tenant.note("service_window[*], service_level[*]", _READ_NOTHING, FindingKind.UNREADABLE)
    for kind in sorted(UNREADABLE):
        tenant.note(f"{kind}[*]", _UNREADABLE[kind], FindingKind.UNREADABLE)
    _left_out(tenant, accounted)
    documented = {pid for pair in pairs for pid in pair.workflow.path}
    evidence = _evidence(tenant, reference, locale, layer, accounted, documented)
    # The knowledge items show every step in both languages: no step name is assumed.
    return Exported(document, tuple(tenant.findings), dict(_ASSUMED), evidence)


__all__ = ["export_records"]
