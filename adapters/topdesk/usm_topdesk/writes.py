"""Writing to a TOPdesk tenant: one create, update and delete function per kind, in tables.

What TOPdesk's API writes (topdesk.md §3.2, §3.3, §3.9): branches, departments and operator
groups (create, update, archive), services (create only) and the knowledge base (folders and
items with their translations; archived, never deleted). usm-config never deletes in TOPdesk:
"delete" archives, with the first archiving reason where TOPdesk asks for one.

A create that TOPdesk refuses because the record exists (``duplicate_value``, 409, or a 400
"already exists") adopts the existing record: the function returns its id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from usm_config.http import HttpClient
from usm_topdesk import client as api
from usm_topdesk import reads
from usm_topdesk.client import API, EXTERNAL_LINK, KB
from usm_topdesk.mapping import TASKS

Creator = Callable[[HttpClient, dict[str, Any]], Awaitable[str]]
Updater = Callable[[HttpClient, str, dict[str, Any]], Awaitable[None]]
Deleter = Callable[[HttpClient, str], Awaitable[None]]


def _id(answer: Any, where: str) -> str:
    if isinstance(answer, dict) and answer.get("id"):
        return str(answer["id"])
    raise ValueError(f"TOPdesk's answer to {where} names no id")


async def _existing(client: HttpClient, name: str, field: str, value: str) -> str:
    """The id of the live row of list ``name`` whose ``field`` is ``value``."""
    rows = await api.read_list(client, name)
    for row in rows:
        if isinstance(row, dict) and str(row.get(field) or "").lower() == value.lower():
            return str(row["id"])
    raise api.TopdeskRefused(409, "POST", name, f"'{value}' exists but cannot be found")


async def _create(
    client: HttpClient,
    path: str,
    body: Mapping[str, Any],
    adopt: tuple[str, str, str],
    content_type: str = api.JSON,
) -> str:
    """POST ``body``; a duplicate adopts the row of list ``adopt[0]`` whose ``adopt[1]`` is
    ``adopt[2]``."""
    status, answer = await api.send(client, "POST", path, dict(body), content_type=content_type)
    if status < 300:
        return _id(answer, f"POST {path}")
    if api.is_duplicate(status, answer):
        return await _existing(client, *adopt)
    raise api.refuse(status, "POST", path, answer)


async def _write(client: HttpClient, method: str, path: str, body: Any = None) -> Any:
    status, answer = await api.send(client, method, path, body)
    if status >= 300:
        raise api.refuse(status, method, path, answer)
    return answer


# ----------------------------------------------------------------------------- supporting files


async def _create_branch(client: HttpClient, fields: dict[str, Any]) -> str:
    return await _create(
        client, f"{API}/branches", fields, ("branches", "name", str(fields["name"]))
    )


async def _update_branch(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    await _write(client, "PATCH", f"{API}/branches/id/{target_id}", fields)


async def _archive_with_reason(client: HttpClient, path: str) -> None:
    await _write(client, "PATCH", f"{path}/archive", {"id": await api.archiving_reason(client)})


async def _create_department(client: HttpClient, fields: dict[str, Any]) -> str:
    body = {**fields, "externalLink": {"id": str(fields["name"])[:450], "type": EXTERNAL_LINK}}
    return await _create(
        client, f"{API}/departments", body, ("departments", "name", str(fields["name"]))
    )


async def _update_department(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    await _write(client, "PATCH", f"{API}/departments/id/{target_id}", fields)


async def _archive_department(client: HttpClient, target_id: str) -> None:
    await _write(client, "PATCH", f"{API}/departments/id/{target_id}/archive")


def _group_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if "groupName" in fields:
        body["groupName"] = fields["groupName"]
    if "branch" in fields:
        body["branch"] = {"id": fields["branch"]}
    if "email" in fields:
        body["contact"] = {"email": fields["email"]}
    return body


def _flags(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {flag: fields[flag] for flag in TASKS.values() if flag in fields}


async def _create_operator_group(client: HttpClient, fields: dict[str, Any]) -> str:
    group_id = await _create(
        client,
        f"{API}/operatorgroups",
        _group_body(fields),
        ("operatorgroups", "groupName", str(fields["groupName"])),
    )
    # TOPdesk refuses task flags on create; they are set on the new group (topdesk.md §8.10).
    flags = _flags(fields)
    if flags:
        await _write(client, "PATCH", f"{API}/operatorgroups/id/{group_id}", flags)
    return group_id


async def _update_operator_group(
    client: HttpClient, target_id: str, fields: dict[str, Any]
) -> None:
    body = {**_group_body(fields), **_flags(fields)}
    await _write(client, "PATCH", f"{API}/operatorgroups/id/{target_id}", body)


# ----------------------------------------------------------------------------- services


async def _create_service(client: HttpClient, fields: dict[str, Any]) -> str:
    return await _create(
        client, f"{API}/services", {"name": fields["name"]}, ("services", "name", fields["name"])
    )


# ----------------------------------------------------------------------------- knowledge base


def _translation(language: str, title: str, content: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title}
    if content is not None:
        body["content"] = content
    return {"language": language, "content": body}


async def _create_folder(client: HttpClient, fields: dict[str, Any]) -> str:
    body = {"translation": _translation(fields["language"], fields["title"])}
    return await _create(client, f"{KB}/folders", body, ("folders", "title", fields["title"]))


async def _update_folder(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    if "title" in fields:
        folders = await reads.read_tenant(client, ["knowledge_folder"])
        found = next((r for r in folders if r.target_id == target_id), None)
        language = fields.get("language") or (found.fields["language"] if found else "en")
        await _write(
            client,
            "PATCH",
            f"{KB}/folders/{target_id}/translations/{language}",
            {"title": fields["title"]},
        )


async def _archive_kb(kind: str, client: HttpClient, target_id: str) -> None:
    await _write(client, "POST", f"{KB}/{kind}/{target_id}/archive")


def _other(fields: Mapping[str, Any]) -> Mapping[str, Any]:
    found = fields.get("translation")
    return found if isinstance(found, dict) else {}


async def _create_knowledge_item(client: HttpClient, fields: dict[str, Any]) -> str:
    body = {
        "parent": {"id": fields["folder"]},
        "translation": _translation(fields["language"], fields["title"], fields["content"]),
        "visibility": {"sspVisibility": "NOT_VISIBLE"},
        "externalLink": {"id": str(fields["title"])[:450], "type": EXTERNAL_LINK},
    }
    item_id = await _create(
        client,
        f"{KB}/knowledgeItems",
        body,
        ("knowledgeItems", "title", fields["title"]),
        api.KB_CREATE,
    )
    other = _other(fields)
    if other.get("language"):
        await _write(
            client,
            "POST",
            f"{KB}/knowledgeItems/{item_id}/translations/{other['language']}",
            {"title": other.get("title", ""), "content": other.get("content", "")},
        )
    return item_id


async def _language(client: HttpClient, target_id: str) -> str:
    """The language an existing knowledge item is written in (see :mod:`usm_topdesk.parse`)."""
    items = await reads.read_tenant(client, ["knowledge_item"])
    return next((str(r.fields["language"]) for r in items if r.target_id == target_id), "en")


async def _update_knowledge_item(
    client: HttpClient, target_id: str, fields: dict[str, Any]
) -> None:
    item = f"{KB}/knowledgeItems/{target_id}"
    if "folder" in fields:
        await _write(client, "PATCH", item, {"parent": {"id": fields["folder"]}})
    if "title" in fields or "content" in fields:
        language = fields.get("language") or await _language(client, target_id)
        body = {k: fields[k] for k in ("title", "content") if k in fields}
        await _write(client, "PATCH", f"{item}/translations/{language}", body)
    other = _other(fields)
    if other.get("language"):
        body = {"title": other.get("title", ""), "content": other.get("content", "")}
        path = f"{item}/translations/{other['language']}"
        status, answer = await api.send(client, "PATCH", path, body)
        if status == 404 or (status >= 300 and not api.is_duplicate(status, answer)):
            await _write(client, "POST", path, body)


# ----------------------------------------------------------------------------- tables


def _archive_group(client: HttpClient, target_id: str) -> Awaitable[None]:
    return _archive_with_reason(client, f"{API}/operatorgroups/id/{target_id}")


def _archive_branch(client: HttpClient, target_id: str) -> Awaitable[None]:
    return _archive_with_reason(client, f"{API}/branches/id/{target_id}")


CREATE: Mapping[str, Creator] = {
    "branch": _create_branch,
    "department": _create_department,
    "operator_group": _create_operator_group,
    "service": _create_service,
    "knowledge_folder": _create_folder,
    "knowledge_item": _create_knowledge_item,
}
UPDATE: Mapping[str, Updater] = {
    "branch": _update_branch,
    "department": _update_department,
    "operator_group": _update_operator_group,
    "knowledge_folder": _update_folder,
    "knowledge_item": _update_knowledge_item,
}
DELETE: Mapping[str, Deleter] = {
    "branch": _archive_branch,
    "department": _archive_department,
    "operator_group": _archive_group,
    "knowledge_folder": lambda client, target_id: _archive_kb("folders", client, target_id),
    "knowledge_item": lambda client, target_id: _archive_kb("knowledgeItems", client, target_id),
}
