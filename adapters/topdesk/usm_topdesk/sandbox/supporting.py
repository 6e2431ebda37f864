"""Supporting files: operator groups, operators, persons, branches, departments and the
operators' optional drop-down lists (supporting-files 2.7.11; topdesk.md §3.2, §8).

Quirks kept on purpose, because an adapter must live with them:

* lists of operators and operator groups page with ``start``/``page_size`` (1..100, default
  10) and answer 206 while more exist; without ``query`` they hold only active cards;
* operator-group FIQL cannot filter on ``branch.id`` or ``branch.name`` (§8.9);
* task flags are refused when creating an operator group and set with PUT/PATCH (§8.10);
* archiving a group, an operator or a branch needs an archiving reason (§8.10); nothing here
  deletes a card, except a department (``DELETE``, refused while it is referenced);
* a department whose name exists is refused with 400 and the legacy envelope (§8.1); an
  optional drop-down entry whose name exists with a bare ``duplicate_value`` (§8.2);
* ``/branches`` returns only ``id`` and ``name`` unless ``$fields`` asks for more (§8.4);
* ``/persons`` answers v2 (``{item, size, next}``, ``pageStart``/``pageSize``) for its vendor
  media type and the v1 array (``start``/``page_size``) for ``application/json`` (§8.6);
* creating an operator requires ``linkedPerson`` (§8.3).

Messages are the examples the spec's 4xx descriptions give.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_topdesk.sandbox.common import (
    filtered,
    json_body,
    media,
    no_content,
    page_start_page_size,
    respond,
    select_fields,
    start_page_size,
    top,
)
from usm_topdesk.sandbox.errors import BareError, LegacyError, too_long, unknown_field, unparsable
from usm_topdesk.sandbox.optional_fields import QUERY_FIELDS, TABS, Lookup, blank_tabs, written
from usm_topdesk.sandbox.site import (
    ARCHIVING_REASON,
    BRANCH,
    DEPARTMENT,
    JSON,
    OPERATOR,
    OPERATOR_FREE_FIELD,
    OPERATOR_GROUP,
    PERSON,
    Endpoint,
    Handler,
    Row,
    Site,
    public,
)

__all__ = ["ENDPOINTS", "TASK_FLAGS", "ensure_operator"]

API = "/tas/api"
PERSON_V2 = "application/x.topdesk-collection-person-v2+json"
PERSON_ONE_V2 = "application/x.topdesk-person-v2+json"

#: The task flags operators and operator groups carry (OperatorGroupDto, CreateOperatorDto).
TASK_FLAGS = (
    "installer",
    "firstLineCallOperator",
    "secondLineCallOperator",
    "problemManager",
    "problemOperator",
    "changeCoordinator",
    "changeActivitiesOperator",
    "requestForChangeOperator",
    "extensiveChangeOperator",
    "simpleChangeOperator",
    "scenarioManager",
    "planningActivityManager",
    "projectCoordinator",
    "projectActiviesOperator",
    "stockManager",
    "reservationsOperator",
    "serviceOperator",
    "externalHelpDeskParty",
    "contractManager",
    "operationsOperator",
    "operationsManager",
    "knowledgeBaseManager",
    "accountManager",
)

# ---------------------------------------------------------------------------- validation


def _missing(field: str) -> LegacyError:
    return LegacyError(400, f"Mandatory field '{field}' is missing.")


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise LegacyError(400, "The request body could not be parsed.")
    return body


def _known(body: Mapping[str, Any], allowed: Collection[str]) -> None:
    for field in body:
        if field not in allowed:
            raise unknown_field(field)


def _text(body: Mapping[str, Any], field: str, limit: int, *, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip() and required):
        if required:
            raise _missing(field)
        return None
    if not isinstance(value, str):
        raise unparsable(field)
    if len(value) > limit:
        raise too_long(field, limit)
    return value


def _flag(body: Mapping[str, Any], field: str) -> bool | None:
    value = body.get(field)
    if value is not None and not isinstance(value, bool):
        raise unparsable(field)
    return value


def _uuid(value: Any, field: str = "id") -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise LegacyError(400, f"The field '{field}' cannot be parsed") from None


def _path_row(site: Site, request: Request, table: str, noun: str) -> Row:
    raw = request.path_params["id"]
    try:
        row_id = str(uuid.UUID(raw))
    except ValueError:
        raise LegacyError(400, f"The {noun} id '{raw}' cannot be parsed") from None
    row = site.get(table, row_id)
    if row is None:
        raise LegacyError(404, f"The {noun} could not be found")
    return row


def _linked(site: Site, body: Mapping[str, Any], field: str, table: str, noun: str) -> Row | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, dict) or "id" not in value:
        raise unparsable(field)
    row = site.get(table, _uuid(value["id"], f"{field}.id"))
    if row is None:
        raise LegacyError(404, f'The {noun} "{value["id"]}" cannot be found')
    return row


def _archiving_reason(site: Site, body: Any) -> Row:
    if not isinstance(body, dict) or not (body.get("id") or body.get("name")):
        raise LegacyError(400, "Reason for archiving is mandatory")
    reason = (
        site.get(ARCHIVING_REASON, str(body["id"]))
        if body.get("id")
        else site.named(ARCHIVING_REASON, str(body["name"]))
    )
    if reason is None:
        raise LegacyError(400, 'The value for the field "archiving-reason" cannot be found')
    return reason


def _branch_dto(branch: Row | None) -> dict[str, Any] | None:
    if branch is None:
        return None
    keys = ("id", "name", "clientReferenceNumber", "timeZone", "extraA", "extraB")
    return {key: branch.get(key) for key in keys}


def _who(site: Site, request: Request) -> dict[str, Any] | None:
    operator = site.operator_by_login(str(request.scope.get("user", "")))
    return site.ref(operator, "dynamicName")


def _stamp(site: Site, request: Request, *, created: bool) -> dict[str, Any]:
    now, who = site.timestamp(), _who(site, request)
    stamp = {"modificationDate": now, "modifier": who}
    if created:
        stamp |= {"creationDate": now, "creator": who}
    return stamp


def _queried(
    request: Request,
    rows: list[Row],
    archived: str,
    *,
    fields: Collection[str] | None = None,
    views: Callable[[Row], Iterable[Mapping[str, Any]]] = lambda row: ({},),
) -> list[Row]:
    """The cards a list answers: the active ones (those whose status is not ``archived``);
    with a FIQL ``query``, those it matches, archived ones too. A query may name ``archived``
    and what ``views`` adds to a card: it matches when the query holds with any of them."""
    shown = [
        {**row, "archived": row.get("status") == archived, **extra}
        for row in rows
        for extra in views(row)
    ]
    chosen = filtered(request, shown, fields=fields, default=lambda view: not view["archived"])
    matched = {view["id"] for view in chosen}
    return [row for row in rows if row["id"] in matched]


def _list(request: Request, rows: list[Row]) -> Response:
    spec = request.query_params.get("fields")
    page, status = start_page_size(request, [select_fields(row, spec) for row in rows])
    return respond(request, page, status) if page else no_content()


# ---------------------------------------------------------------------------- operator groups

_GROUP_STATUS, _GROUP_ARCHIVED = "operatorGroup", "operatorGroupArchived"
_GROUP_CREATE = ("groupName", "branch", "contact", "accessRoles")
_GROUP_UPDATE = (
    *_GROUP_CREATE,
    "location",
    "budgetHolder",
    "hourlyRate",
    "attention",
    "comments",
    "optionalFields1",
    "optionalFields2",
    *TASK_FLAGS,
)
#: Operator-group FIQL: top-level fields and a few nested ones, never ``branch.id``/``.name``
#: (supporting files 2.7.11, ``GET /operatorgroups``, ``query``).
_GROUP_QUERY_FIELDS = frozenset(
    (
        "id",
        "status",
        "archived",
        "externalLink.id",
        "externalLink.type",
        "externalLink.date",
        "groupName",
        "hourlyRate",
        "creationDate",
        "modificationDate",
        "hasAttention",
        "comments",
        "principalId",
        *TASK_FLAGS,
        *(
            f"{n}.{p}"
            for n in ("location", "budgetHolder", "creator", "modifier")
            for p in ("id", "name")
        ),
        *QUERY_FIELDS,
    )
)


def _group_fields(
    site: Site, request: Request, body: Mapping[str, Any], current: Row
) -> dict[str, Any]:
    changes = written(body, current, _operator_list_entry(site), by_name=False)
    if "groupName" in body:
        changes["groupName"] = _text(body, "groupName", 30, required=True)
    if "branch" in body:
        changes["branch"] = _branch_dto(_linked(site, body, "branch", BRANCH, "branch"))
    if "contact" in body:
        contact = body["contact"]
        if contact is not None and not isinstance(contact, dict):
            raise unparsable("contact")
        changes["contact"] = contact
    if "accessRoles" in body:
        changes["accessRoles"] = body["accessRoles"] or []
    for field in TASK_FLAGS:
        if field in body:
            changes[field] = _flag(body, field)
    for field in ("location", "budgetHolder", "hourlyRate", "attention", "comments"):
        if field in body:
            changes[field] = body[field]
    return changes


async def list_operator_groups(request: Request, site: Site) -> Response:
    """Active groups; with a ``query``, archived ones too unless it asks ``archived==false``
    (the spec: "both archived and non-archived operator groups are returned by default")."""
    rows = site.rows(OPERATOR_GROUP)
    return _list(request, _queried(request, rows, _GROUP_ARCHIVED, fields=_GROUP_QUERY_FIELDS))


async def create_operator_group(request: Request, site: Site) -> Response:
    body = _object(await json_body(request))
    _known(body, _GROUP_CREATE)
    if not body.get("groupName"):
        raise _missing("groupName")
    if not body.get("branch"):
        raise _missing("branch")
    with site.lock:
        fields = _group_fields(site, request, body, {})
        row = site.insert(
            OPERATOR_GROUP,
            {
                "id": str(uuid.uuid4()),
                "status": _GROUP_STATUS,
                "groupName": fields["groupName"],
                "branch": fields["branch"],
                "location": None,
                "budgetHolder": None,
                "hourlyRate": 0.0,
                "contact": fields.get("contact"),
                **dict.fromkeys(TASK_FLAGS, False),
                **_stamp(site, request, created=True),
                "accessRoles": fields.get("accessRoles", []),
                "principalId": str(uuid.uuid4()),
                "hasAttention": False,
                "attention": None,
                "comments": "",
                **blank_tabs(),
            },
        )
    return respond(request, public(row), 201)


async def get_operator_group(request: Request, site: Site) -> Response:
    row = _path_row(site, request, OPERATOR_GROUP, "operator group")
    return respond(request, select_fields(row, request.query_params.get("fields")))


async def update_operator_group(request: Request, site: Site) -> Response:
    row = _path_row(site, request, OPERATOR_GROUP, "operator group")
    body = _object(await json_body(request))
    _known(body, _GROUP_UPDATE)
    with site.lock:
        changes = _group_fields(site, request, body, row)
        row = site.merge(
            OPERATOR_GROUP, row["id"], {**changes, **_stamp(site, request, created=False)}
        )
    return respond(request, public(row))


async def group_operators(request: Request, site: Site) -> Response:
    group = _path_row(site, request, OPERATOR_GROUP, "operatorgroup")
    members = [
        {"id": op["id"], "name": op.get("dynamicName")}
        for op in site.rows(OPERATOR)
        if group["id"] in op.get("_groups", [])
    ]
    return respond(request, members) if members else no_content()


def _lookup(request: Request, rows: Iterable[Row], name_field: str, active: str) -> Response:
    name = (request.query_params.get("name") or "").casefold()
    archived = request.query_params.get("archived")
    chosen = [
        row
        for row in rows
        if str(row.get(name_field, "")).casefold().startswith(name)
        and (archived is None or (row.get("status") != active) == (archived.lower() == "true"))
        and (archived is not None or row.get("status") == active)
    ]
    chosen.sort(key=lambda row: str(row.get(name_field, "")).casefold())
    entries = [{"id": row["id"], "name": row.get(name_field)} for row in chosen]
    return respond(request, {"results": top(request, entries)})


async def operator_group_lookup(request: Request, site: Site) -> Response:
    return _lookup(request, site.rows(OPERATOR_GROUP), "groupName", _GROUP_STATUS)


async def _optional_body(request: Request) -> Any:
    return await json_body(request) if (await request.body()).strip() else None


# ---------------------------------------------------------------------------- operators

_OPERATOR_STATUS, _OPERATOR_ARCHIVED = "operator", "operatorArchived"
_OPERATOR_TEXT = {
    "surName": 50,
    "firstName": 30,
    "firstInitials": 10,
    "prefixes": 10,
    "birthName": 100,
    "title": 35,
    "telephone": 25,
    "mobileNumber": 25,
    "faxNumber": 25,
    "email": 100,
    "exchangeAccount": 100,
    "jobTitle": 100,
    "employeeNumber": 20,
    "networkLoginName": 100,
    "mainframeLoginName": 100,
    "loginName": 100,
    "comments": 127,
}
_OPERATOR_FIELDS = (
    *_OPERATOR_TEXT,
    "gender",
    "language",
    "department",
    "budgetHolder",
    "hourlyRate",
    "branch",
    "location",
    "loginPermission",
    "password",
    "linkedPerson",
    "attention",
    "optionalFields1",
    "optionalFields2",
    "accessRoles",
    "apiAccount",
    *TASK_FLAGS,
)


def _dynamic_name(sur: str, first: str | None) -> str:
    return f"{sur}, {first}" if first else sur


def _operator_fields(site: Site, body: Mapping[str, Any], current: Row) -> dict[str, Any]:
    changes = written(body, current, _operator_list_entry(site), by_name=False)
    for field, limit in _OPERATOR_TEXT.items():
        if field in body:
            changes[field] = _text(body, field, limit, required=field == "surName")
    for field in (*TASK_FLAGS, "loginPermission", "apiAccount"):
        if field in body:
            changes[field] = _flag(body, field)
    if "branch" in body:
        changes["branch"] = _branch_dto(_linked(site, body, "branch", BRANCH, "branch"))
    if "linkedPerson" in body:
        changes["linkedPerson"] = site.ref(
            _linked(site, body, "linkedPerson", PERSON, "person"), "dynamicName"
        )
    if "department" in body:
        changes["department"] = site.ref(
            _linked(site, body, "department", DEPARTMENT, "department")
        )
    for field in ("gender", "language", "budgetHolder", "hourlyRate", "location", "accessRoles"):
        if field in body:
            changes[field] = body[field]
    return changes


def _new_operator(fields: Mapping[str, Any]) -> Row:
    sur = str(fields.get("surName") or "")
    first = fields.get("firstName")
    row: Row = {
        "id": str(uuid.uuid4()),
        "principalId": str(uuid.uuid4()),
        "status": _OPERATOR_STATUS,
        "accountType": "regular",
        "apiAccount": False,
        "hasApplicationPasswords": False,
        "surName": sur,
        "firstName": first or "",
        "dynamicName": _dynamic_name(sur, first),
        "initials": "",
        "prefixes": "",
        "birthName": "",
        "title": "",
        "gender": "UNDEFINED",
        "language": None,
        "branch": None,
        "location": None,
        "telephone": "",
        "mobileNumber": "",
        "faxNumber": "",
        "email": "",
        "exchangeAccount": "",
        "loginName": "",
        "loginPermission": False,
        "linkedPerson": None,
        "jobTitle": "",
        "department": None,
        "budgetHolder": None,
        "employeeNumber": "",
        "hourlyRate": 0.0,
        "networkLoginName": "",
        "mainframeLoginName": "",
        "hasAttention": False,
        "attention": None,
        "comments": "",
        **dict.fromkeys(TASK_FLAGS, False),
        "accessRoles": [],
        **blank_tabs(),
        "_groups": [],
    }
    row.update({k: v for k, v in fields.items() if k != "password"})
    return row


def ensure_operator(site: Site, login: str) -> None:
    """Give ``login`` an operator card (linked to a new person) if the tenant has none."""
    with site.lock:
        if site.operator_by_login(login) is not None:
            return
        branch = site.rows(BRANCH)[0] if site.rows(BRANCH) else None
        person = site.insert(
            PERSON,
            {
                "status": "person",
                "firstName": "",
                "surName": login,
                "dynamicName": login,
                "archived": False,
                "branch": site.ref(branch),
            },
        )
        site.insert(
            OPERATOR,
            _new_operator(
                {
                    "surName": login,
                    "loginName": login,
                    "loginPermission": True,
                    "hasApplicationPasswords": True,
                    "branch": _branch_dto(branch),
                    "linkedPerson": site.ref(person, "dynamicName"),
                    **dict.fromkeys(TASK_FLAGS, True),
                }
            ),
        )


async def list_operators(request: Request, site: Site) -> Response:
    """Active operators; a ``query`` may also name ``archived`` and ``operatorGroup`` (its id,
    name and task flags), which "considers any group the operator is in" (supporting files
    2.7.11, ``GET /operators``): an operator matches when the query holds with one of its
    groups."""
    groups = {row["id"]: row for row in site.rows(OPERATOR_GROUP)}

    def in_group(row: Row) -> list[dict[str, Any]]:
        return [
            {"operatorGroup": _group_view(groups.get(group_id)) if group_id else None}
            for group_id in row.get("_groups") or [None]
        ]

    rows = _queried(request, site.rows(OPERATOR), _OPERATOR_ARCHIVED, views=in_group)
    return _list(request, rows)


def _group_view(group: Row | None) -> dict[str, Any] | None:
    if group is None:
        return None
    return {"id": group["id"], "name": group["groupName"], **{f: group[f] for f in TASK_FLAGS}}


async def create_operator(request: Request, site: Site) -> Response:
    body = _object(await json_body(request))
    _known(body, _OPERATOR_FIELDS)
    for field in ("surName", "branch", "linkedPerson"):
        if not body.get(field):
            raise _missing(field)
    with site.lock:
        fields = _operator_fields(site, body, {})
        login = fields.get("loginName")
        if login and site.operator_by_login(login) is not None:
            raise LegacyError(400, f"The login name '{login}' is already in use.")
        row = site.insert(OPERATOR, _new_operator(fields) | _stamp(site, request, created=True))
    return respond(request, public(row), 201)


async def get_operator(request: Request, site: Site) -> Response:
    row = _path_row(site, request, OPERATOR, "operator")
    return respond(request, select_fields(row, request.query_params.get("fields")))


async def current_operator(request: Request, site: Site) -> Response:
    row = site.operator_by_login(str(request.scope.get("user", "")))
    if row is None:
        raise LegacyError(404, "Entity not found")
    return respond(request, select_fields(row, request.query_params.get("fields")))


async def update_operator(request: Request, site: Site) -> Response:
    row = _path_row(site, request, OPERATOR, "operator")
    body = _object(await json_body(request))
    _known(body, _OPERATOR_FIELDS)
    with site.lock:
        changes = _operator_fields(site, body, row)
        login = changes.get("loginName")
        clash = site.operator_by_login(login) if login else None
        if clash is not None and clash["id"] != row["id"]:
            raise LegacyError(400, f"The login name '{login}' is already in use.")
        merged = {**row, **changes}
        changes["dynamicName"] = _dynamic_name(merged["surName"], merged.get("firstName"))
        row = site.merge(OPERATOR, row["id"], changes | _stamp(site, request, created=False))
    return respond(request, public(row))


async def operator_groups_of(request: Request, site: Site) -> Response:
    row = _path_row(site, request, OPERATOR, "operator")
    groups = [site.get(OPERATOR_GROUP, gid) for gid in row.get("_groups", [])]
    found = [{"id": g["id"], "name": g["groupName"]} for g in groups if g is not None]
    return respond(request, found) if found else no_content()


async def _group_ids(request: Request, site: Site) -> list[str]:
    body = await json_body(request)
    if not isinstance(body, list) or not all(isinstance(e, dict) for e in body):
        raise LegacyError(400, "The request body could not be parsed.")
    ids = []
    for entry in body:
        group_id = _uuid(entry.get("id"))
        if site.get(OPERATOR_GROUP, group_id) is None:
            raise LegacyError(404, "The operator group could not be found")
        ids.append(group_id)
    return ids


async def link_operator_groups(request: Request, site: Site) -> Response:
    row = _path_row(site, request, OPERATOR, "operator")
    ids = await _group_ids(request, site)
    with site.lock:
        current = list((site.get(OPERATOR, row["id"]) or row).get("_groups", []))
        site.merge(OPERATOR, row["id"], {"_groups": current + [i for i in ids if i not in current]})
    return no_content()


async def unlink_operator_groups(request: Request, site: Site) -> Response:
    row = _path_row(site, request, OPERATOR, "operator")
    ids = set(await _group_ids(request, site))
    with site.lock:
        current = (site.get(OPERATOR, row["id"]) or row).get("_groups", [])
        site.merge(OPERATOR, row["id"], {"_groups": [i for i in current if i not in ids]})
    return no_content()


# ---------------------------------------------------------------------------- free fields


def _searchlist_path(request: Request) -> tuple[int, int]:
    tab, number = request.path_params["tab"], request.path_params["searchlist"]
    if tab not in ("1", "2") or number not in ("1", "2", "3", "4", "5"):
        raise LegacyError(404, "Not found")
    return int(tab), int(number)


def _entry(row: Row) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "externalLinks": row.get("externalLinks", [])}


def _operator_list_entry(site: Site) -> Lookup:
    """Finds entries of the operators' drop-down lists by id. Operator groups' optional
    fields use them too: supporting files 2.7.11 serves no drop-down lists of groups' own."""

    def entry(tab: int, number: int, given: Mapping[str, Any]) -> Row | None:
        row = site.get(OPERATOR_FREE_FIELD, str(given["id"]))
        found = row is not None and (row["_tab"], row["_searchlist"]) == (tab, number)
        return row if found else None

    return entry


