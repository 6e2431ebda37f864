"""Raw Jira and JSM REST rows → live records: the pure read half of the adapter.

Each ``parse_<kind>`` takes the rows as the API returns them (one golden raw response per kind
in ``tests/adapters/jsm/golden/raw/``) and keeps only the owned fields, normalised so that they
compare equal to what :mod:`usm_jsm.mapping` compiles: server-filled noise (``self`` links,
icon URLs, scopes, layouts, rule ids, version counters) is dropped, lists are sorted. Reference
fields hold the tool's ids; the engine turns them into references.

Objects that only exist inside another one get composite ids (``"<parent>/<own>"``): a field
context ``customfield_10050/10101``, an option ``customfield_10050/10101/10200``, an issue type
in a scheme ``10100/10005``, a workflow scheme mapping ``10200/10005``, a request type
``<service desk id>/<request type id>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import JsonValue

from usm_config.engine.records import Record
from usm_jsm.values import by_name

Row = Mapping[str, Any]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def composite(*parts: object) -> str:
    """A composite id of an object that lives inside another one."""
    return "/".join(str(p) for p in parts)


def split(target_id: str) -> list[str]:
    """The parts of a composite id."""
    return target_id.split("/")


def _record(kind: str, target_id: object, fields: dict[str, JsonValue]) -> Record:
    return Record(kind=kind, key=(), fields=fields, target_id=str(target_id))


def parse_groups(rows: Iterable[Row]) -> list[Record]:
    """``GET /rest/api/3/group/bulk`` values (``{groupId, name}``)."""
    return [_record("group", r["groupId"], {"name": _text(r.get("name"))}) for r in rows]


def parse_organizations(rows: Iterable[Row]) -> list[Record]:
    """``GET /rest/servicedeskapi/organization`` values (``{id, name}``)."""
    return [_record("organization", r["id"], {"name": _text(r.get("name"))}) for r in rows]


def parse_issue_types(rows: Iterable[Row]) -> list[Record]:
    """``GET /rest/api/3/issuetype``: company-wide types only (a ``scope`` marks a team-managed
    project's own type, which no scheme can hold)."""
    return [
        _record(
            "issuetype",
            r["id"],
            {
                "name": _text(r.get("name")),
                "description": _text(r.get("description")),
                "hierarchyLevel": int(r.get("hierarchyLevel", 0)),
            },
        )
        for r in rows
        if not r.get("scope")
    ]


def parse_statuses(rows: Iterable[Row]) -> list[Record]:
    """``GET /rest/api/3/statuses/search`` values: global statuses only."""
    return [
        _record(
            "status",
            r["id"],
            {
                "name": _text(r.get("name")),
                "statusCategory": _text(r.get("statusCategory")),
                "description": _text(r.get("description")),
            },
        )
        for r in rows
        if (r.get("scope") or {}).get("type", "GLOBAL") == "GLOBAL"
    ]


def parse_priorities(rows: Iterable[Row]) -> list[Record]:
    """``GET /rest/api/3/priority``, in the priorities' order: ``after`` is the id of the one
    before (empty for the first)."""
    out = []
    before = ""
    for r in rows:
        fields: dict[str, JsonValue] = {
            "name": _text(r.get("name")),
            "statusColor": _text(r.get("statusColor")),
            "after": before,
        }
        out.append(_record("priority", r["id"], fields))
        before = str(r["id"])
    return out


def parse_fields(rows: Iterable[Row]) -> list[Record]:
    """``GET /rest/api/3/field/search?type=custom`` values."""
    return [
        _record(
            "field",
            r["id"],
            {
                "name": _text(r.get("name")),
                "type": _text((r.get("schema") or {}).get("custom")),
                "searcherKey": _text(r.get("searcherKey")),
                "description": _text(r.get("description")),
            },
        )
        for r in rows
        if r.get("custom", True)
    ]


def parse_contexts(
    field_id: str,
    contexts: Iterable[Row],
    issue_types: Iterable[Row],
    projects: Iterable[Row],
) -> list[Record]:
    """The contexts of one field (``GET /field/{id}/context``) with their issue type and project
    mappings (``…/context/issuetypemapping``, ``…/context/projectmapping``). A context that
    holds several issue types or projects is shown with the first, sorted: the mapping writes
    exactly one, so such a context shows as a difference."""
    types: dict[str, list[str]] = {}
    for row in issue_types:
        if not row.get("isAnyIssueType") and row.get("issueTypeId"):
            types.setdefault(str(row["contextId"]), []).append(str(row["issueTypeId"]))
    scoped: dict[str, list[str]] = {}
    for row in projects:
        if not row.get("isGlobalContext") and row.get("projectId"):
            scoped.setdefault(str(row["contextId"]), []).append(str(row["projectId"]))
    out = []
    for row in contexts:
        context_id = str(row["id"])
        out.append(
            _record(
                "field_context",
                composite(field_id, context_id),
                {
                    "field": field_id,
                    "name": _text(row.get("name")),
                    "description": _text(row.get("description")),
                    "issueType": min(types.get(context_id, [""])),
                    "project": min(scoped.get(context_id, [""])),
                },
            )
        )
    return out


def parse_options(context_id: str, rows: Iterable[Row]) -> list[Record]:
    """``GET /field/{f}/context/{c}/option`` values, in their order; ``context_id`` is the
    context's composite id. Options with an ``optionId`` are cascading children of that option.
    The order of the context's options, and of each option's children, is a record of its own
    whose id is the context's or the option's."""
    out = []
    orders: dict[str, list[str]] = {}  # the context's or a parent option's id → its options
    seen: set[str] = set()  # a row served twice (a list that shifted while it was read)
    for row in rows:
        own = composite(context_id, row["id"])
        if own in seen:
            continue
        seen.add(own)
        disabled = bool(row.get("disabled", False))
        parent = row.get("optionId")
        if parent:
            fields: dict[str, JsonValue] = {
                "parent": composite(context_id, parent),
                "value": _text(row.get("value")),
                "disabled": disabled,
            }
            out.append(_record("field_child_option", own, fields))
            orders.setdefault(composite(context_id, parent), []).append(own)
        else:
            fields = {"context": context_id, "value": _text(row.get("value")), "disabled": disabled}
            out.append(_record("field_option", own, fields))
            orders.setdefault(context_id, []).append(own)
    for of, listed in orders.items():
        options: list[JsonValue] = [*listed]
        if of == context_id:
            out.append(_record("field_option_order", of, {"context": of, "options": options}))
        else:
            order: dict[str, JsonValue] = {"parent": of, "options": options}
            out.append(_record("field_child_option_order", of, order))
    return out


def _transition(row: Row, status_names: Mapping[str, str]) -> dict[str, JsonValue]:
    links = row.get("links") or []
    sources = sorted(
        status_names.get(str(link.get("fromStatusReference")), "")
        for link in links
        if link.get("fromStatusReference")
    )
    out: dict[str, JsonValue] = {
        "name": _text(row.get("name")),
        "type": _text(row.get("type")),
        "from": list(sources),
        "to": status_names.get(str(row.get("toStatusReference")), ""),
    }
    if row.get("description"):
        out["description"] = _text(row["description"])
    return out


def status_references(statuses: Iterable[Row]) -> dict[str, str]:
    """Status reference and id → name, from the top-level ``statuses`` of a workflow read."""
    names: dict[str, str] = {}
    for status in statuses:
        name = _text(status.get("name"))
        for handle in (status.get("statusReference"), status.get("id")):
            if handle:
                names[str(handle)] = name
    return names


def parse_workflows(workflows: Iterable[Row], statuses: Iterable[Row]) -> list[Record]:
    """``GET /rest/api/3/workflows/search?expand=values.transitions`` pages: ``values`` and the
    top-level ``statuses``. Transitions come back in server order (GLOBAL, INITIAL, the rest):
    both sides are sorted by name."""
    names = status_references(statuses)
    out = []
    for row in workflows:
        workflow_statuses: list[dict[str, JsonValue]] = [
            {
                "name": names.get(str(s.get("statusReference")), ""),
                "properties": {str(k): _text(v) for k, v in (s.get("properties") or {}).items()},
            }
            for s in row.get("statuses") or []
        ]
        transitions: list[dict[str, JsonValue]] = [
            _transition(t, names) for t in row.get("transitions") or []
        ]
        out.append(
            _record(
                "workflow",
                (row.get("id") or {}).get("entityId", "")
                if isinstance(row.get("id"), dict)
                else row.get("id"),
                {
                    "name": _text(row.get("name")),
                    "description": _text(row.get("description")),
                    "statuses": sorted(workflow_statuses, key=by_name),
                    "transitions": sorted(transitions, key=by_name),
                },
            )
        )
    return out


def parse_workflow_schemes(rows: Iterable[Row], workflows: Iterable[Record]) -> list[Record]:
    """``GET /rest/api/3/workflowscheme`` values: each scheme and its issue type mappings.

    A scheme names its workflows; each name becomes the id of the workflow of that name among
    ``workflows`` (as Jira matches names, without regard to case), so that the engine resolves
    it like any reference. A name no workflow has stays as it is."""
    exact = {str(w.fields["name"]): str(w.target_id) for w in workflows}
    folded = {name.casefold(): target for name, target in exact.items()}

    def workflow_id(name: str) -> str:
        return exact.get(name) or folded.get(name.casefold()) or name

    out = []
    for row in rows:
        scheme_id = str(row["id"])
        out.append(
            _record(
                "workflowscheme",
                scheme_id,
                {
                    "name": _text(row.get("name")),
                    "description": _text(row.get("description")),
                    "defaultWorkflow": workflow_id(_text(row.get("defaultWorkflow"))),
                },
            )
        )
        for issue_type, workflow in sorted((row.get("issueTypeMappings") or {}).items()):
            out.append(
                _record(
                    "workflowscheme_mapping",
                    composite(scheme_id, issue_type),
                    {
                        "scheme": scheme_id,
                        "issueType": str(issue_type),
                        "workflow": workflow_id(_text(workflow)),
                    },
                )
            )
    return out


def parse_issue_type_schemes(schemes: Iterable[Row], items: Iterable[Row]) -> list[Record]:
    """``GET /rest/api/3/issuetypescheme`` values, each with the ids of its issue types from
    ``…/issuetypescheme/mapping``."""
    # A scheme holds an issue type once; a mapping served on two pages (the list shifted
    # while it was read) must not make it look changed.
    members: dict[str, dict[str, None]] = {}
    for row in items:
        members.setdefault(str(row["issueTypeSchemeId"]), {})[str(row["issueTypeId"])] = None
    return [
        _record(
            "issuetypescheme",
            row["id"],
            {
                "name": _text(row.get("name")),
                "description": _text(row.get("description")),
                "issueTypes": list(members.get(str(row["id"]), [])),
            },
        )
        for row in schemes
    ]


def scheme_of_projects(rows: Iterable[Row], scheme_key: str) -> dict[str, str]:
    """Project id → scheme id, from ``GET /issuetypescheme/project`` (``scheme_key``
    ``issueTypeScheme``) or ``GET /workflowscheme/project`` (``workflowScheme``) values."""
    out: dict[str, str] = {}
    for row in rows:
        scheme = row.get(scheme_key) or {}
        for project_id in row.get("projectIds") or []:
            out[str(project_id)] = _text(scheme.get("id"))
    return out


def parse_projects(
    rows: Iterable[Row], issue_type_schemes: Mapping[str, str], workflow_schemes: Mapping[str, str]
) -> list[Record]:
    """``GET /rest/api/3/project/search?typeKey=service_desk&expand=description`` values."""
    return [
        _record(
            "project",
            row["id"],
            {
                "key": _text(row.get("key")),
                "name": _text(row.get("name")),
                "description": _text(row.get("description")),
                "issueTypeScheme": issue_type_schemes.get(str(row["id"]), ""),
                "workflowScheme": workflow_schemes.get(str(row["id"]), ""),
            },
        )
        for row in rows
    ]


def parse_components(project_id: str, rows: Iterable[Row]) -> list[Record]:
    """``GET /rest/api/3/project/{key}/component`` values."""
    return [
        _record(
            "component",
            row["id"],
            {
                "project": project_id,
                "name": _text(row.get("name")),
                "description": _text(row.get("description")),
            },
        )
        for row in rows
    ]


def parse_request_types(project_id: str, desk_id: str, rows: Iterable[Row]) -> list[Record]:
    """``GET /rest/servicedeskapi/servicedesk/{id}/requesttype`` values."""
    return [
        _record(
            "requesttype",
            composite(desk_id, row["id"]),
            {
                "project": project_id,
                "name": _text(row.get("name")),
                "description": _text(row.get("description")),
                "helpText": _text(row.get("helpText")),
                "issueType": _text(row.get("issueTypeId")),
            },
        )
        for row in rows
    ]


def parse_queues(project_id: str, desk_id: str, rows: Iterable[Row]) -> list[Record]:
    """``GET /rest/servicedeskapi/servicedesk/{id}/queue`` values."""
    return [
        _record(
            "queue",
            composite(desk_id, row["id"]),
            {"project": project_id, "name": _text(row.get("name")), "jql": _text(row.get("jql"))},
        )
        for row in rows
    ]


def parse_portal_groups(
    project_id: str, desk_id: str, groups: Iterable[Row], request_types: Sequence[Row]
) -> list[Record]:
    """``GET …/requesttypegroup`` values, each with the names of the request types in it
    (from the request types' ``groupIds``)."""
    out = []
    for group in groups:
        group_id = str(group["id"])
        # By request type id: a request type served on two pages is one member.
        members = sorted(
            {
                str(rt.get("id")): _text(rt.get("name"))
                for rt in request_types
                if group_id in {str(g) for g in rt.get("groupIds") or []}
            }.values()
        )
        out.append(
            _record(
                "portal_group",
                composite(desk_id, group_id),
                {
                    "project": project_id,
                    "name": _text(group.get("name")),
                    "requestTypes": list(members),
                },
            )
        )
    return out
