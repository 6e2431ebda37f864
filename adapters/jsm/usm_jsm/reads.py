"""Reading a Jira Cloud site: every collection the adapter manages, the independent ones
concurrently; per project and per managed field where the API has no site-wide list."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Set
from dataclasses import replace
from typing import Any

from usm_config.engine.records import Record
from usm_config.http import HttpClient, read_shaped
from usm_config.http.filters import SCOPE_REQUESTS, scope_runs
from usm_jsm import client as api
from usm_jsm import parse, private
from usm_jsm.kinds import ORDER_KINDS
from usm_jsm.values import OWNER, WORDS

#: Custom fields whose contexts and options are read: the names the mapping gives its fields
#: in every locale, and any field whose description says usm-config manages it.
FIELD_NAMES = frozenset(
    name
    for key in ("impact", "urgency", "category", "effect", "likelihood", "risk_level")
    for name in WORDS[key]
)

_PLAIN_PARSERS: dict[str, Callable[[list[Any]], list[Record]]] = {
    "group": parse.parse_groups,
    "organization": parse.parse_organizations,
    "issuetype": parse.parse_issue_types,
    "priority": parse.parse_priorities,
}


async def _read_plain(client: HttpClient, kind: str) -> list[Record]:
    return _PLAIN_PARSERS[kind](await api.read_plain(client, kind))


async def _read_groups(client: HttpClient, scope: tuple[Set[str], Set[str]] | None) -> list[Record]:
    """The groups with one of the names or ids of ``scope`` (all groups without one): a site
    synchronised from a company directory holds thousands, a blueprint a few teams. The names
    go first; the ids of managed groups none of those answers holds (renamed in Atlassian
    Administration, or deleted) follow in requests of their own, since ``/group/bulk`` does
    not say whether it ANDs or ORs the two filters. Each request stays within
    :mod:`usm_config.http.filters`' budget; a scope that needs more requests reads every
    group."""
    if scope is None:
        return await _read_plain(client, "group")
    names, ids = (sorted(values) for values in scope)
    by_name = scope_runs(names, "&groupName=")
    by_id = scope_runs(ids, "&groupId=")
    if by_name is None or by_id is None or len(by_name) + len(by_id) > SCOPE_REQUESTS:
        return await _read_plain(client, "group")
    found = await asyncio.gather(
        *(api.read_plain(client, "group", groupName=run) for run in by_name)
    )
    once = {str(row["groupId"]): row for rows in found for row in rows}
    missing = scope_runs([i for i in ids if i not in once], "&groupId=") or []
    found = await asyncio.gather(*(api.read_plain(client, "group", groupId=run) for run in missing))
    once.update((str(row["groupId"]), row) for rows in found for row in rows)
    return parse.parse_groups(once.values())


async def _read_statuses(client: HttpClient) -> list[Record]:
    return parse.parse_statuses(await api.read_statuses(client))


#: Kinds read from the classic workflow schemes.
SCHEME_KINDS = frozenset({"workflowscheme", "workflowscheme_mapping"})


async def _read_workflows(client: HttpClient, wanted: set[str]) -> list[Record]:
    """The workflows, when wanted, and the schemes, when wanted: the schemes name their
    workflows, which the workflows read alongside turn into ids."""
    if not wanted & SCHEME_KINDS:
        return parse.parse_workflows(*await api.read_workflows(client))
    found, schemes = await asyncio.gather(
        api.read_workflows(client), api.read_workflow_schemes(client)
    )
    workflows = parse.parse_workflows(*found)
    listed = parse.parse_workflow_schemes(schemes, workflows)
    return [*(workflows if "workflow" in wanted else []), *listed]


async def _read_issue_type_schemes(client: HttpClient) -> list[Record]:
    return parse.parse_issue_type_schemes(*await api.read_issue_type_schemes(client))


async def read_site(
    client: HttpClient,
    wanted: set[str],
    *,
    projects: tuple[Set[str], Set[str]] | None = None,
    groups: tuple[Set[str], Set[str]] | None = None,
) -> list[Record]:
    """Every collection of ``wanted``, the independent ones concurrently; calendars and SLA
    metrics only through the internal API (:mod:`usm_jsm.private`), when asked for. With
    ``projects`` (project keys, project ids), what is read per project is read for the
    projects with one of those keys or ids alone; every service project is listed all the
    same. With ``groups`` (names, ids), only the groups with one of those are read."""
    reads: list[Awaitable[list[Record]]] = [
        _shaped(client, kind, _read_plain(client, kind))
        for kind in _PLAIN_PARSERS
        if kind in wanted and kind != "group"
    ]
    if "group" in wanted:
        reads.append(_shaped(client, "group", _read_groups(client, groups)))
    if "status" in wanted:
        reads.append(_shaped(client, "status", _read_statuses(client)))
    if wanted & {"workflow", *SCHEME_KINDS}:
        reads.append(_shaped(client, "workflow", _read_workflows(client, wanted)))
    if "issuetypescheme" in wanted:
        reads.append(_shaped(client, "issuetypescheme", _read_issue_type_schemes(client)))
    if wanted & {"field", "field_context", "field_option", "field_child_option", *ORDER_KINDS}:
        reads.append(_shaped(client, "field", _read_fields(client)))
    if wanted & {"project", "component", "requesttype", "queue", "portal_group", *_PRIVATE}:
        reads.append(_shaped(client, "project", _read_projects(client, wanted, projects)))
    return [record for found in await asyncio.gather(*reads) for record in found]


def _shaped(
    client: HttpClient, kind: str, read: Awaitable[list[Record]]
) -> Awaitable[list[Record]]:
    """``read``, with an answer of another shape than Jira documents said as such."""
    return read_shaped(client, _READ_WHAT[kind], read)


#: What each read of :func:`read_site` reads, as its error says.
_READ_WHAT = {
    "group": "the groups",
    "organization": "the organizations",
    "issuetype": "the issue types",
    "priority": "the priorities",
    "status": "the statuses",
    "workflow": "the workflows and workflow schemes",
    "issuetypescheme": "the issue type schemes",
    "field": "the custom fields, their contexts and options",
    "project": "the projects and what each holds (components, request types, queues, portal "
    "groups, calendars, SLA metrics)",
}


async def _read_contexts(client: HttpClient, field_id: str) -> list[Record]:
    contexts = parse.parse_contexts(field_id, *await api.contexts(client, field_id))
    options = await asyncio.gather(
        *(api.options(client, field_id, parse.split(str(c.target_id))[1]) for c in contexts)
    )
    out = list(contexts)
    for context, rows in zip(contexts, options, strict=True):
        out.extend(parse.parse_options(str(context.target_id), rows))
    return out


async def _read_fields(client: HttpClient) -> list[Record]:
    fields = parse.parse_fields(await api.read_plain(client, "field"))
    managed = [
        str(f.target_id)
        for f in fields
        if f.fields["name"] in FIELD_NAMES
        or any(marker in str(f.fields["description"]) for marker in WORDS["managed"])
    ]
    found = await asyncio.gather(*(_read_contexts(client, field_id) for field_id in managed))
    return [*fields, *(record for records in found for record in records)]


async def _read_projects(
    client: HttpClient, wanted: set[str], scope: tuple[Set[str], Set[str]] | None
) -> list[Record]:
    projects = await api.read_projects(client)
    chosen = [
        p
        for p in projects
        if scope is None or str(p["key"]) in scope[0] or str(p["id"]) in scope[1]
    ]
    ids = [str(p["id"]) for p in chosen]
    issue_type_rows, workflow_rows = await api.project_schemes(client, ids)
    out = parse.parse_projects(
        projects,
        parse.scheme_of_projects(issue_type_rows, "issueTypeScheme"),
        parse.scheme_of_projects(workflow_rows, "workflowScheme"),
    )
    if "project" in wanted:
        owners = await asyncio.gather(*(api.project_owner(client, i) for i in ids))
        marked = {i: owner for i, owner in zip(ids, owners, strict=True) if owner}
        out = [_marked(record, marked.get(record.target_id or "")) for record in out]
    desks = {str(d["projectId"]): str(d["id"]) for d in await api.service_desks(client)}
    found = await asyncio.gather(
        *(
            _read_project(client, wanted, project, desks.get(str(project["id"])))
            for project in chosen
        )
    )
    return [*out, *(record for records in found for record in records)]


def _marked(record: Record, owner: str | None) -> Record:
    if owner is None or record.kind != "project":
        return record
    return replace(record, fields={**record.fields, OWNER: owner})


async def _read_project(
    client: HttpClient, wanted: set[str], project: Any, desk: str | None
) -> list[Record]:
    """The components of one project and, for a service project, its request types, queues
    and portal groups."""
    project_id, key = str(project["id"]), str(project["key"])
    out: list[Record] = []
    if "component" in wanted:
        out.extend(parse.parse_components(project_id, await api.components(client, key)))
    if desk is None:
        return out
    request_types: list[Any] = []
    if wanted & {"requesttype", "portal_group"}:
        request_types = await api.request_types(client, desk)
        out.extend(parse.parse_request_types(project_id, desk, request_types))
    if "queue" in wanted:
        out.extend(parse.parse_queues(project_id, desk, await api.queues(client, desk)))
    if "portal_group" in wanted:
        groups = await api.request_type_groups(client, desk)
        out.extend(parse.parse_portal_groups(project_id, desk, groups, request_types))
    if wanted & _PRIVATE:
        out.extend(await _read_private(client, wanted, project_id, key))
    return out


#: Kinds only the internal API reads.
_PRIVATE = frozenset({"calendar", "sla"})


async def _read_private(
    client: HttpClient, wanted: set[str], project_id: str, key: str
) -> list[Record]:
    """The calendars and SLA metrics of one service project (internal API)."""
    calendars = await private.read_calendars(client, key)
    out = []
    if "calendar" in wanted:
        out.extend(private.parse_calendars(project_id, key, calendars))
    if "sla" in wanted:
        metrics = await private.read_metrics(client, key)
        names = private.calendar_names(calendars)
        out.extend(private.parse_slas(project_id, key, metrics, names))
    return out
