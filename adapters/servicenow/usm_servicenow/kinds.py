"""The ServiceNow tables the adapter writes or verifies, as engine kinds.

One :class:`KindSpec` per table, in dependency order. Every value the adapter compares is the
string the Table API returns with ``sysparm_exclude_reference_link=true``; a reference field
holds ``ref(kind, key)`` on the desired side and a sys_id on the live side until the engine
resolves it.

Where a key field is a reference (``cmn_schedule_span.schedule``, ``sttrm_state.sttrm_model``),
the key holds the *referenced record's key text* (the schedule's name, the model's name), not
a sys_id, so that keys stay comparable across instances. The read side resolves those
references before it builds the key.
"""

from __future__ import annotations

from usm_config.engine.records import KindSpec, Op, kind_table

FLOW_HINT = (
    "Flows are built and activated in Flow Designer; a flow is a graph of many records plus a "
    "compiled snapshot, which the Table API cannot create or publish. Build (or import) the "
    "flow named here in Flow Designer, then run plan again: it checks that the flow exists."
)
CALL_TYPE_COLUMN_HINT = (
    "The column u_usm_call_type on table task is no longer in the blueprint. Deleting a column "
    "deletes its data in every task record, so the adapter never does it: remove the column in "
    "System Definition > Dictionary if you really want it gone."
)

_SPECS = (
    KindSpec(
        name="core_company",
        label="company",
        key_fields=("name",),
        owned_fields=("name", "vendor", "customer", "notes"),
    ),
    KindSpec(
        name="sys_user_group_type",
        label="group type",
        key_fields=("name",),
        owned_fields=("name",),
    ),
    KindSpec(
        name="sys_user_group",
        label="assignment group",
        key_fields=("name",),
        # ``type`` is a glide_list; the adapter sets it (to one type) only for teams that
        # carry ``x-servicenow: {group_type: ...}``, so other groups keep theirs.
        owned_fields=("name", "description", "email", "active", "type"),
        references={"type": "sys_user_group_type"},
    ),
    KindSpec(
        name="cmn_schedule",
        label="schedule",
        key_fields=("name",),
        owned_fields=("name", "time_zone", "description"),
    ),
    KindSpec(
        name="cmn_schedule_span",
        label="schedule entry",
        # (schedule name, span name): ``schedule`` is a reference, keyed by the schedule's name.
        key_fields=("schedule", "name"),
        owned_fields=(
            "schedule",
            "name",
            "type",
            "days_of_week",
            "start_date_time",
            "end_date_time",
            "repeat_type",
            "all_day",
        ),
        references={"schedule": "cmn_schedule"},
    ),
    KindSpec(
        name="cmdb_ci_service_business",
        label="business service",
        key_fields=("name",),
        owned_fields=(
            "name",
            "short_description",
            "service_classification",
            "busines_criticality",  # sic: the platform's column name is misspelled
            "operational_status",
            "support_group",
        ),
        references={"support_group": "sys_user_group"},
    ),
    KindSpec(
        name="service_offering",
        label="service offering",
        key_fields=("name",),
        owned_fields=(
            "name",
            "parent",
            "support_group",
            "schedule",
            "consumer_type",
            "phase",
            "short_description",
        ),
        references={
            "parent": "cmdb_ci_service_business",
            "support_group": "sys_user_group",
            "schedule": "cmn_schedule",
        },
    ),
    KindSpec(
        name="sys_dictionary",
        label="dictionary entry",
        key_fields=("name", "element"),
        owned_fields=("name", "element", "column_label", "internal_type", "max_length", "choice"),
        # Creating the column is an API write; dropping it would delete data, so it is manual.
        operations=frozenset({Op.CREATE, Op.UPDATE}),
        manual_hint=CALL_TYPE_COLUMN_HINT,
    ),
    KindSpec(
        name="sys_choice",
        label="choice",
        # The official SDK's coalesce key for choices.
        key_fields=("name", "element", "value", "language", "dependent_value"),
        owned_fields=(
            "name",
            "element",
            "value",
            "label",
            "sequence",
            "language",
            "dependent_value",
            "inactive",
        ),
        # The call-type choices belong to a custom column that must exist first.
        depends_on=("sys_dictionary",),
    ),
    KindSpec(
        name="dl_u_priority",
        label="priority lookup rule",
        key_fields=("impact", "urgency"),
        owned_fields=("impact", "urgency", "priority", "active", "order"),
        # impact, urgency and priority hold choice values written as sys_choice records.
        depends_on=("sys_choice",),
    ),
    KindSpec(
        name="contract_sla",
        label="SLA definition",
        key_fields=("name",),
        owned_fields=(
            "name",
            "type",
            "collection",
            "target",
            "duration",
            "schedule",
            "timezone_source",
            "timezone",
            "start_condition",
            "stop_condition",
            "pause_condition",
            "active",
            "vendor",
        ),
        references={"schedule": "cmn_schedule", "vendor": "core_company"},
        # The conditions dot-walk to offerings and groups and use priority choice values.
        depends_on=("service_offering", "sys_user_group", "sys_choice"),
    ),
    KindSpec(
        name="sc_catalog",
        label="service catalog",
        key_fields=("title",),
        owned_fields=("title", "description", "active"),
    ),
    KindSpec(
        name="sc_category",
        label="catalog category",
        key_fields=("title",),
        owned_fields=("title", "description", "sc_catalog", "parent", "active"),
        references={"sc_catalog": "sc_catalog", "parent": "sc_category"},
    ),
    KindSpec(
        name="sc_cat_item",
        label="catalog item",
        key_fields=("name",),
        owned_fields=(
            "name",
            "short_description",
            "description",
            "category",
            "sc_catalogs",
            "group",
            "active",
            "type",
        ),
        # ``sc_catalogs`` is a glide_list of catalog sys_ids; the adapter writes one catalog.
        references={
            "category": "sc_category",
            "sc_catalogs": "sc_catalog",
            "group": "sys_user_group",
        },
    ),
    KindSpec(
        name="kb_knowledge_base",
        label="knowledge base",
        key_fields=("title",),
        owned_fields=("title", "description", "active"),
    ),
    KindSpec(
        name="kb_knowledge",
        label="knowledge article",
        key_fields=("short_description",),
        owned_fields=("short_description", "kb_knowledge_base", "workflow_state", "text"),
        references={"kb_knowledge_base": "kb_knowledge_base"},
    ),
    KindSpec(
        name="sys_hub_flow",
        label="Flow Designer flow",
        key_fields=("name",),
        owned_fields=("name",),
        operations=frozenset(),
        manual_hint=FLOW_HINT,
    ),
    KindSpec(
        name="chg_model",
        label="change model",
        key_fields=("name",),
        owned_fields=("name", "table_name", "state_field", "active", "description"),
        # The model's state values must exist as change_request.state choices.
        depends_on=("sys_choice",),
    ),
    KindSpec(
        name="sttrm_state",
        label="change model state",
        # (model name, state value): ``sttrm_model`` is a reference, keyed by the model's name.
        key_fields=("sttrm_model", "state_value"),
        owned_fields=(
            "sttrm_model",
            "state_label",
            "state_value",
            "state_sequence",
            "initial_state",
        ),
        references={"sttrm_model": "chg_model"},
    ),
    KindSpec(
        name="sttrm_state_transition",
        label="change model transition",
        key_fields=("name",),
        owned_fields=("name", "from_state", "to_state", "automatic"),
        references={"from_state": "sttrm_state", "to_state": "sttrm_state"},
    ),
)

