"""Peer baseline: what an administrator's script does without usm-config, against the same
TOPdesk.

The script an administrator would write with the PyPI ``topdesk`` client (which sends each
request with ``requests``, a new connection each) to provision the services of a blueprint
in TOPdesk: the provider's branch, a department per customer and an operator group per team,
each looked up by name first with a FIQL ``query`` (so that the script can be run again), the
services listed once (``/services`` cannot be filtered by name) and each missing one created,
one request at a time. Beside it, in the same run and against an emulator served the same way
with the same latency, ``usm-config apply`` (a separate process) applies the whole blueprint
to a new tenant (knowledge items, task flags, the checklist's reads and the re-plan
included); the table gives requests and wall time side by side, and what a usm-config plan
would still do after the script.

    .venv/bin/python benchmarks/peer_topdesk_script.py --services 500 --latency-ms 50
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from bench_apply import scaled_blueprint
from side_by_side import arguments, compare, report
from topdesk import Topdesk  # type: ignore[import-untyped]
from usm_topdesk.client import fiql_text

LOGIN = ("admin", "sandbox-app-password")


def _find_or_create(client: Any, path: str, field: str, body: dict[str, Any]) -> tuple[str, int]:
    """The id of the record of ``path`` whose ``field`` is ``body[field]``, created when there
    is none; and 1 when it was created."""
    found = client.get(path, params={"query": f"{field}=={fiql_text(body[field])}"}) or []
    if found:
        return str(found[0]["id"]), 0
    return str(client.post(path, data=body)["id"]), 1


def provision(url: str, services: int) -> int:
    """Run the administrator's script; the number of objects it created."""
    blueprint = scaled_blueprint(services)
    # The library is untyped; its answers are plain JSON.
    client: Any = Topdesk(url, app_creds=LOGIN)
    branch, created = _find_or_create(
        client,
        "/branches",
        "name",
        {"name": blueprint.organisation.name, "branchType": "independentBranch"},
    )
    for customer in blueprint.customers:
        created += _find_or_create(client, "/departments", "name", {"name": customer.name})[1]
    for team in blueprint.teams:
        body = {"groupName": team.name, "branch": {"id": branch}}
        created += _find_or_create(client, "/operatorgroups", "groupName", body)[1]
    listed = client.get("/services", params={"$top": 10000}) or {"results": []}
    names = {s["name"] for s in listed["results"]}
    for service in blueprint.services:
        if service.name not in names:
            client.post("/services", data={"name": service.name})
            created += 1
    return created


def run(services: int, latency_ms: float, parallelism: int) -> dict[str, Any]:
    """The script and usm-config side by side (:func:`side_by_side.compare`)."""
    # The script's operator groups lack the task flags usm-config sets: the plan after it
    # rewrites all of them, which the mass-change guard would stop.
    return compare(
        "topdesk", services, latency_ms, parallelism, provision, ("--mass-change-limit", "1")
    )


def main() -> None:
    args = arguments(__doc__, services=500)
    title = (
        f"topdesk, new tenant: {args.latency_ms:g} ms latency; the script uses topdesk "
        f"{version('topdesk')}"
    )
    report(args, "topdesk", title, "script creates", "script", run)


if __name__ == "__main__":
    main()
