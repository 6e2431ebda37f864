"""Jira Service Management records → a USM blueprint layer: the inverse of :mod:`usm_jsm.mapping`.

Pure. The site is read as ``plan`` reads it; :func:`export_records` finds the service project
usm-config (or an administrator) set up the USM way, and turns what it holds back into the
blueprint elements the mapping would have written it from, as a layer over the USM reference:

- the project → the organisation (its key under ``x-jsm``), organizations → customers, groups
  that are not Jira's own → teams, components → services (goods and actions from the
  description), request types "Part of the service …" → the service's request items;
- the USM workflow scheme's issue types → call type names, the statuses of each "USM <process>"
  workflow in transition order → the process's steps (a renamed or added step becomes a
  process tailoring), the "Hand over" transition → the fork step;
- the select fields → the impact, urgency, effect, likelihood and risk level names, the
  cascading "USM category" field → the categories per call type.

Everything else on the site is a :class:`~usm_config.export.model.Finding` naming its record:
Jira's own objects, objects of other projects, and what the public API cannot read (calendars,
SLA metrics and automation rules, so schedules and agreements cannot come back).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import JsonValue

from usm_config.blueprint.model import (
    Blueprint,
    Category,
    Level,
    Locale,
    Process,
    ProcessStep,
    Rank,
)
from usm_config.blueprint.usm import KNOWN_ERROR_STEP, REVIEW_STEP, CallType, ProcessId
from usm_config.compile.wording import Wording, description_in, name_in, text_key
from usm_config.engine.records import Record, ref_target
from usm_config.export.assess import Evidence, ProcessEvidence
from usm_config.export.live import LiveRecords, field_text
from usm_config.export.model import Exported, Finding, FindingKind
from usm_config.export.text import (
    facility,
    names_of,
    slug,
    strip_suffix,
    template_pattern,
)
from usm_config.sandbox.baseline import package_data
from usm_jsm.values import CALL_STATUS_PROPERTY, CASCADING, OWNER, WORDS, sentence

#: Groups every Cloud site has (jira.md §1.7): the site's administrators and the product
#: access groups, which are named after the product and the site.
_PLATFORM_GROUPS = re.compile(
    r"^(administrators|site-admins|atlassian-addons-admin|trusted-users|"
    r"(jira|confluence|bitbucket|statuspage|opsgenie|compass)-.*)$"
)


_words = Wording(WORDS).phrase


def _refers_to(value: JsonValue, kind: str, key: tuple[str, ...]) -> bool:
    return ref_target(value) == (kind, key)


# ----------------------------------------------------------------------------- the project


@dataclass(frozen=True)
class _Project:
    record: Record
    key: str
    locale: Locale
    scheme: str


def _find_project(site: LiveRecords, reference: Blueprint, key: str | None) -> _Project | None:
    """The service project whose workflow scheme is a usm-config one ("USM: <name>"): the
    one with ``key`` when given, else the first by key."""
    scheme_pattern = template_pattern(WORDS["scheme"][0])
    candidates = []
    for record in site.of("project"):
        target = ref_target(record.fields.get("workflowScheme"))
        if target and scheme_pattern.match(target[1][0] if target[1] else ""):
            candidates.append((record, target[1][0]))
    if key is not None:
        candidates.sort(key=lambda c: field_text(c[0], "key") != key)
    if not candidates or (key is not None and field_text(candidates[0][0], "key") != key):
        return None
    record, scheme = candidates[0]
    for other, _ in candidates[1:]:
        site.find(
            other,
            "another USM project on the site; an export holds one project (export the other "
            "onto its own blueprint)",
        )
    return _Project(record, field_text(record, "key"), _detect_locale(site, reference), scheme)


def _detect_locale(site: LiveRecords, reference: Blueprint) -> Locale:
    """Dutch when the USM workflows carry the Dutch process names ("USM Herstellen")."""
    names = {field_text(r, "name") for r in site.of("workflow")}
    dutch = {
        WORDS["workflow"][1].format(process=p.name_nl) for p in reference.processes if p.name_nl
    }
    return "nl" if names & dutch else "en"


def _organisation(site: LiveRecords, project: _Project) -> dict[str, Any]:
    record = project.record
    site.use(record)
    name = field_text(record, "name")
    description = strip_suffix(field_text(record, "description"), _words("managed", project.locale))
    # The owner marker names the blueprint that made the project: the export continues it.
    owner = field_text(record, OWNER)
    organisation: dict[str, Any] = {"id": owner if owner and slug(owner) == owner else slug(name)}
    organisation["name"] = name
    if description:
        organisation["description"] = description
    organisation["locale"] = project.locale
    organisation["x-jsm"] = {"project_key": project.key}
    return organisation


# ----------------------------------------------------------------------------- people


def _teams(site: LiveRecords) -> list[dict[str, Any]]:
    teams = []
    for record in site.of("group"):
        name = field_text(record, "name")
        if _PLATFORM_GROUPS.match(name):
            site.find(record, "one of Jira's own groups, not a USM team", FindingKind.PLATFORM)
            continue
        site.use(record)
        teams.append({"id": slug(name), "name": name, "kind": "internal"})
    if teams:
        site.note(
            "group[*]",
            "Jira keeps no team kind, e-mail address or coordinator: every team is exported "
            "as an internal team; mark suppliers with 'kind: supplier'",
        )
    return teams


def _customers(site: LiveRecords) -> list[dict[str, Any]]:
    customers = []
    for record in site.of("organization"):
        site.use(record)
        name = field_text(record, "name")
        customers.append({"id": slug(name), "name": name, "kind": "internal"})
    if customers:
        site.note(
            "organization[*]",
            "JSM keeps no customer kind: every customer is exported as internal; mark "
            "external ones with 'kind: external'",
        )
    return customers


# ----------------------------------------------------------------------------- processes


def _process_of_workflow(
    name: str, reference: Blueprint, locale: Locale
) -> tuple[ProcessId, Process] | None:
    pattern = template_pattern(_words("workflow", locale))
    match = pattern.match(name)
    if not match:
        return None
    for process in reference.processes:
        if match.group("process") == name_in(locale, process):
            return process.id, process
    return None


def _ordered_steps(workflow: Record, waiting: re.Pattern[str]) -> tuple[list[str], str | None]:
    """The workflow's statuses in step order (from the initial transition along the
    single-step transitions), and the fork step (where a "Hand over" transition starts)."""
    transitions = [t for t in _list(workflow.fields.get("transitions")) if isinstance(t, dict)]
    first = next((str(t.get("to")) for t in transitions if t.get("type") == "INITIAL"), None)
    following: dict[str, str] = {}
    fork = None
    for t in transitions:
        sources = _list(t.get("from"))
        target = str(t.get("to"))
        if t.get("type") == "INITIAL" or len(sources) != 1:
            continue
        if waiting.match(target):
            fork = str(sources[0])
            continue
        if waiting.match(str(sources[0])):
            continue
        following.setdefault(str(sources[0]), target)
    order: list[str] = []
    current = first
    while current is not None and current not in order:
        order.append(current)
        current = following.get(current)
    return order, fork


def _list(value: JsonValue) -> list[JsonValue]:
    return list(value) if isinstance(value, list) else []


def _steps(
    site: LiveRecords, reference: Blueprint, locale: Locale, descriptions: Mapping[str, str]
) -> tuple[list[dict[str, Any]], dict[ProcessId, str]]:
    """Process tailorings for every USM workflow whose steps differ from the reference's, and
    the Jira workflow name of each process found."""
    waiting = template_pattern(_words("waiting", locale))
    tailorings: list[dict[str, Any]] = []
    found: dict[ProcessId, str] = {}
    for record in site.of("workflow"):
        name = field_text(record, "name")
        matched = _process_of_workflow(name, reference, locale)
        if matched is None:
            continue
        process_id, process = matched
        site.use(record)
        found[process_id] = name
        live, fork = _ordered_steps(record, waiting)
        base = [name_in(locale, s) for s in process.steps]
        if live == base and (
            fork is None or (fork in base and process.steps[base.index(fork)].fork)
        ):
            continue
        steps = _step_list(process, live, fork, locale, descriptions, _call_status_of(record))
        tailorings.append({"id": process_id.value, "steps": steps})
    return tailorings, found


def _step_list(
    process: Process,
    live: Sequence[str],
    fork: str | None,
    locale: Locale,
    descriptions: Mapping[str, str],
    call_statuses: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The live steps as a ``steps`` list, each on the reference step it stands for."""
    bases = _align(process, live, fork, locale, call_statuses)
    steps: list[dict[str, Any]] = []
    used: set[str] = set()
    for name, base in zip(live, bases, strict=True):
        key = base.key if base else slug(name)
        while key in used:
            key += "-2"
        used.add(key)
        step: dict[str, Any] = {"key": key, **names_of(name, base, locale)}
        if name == fork:
            step["fork"] = True
        description = descriptions.get(name)
        if description:
            step["description"] = description
        steps.append(step)
    return steps


