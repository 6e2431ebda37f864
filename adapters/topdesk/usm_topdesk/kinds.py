"""The TOPdesk objects the adapter writes or puts on the checklist, as engine kinds.

One :class:`KindSpec` per object type, in dependency order. Values are what the REST API
returns, normalised by :mod:`usm_topdesk.parse`; a reference field holds ``ref(kind, key)`` on
the desired side and the tool's id on the live side until the engine resolves it.

TOPdesk's REST API writes only a small part of a USM blueprint (topdesk.md §0, §3, §4):
branches, departments, operator groups, services (create only) and the knowledge base. Every
other kind is a checklist item: a manual step with the settings screen it is done on and the
exact values. The next plan reads what TOPdesk lets it read and checks the item off; the kinds
in :data:`UNREADABLE` have no read endpoint at all, so their items stay listed.
"""

from __future__ import annotations

from usm_config.engine.records import KindSpec, Op, kind_table
from usm_topdesk.values import OWNER

CREATE_ONLY = frozenset({Op.CREATE})
MANUAL = frozenset[Op]()

_FUNCTIONAL = "Settings → Functional Settings → "
_SEARCH_LISTS = _FUNCTIONAL + "Call Management → Search Lists → "

#: The settings screen each checklist kind is done on (the checklist artifact groups by it).
SCREENS: dict[str, str] = {
    "service": "Modules → Service Level Management → Services",
    "call_type": _SEARCH_LISTS + "Call Type",
    "entry_type": _SEARCH_LISTS + "Entry Type",
    "impact": _SEARCH_LISTS + "Impact",
    "urgency": _SEARCH_LISTS + "Urgency",
    "duration": _SEARCH_LISTS + "Duration",
    "priority": _SEARCH_LISTS + "Priority",
    "priority_matrix": _FUNCTIONAL + "Call Management → Priority Matrix",
    "processing_status": _SEARCH_LISTS + "Processing Status",
    "closure_code": _SEARCH_LISTS + "Closure Code",
    "category": _FUNCTIONAL + "Categorization → Categories and Subcategories",
    "subcategory": _FUNCTIONAL + "Categorization → Categories and Subcategories",
    "service_window": _FUNCTIONAL + "Service Level Management → Service Windows",
    "service_level": "Modules → Service Level Management → Contracts → Service Levels",
    "request_form": _FUNCTIONAL + "Self-Service Portal → Service Catalogue → Requests",
    "change_template": _FUNCTIONAL + "Change Management → Templates",
    "activity_type": _FUNCTIONAL + "Operations Management → Search Lists → Activity Type",
    "problem_status": _FUNCTIONAL + "Problem Management → Search Lists → Status",
    "risk_matrix": _FUNCTIONAL + "Problem Management → Priority Matrix",
}


def _hint(kind: str, what: str, verified: bool = True) -> str:
    check = (
        "the next plan reads the list and checks it off."
        if verified
        else "TOPdesk's API cannot read it, so it stays on the checklist: tick it off by hand."
    )
    return (
        f"{what} In {SCREENS[kind]}, enter it with exactly these values (the checklist, "
        f"'plan --artifacts DIR', lists every detail); {check}"
    )


SERVICE_HINT = (
    "TOPdesk's services API creates services but cannot rename, change or archive them "
    f"(services 1.3.7). Do it in {SCREENS['service']}; the next plan reads the services again."
)
_LIST = "TOPdesk's REST API reads this search list but cannot write it."

