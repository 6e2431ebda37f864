"""A TOPdesk client from PyPI (``topdesk`` 0.0.17, which uses ``requests``) against the
emulator served on 127.0.0.1, with every request checked against the reconstructed specs.

``populated_tenant`` writes records through the emulator's REST API as a provisioning script
would: more operator groups than one page holds, so reading them back needs the 206 paging,
and a service. The client then reads them (and the out-of-box lists) back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from topdesk import Topdesk
from topdesk.errors import NotFound
from topdesk_sandbox_support import ADMIN, TOPDESK_SPECS
from usm_topdesk.sandbox import create_app
from usm_topdesk.sandbox.baseline import baseline

from usm_config.sandbox.serve import run_in_thread

GROUPS = 135  # more than one page of 100, the largest page_size


@dataclass(frozen=True)
class Tenant:
    """The served tenant and what ``populated_tenant`` wrote."""

    url: str
    groups: list[str]
    service_id: str


@pytest.fixture
def populated_tenant(tmp_path: Path) -> Iterator[Tenant]:
    app = create_app(db_path=tmp_path / "topdesk.sqlite3", spec_dir=TOPDESK_SPECS)
    branch = baseline()["tables"]["branch"][0]["id"]
    names = [f"Team {number:03d}" for number in range(GROUPS)]
    with (
        run_in_thread(app) as url,
        httpx.Client(base_url=url, auth=ADMIN, timeout=10) as http,
    ):
        for name in names:
            created = http.post(
                "/tas/api/operatorgroups", json={"groupName": name, "branch": {"id": branch}}
            )
            assert created.status_code == 201, created.text
        service = http.post("/tas/api/services", json={"name": "Workplace support"})
        assert service.status_code == 201, service.text
        yield Tenant(url, names, service.json()["id"])
        # Only the client's own wrong path (see the last test) breaks the spec.
        violations = http.get("/_sandbox/spec_violations").json()["spec_violations"]
        assert all(v.startswith("GET /tas/api/durations:") for v in violations), violations


@pytest.fixture
def client(populated_tenant: Tenant) -> Topdesk:
    return Topdesk(populated_tenant.url, app_creds=ADMIN)


def read_all(client: Topdesk, path: str, page_size: int) -> list[dict[str, Any]]:
    """Join ``start``/``page_size`` pages through the client's own request method; the
    client treats 206 like 200, so a short page ends the list."""
    rows: list[dict[str, Any]] = []
    while True:
        page = client.get(path, params={"start": len(rows), "page_size": page_size}) or []
        rows += page
        if len(page) < page_size:
            return rows


def test_the_client_reads_a_list_longer_than_one_page(
    populated_tenant: Tenant, client: Topdesk
) -> None:
    groups = read_all(client, "/operatorgroups", page_size=100)
    assert [g["groupName"] for g in groups] == populated_tenant.groups
    log = httpx.get(f"{populated_tenant.url}/_sandbox/requests").json()["requests"]
    pages = [
        r["status"] for r in log if r["path"] == "/tas/api/operatorgroups" and r["method"] == "GET"
    ]
    assert pages == [206, 200]


def test_the_client_reads_the_out_of_box_lists(client: Topdesk) -> None:
    tables = baseline()["tables"]
    assert [c["name"] for c in client.call_types()] == [r["name"] for r in tables["call_type"]]
    assert [s["name"] for s in client.processing_status()] == [
        r["name"] for r in tables["processing_status"]
    ]
    assert {s["category"]["name"] for s in client.subcategories()} == {
        r["name"] for r in tables["category"] if r["parent"] is None
    }
    assert client.archiving_reasons()[0]["name"] == tables["archiving_reason"][0]["name"]
    assert client.version() == {"version": "3.9.0"}


def test_the_client_reads_back_the_service(populated_tenant: Tenant, client: Topdesk) -> None:
    service = client.service(populated_tenant.service_id)
    assert (service["name"], service["archived"]) == ("Workplace support", False)


def test_the_clients_own_lookup_paths_are_not_in_the_api(client: Topdesk) -> None:
    """``topdesk`` 0.0.17 reads ``/tas/api/durations``; TOPdesk serves
    ``/tas/api/incidents/durations`` (topdesk.md §8)."""
    with pytest.raises(NotFound):
        client.durations()
    assert [d["name"] for d in client.get("/incidents/durations")] == [
        r["name"] for r in baseline()["tables"]["duration"]
    ]