def _align(
    process: Process,
    live: Sequence[str],
    fork: str | None,
    locale: Locale,
    call_statuses: Mapping[str, str],
) -> list[ProcessStep | None]:
    """The reference step each live step stands for: by position when there are as many;
    otherwise by name, by the call status a step sets (the review, close and known-error
    steps), and by place (the first, the last, the fork). A step that matches none is new."""
    if len(live) == len(process.steps):
        return list(process.steps)
    by_name = {name_in(locale, s): s for s in process.steps}
    by_key = {s.key: s for s in process.steps}
    out: list[ProcessStep | None] = []
    for i, name in enumerate(live):
        base = by_name.get(name)
        status = call_statuses.get(name, "")
        if base is None and i == 0:
            base = process.steps[0]
        elif base is None and i == len(live) - 1:
            base = process.steps[-1]
        elif base is None and name == fork:
            base = next((s for s in process.steps if s.fork), None)
        elif base is None and any(w in status for w in _FULFILLED):
            base = by_key.get(REVIEW_STEP)
        elif base is None and any(w in status for w in _KNOWN_ERROR):
            base = by_key.get(KNOWN_ERROR_STEP[1]) if process.id == KNOWN_ERROR_STEP[0] else None
        out.append(base)
    return out


#: How the review and known-error steps' call statuses read, in both locales.
_FULFILLED = ("workflow fulfilled", "process fulfilled", "workflow vervuld", "proces vervuld")
_KNOWN_ERROR = ("known error", "bekende fout")


