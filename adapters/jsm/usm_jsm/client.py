"""HTTP calls to the Jira platform REST API v3 and the JSM REST API: requests only, no decisions.

Endpoints of the plain kinds are a table (:data:`PLAIN`); the kinds whose API is not one
collection with item URLs (statuses in bulk, workflows through the bulk workflow API, options
inside contexts inside fields, request types inside service desks) have a function each.

Protocol (jira.md §2): the platform pages with ``PageBean``, JSM with ``PagedDTO``, some reads
are plain arrays; a 409 "lock" or "task running" answer is retried with back-off; experimental
JSM operations carry ``X-ExperimentalApi: opt-in`` (412 without it); 303 + task is awaited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from usm_config.http import HttpClient, NotFoundError
from usm_config.http.paging import (
    PageBeanPaging,
    PagedDtoPaging,
    UnpagedList,
    collect_items,
    paginate,
)
from usm_config.http.retry import is_lock_conflict
from usm_config.http.tasks import request_and_wait
from usm_jsm.values import OWNER_PROPERTY

API = "/rest/api/3"
JSM = "/rest/servicedeskapi"
EXPERIMENTAL = {"X-ExperimentalApi": "opt-in"}

PAGE_BEAN = PageBeanPaging(page_size=50, max_page_size=50)
STATUS_PAGES = PageBeanPaging(page_size=200, max_page_size=200)
PAGED_DTO = PagedDtoPaging(page_size=50, max_page_size=100)
ARRAY = UnpagedList()


@dataclass(frozen=True)
class Endpoints:
    """Where a plain kind is read and written. ``item`` holds ``{id}``; ``delete_params``
    names a query parameter that carries the id instead of the path."""

    collection: str
    paging: Any
    create: str
    item: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    delete_params: str = ""
    update_method: str = "PUT"


PLAIN: Mapping[str, Endpoints] = {
    "group": Endpoints(
        f"{API}/group/bulk", PAGE_BEAN, f"{API}/group", f"{API}/group", delete_params="groupId"
    ),
    "organization": Endpoints(
        f"{JSM}/organization", PAGED_DTO, f"{JSM}/organization", f"{JSM}/organization/{{id}}"
    ),
    "issuetype": Endpoints(
        f"{API}/issuetype", ARRAY, f"{API}/issuetype", f"{API}/issuetype/{{id}}"
    ),
    "priority": Endpoints(f"{API}/priority", ARRAY, f"{API}/priority", f"{API}/priority/{{id}}"),
    "field": Endpoints(
        f"{API}/field/search",
        PAGE_BEAN,
        f"{API}/field",
        f"{API}/field/{{id}}",
        params={"type": "custom", "expand": "searcherKey"},
    ),
    "component": Endpoints("", PAGE_BEAN, f"{API}/component", f"{API}/component/{{id}}"),
}


def _with_lock_retries(client: HttpClient) -> Any:
    return dataclasses.replace(client.retry, retry_when=is_lock_conflict)


async def read_all(client: HttpClient, path: str, paging: Any, **params: Any) -> list[Any]:
    """Every item of a collection."""
    return await collect_items(client, path, paging, params or None)


async def read_plain(client: HttpClient, kind: str, **filters: Any) -> list[Any]:
    """Every row of a plain kind (that ``filters`` match: a list value repeats the parameter,
    ``groupName=a&groupName=b``)."""
    endpoints = PLAIN[kind]
    params = {**endpoints.params, **filters}
    return await read_all(client, endpoints.collection, endpoints.paging, **params)


async def write(client: HttpClient, method: str, path: str, body: Any = None, **params: Any) -> Any:
    """One write (lock conflicts retried, a started task awaited); the JSON answer or None."""
    outcome = await request_and_wait(
        client, method, path, json=body, params=params or None, retry=_with_lock_retries(client)
    )
    response = outcome.response
    if not response.content or response.status_code == 303:
        return None
    return client.write_answer(response)


async def write_experimental(client: HttpClient, method: str, path: str, body: Any = None) -> Any:
    """A write to an experimental JSM operation."""
    response = await client.request(method, path, json=body, headers=EXPERIMENTAL)
    return client.write_answer(response) if response.content else None


async def move_priority(client: HttpClient, priority_id: str, after: str) -> None:
    """Place priority ``priority_id`` right after priority ``after``, or first when ``after``
    is empty (``PUT /priority/move``): the priorities' order is how issues sort by priority."""
    body: dict[str, Any] = {"ids": [priority_id]}
    body.update({"after": after} if after else {"position": "First"})
    await write(client, "PUT", f"{API}/priority/move", body)


