"""The Jira Service Management objects the adapter writes or verifies, as engine kinds.

One :class:`KindSpec` per object type, in dependency order. Values are what the public REST
API returns, normalised by :mod:`usm_jsm.parse`; a reference field holds ``ref(kind, key)`` on
the desired side and the tool's id on the live side until the engine resolves it.

Objects that live inside another one (a context of a field, an option of a context, an issue
type in an issue type scheme, a mapping of a workflow scheme) get a composite id
``"<parent id>/<own id>"`` so one string finds them again (see :mod:`usm_jsm.parse`).

Kinds without operations are manual steps: what the public Cloud API cannot write (jira.md
§0, §1.9). Queues and portal groups are readable, so the next plan verifies them; calendars,
SLA metrics and automation rules are not, so they stay listed until a later plan can read them.
A target with ``private_api: true`` uses :data:`PRIVATE_KINDS` instead, where queues,
calendars and SLA metrics are written and read through Jira's internal API.
"""

from __future__ import annotations

import dataclasses

from usm_config.engine.records import ALL_OPS, KindSpec, Op, kind_table
from usm_jsm.values import OWNER

CREATE_DELETE = frozenset({Op.CREATE, Op.DELETE})
CREATE_UPDATE = frozenset({Op.CREATE, Op.UPDATE, Op.RENAME})
MANUAL = frozenset[Op]()

GROUP_HINT = (
    "Jira cannot rename a group through the REST API. Rename it in Administration > User "
    "management > Groups, or remove the old group by hand after the new one exists."
)
ORGANIZATION_HINT = (
    "JSM cannot rename an organization through the REST API. Rename it in the project's "
    "Customers page, then run plan again."
)
WORKFLOW_HINT = (
    "The Jira REST API cannot rename a workflow (its workflow update takes no name). Rename it "
    "in Settings > Issues > Workflows; the next plan checks the name and writes what else "
    "differs."
)
FIELD_HINT = (
    "Deleting a custom field deletes its values on every issue, so usm-config never does it. "
    "Move the field to the trash in Settings > Issues > Custom fields if you really want it gone."
)
PROJECT_HINT = (
    "Deleting a project deletes its issues, so usm-config never does it. Archive or delete the "
    "project in Settings > Projects if you really want it gone."
)
REQUEST_TYPE_HINT = (
    "The public API can create and delete request types but not change them (jira.md §1.9). "
    "Change the request type in Project settings > Request types so that it shows the values "
    "above, then run plan again."
)
QUEUE_HINT = (
    "Queues are read-only in the Jira Cloud REST API. Create the queue in Project settings > "
    "Queues with exactly this name and JQL; the next plan reads the queues and checks it."
)
PORTAL_GROUP_HINT = (
    "Portal groups cannot be written through the public API. In Project settings > Request "
    "types, create the portal group with this name and put these request types in it; the next "
    "plan reads the groups and checks it."
)
CALENDAR_HINT = (
    "Working-hours calendars have no public Cloud API. In Project settings > SLAs > Calendars, "
    "create the calendar with this time zone, these working hours and holidays. The public API "
    "cannot read calendars either, so this step stays listed: check it by hand."
)
SLA_HINT = (
    "SLA metrics and goals have no public Cloud API (JSDCLOUD-15659). In Project settings > "
    "SLAs, create the metric with these start and stop conditions and one goal per line "
    "(JQL, target, calendar). The public API cannot read SLA configuration either, so this step "
    "stays listed: check it by hand."
)
AUTOMATION_HINT = (
    "Automation rules have no public REST API. In Project settings > Automation, create a rule "
    "'When: issue created or field value changed' that sets the result field from these "
    "combinations. Automation rules cannot be read through the public API, so this step stays "
    "listed."
)

REF_PROJECT = {"project": "project"}

