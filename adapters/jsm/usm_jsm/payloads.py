"""Request bodies the bulk workflow API needs, built from records: pure.

The workflow API takes whole workflows: every status it uses as a full status definition (the
top-level ``statuses`` array is an upsert, and a definition without its description wipes the
description of the existing status: jira.md §1.2), every transition with an ``id`` (kept from
the live workflow on update, so Jira keeps its rule ids), and on update the current
``version``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def status_definitions(names: Sequence[str], live: Mapping[str, Mapping[str, Any]]) -> list[Any]:
    """Full definitions of the statuses ``names``, from the live statuses by name.

    Raises ``KeyError`` for a status that does not exist (the engine writes statuses first).
    """
    out = []
    for name in sorted(set(names)):
        status = live[name]
        out.append(
            {
                "id": str(status["id"]),
                "statusReference": str(status["id"]),
                "name": status["name"],
                "statusCategory": status["statusCategory"],
                "description": status.get("description") or "",
            }
        )
    return out


def used_statuses(fields: Mapping[str, Any]) -> list[str]:
    """The names of every status a workflow record uses."""
    names = {str(s["name"]) for s in fields.get("statuses") or []}
    for transition in fields.get("transitions") or []:
        names.add(str(transition["to"]))
        names.update(str(n) for n in transition.get("from") or [])
    return sorted(names)


def _transitions(
    fields: Mapping[str, Any], ids_by_name: Mapping[str, str], refs: Mapping[str, str]
) -> list[Any]:
    taken = set(ids_by_name.values())
    next_id = 1
    out = []
    # INITIAL first: Jira requires the first transition to be the initial one (jira.md §1.2).
    ordered = sorted(fields["transitions"], key=lambda t: (t["type"] != "INITIAL", t["name"]))
    for transition in ordered:
        transition_id = ids_by_name.get(transition["name"])
        if transition_id is None:
            while str(next_id) in taken:
                next_id += 10
            transition_id = str(next_id)
            taken.add(transition_id)
        body: dict[str, Any] = {
            "id": transition_id,
            "name": transition["name"],
            "type": transition["type"],
            "toStatusReference": refs[transition["to"]],
            "links": [{"fromStatusReference": refs[name]} for name in transition.get("from") or []],
        }
        if transition.get("description"):
            body["description"] = transition["description"]
        out.append(body)
    return out


def workflow_body(
    fields: Mapping[str, Any],
    live_statuses: Mapping[str, Mapping[str, Any]],
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One workflow of a ``WorkflowCreateRequest`` or, with ``current`` (the live workflow
    as ``POST /workflows`` returns it), of a ``WorkflowUpdateRequest``."""
    refs = {name: str(live_statuses[name]["id"]) for name in used_statuses(fields)}
    ids_by_name = {
        str(t["name"]): str(t["id"])
        for t in (current or {}).get("transitions") or []
        if t.get("id")
    }
    body: dict[str, Any] = {
        "name": fields["name"],
        "description": fields.get("description") or "",
        "statuses": [
            {"statusReference": refs[str(s["name"])], "properties": dict(s.get("properties") or {})}
            for s in fields["statuses"]
        ],
        "transitions": _transitions(fields, ids_by_name, refs),
    }
    if current is not None:
        body["id"] = current["id"]
        body["version"] = current["version"]
    return body


def workflow_request(
    fields: Mapping[str, Any],
    live_statuses: Mapping[str, Mapping[str, Any]],
    current: Mapping[str, Any],
) -> dict[str, Any]:
    """The whole update request for one workflow (``current``, the live one)."""
    return {
        "statuses": status_definitions(used_statuses(fields), live_statuses),
        "workflows": [workflow_body(fields, live_statuses, current)],
    }


def workflows_create_request(
    many: Sequence[Mapping[str, Any]], live_statuses: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The whole create request for the workflows ``many``: each status any of them uses,
    defined once."""
    used = [name for fields in many for name in used_statuses(fields)]
    return {
        "statuses": status_definitions(used, live_statuses),
        "workflows": [workflow_body(fields, live_statuses) for fields in many],
        "scope": {"type": "GLOBAL"},
    }
