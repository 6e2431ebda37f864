"""A plan reads every table but the priority lookup only as far as the blueprint and the lock
file reach, and the rows of those the rows it compares refer to: an instance holds an entry
for every column of every table and the choices of every list, and a production one thousands
of companies, groups, offerings, schedule entries, categories and articles of others, far more
than any blueprint touches. An export still reads them whole."""

from __future__ import annotations

import copy
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from support import RecordedTarget
from usm_servicenow.kinds import KINDS, SCOPED_READS

from usm_config.adapter import ReadScope, SupportsScopedRead
from usm_config.engine.diff import mass_change_violations
from usm_config.engine.records import Record, ref_target
from usm_config.http import HttpClient
from usm_config.http.filters import SCOPE_QUERY_CHARS
from usm_config.testing import described, without_services

ADMIN = ("admin", "admin")  # the emulator's own login
OTHER_TABLES = ("cmdb_ci_computer", "hr_case", "sn_customerservice_case")
#: Rows of the tables read by name that no blueprint of these tests names.
OTHERS = {
    "core_company": {"name": "Other vendor {n}", "vendor": "true"},
    "sys_user_group": {"name": "Other team {n}"},
    "cmdb_ci_service_business": {"name": "Other service {n}"},
    "service_offering": {"name": "Other offering {n}"},
    "contract_sla": {"name": "Other SLA {n}", "collection": "incident"},
    "sc_cat_item": {"name": "Other item {n}", "description": "<p>Order it</p>"},
    "sys_hub_flow": {"name": "Other flow {n}"},
    "sys_user_group_type": {"name": "other_type_{n}"},
    "cmn_schedule": {"name": "Other schedule {n}", "time_zone": "Europe/Amsterdam"},
    "sc_catalog": {"title": "Other catalogue {n}"},
    "sc_category": {"title": "Other category {n}"},
    "kb_knowledge_base": {"title": "Other knowledge base {n}"},
    "chg_model": {"name": "Other change model {n}", "table_name": "change_request"},
    "sttrm_state_transition": {"name": "Other transition {n}"},
}
#: Rows whose key holds a reference (this field) to one of :data:`OTHERS`, each keyed
#: otherwise like one of the blueprint's (an entry of the same name, a state of the same
#: value): only the referenced record's key, dot-walked, tells them apart.
UNDER_OTHERS = {"cmn_schedule_span": "schedule", "sttrm_state": "sttrm_model"}


class Instance(RecordedTarget):
    """The municipality blueprint's ServiceNow sandbox with the dictionary entries and the
    choices of three more tables, as an instance has for all of its tables, and ten rows of
    others in every other table the blueprint writes by key (schedules with entries keyed as
    the blueprint's, change models with states of the blueprint's values, ...)."""

    def __init__(self, base_dir: Path) -> None:
        super().__init__("servicenow", base_dir, ADMIN)
        api = self.api
        own = {r.kind: r for r in reversed(self.harness.desired()) if r.kind in UNDER_OTHERS}
        for table in OTHER_TABLES:
            for n in range(20):
                column = {"name": table, "element": f"u_field_{n}", "column_label": f"Field {n}"}
                api.ok("POST", "/api/now/table/sys_dictionary", column)
                choice = {"name": table, "element": "state", "value": str(n), "label": f"S{n}"}
                api.ok("POST", "/api/now/table/sys_choice", {**choice, "language": "en"})
        base = api.ok("POST", "/api/now/table/kb_knowledge_base", {"title": "IT help"})
        for n in range(10):
            article = {"short_description": f"How to, part {n}", "text": "<p>Steps</p>"}
            body = {**article, "kb_knowledge_base": base["result"]["sys_id"]}
            api.ok("POST", "/api/now/table/kb_knowledge", body)
            made = {}
            for table, row in OTHERS.items():
                values = {name: value.format(n=n) for name, value in row.items()}
                made[table] = api.ok("POST", f"/api/now/table/{table}", values)["result"]
            for table, field in UNDER_OTHERS.items():
                parent = KINDS[table].references[field]
                values = {**own[table].fields, field: made[parent]["sys_id"]}
                api.ok("POST", f"/api/now/table/{table}", values)


@pytest.fixture
def instance(tmp_path: Path) -> Instance:
    return Instance(tmp_path)


