"""The Jira Service Management adapter: kinds and mapping (pure) wired to the REST client (I/O)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from usm_config.adapter import LiveIds, SandboxLogin
from usm_config.blueprint.model import Blueprint
from usm_config.engine.plan import Change
from usm_config.engine.records import KindSpec, Record
from usm_config.http import BasicAuthConfig, HttpClient
from usm_config.sandbox.faults import FaultConfig
from usm_jsm import client as api
from usm_jsm import parse
from usm_jsm.guide import render_manual_steps, render_workflow_guide
from usm_jsm.kinds import KINDS, UNREADABLE
from usm_jsm.mapping import compile_blueprint
from usm_jsm.overrides import check_overrides
from usm_jsm.payloads import workflow_request
from usm_jsm.values import ITSM_TEMPLATE, WORDS

#: Default login of a fresh sandbox (documented in the README); not a secret of any real site.
SANDBOX_USER_ENV, SANDBOX_TOKEN_ENV = "USM_SANDBOX_JIRA_EMAIL", "USM_SANDBOX_JIRA_API_TOKEN"

#: Custom fields whose contexts and options are read: the names the mapping gives its fields
#: in every locale, and any field whose description says usm-config manages it.
FIELD_NAMES = frozenset(
    name
    for key in ("impact", "urgency", "category", "effect", "likelihood", "risk_level")
    for name in WORDS[key]
)

Writer = Callable[..., Awaitable[str]]


class WorkflowInvalid(Exception):
    """Jira's workflow validation refused a workflow; the message lists its errors."""


