"""A plan reads operator groups by the names and ids it needs: a tenant's other teams keep
hundreds of them, a blueprint a few teams. A query lists archived groups too, which stay
archived to the plan. An export still reads every group."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from support import RecordedTarget
from usm_topdesk.sandbox import supporting

from usm_config.testing import described

OTHERS = 150  # another team's groups: more than one page of 100
ADMIN = ("admin", "sandbox-app-password")  # the emulator's own login
GROUPS = "/tas/api/operatorgroups"


class Tenant(RecordedTarget):
    """The municipality blueprint's TOPdesk sandbox with ``OTHERS`` operator groups of another
    team, whose every request is kept."""

    def __init__(self, base_dir: Path) -> None:
        super().__init__("topdesk", base_dir, ADMIN)
        tenant = self.api
        branch = {"name": "Another branch", "branchType": "independentBranch"}
        made = tenant.ok("POST", "/tas/api/branches", branch)
        for n in range(OTHERS):
            tenant.ok("POST", GROUPS, {"groupName": f"Other {n}", "branch": {"id": made["id"]}})

    def group_lists(self) -> list[dict[str, str]]:
        """The queries of the operator group lists read since the last ``forget`` (not the
        probe of the module, one row long)."""
        probe = {"start": "0", "page_size": "1"}
        return [q for q in self.sandbox.queries("/operatorgroups") if q != probe]


@pytest.fixture
def tenant(tmp_path: Path) -> Tenant:
    return Tenant(tmp_path)


def test_a_plan_reads_the_blueprints_groups_by_name_and_id_in_one_request(tenant: Tenant) -> None:
    tenant.harness.converge()
    tenant.sandbox.forget()
    planned = tenant.harness.planned()
    (asked,) = tenant.group_lists()
    assert asked["query"].count("groupName==") == len(tenant.ours("operator_group"))
    assert asked["query"].count("id==") == len(tenant.ours("operator_group"))  # the lock file's
    live = [r for r in planned.snapshot.live if r.kind == "operator_group"]
    assert len(live) == len(tenant.ours("operator_group"))
    assert described(planned.plan) == described(tenant.harness.whole_plan())


def test_a_group_renamed_in_the_tool_is_found_by_its_id(tenant: Tenant) -> None:
    tenant.harness.converge()
    group = tenant.one_of_ours("operator_group")
    tenant.api.ok("PATCH", f"{GROUPS}/id/{group.target_id}", {"groupName": "Renamed by hand"})
    plan = tenant.harness.plan()
    assert described(plan) == described(tenant.harness.whole_plan())
    (change,) = [c for c in plan.changes if c.kind == "operator_group"]
    assert change.target_id == group.target_id
    assert ("groupName", "Renamed by hand") in {(d.field, d.before) for d in change.diff}


def test_an_archived_group_of_the_same_name_is_not_taken_for_a_live_one(tenant: Tenant) -> None:
    tenant.harness.converge()
    group = tenant.one_of_ours("operator_group")
    reason = tenant.api.ok("GET", "/tas/api/archiving-reasons")[0]["id"]
    tenant.api.ok("PATCH", f"{GROUPS}/id/{group.target_id}/archive", {"id": reason})
    tenant.sandbox.forget()
    planned = tenant.harness.planned()
    assert "query" in tenant.group_lists()[0]  # the query lists the archived group
    assert described(planned.plan) == described(tenant.harness.whole_plan())
    (change,) = [c for c in planned.plan.changes if c.kind == "operator_group"]
    assert change.action.value == "create"  # gone from the tool: drift, made again


def test_a_tenant_that_refuses_the_query_is_read_whole(
    tenant: Tenant, refuse_queries: Callable[[ModuleType], None]
) -> None:
    tenant.harness.converge()
    refuse_queries(supporting)
    tenant.sandbox.forget()
    planned = tenant.harness.planned()
    assert any("query" not in q for q in tenant.group_lists())
    live = [r for r in planned.snapshot.live if r.kind == "operator_group"]
    assert len(live) == len(tenant.ours("operator_group")) + OTHERS
    assert described(planned.plan) == described(tenant.harness.whole_plan())


def test_an_export_reads_every_group(tenant: Tenant) -> None:
    tenant.harness.converge()
    tenant.sandbox.forget()
    live = tenant.harness.live()
    assert all("query" not in q for q in tenant.group_lists())
    assert (
        sum(1 for r in live if r.kind == "operator_group")
        == len(tenant.ours("operator_group")) + OTHERS
    )