def _external_filter(request: Request, rows: Iterable[Row]) -> list[Row]:
    ids = request.query_params.getlist("external_link_id")
    types = request.query_params.getlist("external_link_type")
    if not ids and not types:
        return list(rows)
    return [
        row
        for row in rows
        if any(
            (not ids or link.get("id") in ids) and (not types or link.get("type") in types)
            for link in row.get("externalLinks", [])
        )
    ]


async def list_operator_free_field(request: Request, site: Site) -> Response:
    tab, number = _searchlist_path(request)
    rows = [
        row
        for row in site.rows(OPERATOR_FREE_FIELD)
        if row["_tab"] == tab and row["_searchlist"] == number
    ]
    return respond(request, [_entry(row) for row in _external_filter(request, rows)])


def _external_link(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, dict) or not value.get("id") or not value.get("type"):
        raise BareError(400, "value_mandatory", "externalLink")
    return [{"id": str(value["id"]), "type": str(value["type"]), "date": value.get("date")}]


async def create_operator_free_field(request: Request, site: Site) -> Response:
    tab, number = _searchlist_path(request)
    body = _object(await json_body(request))
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BareError(400, "value_mandatory", "name")
    if len(name) > 100:
        raise BareError(400, "value_too_long", "name")
    with site.lock:
        clash = any(
            row["name"].casefold() == name.casefold()
            for row in site.rows(OPERATOR_FREE_FIELD)
            if row["_tab"] == tab and row["_searchlist"] == number
        )
        if clash:
            raise BareError(400, "duplicate_value", "name")
        row = site.insert(
            OPERATOR_FREE_FIELD,
            {
                "name": name,
                "externalLinks": _external_link(body.get("externalLink")),
                "_tab": tab,
                "_searchlist": number,
            },
        )
    return respond(request, _entry(row), 201)


