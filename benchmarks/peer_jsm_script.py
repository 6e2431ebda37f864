"""Peer baseline: what an administrator's script does without usm-config, against the same JSM.

The script an administrator would write with atlassian-python-api to provision the services of
a blueprint in Jira Service Management: for each team a group, for each customer an
organization, for each service a component and for each request item a request type, each
checked by name first (so that the script can be run again) and created one at a time. It runs
against the JSM emulator served on loopback with the same injected latency as
``bench_apply.py``, which applies the whole blueprint (workflows, schemes, fields and all) for
comparison.

    .venv/bin/python benchmarks/peer_jsm_script.py --services 500 --latency-ms 50
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from atlassian import Jira, ServiceDesk
from bench_apply import scaled_blueprint
from usm_jsm.sandbox import create_app

from usm_config.sandbox.faults import FaultConfig
from usm_config.sandbox.serve import run_in_thread

EMAIL, TOKEN = "admin@example.com", "sandbox-token"
KEY = "USM"
TEMPLATE = "com.atlassian.servicedesk:simplified-it-service-management"


def provision(url: str, services: int) -> int:
    """Run the administrator's script; the number of objects it created."""
    blueprint = scaled_blueprint(services)
    # The library is partly untyped; its answers are plain JSON.
    jira: Any = Jira(url=url, username=EMAIL, password=TOKEN, cloud=True)
    desk: Any = ServiceDesk(url=url, username=EMAIL, password=TOKEN, cloud=True)
    me = jira.get("rest/api/3/myself")["accountId"]
    jira.create_project_from_raw_json(
        {
            "key": KEY,
            "name": blueprint.organisation.name,
            "projectTypeKey": "service_desk",
            "projectTemplateKey": TEMPLATE,
            "leadAccountId": me,
        }
    )
    desk_id = next(d["id"] for d in desk.get_service_desks() if d["projectKey"] == KEY)
    issue_type = next(t["id"] for t in jira.get("rest/api/3/issuetype") if "request" in t["name"])
    created = 0
    for team in blueprint.teams:
        if not any(g["name"] == team.name for g in jira.get_groups(query=team.name)["groups"]):
            jira.create_group(team.name)
            created += 1
    for customer in blueprint.customers:
        names = {o["name"] for o in desk.get_organisations(limit=50)["values"]}
        if customer.name not in names:
            desk.create_organization(customer.name)
            created += 1
    for service in blueprint.services:
        existing: list[dict[str, Any]] = jira.get_project_components(KEY)
        if service.name not in {c["name"] for c in existing}:
            jira.create_component(
                {"name": service.name, "description": service.description or "", "project": KEY}
            )
            created += 1
        for item in service.requests:
            names = {t["name"] for t in desk.get_request_types(desk_id)["values"]}
            if item.name not in names:
                desk.create_request_type(desk_id, issue_type, item.name, item.description or "", "")
                created += 1
    return created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            db_path=Path(folder) / "jsm.sqlite3", faults=FaultConfig(latency_ms=args.latency_ms)
        )
        with run_in_thread(app) as url:
            start = time.perf_counter()
            created = provision(url, args.services)
            seconds = time.perf_counter() - start
        requests = len(app.state.request_log)
    print(f"administrator's script (atlassian-python-api), {args.services} services")
    print(f"objects created: {created}; requests: {requests}; wall time: {seconds:.1f} s")


if __name__ == "__main__":
    main()