# name, label, natural key, owned fields; then references, ordering and operations.
_SPECS = (
    KindSpec("group", "group", ("name",), ("name",), {}, (), CREATE_DELETE, GROUP_HINT),
    KindSpec(
        "organization", "customer organization", ("name",), ("name",), {}, (), CREATE_DELETE,
        ORGANIZATION_HINT,
    ),
    KindSpec("issuetype", "issue type", ("name",), ("name", "description", "hierarchyLevel")),
    KindSpec("status", "status", ("name",), ("name", "statusCategory", "description")),
    # A level named like a default priority ("High") adopts it; its description stays Jira's.
    # ``after`` is the priority before it in the site's order, by which issues sort.
    KindSpec(
        "priority", "priority", ("name",), ("name", "statusColor", "after"), {"after": "priority"},
        placed_by="after",
    ),
    KindSpec(
        "field", "custom field", ("name",), ("name", "type", "searcherKey", "description"), {},
        (), CREATE_UPDATE, FIELD_HINT,
    ),
    # Statuses are named inside the workflow; they must exist before it is written.
    KindSpec(
        "workflow", "workflow", ("name",), ("name", "description", "statuses", "transitions"),
        {}, ("status",), ALL_OPS - {Op.RENAME}, WORKFLOW_HINT,
    ),
    # The classic scheme API names workflows; the records point at them (a workflow renamed in
    # Jira is still the one its schemes use), and the writes send the name.
    KindSpec(
        "workflowscheme", "workflow scheme", ("name",), ("name", "description", "defaultWorkflow"),
        {"defaultWorkflow": "workflow"},
    ),
    KindSpec(
        "workflowscheme_mapping", "workflow scheme mapping", ("scheme", "issueType"),
        ("scheme", "issueType", "workflow"),
        {"scheme": "workflowscheme", "issueType": "issuetype", "workflow": "workflow"},
    ),
    # ``issueTypes`` is a list of references: Jira creates a scheme with its members.
    KindSpec(
        "issuetypescheme", "issue type scheme", ("name",), ("name", "description", "issueTypes"),
        {"issueTypes": "issuetype"},
    ),
    # A project is associated with its schemes once they hold their items.
    KindSpec(
        "project", "service project", ("key",),
        ("key", "name", "description", "issueTypeScheme", "workflowScheme"),
        {"issueTypeScheme": "issuetypescheme", "workflowScheme": "workflowscheme"},
        ("workflowscheme_mapping",), CREATE_UPDATE, PROJECT_HINT, marker=OWNER,
    ),
    KindSpec(
        "field_context", "custom field context", ("field", "name"),
        ("field", "name", "description", "issueType", "project"),
        {"field": "field", "issueType": "issuetype", **REF_PROJECT},
    ),
    KindSpec(
        "field_option", "custom field option", ("context", "value"),
        ("context", "value", "disabled"), {"context": "field_context"},
    ),
    KindSpec(
        "field_child_option", "custom field sub-option", ("parent", "value"),
        ("parent", "value", "disabled"), {"parent": "field_option"},
    ),
    # The order in which a context lists its options, and an option its sub-options: Jira adds
    # an option last, and one move puts them all in place once they exist. The tool's id is the
    # context's or the option's; nothing is deleted with it but the lock entry.
    KindSpec(
        "field_option_order", "order of a field's options", ("context",), ("context", "options"),
        {"context": "field_context", "options": "field_option"}, sequences=("options",),
    ),
    KindSpec(
        "field_child_option_order", "order of an option's sub-options", ("parent",),
        ("parent", "options"), {"parent": "field_option", "options": "field_child_option"},
        sequences=("options",),
    ),
    KindSpec(
        "component", "component", ("project", "name"), ("project", "name", "description"),
        REF_PROJECT,
    ),
    KindSpec(
        "requesttype", "request type", ("project", "name"),
        ("project", "name", "description", "helpText", "issueType"),
        {**REF_PROJECT, "issueType": "issuetype"}, (), CREATE_DELETE, REQUEST_TYPE_HINT,
    ),
    KindSpec(
        "queue", "queue", ("project", "name"), ("project", "name", "jql"), REF_PROJECT, (),
        MANUAL, QUEUE_HINT,
    ),
    KindSpec(
        "portal_group", "portal group", ("project", "name"), ("project", "name", "requestTypes"),
        REF_PROJECT, ("requesttype",), MANUAL, PORTAL_GROUP_HINT,
    ),
    KindSpec(
        "calendar", "SLA calendar", ("project", "name"),
        ("project", "name", "timeZone", "workingHours", "holidays"), REF_PROJECT, (), MANUAL,
        CALENDAR_HINT,
    ),
    KindSpec(
        "sla", "SLA metric", ("project", "name"),
        ("project", "name", "start", "stop", "pause", "goals"), REF_PROJECT,
        ("calendar", "priority", "status"), MANUAL, SLA_HINT,
    ),
    KindSpec(
        "automation_rule", "automation rule", ("project", "name"),
        ("project", "name", "trigger", "result", "combinations"), REF_PROJECT,
        ("field_option", "priority"), MANUAL, AUTOMATION_HINT,
    ),
)  # fmt: skip

