"""A plan reads SLA services only for the blueprint's services once the tenant has too many to
list at once; an export still reads them all. A tenant of thousands of services otherwise
cost every plan of a small blueprint a request per service."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RecordedTarget

from usm_config.testing import described

LEGACY = 120  # services the blueprint does not name, each with an SLA service
ADMIN = ("admin", "sandbox-app-password")  # the emulator's own login
BRP = "Basisregistratie Personen (BRP-applicatie)"


class Tenant(RecordedTarget):
    """The municipality blueprint's TOPdesk sandbox, seeded with ``LEGACY`` services of
    another contract, whose every request is kept."""

    def __init__(self, base_dir: Path) -> None:
        super().__init__("topdesk", base_dir, ADMIN)
        names = [f"Legacy {n}" for n in range(LEGACY)]
        api = self.api
        for name in names:
            api.ok("POST", "/tas/api/services", {"name": name})
        self.sla("Legacy", *names)

    def sla(self, contract: str, *services: str) -> None:
        """Put ``services`` into ``contract`` in the settings screens."""
        api = self.api
        for service in services:
            form = {"contract": contract, "service": service, "serviceLevel": "Gold"}
            assert api.call("POST", "/_sandbox/ui/slas", form).status_code == 201


@pytest.fixture
def tenant(tmp_path: Path) -> Tenant:
    return Tenant(tmp_path)


def test_a_plan_reads_sla_services_of_the_blueprints_services_only(tenant: Tenant) -> None:
    tenant.harness.converge()
    tenant.sandbox.forget()
    planned = tenant.harness.planned()
    queries = tenant.sandbox.queries("/incidents/slas")
    services = {r.key[1] for r in tenant.harness.desired() if r.kind == "service_level"}
    assert queries[0] == {"page_size": "100"}  # 120 rows: cut at 100, so per service
    names = {r.target_id: r.key[0] for r in planned.snapshot.live if r.kind == "service"}
    assert sorted(names[q["service"]] for q in queries[1:]) == sorted(services)
    # The rows of the first answer are kept; no other legacy service is read.
    assert sum(1 for r in planned.snapshot.live if r.kind == "service_level") == 100


def test_the_scoped_plan_is_the_plan_of_a_whole_read(tenant: Tenant) -> None:
    tenant.harness.converge()
    before = tenant.harness.plan()
    tenant.sla("Afdeling Burgerzaken", BRP)
    scoped = tenant.harness.planned()
    assert described(scoped.plan) == described(tenant.harness.whole_plan())
    assert len(tenant.harness.live()) > len(scoped.snapshot.live)
    # The checklist item carried out is ticked off; the others stay.
    done = f"service_level[Afdeling Burgerzaken/{BRP}]"
    assert done in {c.address for c in before.changes} - {c.address for c in scoped.plan.changes}
    assert any(c.kind == "service_level" for c in scoped.plan.changes)


def test_an_export_reads_every_service(tenant: Tenant) -> None:
    tenant.harness.converge()
    tenant.sandbox.forget()
    live = tenant.harness.live()
    queries = tenant.sandbox.queries("/incidents/slas")
    services = [r for r in live if r.kind == "service"]
    assert len(queries) == 1 + len(services)
    assert sum(1 for r in live if r.kind == "service_level") == LEGACY