# ---------------------------------------------------------------------------- persons


async def list_persons(request: Request, site: Site) -> Response:
    rows = filtered(request, site.rows(PERSON), default=lambda row: not row.get("archived"))
    spec = request.query_params.get("fields")
    if media(request) == PERSON_V2:
        shown = [select_fields(row, spec) for row in rows]
        body, status = page_start_page_size(request, shown, default=50, cap=5000)
        return respond(request, body, status) if body is not None else no_content()
    # v1: the old API, a bare array paged with start/page_size.
    page, status = start_page_size(request, [public(row) for row in rows])
    return respond(request, page, status) if page else no_content()


async def get_person(request: Request, site: Site) -> Response:
    row = _path_row(site, request, PERSON, "person")
    return respond(request, select_fields(row, request.query_params.get("fields")))


async def create_person(request: Request, site: Site) -> Response:
    body = _object(await json_body(request))
    sur = _text(body, "surName", 50, required=True)
    first = _text(body, "firstName", 30)
    branch = _linked(site, body, "branch", BRANCH, "branch")
    if branch is None:
        raise _missing("branch")
    row = site.insert(
        PERSON,
        {
            "status": "person",
            "firstName": first or "",
            "surName": sur,
            "dynamicName": _dynamic_name(str(sur), first),
            "archived": False,
            "email": body.get("email", ""),
            "branch": site.ref(branch),
            **_stamp(site, request, created=True),
        },
    )
    return respond(request, public(row), 201)