def _call_status_of(workflow: Record) -> dict[str, str]:
    """Status name → the ``usm.call-status`` property the workflow gives it."""
    out = {}
    for status in _list(workflow.fields.get("statuses")):
        properties = status.get("properties") if isinstance(status, dict) else None
        if isinstance(status, dict) and isinstance(properties, dict):
            value = properties.get(CALL_STATUS_PROPERTY)
            if isinstance(value, str):
                out[str(status.get("name"))] = value
    return out


def _status_descriptions(site: LiveRecords, locale: Locale) -> dict[str, str]:
    managed = _words("managed", locale)
    out = {}
    for record in site.of("status"):
        text = strip_suffix(field_text(record, "description"), managed)
        if text:
            out[field_text(record, "name")] = text
    return out


# ----------------------------------------------------------------------------- call types


def _call_types(
    site: LiveRecords,
    reference: Blueprint,
    locale: Locale,
    project: _Project,
    workflows: Mapping[ProcessId, str],
) -> tuple[list[dict[str, Any]], dict[str, CallType]]:
    """Call type tailorings (renamed issue types) and the call type of each issue type name."""
    process_of_workflow = {name: process for process, name in workflows.items()}
    call_type_of_process = {ct.process: ct for ct in reference.call_types}
    out: list[dict[str, Any]] = []
    by_issue_type: dict[str, CallType] = {}
    for record in site.of("workflowscheme_mapping"):
        target = ref_target(record.fields.get("scheme"))
        if target != ("workflowscheme", (project.scheme,)):
            continue
        workflow = ref_target(record.fields.get("workflow"))
        process = process_of_workflow.get(workflow[1][0]) if workflow else None
        issue_type = ref_target(record.fields.get("issueType"))
        if process is None or issue_type is None or process not in call_type_of_process:
            continue
        site.use(record)
        call_type = call_type_of_process[process]
        name = issue_type[1][0]
        by_issue_type[name] = call_type.id
        if name != name_in(locale, call_type):
            out.append({"id": call_type.id.value, text_key("name", locale): name})
    managed = _words("managed", locale)
    for record in site.of("issuetype"):
        if field_text(record, "name") in by_issue_type:
            site.use(record)
            ct = by_issue_type[field_text(record, "name")]
            description = strip_suffix(field_text(record, "description"), managed)
            base = next(c for c in reference.call_types if c.id == ct)
            if description and description != sentence(description_in(locale, base)):
                entry = next((e for e in out if e["id"] == ct.value), None)
                if entry is None:
                    entry = {"id": ct.value}
                    out.append(entry)
                entry[text_key("description", locale)] = description
    for kind in ("issuetypescheme", "workflowscheme"):
        for record in site.of(kind):
            if field_text(record, "name") == project.scheme:
                site.use(record)
    return sorted(out, key=lambda e: str(e["id"])), by_issue_type


