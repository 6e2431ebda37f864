"""``usm-config sandbox serve``: the served emulator checks requests against --spec."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from support import SPECS

from usm_config.cli import cli
from usm_config.sandbox import serve as serving
from usm_config.sandbox.embedded import EmbeddedTransport

REPO = Path(__file__).resolve().parents[2]
TABLE_SPEC = SPECS / "servicenow" / "table.json"


def _served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    """Run ``sandbox serve servicenow`` with ``args``; return the app it would serve."""
    apps: list[Any] = []
    monkeypatch.setattr(serving, "serve", lambda app, **_: apps.append(app))
    state = tmp_path / "served.sqlite3"
    result = CliRunner().invoke(
        cli, ["sandbox", "serve", "servicenow", "--state", str(state), *args]
    )
    assert result.exit_code == 0, result.output
    assert "serving the servicenow sandbox on http://127.0.0.1:8080" in result.output
    [app] = apps
    return app


def _call(app: Any, method: str, url: str, **kw: Any) -> httpx.Response:
    async def main() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=EmbeddedTransport(app),
            base_url="http://127.0.0.1:8080",
            auth=("admin", "admin"),
            headers={"Accept": "application/json"},
        ) as client:
            return await client.request(method, url, **kw)

    return asyncio.run(main())


def test_spec_refuses_requests_the_table_api_spec_does_not_allow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _served(tmp_path, monkeypatch, "--spec", str(TABLE_SPEC))
    good = _call(app, "GET", "/api/now/table/sys_user_group", params={"sysparm_limit": "1"})
    assert good.status_code == 200
    bad = _call(app, "GET", "/api/now/table/sys_user_group", params={"sysparm_bogus": "1"})
    assert bad.status_code == 400
    body = base64.b64encode(json.dumps({"name": "x"}).encode()).decode()
    batch = _call(
        app,
        "POST",
        "/api/now/v1/batch",
        json={
            "batch_request_id": "1",
            "rest_requests": [
                {
                    "id": "1",
                    "method": "POST",
                    "url": "/api/now/table/sys_user_group?sysparm_bogus=1",
                    "body": body,
                }
            ],
        },
    )
    [item] = batch.json()["serviced_requests"]
    assert item["status_code"] == 400
    violations = _call(app, "GET", "/_sandbox/spec_violations").json()["spec_violations"]
    assert len(violations) == 2
    assert all("sysparm_bogus" in v for v in violations)
    log = _call(app, "GET", "/_sandbox/requests").json()["requests"]
    [sub] = log[-1]["subrequests"]
    assert (sub["method"], sub["path"], sub["query_items"], sub["body"]) == (
        "POST",
        "/api/now/table/sys_user_group",
        [["sysparm_bogus", "1"]],
        {"name": "x"},
    )


def test_without_spec_nothing_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _served(tmp_path, monkeypatch)
    answer = _call(app, "GET", "/api/now/table/sys_user_group", params={"sysparm_bogus": "1"})
    assert answer.status_code == 200