# ---------------------------------------------------------------------------- branches

_BRANCH_STATUS, _BRANCH_ARCHIVED = "branch", "branchArchived"
_BRANCH_TEXT = {
    "name": 60,
    "specification": 70,
    "clientReferenceNumber": 30,
    "timeZone": 50,
    "phone": 25,
    "fax": 25,
    "email": 100,
    "website": 100,
    "membershipNumber": 60,
    "vatNumber": 25,
}
#: Fields whose value is one of a few words; any other is refused as unparsable.
_BRANCH_CHOICES = {
    "branchType": ("independentBranch", "headBranch", "hasAHeadBranch"),
    "serviceWindowOption": ("default", "specific"),
}
_BRANCH_OTHER = (
    "extraA",
    "extraB",
    "address",
    "postalAddress",
    "headBranch",
    "accountManager",
    "contact",
    "surfaceArea",
    "volume",
    "attention",
    "attentionComment",
    "additionalInfo",
    "serviceWindow",
    "realEstate",
    "optionalFields1",
    "optionalFields2",
    "notes",
)


def _branch_fields(site: Site, body: Mapping[str, Any], current: Row) -> dict[str, Any]:
    _known(body, (*_BRANCH_TEXT, *_BRANCH_CHOICES, *_BRANCH_OTHER))
    # Branches' drop-down lists are read-only through the API (supporting files 2.7.11 has
    # only GET /branches/free_fields/{tab}/searchlists/{n}) and a new tenant's are empty.
    changes = written(body, current, lambda tab, number, given: None, by_name=True)
    for field, limit in _BRANCH_TEXT.items():
        if field in body:
            changes[field] = _text(body, field, limit, required=field == "name")
    for field, allowed in _BRANCH_CHOICES.items():
        if field in body:
            if body[field] not in allowed:
                raise unparsable(field)
            changes[field] = body[field]
    if "headBranch" in body:
        changes["headBranch"] = site.ref(_linked(site, body, "headBranch", BRANCH, "branch"))
    for field in _BRANCH_OTHER:
        if field in body and field not in changes and field not in TABS:
            changes[field] = body[field]
    return changes