# ----------------------------------------------------------------------------- classification


def _context_options(
    site: LiveRecords, field_name: str, context_name: str | None
) -> list[str] | None:
    """The option values of the field's context (the project's one when ``context_name`` is
    None: any context not named "Default Configuration Scheme …")."""
    contexts = [
        r
        for r in site.of("field_context")
        if _refers_to(r.fields.get("field"), "field", (field_name,))
        and (context_name is None or field_text(r, "name") == context_name)
        and not field_text(r, "name").startswith("Default Configuration Scheme")
    ]
    if not contexts:
        return None
    context = contexts[0]
    site.use(context)
    for record in site.of("field"):
        if field_text(record, "name") == field_name:
            site.use(record)
    values = []
    for record in site.records:
        if record.kind == "field_option" and _refers_to(
            record.fields.get("context"), "field_context", context.key
        ):
            site.use(record)
            values.append(field_text(record, "value"))
    return values


def _levels(
    site: LiveRecords, locale: Locale, word_key: str, base: Sequence[Level | Rank]
) -> list[dict[str, Any]] | None:
    """The levels of a scale, renamed after the live select field's options, or None when they
    match the reference's names in ``locale``. An option named like a level is that level; the
    options named otherwise rename the levels left, in the order the field lists them (the
    scale's, as apply writes it)."""
    values = _context_options(site, _words(word_key, locale), None)
    if values is None:
        return None
    names = [name_in(locale, lvl) for lvl in base]
    if sorted(values) == sorted(names):
        return None
    if len(values) != len(base):
        return None
    renamed = [v for v in values if v not in names]
    out = []
    for level, name in zip(base, names, strict=True):
        value = name if name in values else renamed.pop(0)
        entry = level.model_dump(mode="json", exclude_none=True)
        out.append({**entry, **names_of(value, level, locale)})
    return out


def _position(names: Sequence[str]) -> Any:
    return lambda value: names.index(value) if value in names else len(names)


def _categories(
    site: LiveRecords,
    reference: Blueprint,
    locale: Locale,
    by_issue_type: Mapping[str, CallType],
) -> dict[str, list[dict[str, Any]]] | None:
    field_name = _words("category", locale)
    fields = [
        r for r in site.of("field") if field_text(r, "name") == field_name and r.fields.get("type")
    ]
    if not fields or field_text(fields[0], "type") != CASCADING:
        return None
    site.use(fields[0])
    tree = _CategoryTree(locale)
    out: dict[str, list[dict[str, Any]]] = {}
    for context in site.of("field_context"):
        if not _refers_to(context.fields.get("field"), "field", (field_name,)):
            continue
        call_type = by_issue_type.get(field_text(context, "name"))
        if call_type is None:
            continue
        site.use(context)
        base = (
            reference.classification.categories.get(call_type, ())
            if reference.classification
            else ()
        )
        out[call_type.value] = tree.in_order(tree.read(site, context.key, base), base)
    if reference.classification is not None:
        base_all = {
            ct.value: [_category_data(c) for c in cats]
            for ct, cats in reference.classification.categories.items()
        }
        if out == base_all:
            return None
    return out


