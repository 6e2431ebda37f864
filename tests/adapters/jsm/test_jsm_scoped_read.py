"""A plan reads per project (components, request types, queues, portal groups, the owner
marker) only the service projects the blueprint and the lock file name; a site has others.
An export still reads them all."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RecordedTarget
from usm_jsm.kinds import KINDS, PROJECT_KINDS
from usm_jsm.values import ITSM_TEMPLATE

from usm_config.testing import described

LOGIN = ("admin@example.com", "sandbox-token")  # the emulator's own login
OTHERS = tuple(f"HR{n}" for n in range(6))  # service projects no blueprint manages


class Site(RecordedTarget):
    """The municipality blueprint's JSM sandbox with six more service projects."""

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


def test_an_export_reads_every_project(site: Site) -> None:
    site.harness.converge()
    live = site.harness.live()
    components = {r.key for r in live if r.kind == "component"}
    assert {(key, name) for key in OTHERS for name in ("Printers", "Laptops")} <= components


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