async def list_branches(request: Request, site: Site) -> Response:
    """Active branches; a ``query`` may name ``archived`` too, and lists archived branches
    unless it asks ``archived==false`` (supporting files 2.7.11, ``GET /branches``)."""
    rows = _queried(request, site.rows(BRANCH), _BRANCH_ARCHIVED)
    spec = request.query_params.get("$fields")
    return respond(request, [select_fields(row, spec, ("id", "name")) for row in rows])


async def create_branch(request: Request, site: Site) -> Response:
    body = _object(await json_body(request))
    if not body.get("name"):
        raise _missing("name")
    fields = _branch_fields(site, body, {})
    row = site.insert(
        BRANCH,
        {
            "status": _BRANCH_STATUS,
            "name": fields["name"],
            "specification": "",
            "clientReferenceNumber": "",
            "timeZone": "Europe/Amsterdam",
            "extraA": None,
            "extraB": None,
            "phone": "",
            "fax": "",
            "email": "",
            "website": "",
            "branchType": "independentBranch",
            "headBranch": None,
            "membershipNumber": "",
            "accountManager": None,
            "contact": None,
            "vatNumber": "",
            "surfaceArea": 0.0,
            "volume": 0.0,
            "hasAttention": False,
            "attention": None,
            "attentionComment": "",
            "additionalInfo": "",
            "serviceWindowOption": "default",
            "serviceWindow": None,
            **blank_tabs(),
            "notes": "",
            **fields,
            **_stamp(site, request, created=True),
        },
    )
    return respond(request, public(row), 201)