#: Kinds whose names Jira compares without regard to case: it refuses a second group "desk"
#: beside "Desk" ("A group with that name already exists"; Jira keeps each group's name
#: lower-cased beside it, https://support.atlassian.com/jira/kb/how-to-rename-a-group-in-jira/),
#: and so for issue types, statuses, priorities, workflows, schemes, components, field options,
#: queues, portal groups, calendars and SLA metrics. A live one whose name differs from the
#: blueprint's only in case is the same record; a mapping is keyed by such names, and so is the
#: order of an option's sub-options. Custom fields, field contexts, request types and
#: automation rules may share a name.
CASELESS = frozenset(
    {
        "group", "organization", "issuetype", "status", "priority", "workflow",
        "workflowscheme", "workflowscheme_mapping", "issuetypescheme", "component",
        "field_option", "field_child_option", "field_child_option_order", "queue",
        "portal_group", "calendar", "sla",
    }
)  # fmt: skip

#: The orders of options, which a read of the fields, their contexts and options gives too.
ORDER_KINDS = frozenset({"field_option_order", "field_child_option_order"})

KINDS: dict[str, KindSpec] = kind_table(_SPECS, keys_ignore_case=CASELESS)
"""Every kind the adapter knows, by name, in dependency order."""

#: Projects and the kinds keyed by their project: a plan reads per project only the projects
#: of the ones it wants (a site has service projects no blueprint manages).
PROJECT_KINDS = frozenset(
    name for name, spec in KINDS.items() if name == "project" or spec.key_fields[0] == "project"
)

#: Kinds the public Cloud API cannot read: their manual steps stay listed (see the hints).
UNREADABLE = frozenset({"calendar", "sla", "automation_rule"})

# ----------------------------------------------------------------------------- private_api

_UNSUPPORTED = (
    "through Jira's internal API (target option private_api: true), which Atlassian neither "
    "documents nor supports. If Jira refuses the write, do it by hand: "
)
PRIVATE_HINTS = {
    "queue": "Queues are written " + _UNSUPPORTED + QUEUE_HINT,
    "calendar": "SLA calendars are written " + _UNSUPPORTED + CALENDAR_HINT,
    "sla": "SLA metrics are written " + _UNSUPPORTED + SLA_HINT,
}

#: The kinds of a target with ``private_api: true``: queues, SLA calendars and SLA metrics are
#: written and read through Jira's internal endpoints (:mod:`usm_jsm.private`); automation
#: rules have no API at all and stay manual.
PRIVATE_KINDS: dict[str, KindSpec] = {
    name: (
        dataclasses.replace(spec, operations=ALL_OPS, manual_hint=PRIVATE_HINTS[name])
        if name in PRIVATE_HINTS
        else spec
    )
    for name, spec in KINDS.items()
}

#: What a ``private_api`` target cannot read: only the automation rules.
PRIVATE_UNREADABLE = frozenset({"automation_rule"})
