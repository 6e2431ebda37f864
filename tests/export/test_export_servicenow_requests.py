"""An export of a 500-service ServiceNow instance sends no more requests than a plan of it.

The export reads the instance the way ``plan`` does (one read of every table the adapter
knows) and translates it without I/O. The requests are counted in the sandbox's request log;
the 500-service blueprint is the benchmark's.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

from support import benchmark_module

from usm_config.adapter import SupportsExport, load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.commands.export import read_live
from usm_config.testing.harness import Harness

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "blueprints" / "usm-reference.yaml"


def test_export_of_500_services_sends_no_more_requests_than_a_plan(tmp_path: Path) -> None:
    blueprint = benchmark_module("bench_apply").scaled_blueprint(500)
    reference = load_blueprint(REFERENCE).blueprint
    assert reference is not None
    adapter = load_adapter("servicenow")
    assert isinstance(adapter, SupportsExport)
    apps: list[Any] = []
    opened = adapter.sandbox_app  # type: ignore[attr-defined]

    def sandbox_app(state_file: Path | None, **knobs: Any) -> Any:
        app = opened(state_file, **knobs)
        apps.append(app)
        return app

    counted = copy.copy(adapter)
    setattr(counted, "sandbox_app", sandbox_app)  # noqa: B010 (shadows the method)
    harness = Harness(counted, blueprint, tmp_path / "scaled.yaml", tmp_path)
    harness.converge()

    def requests_since(first: int) -> int:
        return sum(len(app.state.request_log) for app in apps[first:])

    first = len(apps)
    harness.plan()
    plan_requests = requests_since(first)

    first = len(apps)
    live = asyncio.run(read_live(harness.context(reference)))
    exported = counted.export(live, reference)
    export_requests = requests_since(first)

    assert [s["name"] for s in exported.document["services"]][:2] == [
        "Service 0000",
        "Service 0001",
    ]
    assert len(exported.document["services"]) == 500
    assert 0 < export_requests <= plan_requests, (export_requests, plan_requests)