async def get_branch(request: Request, site: Site) -> Response:
    return respond(request, public(_path_row(site, request, BRANCH, "branch")))


async def update_branch(request: Request, site: Site) -> Response:
    row = _path_row(site, request, BRANCH, "branch")
    fields = _branch_fields(site, _object(await json_body(request)), row)
    row = site.merge(BRANCH, row["id"], fields | _stamp(site, request, created=False))
    return respond(request, public(row))


async def branch_lookup(request: Request, site: Site) -> Response:
    return _lookup(request, site.rows(BRANCH), "name", _BRANCH_STATUS)


# ----------------------------------------------------------------------------- archiving


@dataclass(frozen=True)
class _Card:
    """A card kind that archives by status: its table, the word its 404 names it by, its
    active and archived status, and the message for archiving it twice."""

    table: str
    label: str
    active: str
    archived: str
    twice: str


_GROUP_CARD = _Card(
    OPERATOR_GROUP, "operator group", _GROUP_STATUS, _GROUP_ARCHIVED,
    "Operator group is already archived",
)  # fmt: skip
_OPERATOR_CARD = _Card(
    OPERATOR, "operator", _OPERATOR_STATUS, _OPERATOR_ARCHIVED, "Operator is already archived"
)
_BRANCH_CARD = _Card(
    BRANCH, "branch", _BRANCH_STATUS, _BRANCH_ARCHIVED, "branch is already archived"
)


