"""Writing to a Jira Cloud site: one create, update and delete function per kind, in tables.

Plain kinds (one collection with item URLs) share three functions; the others follow the
shape of their API (bulk statuses, the bulk workflow API validated first, options inside
contexts inside fields, request types inside service desks). Each function returns the tool's
id of what it created, composite where the object lives inside another one.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from usm_config.engine.records import ref_target
from usm_config.http import HttpClient, HttpError, HttpStatusError, NotFoundError, answer_id
from usm_config.write_tables import CreateTogether, Creator, Deleter, Updater
from usm_jsm import client as api
from usm_jsm import parse, private
from usm_jsm.payloads import workflow_request, workflows_create_request
from usm_jsm.values import ITSM_TEMPLATE, OWNER


class WorkflowInvalid(Exception):
    """Jira's workflow validation refused a workflow; the message lists its errors."""


class SchemeInUse(Exception):
    """Jira refused a mapping change of a workflow scheme a project uses (jira.md §7.1)."""


#: What to do when Jira changes a used scheme's mappings only through a draft: publishing one
#: moves the project's issues between statuses, which usm-config leaves to an administrator.
SCHEME_IN_USE_HINT = (
    "A workflow scheme that a project uses changes its mappings only through a draft, and "
    "publishing the draft moves the project's issues to the new workflow's statuses, which "
    "usm-config does not do. In Settings > Issues > Workflow schemes, edit '{scheme}' so that it "
    "maps issue type {issue_type} to workflow '{workflow}', publish the draft, then plan again."
)


async def _create_plain(kind: str, client: HttpClient, fields: dict[str, Any]) -> str:
    return answer_id(await api.create_plain(client, kind, fields), "id", "groupId")


async def _create_statuses(client: HttpClient, many: list[dict[str, Any]]) -> list[str | None]:
    """Create statuses in one request; their ids by name (Jira's names are unique, caseless)."""
    return _ids_by(many, await api.create_statuses(client, many), _name_key)


def _name_key(record: Mapping[str, Any]) -> str:
    return str(record.get("name")).casefold()


def _ids_by(
    sent: list[dict[str, Any]], answered: Any, key: Callable[[Mapping[str, Any]], Hashable]
) -> list[str | None]:
    """The ids a create's answer (a list of what it made) names for what was ``sent``, matched
    by ``key``, as Jira documents no order for the answer; None for one it does not name. One
    sent and one made need no match."""
    made = (
        [entry for entry in answered if isinstance(entry, dict)]
        if isinstance(answered, list)
        else []
    )
    if len(sent) == len(made) == 1:
        return [_id_of(made[0])]
    ids = {key(entry): _id_of(entry) for entry in made}
    return [ids.get(key(fields)) for fields in sent]


def _id_of(created: Any) -> str | None:
    """The id an entry of a create's answer names, None when it names none."""
    try:
        return answer_id(created, "id")
    except ValueError:
        return None