def test_a_plan_reads_the_scoped_tables_as_far_as_the_blueprint_names(instance: Instance) -> None:
    instance.harness.converge()
    instance.sandbox.forget()
    planned = instance.harness.planned()
    for table, fields in SCOPED_READS.items():
        asked = [q["sysparm_query"] for q in instance.sandbox.queries(f"/table/{table}")]
        assert asked and all(q.startswith((f"{fields[0]}=", "sys_idIN")) for q in asked), table
        assert all(len(quote_plus(q, safe="")) <= SCOPE_QUERY_CHARS for q in asked), table
    live = planned.snapshot.live
    read = [r for r in live if r.kind in ("sys_dictionary", "sys_choice")]
    assert read and not any(r.key[0] in OTHER_TABLES for r in read)
    articles = [r.key[0] for r in live if r.kind == "kb_knowledge"]
    assert articles and not any(title.startswith("How to") for title in articles)
    # The blueprint's flow is a manual step, not built in this sandbox: none is read.
    others = {*OTHERS, *UNDER_OTHERS}
    assert not any(r.key[0].lower().startswith("other") for r in live if r.kind in others)
    assert {r.kind for r in live} >= others - {"sys_hub_flow"}


def test_the_scoped_plan_is_the_plan_of_a_whole_read(instance: Instance) -> None:
    instance.harness.converge()
    smaller = without_services(instance.harness.blueprint)
    for blueprint in (instance.harness.blueprint, smaller):
        scoped = instance.harness.planned(blueprint=blueprint, prune=True)
        whole = instance.harness.whole_plan(blueprint=blueprint, prune=True)
        assert described(scoped.plan) == described(whole)
        assert len(instance.harness.live()) > len(scoped.snapshot.live)
    assert any(c.action == "delete" for c in scoped.plan.changes)


def test_the_scope_holds_what_the_lock_file_manages(instance: Instance) -> None:
    """A record dropped from the blueprint is read, so that prune can delete it and drift
    can tell it is still there."""
    instance.harness.converge()
    seen: list[ReadScope] = []
    adapter = instance.harness.adapter
    assert isinstance(adapter, SupportsScopedRead)

    async def read_for(client: HttpClient, kinds: list[str], scope: ReadScope) -> list[Record]:
        seen.append(scope)
        return await adapter.read_for(client, kinds, scope)

    watched = copy.copy(adapter)
    setattr(watched, "read_for", read_for)  # noqa: B010 (shadows the method)
    smaller = without_services(instance.harness.blueprint)
    instance.harness.session(lambda s: s.plan(prune=True), blueprint=smaller, adapter=watched)
    dropped = {
        r.key for r in instance.harness.desired() if r.kind == "cmdb_ci_service_business"
    } - {r.key for r in instance.harness.desired(smaller) if r.kind == "cmdb_ci_service_business"}
    assert dropped
    assert dropped <= set(seen[0].keys_of("cmdb_ci_service_business"))
    managed = {r.target_id for r in instance.harness.live() if r.kind == "cmdb_ci_service_business"}
    assert set(seen[0].ids_of("cmdb_ci_service_business")) <= managed
    assert len(seen[0].ids_of("cmdb_ci_service_business")) >= len(dropped)


def test_an_export_reads_them_whole(instance: Instance) -> None:
    instance.harness.converge()
    live = instance.harness.live()
    assert {r.key[0] for r in live if r.kind == "sys_dictionary"} >= set(OTHER_TABLES)
    assert {r.key[0] for r in live if r.kind == "sys_choice"} >= set(OTHER_TABLES)
    assert sum(r.key[0].startswith("How to") for r in live if r.kind == "kb_knowledge") == 10
    for table in (*OTHERS, *UNDER_OTHERS):
        assert sum(r.key[0].lower().startswith("other") for r in live if r.kind == table) == 10, (
            table
        )


@pytest.mark.parametrize(
    ("kind", "edit"),
    [
        ("sys_choice", {"element": "u_elsewhere"}),
        ("kb_knowledge", {"short_description": "Re"}),
        ("cmn_schedule", {"name": "Renamed schedule"}),
        ("cmn_schedule_span", {"name": "Renamed entry"}),
        ("chg_model", {"name": "Renamed model"}),
    ],
    ids=[
        "choice moved to another field",
        "article retitled",
        "schedule renamed (its entries' keys hold its name)",
        "schedule entry renamed",
        "change model renamed (its states' keys hold its name)",
    ],
)
def test_a_managed_row_whose_key_was_changed_in_the_tool_is_still_read(
    instance: Instance, kind: str, edit: dict[str, str]
) -> None:
    """The lock file knows the row by its sys_id: the plan finds it and changes it back, as a
    plan of the whole table does, instead of creating it again."""
    instance.harness.converge()
    lock = instance.harness.session(lambda s: s.read()).lock
    sys_id = next(e.target_id for e in lock.entries.values() if e.kind == kind)
    api = instance.api
    api.ok("PATCH", f"/api/now/table/{kind}/{sys_id}", edit)
    scoped = instance.harness.planned()
    assert described(scoped.plan) == described(instance.harness.whole_plan())
    assert [c.action for c in scoped.plan.changes if c.target_id == sys_id] == ["update"]
    assert not [c for c in scoped.plan.changes if c.kind == kind and c.action == "create"]


