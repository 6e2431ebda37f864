"""A plan reads per project (components, request types, queues, portal groups, the owner
marker) only the service projects the blueprint and the lock file name, and only the groups
they name; a site has other projects, and thousands of groups synchronised from a company
directory. An export still reads them all."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RecordedTarget
from usm_jsm import reads
from usm_jsm.kinds import KINDS, PROJECT_KINDS
from usm_jsm.sandbox.site import GROUP
from usm_jsm.values import ITSM_TEMPLATE

from usm_config.http.filters import SCOPE_QUERY_CHARS
from usm_config.testing import described, with_renamed

LOGIN = ("admin@example.com", "sandbox-token")  # the emulator's own login
OTHERS = tuple(f"HR{n}" for n in range(6))  # service projects no blueprint manages
#: Groups no blueprint manages: more than a page of ``/group/bulk`` (50).
OTHER_GROUPS = tuple(f"directory-group-{n}" for n in range(60))


class Site(RecordedTarget):
    """The municipality blueprint's JSM sandbox with six more service projects and 60 more
    groups."""

    def __init__(self, base_dir: Path) -> None:
        super().__init__("jsm", base_dir, LOGIN)
        api = self.api
        lead = api.ok("GET", "/rest/api/3/myself")["accountId"]
        for key in OTHERS:
            project = {"key": key, "name": f"Desk {key}", "projectTypeKey": "service_desk"}
            made = {**project, "projectTemplateKey": ITSM_TEMPLATE, "leadAccountId": lead}
            api.ok("POST", "/rest/api/3/project", {**made, "assigneeType": "UNASSIGNED"})
            for name in ("Printers", "Laptops"):
                api.ok("POST", "/rest/api/3/component", {"project": key, "name": name})
        for name in OTHER_GROUPS:
            api.ok("POST", "/rest/api/3/group", {"name": name})


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def test_a_plan_reads_the_projects_the_blueprint_names(site: Site) -> None:
    site.harness.converge()
    site.sandbox.forget()
    planned = site.harness.planned()
    asked = site.sandbox.queries("/component")
    managed = {r.key[0] for r in site.harness.desired() if r.kind == "project"}
    assert managed and len(asked) == len(managed)
    listed = {r.key[0] for r in planned.snapshot.live if r.kind == "project"}
    assert set(OTHERS) <= listed  # every service project is still listed
    components = {r.key[0] for r in planned.snapshot.live if r.kind == "component"}
    assert components and not components & set(OTHERS)


def test_the_scoped_plan_is_the_plan_of_a_whole_read(site: Site) -> None:
    site.harness.converge()
    scoped = site.harness.planned()
    assert described(scoped.plan) == described(site.harness.whole_plan())
    assert len(site.harness.live()) > len(scoped.snapshot.live)


def test_an_export_reads_every_project_and_group(site: Site) -> None:
    site.harness.converge()
    live = site.harness.live()
    components = {r.key for r in live if r.kind == "component"}
    assert {(key, name) for key in OTHERS for name in ("Printers", "Laptops")} <= components
    assert set(OTHER_GROUPS) <= {r.key[0] for r in live if r.kind == "group"}


def _group_filters(site: Site) -> list[list[tuple[str, str]]]:
    """The query of each ``/group/bulk`` request since the last ``forget``."""
    return [
        list(entry.query_items)
        for app in site.sandbox.apps
        for entry in app.state.request_log
        if entry.path.endswith("/group/bulk")
    ]


def test_a_plan_reads_the_groups_the_blueprint_and_the_lock_file_name(site: Site) -> None:
    site.harness.converge()
    site.sandbox.forget()
    planned = site.harness.planned()
    asked = _group_filters(site)
    desired = {r.key[0] for r in site.harness.desired() if r.kind == "group"}
    # One request: every group the lock file manages is found by its name, so none by its id.
    assert [sorted(v for k, v in query if k == "groupName") for query in asked] == [sorted(desired)]
    assert not [v for query in asked for k, v in query if k == "groupId"]
    read = {r.key[0] for r in planned.snapshot.live if r.kind == "group"}
    assert read == desired


def test_a_team_renamed_in_the_blueprint_still_reads_its_old_group(site: Site) -> None:
    """The old group is no longer named in the blueprint, but the lock file names it; the
    plan reads it and says what a plan of every group says."""
    site.harness.converge()
    team = site.harness.blueprint.teams[0]
    renamed = with_renamed(site.harness.blueprint, "teams", team.id, "Renamed team")
    scoped = site.harness.planned(blueprint=renamed, prune=True)
    assert described(scoped.plan) == described(
        site.harness.whole_plan(blueprint=renamed, prune=True)
    )
    assert team.name in {r.key[0] for r in scoped.snapshot.live if r.kind == "group"}
    assert [c.action for c in scoped.plan.changes if c.kind == "group"]


def test_a_group_renamed_in_atlassian_administration_is_read_by_its_id(site: Site) -> None:
    """Jira's REST API cannot rename a group; an administrator can, in Atlassian
    Administration. The lock file knows the group by its id: the plan reads it under its new
    name and says what a plan of every group says."""
    site.harness.converge()
    lock = site.harness.session(lambda s: s.read()).lock
    group_id = next(e.target_id for e in lock.entries.values() if e.kind == "group")
    state = site.api.app.state.site
    state.replace(GROUP, {**state.get(GROUP, group_id), "name": "renamed-by-an-admin"})
    site.sandbox.forget()
    scoped = site.harness.planned()
    asked = _group_filters(site)
    # Its old name found nothing: a second request asks for it by id, alone.
    assert [[(k, v) for k, v in query if k == "groupId"] for query in asked][1:] == [
        [("groupId", group_id)]
    ]
    assert described(scoped.plan) == described(site.harness.whole_plan())
    read = {r.target_id: r.key[0] for r in scoped.snapshot.live if r.kind == "group"}
    assert read[group_id] == "renamed-by-an-admin"


def test_finding_a_group_after_a_lost_answer_asks_for_its_name(site: Site) -> None:
    """After a create whose answer was lost, the engine looks for the record by its key: a
    group is asked for by name, not found among every group of the site."""
    site.harness.converge()
    name = next(r.key[0] for r in site.harness.desired() if r.kind == "group")
    site.sandbox.forget()
    found = site.harness.session(lambda s: s.context.adapter.find(s.client, "group", (name,)))
    assert [r.fields["name"] for r in found] == [name]
    (query,) = _group_filters(site)
    assert [v for k, v in query if k in ("groupName", "groupId")] == [name]


@pytest.mark.parametrize("count", [1, 2_000])
def test_more_groups_than_the_requests_hold_reads_every_group(site: Site, count: int) -> None:
    """A scope of thousands of long names reads the groups whole, as one of a few names
    reads them by name."""
    names = {f"{'x' * 100} {n}" for n in range(count)}
    site.sandbox.forget()
    found = site.harness.session(
        lambda s: reads.read_site(s.client, {"group"}, groups=(names, set()))
    )
    asked = _group_filters(site)
    if count == 1:
        assert found == [] and [k for k, _ in asked[0] if k == "groupName"] == ["groupName"]
    else:
        assert len(asked) > 1 and not any(
            k in ("groupName", "groupId") for q in asked for k, _ in q
        )
        assert set(OTHER_GROUPS) <= {r.fields["name"] for r in found}
    assert all(len("&".join(f"{k}={v}" for k, v in q)) <= SCOPE_QUERY_CHARS + 200 for q in asked)


def test_a_project_whose_key_was_changed_in_jira_is_still_read(site: Site) -> None:
    """The lock file knows the project by its id: its components are read under the new key,
    so the plan does not create them again."""
    site.harness.converge()
    project = next(
        r
        for r in site.harness.live()
        if r.kind == "project"
        and r.key[0] in {d.key[0] for d in site.harness.desired() if d.kind == "project"}
    )
    api = site.api
    api.ok("PUT", f"/rest/api/3/project/{project.target_id}", {"key": "RENAMED"})
    scoped = site.harness.planned()
    assert described(scoped.plan) == described(site.harness.whole_plan())
    assert not [c for c in scoped.plan.changes if c.kind == "component" and c.action == "create"]
    assert any(r.kind == "component" and r.key[0] == "RENAMED" for r in scoped.snapshot.live)


def test_of_the_kinds_read_per_project_only_projects_are_pointed_at() -> None:
    """References resolve through the records a plan reads, and a scope holds the blueprint's
    own keys, not the keys its records point at: other kinds may point only at projects, which
    a plan lists whole (see the first test)."""
    pointed_at = {target for spec in KINDS.values() for target in spec.references.values()}
    assert pointed_at & PROJECT_KINDS == {"project"}


def test_an_order_of_options_is_found_by_its_key(site: Site) -> None:
    """After a lost answer the engine looks a record up by its key: an order of options too
    (the read of the fields, their contexts and options gives it)."""
    site.harness.converge()
    live = {(r.kind, r.key): r.target_id for r in site.harness.live()}
    for kind in ("field_option_order", "field_child_option_order"):
        wanted = next(r for r in site.harness.desired() if r.kind == kind)
        found = site.harness.session(
            lambda s, k=kind, key=wanted.key: s.context.adapter.find(s.client, k, key)
        )
        assert live[(kind, wanted.key)] in {r.target_id for r in found if r.kind == kind}