def _category_data(category: Category) -> dict[str, Any]:
    data: dict[str, Any] = category.model_dump(mode="json", exclude_none=True, exclude={"children"})
    if category.children:
        data["children"] = [_category_data(c) for c in category.children]
    return data


@dataclass(frozen=True)
class _CategoryTree:
    """The categories of one call type as the cascading field's options hold them, named in
    ``locale``: a category the reference knows (by its name in ``locale``) keeps its id and
    its name in the other language; a live name goes under the key of ``locale``."""

    locale: Locale

    def name(self, category: Category) -> str:
        return name_in(self.locale, category)

    def node(self, name: str, known: Category | None) -> dict[str, Any]:
        return {"id": known.id if known else slug(name), **names_of(name, known, self.locale)}

    def in_order(
        self, tree: list[dict[str, Any]], base: Sequence[Category]
    ) -> list[dict[str, Any]]:
        """``tree`` in the reference's order (new categories after the known ones, by name)."""
        order = [self.name(c) for c in base]
        known = {self.name(c): c for c in base}
        out = []
        for node in sorted(tree, key=lambda n: (_position(order)(n["_shown"]), n["_shown"])):
            parent = known.get(node["_shown"])
            children = node.get("children")
            entry = {k: v for k, v in node.items() if k != "_shown"}
            if children:
                entry["children"] = self.in_order(children, parent.children if parent else ())
            out.append(entry)
        return out

    def read(
        self, site: LiveRecords, context_key: tuple[str, ...], base: Sequence[Category]
    ) -> list[dict[str, Any]]:
        base_by_name = {self.name(c): c for c in base}
        tops: list[dict[str, Any]] = []
        for option in site.of("field_option"):
            if not _refers_to(option.fields.get("context"), "field_context", context_key):
                continue
            site.use(option)
            name = field_text(option, "value")
            known = base_by_name.get(name)
            top = {**self.node(name, known), "_shown": name}
            children: dict[str, dict[str, Any]] = {}
            for child in site.of("field_child_option"):
                if not _refers_to(child.fields.get("parent"), "field_option", option.key):
                    continue
                site.use(child)
                self.place(children, field_text(child, "value").split(" / "), known)
            if children:
                top["children"] = self.tree_list(children)
            tops.append(top)
        return tops

    def place(
        self, tree: dict[str, dict[str, Any]], trail: list[str], base: Category | None
    ) -> None:
        name, rest = trail[0], trail[1:]
        known = next((c for c in (base.children if base else ()) if self.name(c) == name), None)
        node = tree.setdefault(name, {**self.node(name, known), "_shown": name, "_children": {}})
        if rest:
            self.place(node["_children"], rest, known)

    def tree_list(self, tree: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for node in tree.values():
            entry = {k: v for k, v in node.items() if k != "_children"}
            if node["_children"]:
                entry["children"] = self.tree_list(node["_children"])
            out.append(entry)
        return out


def _classification(
    site: LiveRecords, reference: Blueprint, locale: Locale, by_issue_type: Mapping[str, CallType]
) -> dict[str, Any]:
    cls = reference.classification
    if cls is None:
        return {}
    out: dict[str, Any] = {}
    categories = _categories(site, reference, locale, by_issue_type)
    if categories is not None:
        out["categories"] = categories
    for matrix_key, scales in (
        ("priority", (("rows", "impact"), ("columns", "urgency"))),
        ("risk", (("rows", "effect"), ("columns", "likelihood"), ("levels", "risk_level"))),
    ):
        matrix = getattr(cls, matrix_key)
        changed: dict[str, Any] = {}
        for attribute, word_key in scales:
            levels = _levels(site, locale, word_key, getattr(matrix, attribute))
            if levels is not None:
                changed[attribute] = levels
        if changed:
            whole = matrix.model_dump(mode="json", exclude_none=True)
            whole.update(changed)
            out[matrix_key] = whole
    priorities = {field_text(r, "name"): r for r in site.of("priority")}
    for level in cls.priority.levels:
        name = name_in(locale, level)
        if name in priorities:
            site.use(priorities[name])
    return out


# ----------------------------------------------------------------------------- services


def _services(
    site: LiveRecords, project: _Project, by_issue_type: Mapping[str, CallType]
) -> list[Any]:
    locale = project.locale
    part_of = template_pattern(_words("service_part", locale))
    services: dict[str, dict[str, Any]] = {}
    for record in site.of("component"):
        if not _refers_to(record.fields.get("project"), "project", (project.key,)):
            continue
        site.use(record)
        name = field_text(record, "name")
        service: dict[str, Any] = {"id": slug(name), "name": name}
        description = field_text(record, "description")
        service.update(facility(description, locale))
        service["status"] = "pipeline"
        services[name] = service
    if services:
        site.note(
            "component[*]",
            "a component holds no lifecycle, supporting teams or agreements: every service "
            "is exported in the pipeline; add 'supported_by' and 'agreements', then set "
            "'status: live'",
        )
    for record in site.of("requesttype"):
        if not _refers_to(record.fields.get("project"), "project", (project.key,)):
            continue
        match = part_of.match(field_text(record, "helpText"))
        issue_type = ref_target(record.fields.get("issueType"))
        call_type = by_issue_type.get(issue_type[1][0]) if issue_type else None
        if not match or match.group("service") not in services:
            if not _is_platform(record):
                site.find(record, "a request type that belongs to no USM service")
            continue
        if call_type not in (CallType.SERVICE_REQUEST, CallType.WISH):
            site.find(record, "a request type for a call type USM requests cannot have")
            continue
        site.use(record)
        name = field_text(record, "name")
        item: dict[str, Any] = {"id": slug(name), "name": name}
        if call_type != CallType.SERVICE_REQUEST:  # the blueprint's default
            item["call_type"] = call_type.value
        description = field_text(record, "description")
        if description and description != sentence(name):
            item["description"] = description
        services[match.group("service")].setdefault("requests", []).append(item)
    for record in site.of("portal_group"):
        if field_text(record, "name") in services:
            site.use(record)
    return list(services.values())


# ----------------------------------------------------------------------------- the rest

#: Why records the export does not use are left out, by kind.
_LEFT_OUT: Mapping[str, str] = {
    "project": "a project that is not set up the USM way",
    "status": "a status no USM workflow uses",
    "workflow": "a workflow that is not one of the USM process workflows",
    "workflowscheme": "a workflow scheme that is not the USM project's",
    "workflowscheme_mapping": "a workflow scheme mapping that is not the USM project's",
    "issuetype": "an issue type that is not a USM call type",
    "issuetypescheme": "an issue type scheme that is not the USM project's",
    "priority": "a priority the USM priority levels do not use",
    "field": "a field that is not one of the USM classification fields",
    "field_context": "a field context of another project, or Jira's default context",
    "field_option": "an option of a field that is not USM's",
    "field_child_option": "an option of a field that is not USM's",
    "field_option_order": "the order of the options of a field that is not USM's",
    "field_child_option_order": "the order of the options of a field that is not USM's",
    "component": "a component of another project",
    "requesttype": "a request type of another project",
    "portal_group": "a portal group that is not named after a USM service",
    "queue": "a queue that is not one of the USM call type queues",
}

_READ_NOTHING = (
    "Schedules, service agreements, OLAs and UCs are not exported: JSM's public API cannot "
    "read SLA calendars or SLA metrics (jira.md §1.9). Add 'schedules' and each service's "
    "'agreements' to the exported blueprint by hand."
)


#: The order of a context's options, or of an option's sub-options, is exported with them: as
#: the order of the levels and categories the options are (the field, the record they order).
_ORDERS = {"field_option_order": "context", "field_child_option_order": "parent"}


def _left_out(site: LiveRecords, project: _Project | None) -> None:
    for record in site.records:
        if (record.kind, record.key) in site.used:
            continue
        ordered = ref_target(record.fields.get(_ORDERS.get(record.kind, "")))
        if ordered is not None and ordered in site.used:
            continue
        if record.kind == "queue" and project and _is_usm_queue(record, project):
            continue
        if _is_platform(record):
            reason = "created by Jira or its IT service management template, not USM's"
            kind = FindingKind.PLATFORM
        else:
            reason = _LEFT_OUT.get(record.kind, "not part of a USM blueprint")
            kind = FindingKind.LEFT_OUT
        site.report(record, reason, kind)


#: Where a kind's records keep the names Jira gives its own objects, in the sandbox's baseline
#: files (a new Cloud site, and what the IT service management template adds; their sources are
#: noted in the files).
_BASELINE_TABLES = {
    "status": ("site", "status"),
    "priority": ("site", "priority"),
    "issuetype": ("site", "issuetype"),
    "issuetypescheme": ("site", "issuetypescheme"),
    "workflow": ("site", "workflow"),
    "workflowscheme": ("site", "workflowscheme"),
    "field": ("site", "field"),
}
_TEMPLATE_LISTS = {
    "status": "statuses",
    "issuetype": "issueTypes",
    "workflow": "workflows",
    "requesttype": "requestTypes",
    "portal_group": "requestTypeGroups",
    "queue": "queues",
}


@cache
def _platform_names() -> dict[str, tuple[re.Pattern[str], ...]]:
    site = package_data("usm_jsm", "site-baseline.json")["tables"]
    template = package_data("usm_jsm", "itsm-template.json")
    names: defaultdict[str, list[str]] = defaultdict(list)
    for kind, (_, table) in _BASELINE_TABLES.items():
        names[kind] += [str(row.get("name")) for row in site.get(table, []) if row.get("name")]
    for kind, key in _TEMPLATE_LISTS.items():
        for item in template.get(key, []):
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str):
                names[kind].append(name)
    # Template objects are named after the project: "{key}: … workflow …", "{key}: … scheme".
    names["workflowscheme"].append("{key}: Jira Service Management IT Support Workflow Scheme")
    names["issuetypescheme"].append("{key}: Jira Service Management Issue Type Scheme")
    return {
        kind: tuple(template_pattern(n.replace("{key}", "{project}")) for n in sorted(set(found)))
        for kind, found in names.items()
    }


