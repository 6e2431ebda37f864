"""A plan reads SLA services only for the blueprint's services once the tenant has too many to
list at once; an export still reads them all. A tenant of thousands of services otherwise
cost every plan of a small blueprint a request per service."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import httpx
import pytest

from usm_config.adapter import SupportsSandbox, load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.runner import Context, make_plan
from usm_config.testing import Harness

REPO = Path(__file__).resolve().parents[3]
BLUEPRINT = REPO / "blueprints" / "examples" / "municipality"
LEGACY = 120  # services the blueprint does not name, each with an SLA service
ADMIN = ("admin", "sandbox-app-password")  # the emulator's own login


class Tenant:
    """The municipality blueprint's TOPdesk sandbox, seeded with ``LEGACY`` services of
    another contract, whose every request to ``/incidents/slas`` is kept."""

    def __init__(self, base_dir: Path) -> None:
        loaded = load_blueprint(BLUEPRINT)
        assert loaded.blueprint is not None
        self.apps: list[Any] = []
        adapter = copy.copy(load_adapter("topdesk"))
        assert isinstance(adapter, SupportsSandbox)
        original = adapter.sandbox_app

        def sandbox_app(state_file: Path | None, **knobs: Any) -> Any:
            app = original(state_file, **knobs)
            self.apps.append(app)
            return app

        setattr(adapter, "sandbox_app", sandbox_app)  # noqa: B010 (shadows the method)
        self.harness = Harness(adapter, loaded.blueprint, BLUEPRINT, base_dir)
        context = self.harness.context()
        self._seed(context)

    def _seed(self, context: Context) -> None:
        context.sandbox_state.parent.mkdir(parents=True, exist_ok=True)
        names = [f"Legacy {n}" for n in range(LEGACY)]
        self._send([("/tas/api/services", {"name": name}) for name in names])
        self.sla("Legacy", *names)

    def sla(self, contract: str, *services: str) -> None:
        """Put ``services`` into ``contract`` in the settings screens."""
        forms = [{"contract": contract, "service": s, "serviceLevel": "Gold"} for s in services]
        self._send([("/_sandbox/ui/slas", form) for form in forms])

    def _send(self, posts: list[tuple[str, dict[str, str]]]) -> None:
        context = self.harness.context()
        adapter = context.adapter
        assert isinstance(adapter, SupportsSandbox)
        app = adapter.sandbox_app(context.sandbox_state)

        async def send() -> None:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as ui:
                for path, body in posts:
                    answer = await ui.post(path, json=body, auth=ADMIN)
                    assert answer.status_code == 201, answer.text

        asyncio.run(send())

    def sla_queries(self) -> list[dict[str, str]]:
        """The queries of ``/incidents/slas`` since the last call."""
        queries = [
            dict(entry.query)
            for app in self.apps
            for entry in app.state.request_log
            if entry.path.endswith("/incidents/slas")
        ]
        self.apps.clear()
        return queries


@pytest.fixture
def tenant(tmp_path: Path) -> Tenant:
    return Tenant(tmp_path)


def test_a_plan_reads_sla_services_of_the_blueprints_services_only(tenant: Tenant) -> None:
    tenant.harness.converge()
    tenant.sla_queries()
    planned = tenant.harness.planned()
    queries = tenant.sla_queries()
    services = {r.key[1] for r in tenant.harness.desired() if r.kind == "service_level"}
    assert queries[0] == {"page_size": "100"}  # 120 rows: cut at 100, so per service
    names = {r.target_id: r.key[0] for r in planned.snapshot.live if r.kind == "service"}
    assert sorted(names[q["service"]] for q in queries[1:]) == sorted(services)
    # The rows of the first answer are kept; no other legacy service is read.
    assert sum(1 for r in planned.snapshot.live if r.kind == "service_level") == 100


def test_the_scoped_plan_is_the_plan_of_a_whole_read(tenant: Tenant) -> None:
    tenant.harness.converge()
    before = tenant.harness.plan()
    tenant.sla("Afdeling Burgerzaken", "Basisregistratie Personen (BRP-applicatie)")
    scoped = tenant.harness.planned()
    whole = tenant.harness.session(lambda s: s.read())
    unscoped = make_plan(tenant.harness.context(), whole, prune=False)
    assert len(whole.live) > len(scoped.snapshot.live)
    shown = [(c.action, c.address, c.reason) for c in scoped.plan.changes]
    assert shown == [(c.action, c.address, c.reason) for c in unscoped.plan.changes]
    # The checklist item carried out is ticked off; the others stay.
    done = "service_level[Afdeling Burgerzaken/Basisregistratie Personen (BRP-applicatie)]"
    assert done in {c.address for c in before.changes} - {c.address for c in scoped.plan.changes}
    assert any(c.kind == "service_level" for c in scoped.plan.changes)


def test_an_export_reads_every_service(tenant: Tenant) -> None:
    tenant.harness.converge()
    tenant.sla_queries()
    live = tenant.harness.live()
    queries = tenant.sla_queries()
    services = [r for r in live if r.kind == "service"]
    assert len(queries) == 1 + len(services)
    assert sum(1 for r in live if r.kind == "service_level") == LEGACY