def _archive(card: _Card) -> Handler:
    """``…/id/{id}/archive`` of ``card``: the archiving reason from the optional body."""

    async def archive(request: Request, site: Site) -> Response:
        row = _path_row(site, request, card.table, card.label)
        reason = _archiving_reason(site, await _optional_body(request))
        if row["status"] == card.archived:
            raise LegacyError(400, card.twice)
        if card.table == OPERATOR and row.get("loginName") == request.scope.get("user"):
            raise LegacyError(400, "Can not archive yourself")
        changes = {"status": card.archived, "_archivingReason": site.ref(reason)}
        row = site.merge(card.table, row["id"], changes | _stamp(site, request, created=False))
        return respond(request, public(row))

    return archive


def _unarchive(card: _Card) -> Handler:
    """``…/id/{id}/unarchive`` of ``card``."""

    async def unarchive(request: Request, site: Site) -> Response:
        row = _path_row(site, request, card.table, card.label)
        changes = {"status": card.active, "_archivingReason": None}
        row = site.merge(card.table, row["id"], changes | _stamp(site, request, created=False))
        return respond(request, public(row))

    return unarchive


# ---------------------------------------------------------------------------- departments


def _department_row(site: Site, request: Request) -> Row:
    raw = request.path_params["id"]
    row = site.get(DEPARTMENT, raw)
    if row is None:
        raise LegacyError(404, "Not found")
    return row


async def list_departments(request: Request, site: Site) -> Response:
    rows = [row for row in site.rows(DEPARTMENT) if not row.get("_archived")]
    return respond(request, [_entry(row) for row in _external_filter(request, rows)])


async def create_department(request: Request, site: Site) -> Response:
    body = _object(await json_body(request))
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _missing("name")
    if len(name) > 100:
        raise LegacyError(400, "The field name is too long.")
    with site.lock:
        if site.named(DEPARTMENT, name) is not None:
            raise LegacyError(400, f"Department with name '{name}' already exists.")
        row = site.insert(
            DEPARTMENT,
            {"name": name, "externalLinks": _external_link(body.get("externalLink"))},
        )
    return respond(request, _entry(row), 201)


async def rename_department(request: Request, site: Site) -> Response:
    row = _department_row(site, request)
    body = _object(await json_body(request))
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _missing("name")
    with site.lock:
        clash = site.named(DEPARTMENT, name)
        if clash is not None and clash["id"] != row["id"]:
            raise LegacyError(400, f"Department with name '{name}' already exists.")
        row = site.merge(DEPARTMENT, row["id"], {"name": name})
    # The spec declares this answer as an array of one entry.
    return respond(request, [_entry(row)])


