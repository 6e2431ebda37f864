"""Writing to a TOPdesk tenant: one create, update and delete function per kind, in tables.

What TOPdesk's API writes (topdesk.md §3.2, §3.3, §3.9): branches, departments and operator
groups (create, update, archive), services (create only) and the knowledge base (folders and
items with their translations; archived, never deleted). usm-config never deletes in TOPdesk:
"delete" archives, with the first archiving reason where TOPdesk asks for one.

A create that TOPdesk refuses because the record exists (``duplicate_value``, 409, or a 400
"already exists") fails with a message to plan again: the plan saw no such record, so it was
made since, and taking it over here would keep that out of the plan (and the lock file would
call it created, so a prune would archive a record usm-config did not make). The next plan
adopts it in plain sight.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any

from usm_config.engine.contract import ReadScope
from usm_config.http import HttpClient, UncertainWriteError, answer_id
from usm_config.write_tables import Creator, Deleter, Updater
from usm_topdesk import client as api
from usm_topdesk import reads
from usm_topdesk.client import API, KB
from usm_topdesk.mapping import TASKS
from usm_topdesk.values import OWNER, folder_language, owner_link


async def _create(
    client: HttpClient, path: str, body: Mapping[str, Any], content_type: str = api.JSON
) -> str:
    """POST ``body`` and return the new id; a duplicate is refused with how to go on (see
    the module docstring).

    A lost answer (:class:`~usm_config.http.UncertainWriteError`) goes to the engine, which
    looks the record up by its key before it creates again, and writes what the create's
    later steps (task flags, a translation) would have added and the record lacks."""
    status, answer = await api.send(client, "POST", path, dict(body), content_type=content_type)
    if status < 300:
        return answer_id(answer, "id")
    if api.is_duplicate(status, answer):
        raise api.TopdeskRefused(
            status,
            "POST",
            path,
            f"{api.error_text(answer)}; TOPdesk holds this record since the plan was made: "
            "plan again, and the plan takes it over",
        )
    raise api.refuse(status, "POST", path, answer)


async def _write(client: HttpClient, method: str, path: str, body: Any = None) -> Any:
    status, answer = await api.send(client, method, path, body)
    if status >= 300:
        raise api.refuse(status, method, path, answer)
    return answer


# ----------------------------------------------------------------------------- supporting files


async def _create_branch(client: HttpClient, fields: dict[str, Any]) -> str:
    body = {**fields, "branchType": "independentBranch"}
    return await _create(client, f"{API}/branches", body)


async def _update_branch(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    await _write(client, "PATCH", f"{API}/branches/id/{target_id}", fields)


async def _archive_with_reason(client: HttpClient, path: str) -> None:
    await _write(client, "PATCH", f"{path}/archive", {"id": await api.archiving_reason(client)})


async def _create_department(client: HttpClient, fields: dict[str, Any]) -> str:
    body: dict[str, Any] = {"name": fields["name"]}
    if fields.get(OWNER):
        body["externalLink"] = owner_link(str(fields[OWNER]))
    return await _create(client, f"{API}/departments", body)


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
    # TOPdesk refuses task flags on create; they are set on the new group (topdesk.md §8.10).
    flags = _flags(fields)
    group_id = await _create(client, f"{API}/operatorgroups", _group_body(fields))
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
    return await _create(client, f"{API}/services", {"name": fields["name"]})


# ----------------------------------------------------------------------------- knowledge base


def _translation(language: str, title: str, content: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title}
    if content is not None:
        body["content"] = content
    return {"language": language, "content": body}


async def _create_folder(client: HttpClient, fields: dict[str, Any]) -> str:
    title, language = fields["title"], folder_language(fields["title"])
    body = {"translation": _translation(language, title)}
    return await _create(client, f"{KB}/folders", body)


async def _update_folder(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    """A new title is written in its own language, added when the folder lacks it."""
    if "title" in fields:
        path = f"{KB}/folders/{target_id}/translations/{folder_language(fields['title'])}"
        body = {"title": fields["title"]}
        status, _ = await api.send(client, "PATCH", path, body, expected=(404,))
        if status >= 300:
            await _write(client, "POST", path, body)


async def _archive_kb(kind: str, client: HttpClient, target_id: str) -> None:
    await _write(client, "POST", f"{KB}/{kind}/{target_id}/archive")


def _other(fields: Mapping[str, Any]) -> Mapping[str, Any]:
    found = fields.get("translation")
    return found if isinstance(found, dict) else {}


async def _translate(client: HttpClient, item_id: str, other: Mapping[str, Any]) -> None:
    """Add the translation of a new item. When the answer to the POST is lost the translation
    may or may not exist: it is updated if it does, added again if it does not."""
    path = f"{KB}/knowledgeItems/{item_id}/translations/{other['language']}"
    body = {"title": other.get("title", ""), "content": other.get("content", "")}
    for _ in range(client.retry.max_attempts):
        try:
            status, answer = await api.send(client, "POST", path, body)
        except UncertainWriteError:
            status, answer = await api.send(client, "PATCH", path, body, expected=(404,))
            if status == 404:
                continue
        if status < 300:
            return
        if not api.is_duplicate(status, answer):
            raise api.refuse(status, "POST", path, answer)
        await _write(client, "PATCH", path, body)
        return
    raise api.refuse(404, "POST", path, "the translation could not be written")


async def _create_knowledge_item(client: HttpClient, fields: dict[str, Any]) -> str:
    body: dict[str, Any] = {
        "parent": {"id": fields["folder"]},
        "translation": _translation(fields["language"], fields["title"], fields["content"]),
        "visibility": {"sspVisibility": "NOT_VISIBLE"},
    }
    if fields.get(OWNER):
        body["externalLink"] = owner_link(str(fields[OWNER]))
    other = _other(fields)
    item_id = await _create(client, f"{KB}/knowledgeItems", body, api.KB_CREATE)
    if other.get("language"):
        await _translate(client, item_id, other)
    return item_id


async def _language(client: HttpClient, target_id: str) -> str:
    """The language an existing knowledge item is written in (see :mod:`usm_topdesk.parse`),
    the item read by its id, not with the whole knowledge base."""
    scope = ReadScope({}, {"knowledge_item": {target_id}})
    items = await reads.read_tenant(client, ["knowledge_item"], scope=scope)
    return next((str(r.fields["language"]) for r in items if r.target_id == target_id), "en")


async def _update_knowledge_item(
    client: HttpClient, target_id: str, fields: dict[str, Any]
) -> None:
    item = f"{KB}/knowledgeItems/{target_id}"
    card: dict[str, Any] = {}
    if "folder" in fields:
        card["parent"] = {"id": fields["folder"]}
    if fields.get(OWNER):
        card["externalLink"] = owner_link(str(fields[OWNER]))
    if card:
        await _write(client, "PATCH", item, card)
    if "title" in fields or "content" in fields:
        language = fields.get("language") or await _language(client, target_id)
        body = {k: fields[k] for k in ("title", "content") if k in fields}
        await _write(client, "PATCH", f"{item}/translations/{language}", body)
    other = _other(fields)
    if other.get("language"):
        body = {"title": other.get("title", ""), "content": other.get("content", "")}
        path = f"{item}/translations/{other['language']}"
        # A translation the item lacks answers 404 (an apply killed between the item's create
        # and its translation's, or a create whose answer was lost): it is added.
        status, answer = await api.send(client, "PATCH", path, body, expected=(404,))
        if status == 404 or (status >= 300 and not api.is_duplicate(status, answer)):
            await _translate(client, target_id, other)


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
