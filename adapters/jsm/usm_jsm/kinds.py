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
"""

from __future__ import annotations

from usm_config.engine.records import KindSpec, Op

CREATE_DELETE = frozenset({Op.CREATE, Op.DELETE})
CREATE_UPDATE = frozenset({Op.CREATE, Op.UPDATE})
MANUAL = frozenset[Op]()

GROUP_HINT = (
    "Jira cannot rename a group through the REST API. Rename it in Administration > User "
    "management > Groups, or remove the old group by hand after the new one exists."
)
ORGANIZATION_HINT = (
    "JSM cannot rename an organization through the REST API. Rename it in the project's "
    "Customers page, then run plan again."
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

_SPECS = (
    KindSpec(
        name="group",
        label="group",
        key_fields=("name",),
        owned_fields=("name",),
        operations=CREATE_DELETE,
        manual_hint=GROUP_HINT,
    ),
    KindSpec(
        name="organization",
        label="customer organization",
        key_fields=("name",),
        owned_fields=("name",),
        operations=CREATE_DELETE,
        manual_hint=ORGANIZATION_HINT,
    ),
    KindSpec(
        name="issuetype",
        label="issue type",
        key_fields=("name",),
        owned_fields=("name", "description", "hierarchyLevel"),
    ),
    KindSpec(
        name="status",
        label="status",
        key_fields=("name",),
        owned_fields=("name", "statusCategory", "description"),
    ),
    KindSpec(
        name="priority",
        label="priority",
        key_fields=("name",),
        # A blueprint level named like a default priority ("High") adopts it; its description
        # is left as Jira wrote it.
        owned_fields=("name", "statusColor"),
    ),
    KindSpec(
        name="field",
        label="custom field",
        key_fields=("name",),
        owned_fields=("name", "type", "searcherKey", "description"),
        operations=CREATE_UPDATE,
        manual_hint=FIELD_HINT,
    ),
    KindSpec(
        name="workflow",
        label="workflow",
        key_fields=("name",),
        owned_fields=("name", "description", "statuses", "transitions"),
        # Statuses are named inside the workflow; they must exist before it is written.
        depends_on=("status",),
    ),
    KindSpec(
        name="workflowscheme",
        label="workflow scheme",
        key_fields=("name",),
        # ``defaultWorkflow`` is a workflow name, as the classic scheme API takes it.
        owned_fields=("name", "description", "defaultWorkflow"),
        depends_on=("workflow",),
    ),
    KindSpec(
        name="workflowscheme_mapping",
        label="workflow scheme mapping",
        key_fields=("scheme", "issueType"),
        owned_fields=("scheme", "issueType", "workflow"),
        references={"scheme": "workflowscheme", "issueType": "issuetype"},
        depends_on=("workflow",),
    ),
    KindSpec(
        name="issuetypescheme",
        label="issue type scheme",
        key_fields=("name",),
        # ``issueTypes`` is a list of references: Jira creates a scheme with its members.
        owned_fields=("name", "description", "issueTypes"),
        references={"issueTypes": "issuetype"},
    ),
    KindSpec(
        name="project",
        label="service project",
        key_fields=("key",),
        owned_fields=("key", "name", "description", "issueTypeScheme", "workflowScheme"),
        references={"issueTypeScheme": "issuetypescheme", "workflowScheme": "workflowscheme"},
        # A project is associated with its schemes once they hold their items.
        depends_on=("workflowscheme_mapping",),
        operations=CREATE_UPDATE,
        manual_hint=PROJECT_HINT,
    ),
    KindSpec(
        name="field_context",
        label="custom field context",
        key_fields=("field", "name"),
        owned_fields=("field", "name", "description", "issueType", "project"),
        references={"field": "field", "issueType": "issuetype", "project": "project"},
    ),
    KindSpec(
        name="field_option",
        label="custom field option",
        key_fields=("context", "value"),
        owned_fields=("context", "value", "disabled"),
        references={"context": "field_context"},
    ),
    KindSpec(
        name="field_child_option",
        label="custom field sub-option",
        key_fields=("parent", "value"),
        owned_fields=("parent", "value", "disabled"),
        references={"parent": "field_option"},
    ),
    KindSpec(
        name="component",
        label="component",
        key_fields=("project", "name"),
        owned_fields=("project", "name", "description"),
        references={"project": "project"},
    ),
    KindSpec(
        name="requesttype",
        label="request type",
        key_fields=("project", "name"),
        owned_fields=("project", "name", "description", "helpText", "issueType"),
        references={"project": "project", "issueType": "issuetype"},
        operations=CREATE_DELETE,
        manual_hint=REQUEST_TYPE_HINT,
    ),
    KindSpec(
        name="queue",
        label="queue",
        key_fields=("project", "name"),
        owned_fields=("project", "name", "jql"),
        references={"project": "project"},
        operations=MANUAL,
        manual_hint=QUEUE_HINT,
    ),
    KindSpec(
        name="portal_group",
        label="portal group",
        key_fields=("project", "name"),
        owned_fields=("project", "name", "requestTypes"),
        references={"project": "project"},
        depends_on=("requesttype",),
        operations=MANUAL,
        manual_hint=PORTAL_GROUP_HINT,
    ),
    KindSpec(
        name="calendar",
        label="SLA calendar",
        key_fields=("project", "name"),
        owned_fields=("project", "name", "timeZone", "workingHours", "holidays"),
        references={"project": "project"},
        operations=MANUAL,
        manual_hint=CALENDAR_HINT,
    ),
    KindSpec(
        name="sla",
        label="SLA metric",
        key_fields=("project", "name"),
        owned_fields=("project", "name", "start", "stop", "pause", "goals"),
        references={"project": "project"},
        depends_on=("calendar", "priority", "status"),
        operations=MANUAL,
        manual_hint=SLA_HINT,
    ),
    KindSpec(
        name="automation_rule",
        label="automation rule",
        key_fields=("project", "name"),
        owned_fields=("project", "name", "trigger", "result", "combinations"),
        references={"project": "project"},
        depends_on=("field_option", "priority"),
        operations=MANUAL,
        manual_hint=AUTOMATION_HINT,
    ),
)

KINDS: dict[str, KindSpec] = {spec.name: spec for spec in _SPECS}
"""Every kind the adapter knows, by name, in dependency order."""

#: Kinds the public Cloud API cannot read: their manual steps stay listed (see the hints).
UNREADABLE = frozenset({"calendar", "sla", "automation_rule"})