KINDS: dict[str, KindSpec] = kind_table(_SPECS)
"""Every kind the adapter knows, by table name, in dependency order."""

#: Tables a plan reads only as far as the blueprint and the lock file reach, by these leading
#: key fields (one ``^NQ`` group per key) and the managed sys_ids: an instance holds a
#: dictionary entry for every column of every table and the choices of every choice list, and
#: a production one thousands of companies (every vendor), groups, services, offerings,
#: knowledge articles (with their text), catalogue items and categories, SLA definitions,
#: schedules and their entries (holidays) and flows, far more than any blueprint touches (an
#: export reads them whole). A key field that holds a reference is filtered dot-walked to the
#: referenced record's one key field (``schedule.name``, servicenow.md §1.3), which is the
#: text the key holds. References resolve through the rows a plan reads, so the rows of these
#: that a compared row refers to are read too (the adapter's second pass). Only the priority
#: lookup is read whole: impact by urgency, a few rows on any instance.
SCOPED_READS: dict[str, tuple[str, ...]] = {
    "core_company": ("name",),
    "sys_user_group_type": ("name",),
    "sys_user_group": ("name",),
    "cmn_schedule": ("name",),
    "cmn_schedule_span": ("schedule.name", "name"),
    "cmdb_ci_service_business": ("name",),
    "service_offering": ("name",),
    "sys_dictionary": ("name", "element"),
    "sys_choice": ("name", "element"),
    "contract_sla": ("name",),
    "sc_catalog": ("title",),
    "sc_category": ("title",),
    "sc_cat_item": ("name",),
    "kb_knowledge_base": ("title",),
    "kb_knowledge": ("short_description",),
    "sys_hub_flow": ("name",),
    "chg_model": ("name",),
    "sttrm_state": ("sttrm_model.name", "state_value"),
    "sttrm_state_transition": ("name",),
}
