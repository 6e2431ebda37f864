"""Custom fields, their contexts and options (jira.md §1.7, §7.2).

A field row is ``FieldDetails`` (system fields come from the site baseline). A context row is
a ``CustomFieldContext`` plus ``_fieldId``, ``_projectIds`` and ``_issueTypeIds`` (empty:
global / any issue type). An option row is a ``CustomFieldContextOption`` plus
``_contextId``; a cascading child carries its parent's id in ``optionId``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_jsm.sandbox.errors import JiraApiError
from usm_jsm.sandbox.paging import page_bean
from usm_jsm.sandbox.platform_common import (
    V3,
    as_list,
    ids_in,
    json_object,
    moved,
    no_content,
    ok,
    placement,
    query_list,
    rest_url,
    string_field,
)
from usm_jsm.sandbox.site import (
    FIELD,
    FIELD_CONTEXT,
    FIELD_OPTION,
    PROJECT,
    Endpoint,
    Row,
    Site,
    public,
    require,
)

__all__ = ["CUSTOM_FIELD_TYPES", "ENDPOINTS", "OPTIONS_PER_REQUEST"]

_TYPES = "com.atlassian.jira.plugin.system.customfieldtypes:"

#: Built-in custom field type keys → the ``schema`` their fields report (type, items).
CUSTOM_FIELD_TYPES: Mapping[str, tuple[str, str | None]] = {
    f"{_TYPES}cascadingselect": ("option-with-child", None),
    f"{_TYPES}datepicker": ("date", None),
    f"{_TYPES}datetime": ("datetime", None),
    f"{_TYPES}float": ("number", None),
    f"{_TYPES}grouppicker": ("group", None),
    f"{_TYPES}labels": ("array", "string"),
    f"{_TYPES}multicheckboxes": ("array", "option"),
    f"{_TYPES}multigrouppicker": ("array", "group"),
    f"{_TYPES}multiselect": ("array", "option"),
    f"{_TYPES}multiuserpicker": ("array", "user"),
    f"{_TYPES}multiversion": ("array", "version"),
    f"{_TYPES}project": ("project", None),
    f"{_TYPES}radiobuttons": ("option", None),
    f"{_TYPES}readonlyfield": ("string", None),
    f"{_TYPES}select": ("option", None),
    f"{_TYPES}textarea": ("string", None),
    f"{_TYPES}textfield": ("string", None),
    f"{_TYPES}url": ("string", None),
    f"{_TYPES}userpicker": ("user", None),
    f"{_TYPES}version": ("version", None),
}
#: Field types whose contexts hold options.
_OPTION_TYPES = frozenset(
    f"{_TYPES}{name}"
    for name in ("cascadingselect", "multicheckboxes", "multiselect", "radiobuttons", "select")
)
#: At most this many options per create request (jira.md §1.7).
OPTIONS_PER_REQUEST = 1000


def _field(site: Site, request: Request) -> Row:
    field_id = request.path_params["fieldId"]
    return require(site.get(FIELD, field_id), f"The custom field was not found: {field_id}")


def _custom_field(site: Site, request: Request) -> Row:
    field = _field(site, request)
    if not field.get("custom"):
        raise JiraApiError(400, [f"{field['id']} is not a custom field."])
    return field


def _context(site: Site, request: Request, field: Row) -> Row:
    context_id = request.path_params["contextId"]
    context = site.get(FIELD_CONTEXT, context_id)
    if context is None or context["_fieldId"] != field["id"]:
        raise JiraApiError(404, [f"The context was not found: {context_id}"])
    return context


# ---------------------------------------------------------------------- fields


async def list_fields(request: Request, site: Site) -> Response:
    return ok([public(row) for row in site.rows(FIELD)])


def _paginated_field(row: Row) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row["id"], "name": row["name"], "schema": row.get("schema", {})}
    body["description"] = row.get("description", "")
    body["key"] = row["key"]
    body["isLocked"] = bool(row.get("_locked", False))
    if row.get("searcherKey"):
        body["searcherKey"] = row["searcherKey"]
    return body


async def search_fields(request: Request, site: Site) -> Response:
    types = set(query_list(request, "type"))
    ids = set(query_list(request, "id"))
    query = (request.query_params.get("query") or "").casefold()
    rows = [
        _paginated_field(row)
        for row in site.rows(FIELD)
        if (not types or ("custom" if row.get("custom") else "system") in types)
        and (not ids or row["id"] in ids)
        and query in row["name"].casefold()
    ]
    return ok(page_bean(request, rows, "GET /field/search"))


def _new_field_id(site: Site) -> str:
    # The id counter starts at 10000 while the baseline's JSM fields hold some of that range.
    while True:
        candidate = f"customfield_{site.new_id(FIELD)}"
        if site.get(FIELD, candidate) is None:
            return candidate


async def create_field(request: Request, site: Site) -> Response:
    body = await json_object(request)
    name = string_field(body, "name", required=True, max_length=255)
    type_key = body.get("type")
    if type_key not in CUSTOM_FIELD_TYPES:
        raise JiraApiError(400, [], {"type": f"Custom field type '{type_key}' is not valid."})
    assert name is not None
    schema_type, items = CUSTOM_FIELD_TYPES[str(type_key)]
    field_id = _new_field_id(site)
    number = int(field_id.removeprefix("customfield_"))
    schema: dict[str, Any] = {"type": schema_type}
    if items is not None:
        schema["items"] = items
    schema.update({"custom": type_key, "customId": number})
    row: dict[str, Any] = {
        "id": field_id,
        "key": field_id,
        "name": name,
        "untranslatedName": name,
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": bool(body.get("searcherKey")),
        "clauseNames": [f"cf[{number}]", name],
        "schema": schema,
        "description": body.get("description") or "",
    }
    if body.get("searcherKey"):
        row["searcherKey"] = body["searcherKey"]
    site.insert(FIELD, row)
    # A new custom field comes with a global context for every issue type.
    site.insert(
        FIELD_CONTEXT,
        {
            "name": f"Default Configuration Scheme for {name}",
            "description": f"Default configuration scheme generated by Jira for {name}",
            "isGlobalContext": True,
            "isAnyIssueType": True,
            "_fieldId": field_id,
            "_projectIds": [],
            "_issueTypeIds": [],
        },
    )
    return ok(public(row), status=201)


async def update_field(request: Request, site: Site) -> Response:
    field = _custom_field(site, request)
    body = await json_object(request)
    changes: dict[str, Any] = {}
    if "name" in body:
        name = string_field(body, "name", required=True, max_length=255)
        changes.update({"name": name, "untranslatedName": name})
        changes["clauseNames"] = [field["clauseNames"][0], name]
    if "description" in body:
        changes["description"] = body["description"] or ""
    if "searcherKey" in body:
        changes["searcherKey"] = body["searcherKey"]
    site.replace(FIELD, {**field, **changes})
    return no_content()


async def delete_field(request: Request, site: Site) -> Response:
    field = _custom_field(site, request)
    for context in site.rows(FIELD_CONTEXT):
        if context["_fieldId"] == field["id"]:
            _delete_context(site, context)
    site.delete(FIELD, field["id"])
    task = site.start_task(f"Deleting custom field {field['id']}")
    location = rest_url(request, f"task/{task['id']}")
    return ok({"self": location, **public(task)}, status=303, headers={"Location": location})


# ---------------------------------------------------------------------- contexts


def _context_json(context: Row) -> dict[str, Any]:
    return {
        "id": context["id"],
        "name": context["name"],
        "description": context.get("description", ""),
        "isGlobalContext": not context["_projectIds"],
        "isAnyIssueType": not context["_issueTypeIds"],
    }


def _delete_context(site: Site, context: Row) -> None:
    for option in site.rows(FIELD_OPTION):
        if option["_contextId"] == context["id"]:
            site.delete(FIELD_OPTION, option["id"])
    site.delete(FIELD_CONTEXT, context["id"])


async def list_contexts(request: Request, site: Site) -> Response:
    field = _custom_field(site, request)
    wanted = set(query_list(request, "contextId"))
    rows = [
        _context_json(c)
        for c in site.rows(FIELD_CONTEXT)
        if c["_fieldId"] == field["id"] and (not wanted or c["id"] in wanted)
    ]
    return ok(page_bean(request, rows, "GET /field/{fieldId}/context"))


async def create_context(request: Request, site: Site) -> Response:
    field = _custom_field(site, request)
    body = await json_object(request)
    name = string_field(body, "name", required=True, max_length=255)
    project_ids = ids_in(as_list(body, "projectIds"))
    issue_type_ids = ids_in(as_list(body, "issueTypeIds"))
    if not project_ids and any(
        c["_fieldId"] == field["id"] and not c["_projectIds"] for c in site.rows(FIELD_CONTEXT)
    ):
        raise JiraApiError(409, ["The custom field already has a global context."])
    row = site.insert(
        FIELD_CONTEXT,
        {
            "name": name,
            "description": body.get("description") or "",
            "isGlobalContext": not project_ids,
            "isAnyIssueType": not issue_type_ids,
            "_fieldId": field["id"],
            "_projectIds": project_ids,
            "_issueTypeIds": issue_type_ids,
        },
    )
    answer = {
        "id": row["id"],
        "name": name,
        "description": row["description"],
        "projectIds": project_ids,
        "issueTypeIds": issue_type_ids,
    }
    return ok(answer, status=201)


async def update_context(request: Request, site: Site) -> Response:
    context = _context(site, request, _custom_field(site, request))
    body = await json_object(request)
    changes: dict[str, Any] = {k: body[k] for k in ("name", "description") if k in body}
    site.replace(FIELD_CONTEXT, {**context, **changes})
    return no_content()


async def delete_context(request: Request, site: Site) -> Response:
    _delete_context(site, _context(site, request, _custom_field(site, request)))
    return no_content()


async def add_context_issue_types(request: Request, site: Site) -> Response:
    context = _context(site, request, _custom_field(site, request))
    type_ids = ids_in(as_list(await json_object(request), "issueTypeIds", required=True))
    members = list(dict.fromkeys([*context["_issueTypeIds"], *type_ids]))
    site.replace(FIELD_CONTEXT, {**context, "_issueTypeIds": members, "isAnyIssueType": False})
    return no_content()


async def remove_context_issue_types(request: Request, site: Site) -> Response:
    context = _context(site, request, _custom_field(site, request))
    type_ids = ids_in(as_list(await json_object(request), "issueTypeIds", required=True))
    missing = [t for t in type_ids if t not in context["_issueTypeIds"]]
    if missing:
        raise JiraApiError(400, [f"Issue types {', '.join(missing)} are not in the context."])
    members = [t for t in context["_issueTypeIds"] if t not in type_ids]
    site.replace(
        FIELD_CONTEXT, {**context, "_issueTypeIds": members, "isAnyIssueType": not members}
    )
    return no_content()


async def issue_type_mappings(request: Request, site: Site) -> Response:
    field = _custom_field(site, request)
    values: list[dict[str, Any]] = []
    for context in site.rows(FIELD_CONTEXT):
        if context["_fieldId"] != field["id"]:
            continue
        if not context["_issueTypeIds"]:
            values.append({"contextId": context["id"], "isAnyIssueType": True})
        values.extend(
            {"contextId": context["id"], "issueTypeId": type_id}
            for type_id in context["_issueTypeIds"]
        )
    return ok(page_bean(request, values, "GET /field/{fieldId}/context/issuetypemapping"))


async def project_mappings(request: Request, site: Site) -> Response:
    field = _custom_field(site, request)
    values: list[dict[str, Any]] = []
    for context in site.rows(FIELD_CONTEXT):
        if context["_fieldId"] != field["id"]:
            continue
        if not context["_projectIds"]:
            values.append({"contextId": context["id"], "isGlobalContext": True})
        values.extend(
            {"contextId": context["id"], "projectId": project_id}
            for project_id in context["_projectIds"]
        )
    return ok(page_bean(request, values, "GET /field/{fieldId}/context/projectmapping"))


async def assign_context_projects(request: Request, site: Site) -> Response:
    field = _custom_field(site, request)
    context = _context(site, request, field)
    project_ids = ids_in(as_list(await json_object(request), "projectIds", required=True))
    for project_id in project_ids:
        if site.get(PROJECT, project_id) is None:
            raise JiraApiError(404, [f"Project {project_id} not found."])
    members = list(dict.fromkeys([*context["_projectIds"], *project_ids]))
    site.replace(FIELD_CONTEXT, {**context, "_projectIds": members, "isGlobalContext": False})
    return no_content()


# ---------------------------------------------------------------------- options


def _option_json(option: Row) -> dict[str, Any]:
    body = {"id": option["id"], "value": option["value"], "disabled": option["disabled"]}
    if option.get("optionId"):
        body["optionId"] = option["optionId"]
    return body


def _option_context(site: Site, request: Request) -> tuple[Row, Row]:
    field = _custom_field(site, request)
    context = _context(site, request, field)
    if field.get("schema", {}).get("custom") not in _OPTION_TYPES:
        raise JiraApiError(400, ["The custom field doesn't support options."])
    return field, context


def _options_of(site: Site, context: Row) -> list[Row]:
    """The context's options as Jira lists them: "options are returned first then cascading
    options, in the order they display in Jira" (the spec's words); a new one comes last among
    its siblings."""
    rows = [o for o in site.rows(FIELD_OPTION) if o["_contextId"] == context["id"]]

    def place(option: Row) -> int:
        return int(option.get("_position", int(option["id"])))

    tops = {o["id"]: place(o) for o in rows if not o.get("optionId")}

    def order(option: Row) -> tuple[int, int, int]:
        parent = option.get("optionId")
        if parent is None:
            return (0, place(option), 0)
        return (1, tops.get(parent, 0), place(option))

    return sorted(rows, key=order)


async def list_options(request: Request, site: Site) -> Response:
    _, context = _option_context(site, request)
    only_options = request.query_params.get("onlyOptions", "").lower() == "true"
    wanted = request.query_params.get("optionId")
    rows = [
        _option_json(o)
        for o in _options_of(site, context)
        if (wanted is None or o["id"] == wanted) and not (only_options and o.get("optionId"))
    ]
    return ok(page_bean(request, rows, "GET /field/{fieldId}/context/{contextId}/option"))


async def create_options(request: Request, site: Site) -> Response:
    field, context = _option_context(site, request)
    entries = as_list(await json_object(request), "options", required=True)
    if len(entries) > OPTIONS_PER_REQUEST:
        raise JiraApiError(400, [f"At most {OPTIONS_PER_REQUEST} options per request."])
    cascading = field["schema"]["custom"].endswith(":cascadingselect")
    existing = _options_of(site, context)
    taken = {(o.get("optionId"), o["value"].casefold()) for o in existing}
    parents = {o["id"] for o in existing if not o.get("optionId")}
    for entry in entries:
        value, parent = entry.get("value"), entry.get("optionId")
        if not isinstance(value, str) or not value.strip():
            raise JiraApiError(400, ["An option needs a value."])
        if parent is not None and (not cascading or str(parent) not in parents):
            raise JiraApiError(400, [f"The parent option {parent} is not valid."])
        if (parent, value.casefold()) in taken:
            raise JiraApiError(400, [f"The option '{value}' already exists."])
        taken.add((parent, value.casefold()))
    created = []
    for entry in entries:
        row: dict[str, Any] = {"value": entry["value"], "disabled": bool(entry.get("disabled"))}
        if entry.get("optionId") is not None:
            row["optionId"] = str(entry["optionId"])
        created.append(site.insert(FIELD_OPTION, {**row, "_contextId": context["id"]}))
    return ok({"options": [_option_json(o) for o in created]})


async def update_options(request: Request, site: Site) -> Response:
    _, context = _option_context(site, request)
    entries = as_list(await json_object(request), "options", required=True)
    current = {o["id"]: o for o in _options_of(site, context)}
    for entry in entries:
        if str(entry.get("id")) not in current:
            raise JiraApiError(400, [f"The option {entry.get('id')} is not in the context."])
    updated = []
    for entry in entries:
        option = current[str(entry["id"])]
        changes: dict[str, Any] = {k: entry[k] for k in ("value", "disabled") if k in entry}
        updated.append(site.replace(FIELD_OPTION, {**option, **changes}))
    return ok({"options": [_option_json(o) for o in updated]})


async def move_options(request: Request, site: Site) -> Response:
    """``PUT …/option/move`` (``OrderOfCustomFieldOptions``): ``customFieldOptionIds`` in their
    order, after the option ``after`` or at ``position`` First or Last among their siblings
    (the options, or the cascading options of one parent, never both)."""
    _, context = _option_context(site, request)
    body = await json_object(request)
    ids = as_list(body, "customFieldOptionIds", required=True)
    if not ids or not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        raise JiraApiError(400, ["customFieldOptionIds must list option IDs, each once."])
    after, position = placement(body)
    options = _options_of(site, context)
    by_id = {o["id"]: o for o in options}
    for wanted in [*ids, *([after] if after is not None else [])]:
        if wanted not in by_id:
            raise JiraApiError(404, [f"The option {wanted} was not found."])
    if after in ids:
        raise JiraApiError(400, ["customFieldOptionIds can't contain the after ID."])
    parents = {by_id[i].get("optionId") for i in [*ids, *([after] if after else [])]}
    if len(parents) != 1:
        raise JiraApiError(400, ["Options of different parents can't be moved together."])
    parent = parents.pop()
    siblings = [o["id"] for o in options if o.get("optionId") == parent]
    for index, option_id in enumerate(moved(siblings, ids, after, position)):
        site.replace(FIELD_OPTION, {**by_id[option_id], "_position": index})
    return no_content()


async def delete_option(request: Request, site: Site) -> Response:
    _, context = _option_context(site, request)
    option_id = request.path_params["optionId"]
    options = _options_of(site, context)
    if option_id not in {o["id"] for o in options}:
        raise JiraApiError(404, [f"The option {option_id} was not found."])
    for option in options:
        if option["id"] == option_id or option.get("optionId") == option_id:
            site.delete(FIELD_OPTION, option["id"])
    return no_content()


_FIELD = f"{V3}/field/{{fieldId}}"
_CONTEXT = f"{_FIELD}/context/{{contextId}}"

ENDPOINTS = [
    Endpoint(f"{V3}/field", ("GET",), list_fields),
    Endpoint(f"{V3}/field", ("POST",), create_field),
    Endpoint(f"{V3}/field/search", ("GET",), search_fields),
    Endpoint(_FIELD, ("PUT",), update_field),
    Endpoint(_FIELD, ("DELETE",), delete_field),
    Endpoint(f"{_FIELD}/context", ("GET",), list_contexts),
    Endpoint(f"{_FIELD}/context", ("POST",), create_context),
    Endpoint(f"{_FIELD}/context/issuetypemapping", ("GET",), issue_type_mappings),
    Endpoint(f"{_FIELD}/context/projectmapping", ("GET",), project_mappings),
    Endpoint(f"{_CONTEXT}/project", ("PUT",), assign_context_projects),
    Endpoint(_CONTEXT, ("PUT",), update_context),
    Endpoint(_CONTEXT, ("DELETE",), delete_context),
    Endpoint(f"{_CONTEXT}/issuetype", ("PUT",), add_context_issue_types),
    Endpoint(f"{_CONTEXT}/issuetype/remove", ("POST",), remove_context_issue_types),
    Endpoint(f"{_CONTEXT}/option", ("GET",), list_options),
    Endpoint(f"{_CONTEXT}/option", ("POST",), create_options),
    Endpoint(f"{_CONTEXT}/option", ("PUT",), update_options),
    Endpoint(f"{_CONTEXT}/option/move", ("PUT",), move_options),
    Endpoint(f"{_CONTEXT}/option/{{optionId}}", ("DELETE",), delete_option),
]
