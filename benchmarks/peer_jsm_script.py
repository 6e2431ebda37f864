"""Peer baseline: what an administrator's script does without usm-config, against the same JSM.

The script an administrator would write with atlassian-python-api to provision the services of
a blueprint in Jira Service Management: for each team a group, for each customer an
organization, for each service a component and for each request item a request type, each
checked by name first (so that the script can be run again) and created one at a time. It runs
against the JSM emulator served on loopback, side by side in one run with ``usm-config apply``
of the whole blueprint (workflows, schemes, fields and all) onto another new site served with
the same latency; then a usm-config plan says what the script left undone.

    .venv/bin/python benchmarks/peer_jsm_script.py --services 500 --latency-ms 50
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from atlassian import Jira, ServiceDesk
from bench_apply import scaled_blueprint
from side_by_side import arguments, compare, report
from usm_jsm.values import ITSM_TEMPLATE, project_key

EMAIL, TOKEN = "admin@example.com", "sandbox-token"


def provision(url: str, services: int) -> int:
    """Run the administrator's script; the number of objects it created."""
    blueprint = scaled_blueprint(services)
    key = project_key(blueprint)
    # The library is partly untyped; its answers are plain JSON.
    jira: Any = Jira(url=url, username=EMAIL, password=TOKEN, cloud=True)
    desk: Any = ServiceDesk(url=url, username=EMAIL, password=TOKEN, cloud=True)
    me = jira.get("rest/api/3/myself")["accountId"]
    jira.create_project_from_raw_json(
        {
            "key": key,
            "name": blueprint.organisation.name,
            "projectTypeKey": "service_desk",
            "projectTemplateKey": ITSM_TEMPLATE,
            "leadAccountId": me,
        }
    )
    desk_id = next(d["id"] for d in desk.get_service_desks() if d["projectKey"] == key)
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
        existing: list[dict[str, Any]] = jira.get_project_components(key)
        if service.name not in {c["name"] for c in existing}:
            jira.create_component(
                {"name": service.name, "description": service.description or "", "project": key}
            )
            created += 1
        for item in service.requests:
            names = {t["name"] for t in desk.get_request_types(desk_id)["values"]}
            if item.name not in names:
                desk.create_request_type(desk_id, issue_type, item.name, item.description or "", "")
                created += 1
    return created


def run(services: int, latency_ms: float, parallelism: int) -> dict[str, Any]:
    """The script and usm-config side by side (:func:`side_by_side.compare`)."""
    # The script's components carry the service's description alone; usm-config's add the
    # facility's goods and actions, so the plan after it rewrites all of them, which the
    # mass-change guard would stop.
    return compare(
        "jsm", services, latency_ms, parallelism, provision, ("--mass-change-limit", "1")
    )


def main() -> None:
    args = arguments(__doc__, services=500)
    title = (
        f"jsm, new site: {args.latency_ms:g} ms latency; the script uses atlassian-python-api "
        f"{version('atlassian-python-api')}"
    )
    report(args, "jsm", title, "script creates", "script", run)


if __name__ == "__main__":
    main()