def _is_platform(record: Record) -> bool:
    if record.kind == "group":
        return bool(_PLATFORM_GROUPS.match(field_text(record, "name")))
    if record.kind == "field_context":
        return field_text(record, "name").startswith("Default Configuration Scheme")
    if record.kind == "workflowscheme_mapping":
        scheme = record.key[0] if record.key else ""
        return any(p.match(scheme) for p in _platform_names().get("workflowscheme", ()))
    name = field_text(record, "name") or (record.key[-1] if record.key else "")
    return any(p.match(name) for p in _platform_names().get(record.kind, ()))


def _is_usm_queue(record: Record, project: _Project) -> bool:
    pattern = template_pattern(_words("open_queue", project.locale))
    return _refers_to(record.fields.get("project"), "project", (project.key,)) and bool(
        pattern.match(field_text(record, "name"))
    )


#: The workflows Jira's IT service management template creates, by the USM process they come
#: closest to (jira.md §2): what a site set up from the template has instead of USM's.
_TEMPLATE_PROCESSES = (
    (re.compile(r"Incident Management workflow"), ProcessId.RECOVER),
    (re.compile(r"Change Management workflow"), ProcessId.CHANGE),
    (re.compile(r"Service Request Fulfilment workflow"), ProcessId.OPERATE),
    (re.compile(r"Problem Management workflow"), ProcessId.IMPROVE),
)