async def archive_department(request: Request, site: Site) -> Response:
    row = _department_row(site, request)
    if row.get("_archived"):
        raise BareError(400, "already_archived", "id")
    return respond(request, _entry(site.merge(DEPARTMENT, row["id"], {"_archived": True})))


async def unarchive_department(request: Request, site: Site) -> Response:
    row = _department_row(site, request)
    return respond(request, _entry(site.merge(DEPARTMENT, row["id"], {"_archived": False})))


async def delete_department(request: Request, site: Site) -> Response:
    row = _department_row(site, request)
    used = any(
        (card.get("department") or {}).get("id") == row["id"]
        for table in (OPERATOR, PERSON)
        for card in site.rows(table)
    )
    if used:
        raise LegacyError(
            409, "The searchlist is still referenced by other cards and cannot be deleted."
        )
    site.delete(DEPARTMENT, row["id"])
    return no_content()


_OG, _OP, _BR = f"{API}/operatorgroups", f"{API}/operators", f"{API}/branches"
_PERSONS = (PERSON_V2, JSON)

ENDPOINTS = [
    Endpoint(_OG, ("GET",), list_operator_groups),
    Endpoint(_OG, ("POST",), create_operator_group),
    Endpoint(f"{_OG}/lookup", ("GET",), operator_group_lookup),
    Endpoint(f"{_OG}/id/{{id}}", ("GET",), get_operator_group),
    Endpoint(f"{_OG}/id/{{id}}", ("PUT", "PATCH"), update_operator_group),
    Endpoint(f"{_OG}/id/{{id}}/archive", ("PUT", "PATCH"), _archive(_GROUP_CARD)),
    Endpoint(f"{_OG}/id/{{id}}/unarchive", ("PUT", "PATCH"), _unarchive(_GROUP_CARD)),
    Endpoint(f"{_OG}/id/{{id}}/operators", ("GET",), group_operators),
    Endpoint(_OP, ("GET",), list_operators),
    Endpoint(_OP, ("POST",), create_operator),
    Endpoint(f"{_OP}/current", ("GET",), current_operator),
    Endpoint(f"{_OP}/id/{{id}}", ("GET",), get_operator),
    Endpoint(f"{_OP}/id/{{id}}", ("PUT", "PATCH"), update_operator),
    Endpoint(f"{_OP}/id/{{id}}/archive", ("PUT", "PATCH"), _archive(_OPERATOR_CARD)),
    Endpoint(f"{_OP}/id/{{id}}/unarchive", ("PUT", "PATCH"), _unarchive(_OPERATOR_CARD)),
    Endpoint(f"{_OP}/id/{{id}}/operatorgroups", ("GET",), operator_groups_of),
    Endpoint(f"{_OP}/id/{{id}}/operatorgroups", ("POST",), link_operator_groups),
    Endpoint(f"{_OP}/id/{{id}}/operatorgroups", ("DELETE",), unlink_operator_groups),
    Endpoint(
        f"{_OP}/free_fields/{{tab}}/searchlists/{{searchlist}}", ("GET",), list_operator_free_field
    ),
    Endpoint(
        f"{_OP}/free_fields/{{tab}}/searchlists/{{searchlist}}",
        ("POST",),
        create_operator_free_field,
    ),
    Endpoint(f"{API}/persons", ("GET",), list_persons, produces=_PERSONS),
    Endpoint(f"{API}/persons", ("POST",), create_person, produces=(PERSON_ONE_V2, JSON)),
    Endpoint(f"{API}/persons/{{id}}", ("GET",), get_person, produces=(PERSON_ONE_V2, JSON)),
    Endpoint(_BR, ("GET",), list_branches),
    Endpoint(_BR, ("POST",), create_branch),
    Endpoint(f"{_BR}/lookup", ("GET",), branch_lookup),
    Endpoint(f"{_BR}/id/{{id}}", ("GET",), get_branch),
    Endpoint(f"{_BR}/id/{{id}}", ("PUT", "PATCH"), update_branch),
    Endpoint(f"{_BR}/id/{{id}}/archive", ("PUT", "PATCH"), _archive(_BRANCH_CARD)),
    Endpoint(f"{_BR}/id/{{id}}/unarchive", ("PUT", "PATCH"), _unarchive(_BRANCH_CARD)),
    Endpoint(f"{API}/departments", ("GET",), list_departments),
    Endpoint(f"{API}/departments", ("POST",), create_department),
    Endpoint(f"{API}/departments/id/{{id}}", ("PATCH",), rename_department),
    Endpoint(f"{API}/departments/id/{{id}}", ("DELETE",), delete_department),
    Endpoint(f"{API}/departments/id/{{id}}/archive", ("PATCH",), archive_department),
    Endpoint(f"{API}/departments/id/{{id}}/unarchive", ("PATCH",), unarchive_department),
]