async def create_plain(client: HttpClient, kind: str, body: Mapping[str, Any]) -> Any:
    """Create one record of a plain kind."""
    return await write(client, "POST", PLAIN[kind].create, dict(body))


async def update_plain(
    client: HttpClient, kind: str, target_id: str, body: Mapping[str, Any]
) -> Any:
    """Update one record of a plain kind."""
    endpoints = PLAIN[kind]
    return await write(
        client, endpoints.update_method, endpoints.item.format(id=target_id), dict(body)
    )


async def delete_plain(client: HttpClient, kind: str, target_id: str) -> None:
    """Delete one record of a plain kind."""
    endpoints = PLAIN[kind]
    if endpoints.delete_params:
        await write(client, "DELETE", endpoints.item, **{endpoints.delete_params: target_id})
    else:
        await write(client, "DELETE", endpoints.item.format(id=target_id))


# ----------------------------------------------------------------------------- statuses


async def read_statuses(client: HttpClient) -> list[Any]:
    """Every status (``/statuses/search``)."""
    return await read_all(client, f"{API}/statuses/search", STATUS_PAGES)


async def create_statuses(client: HttpClient, statuses: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Create global statuses in one request; the statuses created, as Jira lists them."""
    body = {"scope": {"type": "GLOBAL"}, "statuses": [dict(fields) for fields in statuses]}
    created = await write(client, "POST", f"{API}/statuses", body)
    return list(created) if isinstance(created, list) else []


async def statuses_by_id(client: HttpClient, ids: Sequence[str]) -> list[Any]:
    """The statuses with ``ids`` (one request, repeated ``id`` parameters)."""
    if not ids:
        return []
    response = await client.request(
        "GET", f"{API}/statuses", params=httpx.QueryParams([("id", i) for i in ids])
    )
    return list(client.json_body(response))


async def update_status(client: HttpClient, status: Mapping[str, Any]) -> None:
    """Replace one status's name, category and description (all three are required)."""
    await write(client, "PUT", f"{API}/statuses", {"statuses": [dict(status)]})


async def delete_status(client: HttpClient, target_id: str) -> None:
    """Delete one status (Jira refuses a status a workflow uses)."""
    await client.request(
        "DELETE",
        f"{API}/statuses",
        params=httpx.QueryParams([("id", target_id)]),
        retry=_with_lock_retries(client),
    )


# ----------------------------------------------------------------------------- workflows


async def read_workflows(client: HttpClient) -> tuple[list[Any], list[Any]]:
    """Every workflow with its transitions, and the statuses the pages name."""
    workflows: list[Any] = []
    statuses: list[Any] = []

    async for page in paginate(
        client, f"{API}/workflows/search", PAGE_BEAN, {"expand": "values.transitions"}
    ):
        workflows.extend(page.items)
        statuses.extend((page.body or {}).get("statuses") or [])
    return workflows, statuses


class WorkflowMissing(Exception):
    """Jira has no workflow with the id asked for (deleted since the plan was made)."""


async def read_workflow(client: HttpClient, workflow_id: str) -> tuple[dict[str, Any], list[Any]]:
    """One workflow (with its version) and the statuses it uses.

    Jira answers 404 for an id it does not have (observed, jira.md §3; the spec lists only
    200, 400 and 401), which raises :class:`~usm_config.http.NotFoundError`; an answer
    without the workflow raises :class:`WorkflowMissing`."""
    body = await client.request(
        "POST", f"{API}/workflows", json={"workflowIds": [workflow_id]}, idempotent=True
    )
    answer = client.json_body(body)
    workflows = answer.get("workflows") or []
    if not workflows:
        raise WorkflowMissing(
            f"Jira has no workflow with id {workflow_id} (deleted since the plan was made?); "
            "plan again"
        )
    return workflows[0], list(answer.get("statuses") or [])


async def validate_workflows(
    client: HttpClient, action: str, payload: Mapping[str, Any]
) -> list[Any]:
    """Jira's own validation of a workflow create or update; the error entries."""
    response = await client.request(
        "POST",
        f"{API}/workflows/{action}/validation",
        json={"payload": dict(payload), "validationOptions": {"levels": ["ERROR"]}},
        idempotent=True,
    )
    return list((client.json_body(response) or {}).get("errors") or [])


async def write_workflows(client: HttpClient, action: str, payload: Mapping[str, Any]) -> Any:
    """``POST /workflows/create`` or ``/workflows/update``; a migration task is awaited."""
    return await write(client, "POST", f"{API}/workflows/{action}", dict(payload))


# ----------------------------------------------------------------------------- schemes


async def read_workflow_schemes(client: HttpClient) -> list[Any]:
    """Every workflow scheme with its issue type mappings."""
    return await read_all(client, f"{API}/workflowscheme", PAGE_BEAN)


async def read_issue_type_schemes(client: HttpClient) -> tuple[list[Any], list[Any]]:
    """Every issue type scheme, and every (scheme, issue type) pair."""
    schemes = await read_all(client, f"{API}/issuetypescheme", PAGE_BEAN)
    items = await read_all(client, f"{API}/issuetypescheme/mapping", PAGE_BEAN)
    return schemes, items


async def scheme_items(client: HttpClient, scheme_id: str) -> list[str]:
    """The issue type ids of one issue type scheme."""
    rows = await read_all(
        client, f"{API}/issuetypescheme/mapping", PAGE_BEAN, issueTypeSchemeId=scheme_id
    )
    return [str(r["issueTypeId"]) for r in rows]


# ----------------------------------------------------------------------------- projects


async def read_projects(client: HttpClient) -> list[Any]:
    """Every service project, with its description."""
    return await read_all(
        client,
        f"{API}/project/search",
        PAGE_BEAN,
        typeKey="service_desk",
        expand="description",
    )


async def project_schemes(
    client: HttpClient, project_ids: Sequence[str]
) -> tuple[list[Any], list[Any]]:
    """The issue type scheme and workflow scheme of every project in ``project_ids``."""
    if not project_ids:
        return [], []
    ids = httpx.QueryParams([("projectId", pid) for pid in project_ids])
    issue_type = await collect_items(client, f"{API}/issuetypescheme/project", PAGE_BEAN, ids)
    response = await client.request("GET", f"{API}/workflowscheme/project", params=ids)
    workflow = list((client.json_body(response) or {}).get("values") or [])
    return issue_type, workflow


def _owner_path(project_id: str) -> str:
    return f"{API}/project/{project_id}/properties/{OWNER_PROPERTY}"


async def project_owner(client: HttpClient, project_id: str) -> str | None:
    """The owner marker of a project (its ``usm-config.owner`` property), ``None`` if unmarked."""
    try:
        body = await client.get_json(_owner_path(project_id))
    except NotFoundError:
        return None
    value = body.get("value") if isinstance(body, dict) else None
    owner = value.get("owner") if isinstance(value, dict) else None
    return owner if isinstance(owner, str) and owner else None


async def mark_project(client: HttpClient, project_id: str, owner: str) -> None:
    """Mark a project as ``owner``'s (200 replaces the property, 201 creates it)."""
    await write(client, "PUT", _owner_path(project_id), {"owner": owner})


async def myself(client: HttpClient) -> str:
    """The account id of the user usm-config logs in as (a project needs a lead)."""
    body = await client.get_json(f"{API}/myself")
    return str(body["accountId"])


# ----------------------------------------------------------------------------- per project


async def service_desks(client: HttpClient) -> list[Any]:
    """Every service desk (``{id, projectId, projectKey}``)."""
    return await read_all(client, f"{JSM}/servicedesk", PAGED_DTO)


async def components(client: HttpClient, project_key: str) -> list[Any]:
    """The components of one project."""
    return await read_all(client, f"{API}/project/{project_key}/component", PAGE_BEAN)


async def request_types(client: HttpClient, desk_id: str) -> list[Any]:
    """The request types of one service desk."""
    return await read_all(client, f"{JSM}/servicedesk/{desk_id}/requesttype", PAGED_DTO)


async def queues(client: HttpClient, desk_id: str) -> list[Any]:
    """The queues of one service desk."""
    return await read_all(client, f"{JSM}/servicedesk/{desk_id}/queue", PAGED_DTO)


async def request_type_groups(client: HttpClient, desk_id: str) -> list[Any]:
    """The portal groups of one service desk."""
    return await read_all(client, f"{JSM}/servicedesk/{desk_id}/requesttypegroup", PAGED_DTO)


# ----------------------------------------------------------------------------- fields


async def contexts(client: HttpClient, field_id: str) -> tuple[list[Any], list[Any], list[Any]]:
    """The contexts of one field with their issue type and project mappings."""
    base = f"{API}/field/{field_id}/context"
    return (
        await read_all(client, base, PAGE_BEAN),
        await read_all(client, f"{base}/issuetypemapping", PAGE_BEAN),
        await read_all(client, f"{base}/projectmapping", PAGE_BEAN),
    )


async def options(client: HttpClient, field_id: str, context_id: str) -> list[Any]:
    """The options (and cascading sub-options) of one context."""
    return await read_all(client, f"{API}/field/{field_id}/context/{context_id}/option", PAGE_BEAN)