_UNREADABLE_FOR_ASSESS = (
    "service agreements, SLA targets and schedules cannot be assessed: JSM's public API "
    "cannot read SLA metrics or calendars",
)


def _states_in_order(workflow: Record) -> tuple[str, ...]:
    """A workflow's statuses in the order a call can first reach them from the initial one."""
    transitions = [t for t in _list(workflow.fields.get("transitions")) if isinstance(t, dict)]
    names = [
        str(s.get("name")) for s in _list(workflow.fields.get("statuses")) if isinstance(s, dict)
    ]
    order: list[str] = [str(t.get("to")) for t in transitions if t.get("type") == "INITIAL"]
    for current in order:
        for t in transitions:
            sources = [str(x) for x in _list(t.get("from"))]
            target = str(t.get("to"))
            if (current in sources or not sources) and target not in order:
                order.append(target)
    return tuple(order + [n for n in names if n not in order])


def _evidence(site: LiveRecords, reference: Blueprint, locale: Locale) -> Evidence:
    """Per USM process, the workflow that carries it: a "USM <process>" one, else the IT
    template's closest (see :data:`_TEMPLATE_PROCESSES`)."""
    processes: dict[ProcessId, ProcessEvidence] = {}
    waiting = template_pattern(_words("waiting", locale))
    hand_over = template_pattern(_words("hand_over", locale))
    by_name = {name_in(locale, p): p for p in reference.processes}
    for record in site.of("workflow"):
        name = field_text(record, "name")
        matched = _process_of_workflow(name, reference, locale)
        if matched is not None:
            process_id, process = matched
            states, _ = _ordered_steps(record, waiting)
            targets = []
            for t in _list(record.fields.get("transitions")):
                found = hand_over.match(str(t.get("name"))) if isinstance(t, dict) else None
                if found and found.group("process") in by_name:
                    targets.append(by_name[found.group("process")].id)
            base = [name_in(locale, s) for s in process.steps]
            processes[process_id] = ProcessEvidence(
                process_id,
                record.address,
                tuple(states),
                usm=len(states) >= len(base),
                hands_over_to=tuple(targets),
            )
            continue
        for pattern, process_id in _TEMPLATE_PROCESSES:
            if pattern.search(name) and process_id not in processes:
                processes[process_id] = ProcessEvidence(
                    process_id, record.address, _states_in_order(record)
                )
    return Evidence(tuple(processes.values()), (), _UNREADABLE_FOR_ASSESS)