def test_the_mass_change_guard_weighs_a_scoped_table_against_what_the_plan_reads(
    instance: Instance,
) -> None:
    """Every article the blueprint manages rewritten in the tool: the plan rewrites all of them
    back. The guard measures that against the articles the plan reads (the blueprint's), so
    the instance's other articles, which no blueprint touches, do not dilute it below the
    limit as they would in a whole read."""
    instance.harness.converge()
    lock = instance.harness.session(lambda s: s.read()).lock
    ids = [e.target_id for e in lock.entries.values() if e.kind == "kb_knowledge"]
    assert len(ids) >= 5  # the guard leaves kinds of fewer records alone
    api = instance.api
    for sys_id in ids:
        api.ok("PATCH", f"/api/now/table/kb_knowledge/{sys_id}", {"text": "<p>Edited</p>"})
    planned = instance.harness.planned()
    rewritten = [c for c in planned.plan.changes if c.kind == "kb_knowledge" and c.rewrites]
    assert len(rewritten) == len(ids)
    violations = {v.kind: (v.changed, v.existing) for v in planned.violations(0.5)}
    assert violations == {"kb_knowledge": (len(ids), len(ids))}
    whole = instance.harness.live()
    assert sum(r.kind == "kb_knowledge" for r in whole) == len(ids) + 10  # the others are there
    assert mass_change_violations(planned.plan.changes, whole, 0.5) == []


def test_a_scoped_table_is_filtered_on_its_key_fields_and_references_by_their_key() -> None:
    """A filter names key values. A key field that holds a reference holds a sys_id in the
    tool and the referenced record's key in the plan, so it is filtered dot-walked to the
    referenced kind's one key field, which holds that key's text."""
    for table, fields in SCOPED_READS.items():
        spec = KINDS[table]
        assert len(fields) <= len(spec.key_fields), table
        for field, key_field in zip(fields, spec.key_fields, strict=False):
            if key_field not in spec.references:
                assert field == key_field, table
                continue
            target = KINDS[spec.references[key_field]]
            assert len(target.key_fields) == 1, table
            assert field == f"{key_field}.{target.key_fields[0]}", table
            assert not set(target.key_fields) & set(target.references), table
    assert set(KINDS) - set(SCOPED_READS) == {"dl_u_priority"}


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ("service_offering", "support_group"),
        ("service_offering", "parent"),
        ("contract_sla", "vendor"),
        ("service_offering", "schedule"),
        ("cmn_schedule_span", "schedule"),
        ("sc_cat_item", "category"),
        ("sc_category", "sc_catalog"),
        ("kb_knowledge", "kb_knowledge_base"),
    ],
)
def test_a_reference_changed_in_the_tool_to_another_teams_row_reads_that_row(
    instance: Instance, table: str, field: str
) -> None:
    """The other team's row is outside the scope; the plan reads it by sys_id all the same, so
    the change back names it, as the plan of a whole read does."""
    other = KINDS[table].references[field]
    instance.harness.converge()
    lock = instance.harness.session(lambda s: s.read()).lock
    sys_id = next(e.target_id for e in lock.entries.values() if e.kind == table)
    api = instance.api
    (key,) = KINDS[other].key_fields
    theirs = api.ok("GET", f"/api/now/table/{other}?sysparm_query={key}STARTSWITHOther")["result"]
    api.ok("PATCH", f"/api/now/table/{table}/{sys_id}", {field: theirs[0]["sys_id"]})
    scoped = instance.harness.planned()
    assert described(scoped.plan) == described(instance.harness.whole_plan())
    (change,) = [c for c in scoped.plan.changes if c.target_id == sys_id]
    (before,) = [f.before for f in change.diff if f.field == field]
    assert ref_target(before) == (other, (theirs[0][key],))
    read = [r.key[0] for r in scoped.snapshot.live if r.kind == other]
    assert [name for name in read if name.startswith("Other")] == [theirs[0][key]]


@pytest.mark.parametrize("kind", sorted(UNDER_OTHERS))
def test_finding_a_row_whose_key_holds_a_reference_reaches_only_its_parent(
    instance: Instance, kind: str
) -> None:
    """After a create whose answer was lost, the engine looks for the row by its key; another
    team's entry or state keyed the same way under its own schedule or model is not a
    candidate."""
    instance.harness.converge()
    key = next(r.key for r in instance.harness.desired() if r.kind == kind)
    found = instance.harness.session(lambda s: s.context.adapter.find(s.client, kind, key))
    assert len(found) == 1
    assert found[0].target_id in {r.target_id for r in instance.harness.live() if r.key == key}
