"""A tenant without a module's licence: the plan says what is out of reach and goes on.

The emulator answers 403 or 404 for every endpoint of an unlicensed module, as TOPdesk does;
the adapter probes the modules once per plan, warns, and does not read their lists, so their
checklist items stay listed instead of the plan failing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from usm_topdesk import reads
from usm_topdesk.adapter import ADAPTER
from usm_topdesk.sandbox import create_app

from usm_config.http import BasicAuthConfig, HttpClient, build_auth


def _read(unlicensed: dict[str, int], kinds: list[str]) -> list[Any]:
    app = create_app(unlicensed=unlicensed)
    login = ADAPTER.sandbox_credentials()
    assert isinstance(login.auth, BasicAuthConfig)
    auth, secrets = build_auth(login.auth, dict(login.environ))

    async def main() -> list[Any]:
        transport = httpx.ASGITransport(app=app)
        async with HttpClient(
            "http://tenant.test", transport=transport, auth=auth, secrets=secrets
        ) as client:
            return await ADAPTER.read(client, kinds)

    reads._REACH.clear()
    return asyncio.run(main())


def test_an_unlicensed_module_is_said_and_its_lists_are_not_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kinds = ["activity_type", "change_template", "call_type", "knowledge_item"]
    with caplog.at_level(logging.WARNING, logger="usm_topdesk"):
        records = _read({"operations": 404, "knowledge-base": 403}, kinds)
    assert {r.kind for r in records} <= {"call_type", "change_template"}
    assert "operations management API answers HTTP 404" in caplog.text
    assert "knowledge base API answers HTTP 403" in caplog.text
    assert "change API" not in caplog.text


def test_a_licensed_tenant_warns_about_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="usm_topdesk"):
        _read({}, ["activity_type", "call_type", "service_window", "service_level"])
    assert caplog.text == ""