class JsmAdapter:
    """Writes a USM blueprint to Jira Service Management Cloud through its public REST APIs."""

    name = "jsm"
    description = "Jira Service Management Cloud: platform REST v3 and the JSM REST API"
    kinds: Mapping[str, KindSpec] = KINDS
    #: The pure halves: blueprint → records, and the x-jsm checks.
    compile = staticmethod(compile_blueprint)
    check_overrides = staticmethod(check_overrides)

    # ------------------------------------------------------------------------- reading

    async def read(self, client: HttpClient, kinds: Sequence[str]) -> list[Record]:
        """Read every kind of ``kinds`` (whole collections; per project and per managed field
        where the API has no site-wide list)."""
        wanted = set(kinds) - UNREADABLE
        records = await _read_site(client, wanted)
        return [r for r in records if r.kind in wanted]

    async def find(self, client: HttpClient, kind: str, key: tuple[str, ...]) -> list[Record]:
        """Candidates for ``key``: the whole kind, checked by the engine."""
        return await self.read(client, [kind])

    # ------------------------------------------------------------------------- writing

    async def create(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        """Create one record."""
        target_id = await _CREATE[kind](client, fields)
        return Record(kind=kind, key=(), fields=dict(fields), target_id=target_id)

    async def update(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        """Write the changed fields of one record."""
        await _UPDATE[kind](client, target_id, fields)
        return Record(kind=kind, key=(), fields=dict(fields), target_id=target_id)

    async def delete(self, client: HttpClient, kind: str, target_id: str) -> None:
        """Delete one record."""
        await _DELETE[kind](client, target_id)

    def artifacts(
        self, blueprint: Blueprint, changes: Sequence[Change], ids: LiveIds
    ) -> dict[str, bytes]:
        """The workflow guide and the checklist of the plan's manual steps (Markdown)."""
        del ids  # the files name objects, not ids
        return {
            "workflow-guide.md": render_workflow_guide(blueprint).encode("utf-8"),
            "manual-steps.md": render_manual_steps(blueprint, changes).encode("utf-8"),
        }

    # ------------------------------------------------------------------------- sandbox

    def sandbox_app(
        self, state_file: Path | None, *, spec_path: Path | None = None, **knobs: Any
    ) -> Any:
        """The JSM emulator, persisting to ``state_file``; ``spec_path`` is the folder of the
        Jira OpenAPI documents every request is checked against."""
        from usm_jsm.sandbox import create_app  # noqa: PLC0415 (starlette only when used)

        lock_conflicts = float(knobs.pop("rate_409", 0.0) or 0.0)
        return create_app(
            db_path=state_file,
            faults=FaultConfig(**knobs),
            spec_dir=spec_path,
            lock_conflict_rate=lock_conflicts,
        )

    def sandbox_credentials(self) -> SandboxLogin:
        """Basic auth with the sandbox's e-mail address and API token, as on Cloud."""
        return SandboxLogin(
            BasicAuthConfig(username_env=SANDBOX_USER_ENV, password_env=SANDBOX_TOKEN_ENV),
            {SANDBOX_USER_ENV: "admin@example.com", SANDBOX_TOKEN_ENV: "sandbox-token"},
        )


# ----------------------------------------------------------------------------- reading


_PLAIN_PARSERS: dict[str, Callable[[list[Any]], list[Record]]] = {
    "group": parse.parse_groups,
    "organization": parse.parse_organizations,
    "issuetype": parse.parse_issue_types,
    "priority": parse.parse_priorities,
}


async def _read_plain(client: HttpClient, kind: str) -> list[Record]:
    return _PLAIN_PARSERS[kind](await api.read_plain(client, kind))


async def _read_statuses(client: HttpClient) -> list[Record]:
    return parse.parse_statuses(await api.read_statuses(client))


async def _read_workflows(client: HttpClient) -> list[Record]:
    return parse.parse_workflows(*await api.read_workflows(client))


async def _read_workflow_schemes(client: HttpClient) -> list[Record]:
    return parse.parse_workflow_schemes(await api.read_workflow_schemes(client))


async def _read_issue_type_schemes(client: HttpClient) -> list[Record]:
    return parse.parse_issue_type_schemes(*await api.read_issue_type_schemes(client))


async def _read_site(client: HttpClient, wanted: set[str]) -> list[Record]:
    """Every collection of ``wanted``, the independent ones concurrently."""
    reads: list[Awaitable[list[Record]]] = [
        _read_plain(client, kind) for kind in _PLAIN_PARSERS if kind in wanted
    ]
    if "status" in wanted:
        reads.append(_read_statuses(client))
    if "workflow" in wanted:
        reads.append(_read_workflows(client))
    if wanted & {"workflowscheme", "workflowscheme_mapping"}:
        reads.append(_read_workflow_schemes(client))
    if "issuetypescheme" in wanted:
        reads.append(_read_issue_type_schemes(client))
    if wanted & {"field", "field_context", "field_option", "field_child_option"}:
        reads.append(_read_fields(client))
    if wanted & {"project", "component", "requesttype", "queue", "portal_group"}:
        reads.append(_read_projects(client, wanted))
    return [record for found in await asyncio.gather(*reads) for record in found]


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


async def _read_projects(client: HttpClient, wanted: set[str]) -> list[Record]:
    projects = await api.read_projects(client)
    ids = [str(p["id"]) for p in projects]
    issue_type_rows, workflow_rows = await api.project_schemes(client, ids)
    out = parse.parse_projects(
        projects,
        parse.scheme_of_projects(issue_type_rows, "issueTypeScheme"),
        parse.scheme_of_projects(workflow_rows, "workflowScheme"),
    )
    desks = {str(d["projectId"]): str(d["id"]) for d in await api.service_desks(client)}
    found = await asyncio.gather(
        *(
            _read_project(client, wanted, project, desks.get(str(project["id"])))
            for project in projects
        )
    )
    return [*out, *(record for records in found for record in records)]


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
    return out


# ----------------------------------------------------------------------------- writing


def _id(answer: Any, *names: str) -> str:
    for name in names:
        if isinstance(answer, dict) and answer.get(name) not in (None, ""):
            return str(answer[name])
    raise ValueError(f"the answer names no id ({', '.join(names)})")


async def _create_plain(kind: str, client: HttpClient, fields: dict[str, Any]) -> str:
    return _id(await api.create_plain(client, kind, fields), "id", "groupId")


async def _create_status(client: HttpClient, fields: dict[str, Any]) -> str:
    return _id(await api.create_status(client, fields), "id")


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


async def _create_workflow(client: HttpClient, fields: dict[str, Any]) -> str:
    request = workflow_request(fields, await _statuses_by_name(client))
    answer = await _write_workflow(client, "create", request)
    workflow = answer["workflows"][0]
    return str(workflow["id"])


async def _update_workflow(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    current, used = await api.read_workflow(client, target_id)
    merged = {**parse.parse_workflows([current], used)[0].fields, **fields}
    request = workflow_request(merged, await _statuses_by_name(client), current)
    await _write_workflow(client, "update", request)


async def _delete_workflow(client: HttpClient, target_id: str) -> None:
    await api.write(client, "DELETE", f"{api.API}/workflow/{target_id}")


async def _create_workflow_scheme(client: HttpClient, fields: dict[str, Any]) -> str:
    return _id(await api.write(client, "POST", f"{api.API}/workflowscheme", fields), "id")


async def _update_workflow_scheme(
    client: HttpClient, target_id: str, fields: dict[str, Any]
) -> None:
    await api.write(client, "PUT", f"{api.API}/workflowscheme/{target_id}", fields)


async def _delete_workflow_scheme(client: HttpClient, target_id: str) -> None:
    await api.write(client, "DELETE", f"{api.API}/workflowscheme/{target_id}")


async def _put_mapping(client: HttpClient, fields: Mapping[str, Any]) -> str:
    scheme, issue_type = str(fields["scheme"]), str(fields["issueType"])
    await api.write(
        client,
        "PUT",
        f"{api.API}/workflowscheme/{scheme}/issuetype/{issue_type}",
        {"issueType": issue_type, "workflow": fields["workflow"]},
    )
    return parse.composite(scheme, issue_type)


async def _create_mapping(client: HttpClient, fields: dict[str, Any]) -> str:
    return await _put_mapping(client, fields)


async def _update_mapping(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    scheme, issue_type = parse.split(target_id)
    await _put_mapping(client, {"scheme": scheme, "issueType": issue_type, **fields})


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
    return _id(answer, "issueTypeSchemeId", "id")


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
    project_id = _id(await api.write(client, "POST", f"{api.API}/project", body), "id")
    await _associate(client, project_id, fields)
    return project_id


async def _update_project(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    plain = {k: v for k, v in fields.items() if k in ("name", "description")}
    if plain:
        await api.write(client, "PUT", f"{api.API}/project/{target_id}", plain)
    await _associate(client, target_id, fields)


#: Project id → key per connection: a component is created with its project's key, and a
#: project's key never changes while usm-config runs.
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
    return _id(await api.create_plain(client, "component", body), "id")


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
    return parse.composite(field_id, _id(answer, "id"))


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


async def _add_option(client: HttpClient, context_id: str, option: dict[str, Any]) -> str:
    answer = await api.write(
        client, "POST", f"{_context_path(context_id)}/option", {"options": [option]}
    )
    created = (answer or {}).get("options") or []
    return parse.composite(context_id, _id(created[0] if created else {}, "id"))


async def _create_option(client: HttpClient, fields: dict[str, Any]) -> str:
    option = {"value": fields["value"], "disabled": bool(fields.get("disabled", False))}
    return await _add_option(client, str(fields["context"]), option)


async def _create_child_option(client: HttpClient, fields: dict[str, Any]) -> str:
    parts = parse.split(str(fields["parent"]))
    context_id = parse.composite(*parts[:2])
    option = {
        "value": fields["value"],
        "optionId": parts[2],
        "disabled": bool(fields.get("disabled", False)),
    }
    return await _add_option(client, context_id, option)


async def _update_option(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    parts = parse.split(target_id)
    option = {"id": parts[2], **{k: v for k, v in fields.items() if k in ("value", "disabled")}}
    await api.write(
        client, "PUT", f"{_context_path(parse.composite(*parts[:2]))}/option", {"options": [option]}
    )


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
    return parse.composite(_id(answer, "serviceDeskId"), _id(answer, "id"))


async def _delete_request_type(client: HttpClient, target_id: str) -> None:
    desk, own = parse.split(target_id)
    await api.write_experimental(
        client, "DELETE", f"{api.JSM}/servicedesk/{desk}/requesttype/{own}"
    )


def _plain(kind: str) -> Writer:
    async def create(client: HttpClient, fields: dict[str, Any]) -> str:
        return await _create_plain(kind, client, fields)

    return create


def _plain_update(kind: str) -> Callable[[HttpClient, str, dict[str, Any]], Awaitable[None]]:
    async def update(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
        await api.update_plain(client, kind, target_id, fields)

    return update


def _plain_delete(kind: str) -> Callable[[HttpClient, str], Awaitable[None]]:
    async def delete(client: HttpClient, target_id: str) -> None:
        await api.delete_plain(client, kind, target_id)

    return delete


_CREATE: dict[str, Callable[[HttpClient, dict[str, Any]], Awaitable[str]]] = {
    "group": _plain("group"),
    "organization": _plain("organization"),
    "issuetype": _plain("issuetype"),
    "priority": _plain("priority"),
    "field": _plain("field"),
    "status": _create_status,
    "workflow": _create_workflow,
    "workflowscheme": _create_workflow_scheme,
    "workflowscheme_mapping": _create_mapping,
    "issuetypescheme": _create_issue_type_scheme,
    "project": _create_project,
    "field_context": _create_context,
    "field_option": _create_option,
    "field_child_option": _create_child_option,
    "component": _create_component,
    "requesttype": _create_request_type,
}
_UPDATE: dict[str, Callable[[HttpClient, str, dict[str, Any]], Awaitable[None]]] = {
    "issuetype": _plain_update("issuetype"),
    "priority": _plain_update("priority"),
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
    "component": _update_component,
}
_DELETE: dict[str, Callable[[HttpClient, str], Awaitable[None]]] = {
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
    "requesttype": _delete_request_type,
}


ADAPTER = JsmAdapter()