#: What the export fills in without the site keeping it (see the findings of kind "assumed").
_ASSUMED: dict[str, tuple[str, ...]] = {
    "teams": ("kind",),
    "customers": ("kind",),
    "services": ("status",),
}


def export_records(
    live: Iterable[Record], reference: Blueprint, project_key: str | None = None
) -> Exported:
    """The site's USM configuration as a blueprint layer over ``reference``: the USM project
    with ``project_key`` when given, else the first."""
    site = LiveRecords(list(live))
    project = _find_project(site, reference, project_key)
    if project is None:
        document: dict[str, Any] = {
            "organisation": {"id": "exported-jsm-site", "name": "Exported JSM site"},
            "customers": _customers(site),
            "teams": _teams(site),
        }
        site.findings.insert(
            0,
            Finding(
                "project[*]",
                "no service project set up the USM way (a workflow scheme named 'USM: "
                "<organisation>'); the export holds the site's teams and customers only",
            ),
        )
        _left_out(site, None)
        evidence = _evidence(site, reference, reference.organisation.locale)
        return Exported(_prune(document), tuple(site.findings), dict(_ASSUMED), evidence)
    locale = project.locale
    descriptions = _status_descriptions(site, locale)
    processes, workflows = _steps(site, reference, locale, descriptions)
    call_types, by_issue_type = _call_types(site, reference, locale, project, workflows)
    for record in site.of("status"):
        if any(
            isinstance(s, dict) and s.get("name") == field_text(record, "name")
            for w in site.of("workflow")
            if (w.kind, w.key) in site.used
            for s in _list(w.fields.get("statuses"))
        ):
            site.use(record)
    document = {
        "organisation": _organisation(site, project),
        "customers": _customers(site),
        "teams": _teams(site),
        "services": _services(site, project, by_issue_type),
        "call_types": call_types,
        "processes": processes,
        "classification": _classification(site, reference, locale, by_issue_type),
    }
    site.note("calendar[*], sla[*]", _READ_NOTHING, FindingKind.UNREADABLE)
    _left_out(site, project)
    # Jira shows one name per step: the other language's name is the reference's, or a copy.
    other: tuple[str, ...] = ("name",) if locale == "nl" else ("name_nl",)
    assumed = {**_ASSUMED, "steps": other}
    evidence = _evidence(site, reference, locale)
    return Exported(_prune(document), tuple(site.findings), assumed, evidence)


def _prune(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if value}


__all__ = ["export_records"]