# name, label, natural key, owned fields; then references, ordering, operations and the hint.
_SPECS = (
    KindSpec("branch", "branch", ("name",), ("name",)),
    # ``externalLink`` marks the owner (topdesk.md §2): departments take it on create only.
    KindSpec("department", "department", ("name",), ("name",), marker=OWNER,
             marker_updatable=False),
    KindSpec(
        "operator_group", "operator group", ("groupName",),
        (
            "groupName", "branch", "email", "firstLineCallOperator", "secondLineCallOperator",
            "changeCoordinator", "changeActivitiesOperator", "operationsOperator",
            "problemManager",
        ),
        {"branch": "branch"},
    ),
    KindSpec("service", "service", ("name",), ("name",), {}, (), CREATE_ONLY, SERVICE_HINT),
    KindSpec("knowledge_folder", "knowledge folder", ("title",), ("title",)),
    KindSpec(
        "knowledge_item", "knowledge item", ("title",),
        ("title", "folder", "language", "content", "translation"),
        {"folder": "knowledge_folder"}, marker=OWNER,
    ),
    # ---- the checklist: read-only in the API, verified where it can be read
    KindSpec("call_type", "call type", ("name",), ("name",), {}, (), MANUAL,
             _hint("call_type", _LIST)),
    KindSpec("entry_type", "entry type", ("name",), ("name",), {}, (), MANUAL,
             _hint("entry_type", _LIST)),
    KindSpec("impact", "impact", ("name",), ("name",), {}, (), MANUAL, _hint("impact", _LIST)),
    KindSpec("urgency", "urgency", ("name",), ("name",), {}, (), MANUAL, _hint("urgency", _LIST)),
    KindSpec(
        "duration", "duration", ("name",), ("name",), {}, (), MANUAL, _hint("duration", _LIST),
    ),
    KindSpec("priority", "priority", ("name",), ("name",), {}, (), MANUAL,
             _hint("priority", _LIST)),
    KindSpec(
        "priority_matrix", "priority matrix", ("name",), ("name", "cells"), {}, ("priority",),
        MANUAL,
        _hint(
            "priority_matrix",
            "TOPdesk's API exposes neither the impact × urgency matrix nor a way to write it.",
            verified=False,
        ),
    ),
    KindSpec(
        "processing_status", "processing status", ("name",), ("name",), {}, (), MANUAL,
        _hint("processing_status", _LIST),
    ),
    KindSpec("closure_code", "closure code", ("name",), ("name",), {}, (), MANUAL,
             _hint("closure_code", _LIST)),
    KindSpec(
        "category", "category", ("name",), ("name",), {}, (), MANUAL,
        _hint(
            "category",
            "TOPdesk's API reads categories (GET /categories) but cannot write them. Tick the "
            "modules the category is used in (listed above).",
        ),
    ),
    KindSpec(
        "subcategory", "subcategory", ("category", "name"), ("category", "name"),
        {"category": "category"}, (), MANUAL,
        _hint("subcategory", "TOPdesk's API reads subcategories but cannot write them."),
    ),
    KindSpec(
        "service_window", "service window", ("name",), ("name",), {}, (), MANUAL,
        _hint(
            "service_window",
            "Service windows are read-only in the API (GET /serviceWindow/lookup). Enter the "
            "opening hours and the closing days listed.",
        ),
    ),
    KindSpec(
        "service_level", "SLA service level", ("contract", "service"), ("contract", "service"),
        {"service": "service"}, ("service_window",),
        MANUAL,
        _hint(
            "service_level",
            "SLA contracts and service levels cannot be created through the API; GET "
            "/incidents/slas reads which contract, service and service level belong together. "
            "Enter the targets listed per priority.",
        ),
    ),
    KindSpec(
        "request_form", "request form", ("service", "name"), ("service", "name", "callType"),
        {"service": "service"}, ("call_type",), MANUAL,
        _hint(
            "request_form",
            "Self-Service Portal request forms and catalogue items have no API.",
            verified=False,
        ),
    ),
    KindSpec(
        "change_template", "change template", ("briefDescription",), ("briefDescription",), {},
        (), MANUAL,
        _hint(
            "change_template",
            "Change templates cannot be created through the API; GET "
            "/applicableChangeTemplates reads the templates available in a request for change. "
            "Create an extensive change template with the activities listed, and make it "
            "available in requests for change.",
        ),
    ),
    KindSpec(
        "activity_type", "operational activity type", ("name",), ("name",), {}, (), MANUAL,
        _hint(
            "activity_type",
            "Operations Management's activity types are read-only in the API "
            "(GET /operationalActivities/types).",
        ),
    ),
    KindSpec(
        "problem_status", "problem status", ("name",), ("name",), {}, (), MANUAL,
        _hint("problem_status", "TOPdesk has no Problem Management API.", verified=False),
    ),
    KindSpec(
        "risk_matrix", "problem priority matrix", ("name",), ("name", "cells"), {}, (), MANUAL,
        _hint("risk_matrix", "TOPdesk has no Problem Management API.", verified=False),
    ),
)  # fmt: skip

#: Kinds whose names TOPdesk keeps unique without regard to case: it refuses a department
#: "Finance" beside "finance" ("Department with name 'Finance' already exists.", topdesk.md
#: §8.1), and its settings screens a second entry of a list in another case. A live one whose
#: name differs from the blueprint's only in case is the same record: the plan adopts it
#: instead of planning a create that apply would have to turn into an adoption. Branches,
#: operator groups and knowledge items may share a name.
CASELESS = frozenset(
    {
        "department", "call_type", "entry_type", "impact", "urgency", "duration", "priority",
        "processing_status", "closure_code", "category", "subcategory", "change_template",
        "activity_type",
    }
)  # fmt: skip

KINDS: dict[str, KindSpec] = kind_table(_SPECS, keys_ignore_case=CASELESS)
"""Every kind the adapter knows, by name, in dependency order."""

#: Kinds TOPdesk's API cannot read: their checklist items stay listed until ticked by hand.
UNREADABLE = frozenset({"priority_matrix", "request_form", "problem_status", "risk_matrix"})

#: The kinds the API writes.
WRITTEN = frozenset(name for name, spec in KINDS.items() if Op.CREATE in spec.operations)
