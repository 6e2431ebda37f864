"""SLA services read from the emulator: ``/incidents/slas`` answers at most 100 rows, says 206
when there are more, and has no later pages (topdesk.md §2.4). The adapter reads a small
tenant in one request, a larger one per service, and a service in more than 100 contracts per
contract."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from topdesk_sandbox_support import Api
from usm_topdesk import reads
from usm_topdesk.adapter import ADAPTER
from usm_topdesk.sandbox import create_app

from usm_config.engine.records import Record
from usm_config.http import BasicAuthConfig, HttpClient, build_auth


class Recording(httpx.AsyncBaseTransport):
    """The emulator in process, with the query of every ``/incidents/slas`` request kept."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.sla_queries: list[dict[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/incidents/slas"):
            self.sla_queries.append(dict(request.url.params))
        return await self.inner.handle_async_request(request)


class Tenant:
    """A new emulated tenant whose SLA services an administrator enters in the settings
    screens; :meth:`read` reads them back through the adapter."""

    def __init__(self) -> None:
        self.app = create_app()
        self.api = Api(self.app)
        self.service_ids: dict[str, str] = {}

    def sla(self, contract: str, service: str, level: str = "Gold") -> None:
        if service not in self.service_ids:
            self.service_ids[service] = self.api.ok("POST", "services", {"name": service})["id"]
        form = {"contract": contract, "service": service, "serviceLevel": level}
        assert self.api.control("POST", "/_sandbox/ui/slas", form).status_code == 201

    def read(self) -> tuple[list[Record], list[dict[str, str]]]:
        login = ADAPTER.sandbox_credentials()
        assert isinstance(login.auth, BasicAuthConfig)
        auth, secrets = build_auth(login.auth, dict(login.environ))
        transport = Recording(self.app)

        async def main() -> list[Record]:
            async with HttpClient(
                "http://tenant.test", transport=transport, auth=auth, secrets=secrets
            ) as client:
                return await ADAPTER.read(client, ["service_level"])

        reads._REACH.clear()
        records = asyncio.run(main())
        return records, transport.sla_queries

    def pairs(self, records: Iterable[Record]) -> set[tuple[str, str]]:
        names = {key: name for name, key in self.service_ids.items()}
        return {(str(r.fields["contract"]), names[str(r.fields["service"])]) for r in records}


def test_a_tenant_with_fewer_than_100_sla_services_is_read_in_one_request() -> None:
    tenant = Tenant()
    for n in range(99):
        tenant.sla(f"Contract {n % 7}", f"Service {n}")
    records, queries = tenant.read()
    assert queries == [{"page_size": "100"}]
    assert tenant.pairs(records) == {(f"Contract {n % 7}", f"Service {n}") for n in range(99)}


def test_a_tenant_with_more_is_read_per_service() -> None:
    tenant = Tenant()
    for n in range(101):
        tenant.sla(f"Contract {n % 7}", f"Service {n}")
    records, queries = tenant.read()
    assert len(records) == 101
    assert queries[0] == {"page_size": "100"}
    assert sorted(q["service"] for q in queries[1:]) == sorted(tenant.service_ids.values())


def test_a_service_in_more_than_100_contracts_is_read_per_contract(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tenant = Tenant()
    for n in range(120):
        tenant.sla(f"Contract {n}", "Workplace")
    for n in range(100, 120):  # contracts beyond the first answer's 100, seen through Mail
        tenant.sla(f"Contract {n}", "Mail")
    with caplog.at_level(logging.WARNING, logger="usm_topdesk"):
        records, queries = tenant.read()
    expected = {(f"Contract {n}", "Workplace") for n in range(120)}
    assert tenant.pairs(records) == expected | {(f"Contract {n}", "Mail") for n in range(100, 120)}
    workplace = tenant.service_ids["Workplace"]
    per_contract = [q for q in queries if q.get("service") == workplace and "contract" in q]
    assert len(per_contract) == 120
    assert "1 service(s) have more (Workplace)" in caplog.text


def test_a_contract_no_answer_shows_is_said_to_be_unseen(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tenant = Tenant()
    for n in range(103):
        tenant.sla(f"Contract {n}", "Workplace")
    with caplog.at_level(logging.WARNING, logger="usm_topdesk"):
        records, _ = tenant.read()
    assert tenant.pairs(records) == {(f"Contract {n}", "Workplace") for n in range(100)}
    assert "for the 100 contract(s) seen" in caplog.text
    assert "an SLA service of another contract is not seen" in caplog.text


class Said(logging.Handler):
    """The messages logged while it is attached (Hypothesis reruns a test body many times
    within one ``caplog``)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


#: Contracts in a generated tenant: more than 100, so one service can be in more than 100.
CONTRACTS = 130


@st.composite
def tenants(draw: st.DrawFn) -> list[tuple[str, str]]:
    """SLA services (contract, service) in the order an administrator enters them: up to four
    services, each in a run of contracts that may overlap another service's, and sometimes in
    more than 100 of them."""
    pairs = []
    for n in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, CONTRACTS - 1))
        count = draw(st.sampled_from([0, 1, 30, 99, 100, 101, 120]))
        pairs += [(f"Contract {(start + j) % CONTRACTS}", f"Service {n}") for j in range(count)]
    return draw(st.permutations(pairs))


@settings(max_examples=12, deadline=None)
@given(entered=tenants())
def test_the_read_finds_every_sla_service_an_answer_can_lead_to(
    entered: list[tuple[str, str]],
) -> None:
    """Nothing is invented or doubled; every SLA service of a service in at most 100 contracts
    is found, and of a service in more every one whose contract some answer shows (the
    tenant's first 100 rows, or a service's). The requests: one when the tenant has at most
    100, else one per service, plus one per contract seen for each service with more."""
    tenant = Tenant()
    for contract, service in entered:
        tenant.sla(contract, service)
    said = Said()
    logger = logging.getLogger("usm_topdesk")
    logger.addHandler(said)
    try:
        records, queries = tenant.read()
    finally:
        logger.removeHandler(said)
    found = sorted((str(r.fields["contract"]), str(r.fields["service"])) for r in records)
    names = {key: name for name, key in tenant.service_ids.items()}
    found = [(contract, names[service]) for contract, service in found]
    assert len(found) == len(set(found)), "an SLA service was read twice"
    assert set(found) <= set(entered), "an SLA service was invented"

    per_service: dict[str, list[str]] = {}
    for contract, service in entered:
        per_service.setdefault(service, []).append(contract)
    cut = {service for service, contracts in per_service.items() if len(contracts) > 100}
    shown = {contract for contract, _ in entered[:100]}
    for contracts in per_service.values():
        shown |= set(contracts[:100])
    expected = {
        (contract, service)
        for contract, service in entered
        if service not in cut or contract in shown
    }
    assert set(found) == expected
    assert bool(cut) == any("have more" in message for message in said.messages)

    if len(entered) <= 100:
        assert queries == [{"page_size": "100"}]
    else:
        assert len(queries) == 1 + len(tenant.service_ids) + len(cut) * len(shown)
