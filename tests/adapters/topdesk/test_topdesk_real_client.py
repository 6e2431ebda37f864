"""What ``apply`` wrote, read back by a TOPdesk client from PyPI (``topdesk`` 0.0.17) through
the emulator served on 127.0.0.1: the operator groups with their task flags, the departments
and the services of the municipality."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_topdesk_mapping import MUNICIPALITY, load
from topdesk import Topdesk
from usm_topdesk.adapter import ADAPTER, SANDBOX_PASSWORD_ENV, SANDBOX_USER_ENV

from usm_config.sandbox.serve import run_in_thread
from usm_config.testing.harness import Harness


def _pages(client: Topdesk, path: str) -> list[dict[str, Any]]:
    """``start``/``page_size`` pages through the client (it takes 206 for 200)."""
    rows: list[dict[str, Any]] = []
    while True:
        page = client.get(path, params={"start": len(rows), "page_size": 100}) or []
        rows += page
        if len(page) < 100:
            return rows


def test_a_topdesk_client_reads_what_apply_wrote(tmp_path: Path) -> None:
    blueprint = load(MUNICIPALITY)
    harness = Harness(ADAPTER, blueprint, MUNICIPALITY, tmp_path)
    harness.converge()
    login = ADAPTER.sandbox_credentials().environ
    credentials = (login[SANDBOX_USER_ENV], login[SANDBOX_PASSWORD_ENV])
    app = ADAPTER.sandbox_app(harness.context().sandbox_state)
    with run_in_thread(app) as url:
        client = Topdesk(url, app_creds=credentials)
        groups = {g["groupName"]: g for g in _pages(client, "/operatorgroups")}
        departments = {d["name"] for d in client.get("/departments")}
        services = {s["name"] for s in client.get("/services")["results"]}
    desk = groups["ICT Servicedesk"]
    assert desk["firstLineCallOperator"] and desk["problemManager"] and desk["changeCoordinator"]
    assert groups["Werkplekbeheer"]["secondLineCallOperator"]
    assert not groups["Werkplekbeheer"]["firstLineCallOperator"]
    assert {g.name for g in blueprint.teams if g.kind == "supplier"} <= set(groups)
    assert {c.name for c in blueprint.customers if c.kind == "internal"} <= departments
    assert {s.name for s in blueprint.services} <= services