async def _update_status(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    current = (await api.statuses_by_id(client, [target_id]))[0]
    merged = {
        "id": target_id,
        "name": current["name"],
        "statusCategory": current["statusCategory"],
        "description": current.get("description") or "",
        **fields,
    }
    await api.update_status(client, merged)


async def _statuses_by_name(client: HttpClient) -> dict[str, Any]:
    return {str(s["name"]): s for s in await api.read_statuses(client)}


async def _write_workflow(client: HttpClient, action: str, request: dict[str, Any]) -> Any:
    errors = await api.validate_workflows(client, action, request)
    if errors:
        detail = "; ".join(str(e.get("message") or e) for e in errors)
        raise WorkflowInvalid(f"Jira refused the workflow: {detail}")
    return await api.write_workflows(client, action, request)


async def _create_workflows(client: HttpClient, many: list[dict[str, Any]]) -> list[str | None]:
    """Create workflows in one request, validated first; their ids by name."""
    request = workflows_create_request(many, await _statuses_by_name(client))
    answer = await _write_workflow(client, "create", request)
    created = answer.get("workflows") if isinstance(answer, dict) else None
    # The classic scheme API names workflows: the mappings of this apply need no read.
    names = _WORKFLOW_NAMES.setdefault(client, {})
    for entry in created if isinstance(created, list) else ():
        made = _id_of(entry)
        if made and isinstance(entry.get("name"), str):
            names[made] = entry["name"]
    return _ids_by(many, created, _name_key)


async def _update_workflow(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    current, used = await api.read_workflow(client, target_id)
    merged = {**parse.parse_workflows([current], used)[0].fields, **fields}
    request = workflow_request(merged, await _statuses_by_name(client), current)
    await _write_workflow(client, "update", request)


async def _delete_workflow(client: HttpClient, target_id: str) -> None:
    await api.write(client, "DELETE", f"{api.API}/workflow/{target_id}")


#: Workflow id → name per connection, of the workflows this apply created or read (a
#: workflow's name changes only by hand: the update takes none).
_WORKFLOW_NAMES: weakref.WeakKeyDictionary[HttpClient, dict[str, str]] = weakref.WeakKeyDictionary()


async def _workflow_name(client: HttpClient, workflow_id: str) -> str:
    """The name the classic scheme API takes for the workflow the engine gives by id."""
    known = _WORKFLOW_NAMES.setdefault(client, {})
    if workflow_id not in known:
        workflow, _ = await api.read_workflow(client, workflow_id)
        known[workflow_id] = str(workflow["name"])
    return known[workflow_id]


async def _scheme_body(client: HttpClient, fields: dict[str, Any]) -> dict[str, Any]:
    if "defaultWorkflow" not in fields:
        return fields
    return {**fields, "defaultWorkflow": await _workflow_name(client, fields["defaultWorkflow"])}


async def _create_workflow_scheme(client: HttpClient, fields: dict[str, Any]) -> str:
    body = await _scheme_body(client, fields)
    return answer_id(await api.write(client, "POST", f"{api.API}/workflowscheme", body), "id")


async def _update_workflow_scheme(
    client: HttpClient, target_id: str, fields: dict[str, Any]
) -> None:
    body = await _scheme_body(client, fields)
    await api.write(client, "PUT", f"{api.API}/workflowscheme/{target_id}", body)


async def _delete_workflow_scheme(client: HttpClient, target_id: str) -> None:
    await api.write(client, "DELETE", f"{api.API}/workflowscheme/{target_id}")


async def _put_mapping(client: HttpClient, scheme: str, issue_type: str, workflow: str) -> str:
    """Map ``issue_type`` to the workflow named ``workflow`` in ``scheme``; the mapping's id."""
    try:
        await api.write(
            client,
            "PUT",
            f"{api.API}/workflowscheme/{scheme}/issuetype/{issue_type}",
            {"issueType": issue_type, "workflow": workflow},
        )
    except HttpStatusError as exc:
        if exc.status != 400 or "draft" not in exc.body_excerpt.casefold():
            raise
        scheme_name = await _name_of(client, f"{api.API}/workflowscheme/{scheme}", scheme)
        type_name = await _name_of(client, f"{api.API}/issuetype/{issue_type}", issue_type)
        hint = SCHEME_IN_USE_HINT.format(
            scheme=scheme_name, issue_type=f"'{type_name}'", workflow=workflow
        )
        raise SchemeInUse(f"{exc}. {hint}") from None
    return parse.composite(scheme, issue_type)


async def _name_of(client: HttpClient, path: str, fallback: str) -> str:
    """The ``name`` of the object at ``path``, for a message; ``fallback`` when unreadable."""
    try:
        body = await client.get_json(path)
    except HttpError:
        return fallback
    return str(body.get("name") or fallback) if isinstance(body, dict) else fallback


async def _create_mapping(client: HttpClient, fields: dict[str, Any]) -> str:
    workflow = await _workflow_name(client, fields["workflow"])
    return await _put_mapping(client, str(fields["scheme"]), str(fields["issueType"]), workflow)


async def _update_mapping(client: HttpClient, target_id: str, fields: dict[str, Any]) -> str:
    """The mapping's id holds its issue type: when the issue type it maps was replaced in Jira
    (deleted and made again), the mapping moves to the new one with the workflow it has, and
    its id changes with it."""
    scheme, issue_type = parse.split(target_id)
    moved = str(fields.get("issueType") or issue_type)
    if "workflow" in fields:
        workflow = await _workflow_name(client, fields["workflow"])
    else:
        workflow = await _mapped_workflow(client, scheme, issue_type)
    new_id = await _put_mapping(client, scheme, moved, workflow)
    if moved != issue_type:
        with contextlib.suppress(NotFoundError):
            await _delete_mapping(client, target_id)
    return new_id


async def _mapped_workflow(client: HttpClient, scheme: str, issue_type: str) -> str:
    """The workflow ``scheme`` maps ``issue_type`` to (its default one when none)."""
    body = await client.get_json(f"{api.API}/workflowscheme/{scheme}")
    body = body if isinstance(body, dict) else {}
    mappings = body.get("issueTypeMappings")
    mapped = mappings.get(issue_type) if isinstance(mappings, dict) else None
    return str(mapped or body.get("defaultWorkflow") or "jira")


async def _delete_mapping(client: HttpClient, target_id: str) -> None:
    scheme, issue_type = parse.split(target_id)
    await api.write(client, "DELETE", f"{api.API}/workflowscheme/{scheme}/issuetype/{issue_type}")


async def _create_issue_type_scheme(client: HttpClient, fields: dict[str, Any]) -> str:
    body = {
        "name": fields["name"],
        "description": fields.get("description", ""),
        "issueTypeIds": [str(i) for i in fields.get("issueTypes") or []],
    }
    answer = await api.write(client, "POST", f"{api.API}/issuetypescheme", body)
    return answer_id(answer, "issueTypeSchemeId", "id")


async def _update_issue_type_scheme(
    client: HttpClient, target_id: str, fields: dict[str, Any]
) -> None:
    base = f"{api.API}/issuetypescheme/{target_id}"
    plain = {k: v for k, v in fields.items() if k in ("name", "description")}
    if plain:
        await api.write(client, "PUT", base, plain)
    if "issueTypes" in fields:
        wanted = [str(i) for i in fields["issueTypes"] or []]
        current = await api.scheme_items(client, target_id)
        added = [i for i in wanted if i not in current]
        if added:
            await api.write(client, "PUT", f"{base}/issuetype", {"issueTypeIds": added})
        for gone in (i for i in current if i not in wanted):
            await api.write(client, "DELETE", f"{base}/issuetype/{gone}")


async def _delete_issue_type_scheme(client: HttpClient, target_id: str) -> None:
    await api.write(client, "DELETE", f"{api.API}/issuetypescheme/{target_id}")


async def _associate(client: HttpClient, project_id: str, fields: Mapping[str, Any]) -> None:
    if fields.get("issueTypeScheme"):
        await api.write(
            client,
            "PUT",
            f"{api.API}/issuetypescheme/project",
            {"issueTypeSchemeId": str(fields["issueTypeScheme"]), "projectId": project_id},
        )
    if fields.get("workflowScheme"):
        await api.write(
            client,
            "PUT",
            f"{api.API}/workflowscheme/project",
            {"workflowSchemeId": str(fields["workflowScheme"]), "projectId": project_id},
        )


async def _create_project(client: HttpClient, fields: dict[str, Any]) -> str:
    body = {
        "key": fields["key"],
        "name": fields["name"],
        "description": fields.get("description", ""),
        "projectTypeKey": "service_desk",
        "projectTemplateKey": ITSM_TEMPLATE,
        "leadAccountId": await api.myself(client),
        "assigneeType": "UNASSIGNED",
    }
    # The answer holds only id, key and self (jira.md §1.6); the schemes are set next.
    answer = await api.write(client, "POST", f"{api.API}/project", body)
    project_id = answer_id(answer, "id")
    if isinstance(answer.get("key"), str):
        _PROJECT_KEYS.setdefault(client, {})[project_id] = answer["key"]
    await _associate(client, project_id, fields)
    if fields.get(OWNER):
        await api.mark_project(client, project_id, str(fields[OWNER]))
    return project_id


async def _update_project(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    plain = {k: v for k, v in fields.items() if k in ("name", "description")}
    if plain:
        await api.write(client, "PUT", f"{api.API}/project/{target_id}", plain)
    await _associate(client, target_id, fields)
    if fields.get(OWNER):
        await api.mark_project(client, target_id, str(fields[OWNER]))


#: Project id → key per connection (read, or answered by the project's create): a component
#: is created with its project's key, and a project's key never changes while usm-config runs.
_PROJECT_KEYS: weakref.WeakKeyDictionary[HttpClient, dict[str, str]] = weakref.WeakKeyDictionary()


async def _project_key(client: HttpClient, project_id: str) -> str:
    known = _PROJECT_KEYS.setdefault(client, {})
    if project_id not in known:
        body = await client.get_json(f"{api.API}/project/{project_id}")
        known[project_id] = str(body["key"])
    return known[project_id]


async def _create_component(client: HttpClient, fields: dict[str, Any]) -> str:
    body = {
        "name": fields["name"],
        "description": fields.get("description", ""),
        "project": await _project_key(client, str(fields["project"])),
        "assigneeType": "PROJECT_DEFAULT",
    }
    return answer_id(await api.create_plain(client, "component", body), "id")


async def _update_component(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    body = {k: v for k, v in fields.items() if k in ("name", "description")}
    await api.update_plain(client, "component", target_id, body)


def _context_path(context_id: str) -> str:
    field_id, own = parse.split(context_id)[:2]
    return f"{api.API}/field/{field_id}/context/{own}"


async def _create_context(client: HttpClient, fields: dict[str, Any]) -> str:
    field_id = str(fields["field"])
    body = {
        "name": fields["name"],
        "description": fields.get("description", ""),
        "issueTypeIds": [str(fields["issueType"])] if fields.get("issueType") else [],
        "projectIds": [str(fields["project"])] if fields.get("project") else [],
    }
    answer = await api.write(client, "POST", f"{api.API}/field/{field_id}/context", body)
    return parse.composite(field_id, answer_id(answer, "id"))


async def _update_context(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    path = _context_path(target_id)
    plain = {k: v for k, v in fields.items() if k in ("name", "description")}
    if plain:
        await api.write(client, "PUT", path, plain)
    if "issueType" in fields:
        field_id, own = parse.split(target_id)[:2]
        _, mapping, _ = await api.contexts(client, field_id)
        current = [
            str(r["issueTypeId"])
            for r in mapping
            if str(r.get("contextId")) == own and r.get("issueTypeId")
        ]
        if fields["issueType"]:
            await api.write(
                client, "PUT", f"{path}/issuetype", {"issueTypeIds": [str(fields["issueType"])]}
            )
        stale = [i for i in current if i != str(fields["issueType"])]
        if stale:
            await api.write(client, "POST", f"{path}/issuetype/remove", {"issueTypeIds": stale})
    if fields.get("project"):
        await api.write(client, "PUT", f"{path}/project", {"projectIds": [str(fields["project"])]})


async def _delete_context(client: HttpClient, target_id: str) -> None:
    await api.write(client, "DELETE", _context_path(target_id))


async def _add_options(
    client: HttpClient, context_id: str, options: list[dict[str, Any]]
) -> list[str | None]:
    """Create ``options`` in the context ``context_id`` in one request (at most 1,000, which
    the engine's batch size keeps under); their ids, matched by value and parent (a context's
    values are unique, caseless, among their siblings)."""
    answer = await api.write(
        client, "POST", f"{_context_path(context_id)}/option", {"options": options}
    )
    created = answer.get("options") if isinstance(answer, dict) else None
    ids = _ids_by(options, created, _option_key)
    return [parse.composite(context_id, i) if i else None for i in ids]


def _option_key(option: Mapping[str, Any]) -> Hashable:
    parent = option.get("optionId")
    return str(option.get("value")).casefold(), None if parent is None else str(parent)


def _option(fields: Mapping[str, Any], parent: str | None = None) -> dict[str, Any]:
    """An option as the create takes it; ``parent`` is the option id of a sub-option's
    parent."""
    option = {"value": fields["value"], "disabled": bool(fields.get("disabled", False))}
    return option if parent is None else {**option, "optionId": parent}


async def _create_options(client: HttpClient, many: list[dict[str, Any]]) -> list[str | None]:
    """Create options of one context (``context`` of each) in one request."""
    return await _add_options(client, str(many[0]["context"]), [_option(f) for f in many])


async def _create_child_options(client: HttpClient, many: list[dict[str, Any]]) -> list[str | None]:
    """Create sub-options of one option (``parent`` of each) in one request."""
    parts = parse.split(str(many[0]["parent"]))
    options = [_option(f, parts[2]) for f in many]
    return await _add_options(client, parse.composite(*parts[:2]), options)


def _group(reference: Any) -> Hashable:
    """A reference (not yet resolved) as the key of the creates that share a request."""
    return ref_target(reference) or str(reference)


async def _update_option(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    parts = parse.split(target_id)
    changed = {k: v for k, v in fields.items() if k in ("value", "disabled")}
    if changed:
        path = f"{_context_path(parse.composite(*parts[:2]))}/option"
        await api.write(client, "PUT", path, {"options": [{"id": parts[2], **changed}]})


async def _place_options(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    """Put the options of the order of ``target_id`` (a context, or an option with
    sub-options), the ids in ``fields["options"]``, first among their siblings in that order,
    in one move; the other options follow them as they stood."""
    ids = [parse.split(str(option))[-1] for option in fields.get("options") or ()]
    if ids:
        context = parse.composite(*parse.split(target_id)[:2])
        body = {"customFieldOptionIds": ids, "position": "First"}
        await api.write(client, "PUT", f"{_context_path(context)}/option/move", body)


async def _create_order(client: HttpClient, fields: dict[str, Any]) -> str:
    target_id = str(fields.get("context") or fields["parent"])
    await _place_options(client, target_id, fields)
    return target_id


async def _delete_order(client: HttpClient, target_id: str) -> None:
    """An order is no object of Jira's: the options keep their places, and the lock file
    lets go of the order."""


async def _delete_option(client: HttpClient, target_id: str) -> None:
    parts = parse.split(target_id)
    path = _context_path(parse.composite(*parts[:2]))
    await api.write(client, "DELETE", f"{path}/option/{parts[2]}")


async def _create_request_type(client: HttpClient, fields: dict[str, Any]) -> str:
    body = {
        "name": fields["name"],
        "description": fields.get("description", ""),
        "helpText": fields.get("helpText", ""),
        "issueTypeId": str(fields["issueType"]),
    }
    desk = f"projectId:{fields['project']}"
    answer = await api.write_experimental(
        client, "POST", f"{api.JSM}/servicedesk/{desk}/requesttype", body
    )
    return parse.composite(answer_id(answer, "serviceDeskId"), answer_id(answer, "id"))


async def _delete_request_type(client: HttpClient, target_id: str) -> None:
    desk, own = parse.split(target_id)
    await api.write_experimental(
        client, "DELETE", f"{api.JSM}/servicedesk/{desk}/requesttype/{own}"
    )


async def _create_priority(client: HttpClient, fields: dict[str, Any]) -> str:
    """Create a priority (Jira puts it last), then put it in its place."""
    body = {k: v for k, v in fields.items() if k != "after"}
    priority_id = await _create_plain("priority", client, body)
    if "after" in fields:
        await api.move_priority(client, priority_id, str(fields["after"] or ""))
    return priority_id


async def _update_priority(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    body = {k: v for k, v in fields.items() if k != "after"}
    if body:
        await api.update_plain(client, "priority", target_id, body)
    if "after" in fields:
        await api.move_priority(client, target_id, str(fields["after"] or ""))


def _plain(kind: str) -> Creator:
    async def create(client: HttpClient, fields: dict[str, Any]) -> str:
        return await _create_plain(kind, client, fields)

    return create


def _plain_update(kind: str) -> Updater:
    async def update(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
        await api.update_plain(client, kind, target_id, fields)

    return update


def _plain_delete(kind: str) -> Deleter:
    async def delete(client: HttpClient, target_id: str) -> None:
        await api.delete_plain(client, kind, target_id)

    return delete


CREATE: dict[str, Creator] = {
    "group": _plain("group"),
    "organization": _plain("organization"),
    "issuetype": _plain("issuetype"),
    "priority": _create_priority,
    "field": _plain("field"),
    "workflowscheme": _create_workflow_scheme,
    "workflowscheme_mapping": _create_mapping,
    "issuetypescheme": _create_issue_type_scheme,
    "project": _create_project,
    "field_context": _create_context,
    "field_option_order": _create_order,
    "field_child_option_order": _create_order,
    "component": _create_component,
    "requesttype": _create_request_type,
}
UPDATE: dict[str, Updater] = {
    "issuetype": _plain_update("issuetype"),
    "priority": _update_priority,
    "field": _plain_update("field"),
    "status": _update_status,
    "workflow": _update_workflow,
    "workflowscheme": _update_workflow_scheme,
    "workflowscheme_mapping": _update_mapping,
    "issuetypescheme": _update_issue_type_scheme,
    "project": _update_project,
    "field_context": _update_context,
    "field_option": _update_option,
    "field_child_option": _update_option,
    "field_option_order": _place_options,
    "field_child_option_order": _place_options,
    "component": _update_component,
}
DELETE: dict[str, Deleter] = {
    "group": _plain_delete("group"),
    "organization": _plain_delete("organization"),
    "issuetype": _plain_delete("issuetype"),
    "priority": _plain_delete("priority"),
    "component": _plain_delete("component"),
    "status": api.delete_status,
    "workflow": _delete_workflow,
    "workflowscheme": _delete_workflow_scheme,
    "workflowscheme_mapping": _delete_mapping,
    "issuetypescheme": _delete_issue_type_scheme,
    "field_context": _delete_context,
    "field_option": _delete_option,
    "field_child_option": _delete_option,
    "field_option_order": _delete_order,
    "field_child_option_order": _delete_order,
    "requesttype": _delete_request_type,
}

#: Creates that share a request: statuses and workflows (all of a level), and options of one
#: context or sub-options of one option (Jira takes up to 1,000 in one create). A create of
#: one goes through the same coroutine (:meth:`WriteTables.create_record`).
TOGETHER: dict[str, CreateTogether] = {
    "status": CreateTogether(lambda fields: "statuses", _create_statuses),
    # Jira's workflow create takes at most 20 workflows (WorkflowCreateRequest).
    "workflow": CreateTogether(lambda fields: "workflows", _create_workflows, most=20),
    "field_option": CreateTogether(lambda fields: _group(fields["context"]), _create_options),
    "field_child_option": CreateTogether(
        lambda fields: _group(fields["parent"]), _create_child_options
    ),
}


#: With ``private_api``: the same tables plus queues, calendars and SLA metrics through Jira's
#: internal API (:mod:`usm_jsm.private`).
PRIVATE_CREATE: dict[str, Creator] = {
    **CREATE,
    "queue": private.create_queue,
    "calendar": private.create_calendar,
    "sla": private.create_sla,
}
PRIVATE_UPDATE: dict[str, Updater] = {
    **UPDATE,
    "queue": private.update_queue,
    "calendar": private.update_calendar,
    "sla": private.update_sla,
}
PRIVATE_DELETE: dict[str, Deleter] = {
    **DELETE,
    "queue": private.delete_queue,
    "calendar": private.delete_calendar,
    "sla": private.delete_sla,
}
