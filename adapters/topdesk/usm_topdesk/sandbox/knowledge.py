"""The knowledge base after the "explorer migration" (``/services/knowledge-base-v1``;
topdesk.md §3.9, §8.4, §8.8).

Knowledge items and folders have numbers (``KI 0001``, ``KIF 0001``) besides their UUIDs;
every ``{identifier}`` accepts either. Their texts live per language (``translation``); a list
shows only what has content in the requested ``language`` (default ``en``). Lists page with
``start``/``page_size`` (default and most 100), answer ``{item, next}`` with 206 while more
exist, and show only ``id`` and ``number`` unless ``fields`` asks for more. Writes other than
creation answer 204 without a body (§8.8); nothing is deleted, items and folders are archived.
Errors use the ``{"errors": [...]}`` envelope with ``appliesTo`` as a string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from usm_topdesk.sandbox.common import filtered, json_body, no_content, respond, start_page_size
from usm_topdesk.sandbox.errors import CodedError, Problem
from usm_topdesk.sandbox.site import (
    JSON,
    KB_FOLDER,
    KB_ITEM,
    KB_STATUS,
    OPERATOR,
    OPERATOR_GROUP,
    Endpoint,
    Handler,
    Row,
    Site,
    public,
)

__all__ = ["DEFAULT_LANGUAGE", "ENDPOINTS"]

KB = "/services/knowledge-base-v1"
DEFAULT_LANGUAGE = "en"
_LIST_MEDIA = (JSON, "application/x.topdesk-kb-ki-list-v1+json")
_ITEM_TEXTS = ("title", "description", "content", "commentsForOperators", "keywords")
_FOLDER_TEXTS = ("title", "description")
_MODULE = "knowledge-base"


def _problem(status: int, code: str, applies_to: str | None, message: str) -> CodedError:
    return CodedError(status, [Problem(code, applies_to, message)], applies_to_list=False)


def _not_found(what: str) -> CodedError:
    return _problem(404, "not_found", "identifier", f"The {what} could not be found.")


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _problem(400, "invalid_value", None, "The request body must be a JSON object.")
    return body


def _find(site: Site, table: str, identifier: str) -> Row | None:
    return site.get(table, identifier) or site.named(table, identifier, field="number")


def _path_row(site: Site, request: Request, table: str, what: str) -> Row:
    row = _find(site, table, request.path_params["identifier"])
    if row is None:
        raise _not_found(what)
    return row


def _language(request: Request) -> str:
    return request.query_params.get("language") or DEFAULT_LANGUAGE


def _render(row: Row, texts: tuple[str, ...], fields: str | None, language: str) -> dict[str, Any]:
    wanted = {f.strip() for f in (fields or "").split(",") if f.strip()}
    everything = wanted & {"all", "*"}
    shown: dict[str, Any] = {"id": row["id"], "number": row["number"]}
    for key, value in public(row).items():
        if everything or key in wanted:
            shown[key] = value
    translation = row["_translations"].get(language)
    content = (
        {t: translation.get(t, "") for t in texts if everything or t in wanted}
        if translation
        else {}
    )
    if content or "translation" in wanted:
        shown["translation"] = {"language": language, "content": content}
    return shown


def _query_view(row: Row, language: str) -> Row:
    return {**public(row), **(row["_translations"].get(language) or {})}


def _list(request: Request, site: Site, table: str, texts: tuple[str, ...]) -> Response:
    language = _language(request)
    with_language = [row for row in site.rows(table) if language in row["_translations"]]
    views = {row["id"]: row for row in with_language}
    chosen = filtered(
        request,
        [_query_view(row, language) for row in with_language],
        default=lambda view: not view.get("archived"),
        error=lambda message: _problem(400, "invalid_value", "query", message),
    )
    fields = request.query_params.get("fields")
    shown = [_render(views[view["id"]], texts, fields, language) for view in chosen]
    page, status = start_page_size(request, shown, default=100, cap=100)
    if not page:
        return no_content()
    body: dict[str, Any] = {"item": page}
    if status == 206:
        start = int(request.query_params.get("start") or 0) + len(page)
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "start"]
        body["next"] = (
            f"{request.url.replace(query=None)}?{urlencode([*query, ('start', str(start))])}"
        )
    return respond(request, body, status)


def _next_number(site: Site, table: str, prefix: str) -> str:
    numbers = [int(row["number"].split()[-1]) for row in site.rows(table)]
    return f"{prefix} {max(numbers, default=0) + 1:04d}"


def _texts(value: Any, texts: tuple[str, ...], where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _problem(400, "value_mandatory", where, f"'{where}' is mandatory.")
    unknown = sorted(set(value) - set(texts))
    if unknown:
        raise _problem(400, "invalid_value", f"{where}.{unknown[0]}", "Unknown field.")
    if not all(isinstance(v, str) for v in value.values()):
        raise _problem(400, "invalid_value", where, "Texts must be strings.")
    return dict(value)


def _translation(body: Mapping[str, Any], texts: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    translation = body.get("translation")
    if not isinstance(translation, dict) or not translation.get("language"):
        raise _problem(400, "value_mandatory", "translation.language", "A language is mandatory.")
    content = _texts(translation.get("content"), texts, "translation.content")
    if not content.get("title", "").strip():
        raise _problem(400, "value_mandatory", "translation.content.title", "A title is mandatory.")
    return str(translation["language"]), content


def _reference(site: Site, body: Mapping[str, Any], field: str, tables: tuple[str, ...]) -> Any:
    value = body.get(field)
    if value is None:
        return None
    key = value.get("id") or value.get("number") if isinstance(value, dict) else None
    row = next((r for t in tables if key and (r := _find(site, t, str(key)))), None)
    if row is None:
        raise _problem(400, "value_unknown", field, f"The {field} could not be found.")
    if "number" in row:
        return {"id": row["id"], "number": row["number"]}
    return {
        "id": row["id"],
        "name": row.get("name") or row.get("groupName") or row.get("dynamicName"),
    }


def _card_changes(site: Site, body: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise _problem(400, "invalid_value", unknown[0], "Unknown field.")
    changes: dict[str, Any] = {}
    if "parent" in body:
        changes["parent"] = _reference(site, body, "parent", (KB_FOLDER,))
    if "status" in body:
        changes["status"] = _reference(site, body, "status", (KB_STATUS,))
    if "manager" in body:
        changes["manager"] = _reference(site, body, "manager", (OPERATOR, OPERATOR_GROUP))
    if "visibility" in body:
        if not isinstance(body["visibility"], dict):
            raise _problem(400, "invalid_value", "visibility", "Visibility must be an object.")
        changes["visibility"] = body["visibility"]
    if "externalLink" in body:
        link = body["externalLink"]
        if link is not None and (
            not isinstance(link, dict) or not link.get("id") or not link.get("type")
        ):
            raise _problem(
                400, "value_mandatory", "externalLink", "An id and a type are mandatory."
            )
        changes["externalLink"] = link
    return changes


# ---------------------------------------------------------------------------- knowledge items

_ITEM_FIELDS = ("parent", "translation", "visibility", "status", "manager", "externalLink")


async def list_items(request: Request, site: Site) -> Response:
    return _list(request, site, KB_ITEM, _ITEM_TEXTS)


async def create_item(request: Request, site: Site) -> Response:
    body = _object(await json_body(request))
    if not body.get("parent"):
        raise _problem(400, "value_mandatory", "parent", "The parent folder is mandatory.")
    language, content = _translation(body, _ITEM_TEXTS)
    with site.lock:
        changes = _card_changes(
            site, {k: v for k, v in body.items() if k != "translation"}, _ITEM_FIELDS
        )
        now = site.timestamp()
        row = site.insert(
            KB_ITEM,
            {
                "number": _next_number(site, KB_ITEM, "KI"),
                "parent": None,
                "archived": False,
                "visibility": {"sspVisibility": "NOT_VISIBLE"},
                "status": None,
                "manager": None,
                "externalLink": None,
                **changes,
                "creationDate": now,
                "modificationDate": now,
                "_translations": {language: content},
                "_branches": [],
            },
        )
    return respond(request, {"id": row["id"], "number": row["number"]}, 201)


async def get_item(request: Request, site: Site) -> Response:
    row = _path_row(site, request, KB_ITEM, "knowledge item")
    language = _language(request)
    if language not in row["_translations"]:
        raise _not_found("knowledge item")
    return respond(
        request, _render(row, _ITEM_TEXTS, request.query_params.get("fields") or "all", language)
    )


async def _update(
    request: Request, site: Site, table: str, what: str, allowed: tuple[str, ...]
) -> Response:
    row = _path_row(site, request, table, what)
    body = _object(await json_body(request))
    with site.lock:
        changes = _card_changes(site, body, allowed)
        site.merge(table, row["id"], {**changes, "modificationDate": site.timestamp()})
    return no_content()


async def update_item(request: Request, site: Site) -> Response:
    return await _update(
        request,
        site,
        KB_ITEM,
        "knowledge item",
        tuple(f for f in _ITEM_FIELDS if f != "translation"),
    )


def _archiver(table: str, what: str, archived: bool) -> Handler:
    async def handler(request: Request, site: Site) -> Response:
        row = _path_row(site, request, table, what)
        site.merge(table, row["id"], {"archived": archived, "modificationDate": site.timestamp()})
        return no_content()

    return handler


def _translator(table: str, what: str, texts: tuple[str, ...], method: str) -> Handler:
    async def handler(request: Request, site: Site) -> Response:
        row = _path_row(site, request, table, what)
        language = request.path_params["language"]
        translations = dict(row["_translations"])
        if method == "DELETE":
            if language not in translations:
                raise _problem(400, "value_unknown", "language", "No translation in this language.")
            if len(translations) == 1:
                raise _problem(
                    400, "invalid_value", "language", "The last translation cannot be deleted."
                )
            del translations[language]
        else:
            content = _texts(_object(await json_body(request)), texts, "content")
            if method == "POST":
                if language in translations:
                    raise _problem(
                        400, "duplicate_value", "language", "A translation in this language exists."
                    )
                if not content.get("title", "").strip():
                    raise _problem(400, "value_mandatory", "title", "A title is mandatory.")
                translations[language] = content
            else:
                if language not in translations:
                    raise _not_found("translation")
                translations[language] = {**translations[language], **content}
        site.merge(
            table, row["id"], {"_translations": translations, "modificationDate": site.timestamp()}
        )
        return no_content()

    return handler


# ---------------------------------------------------------------------------- folders

_FOLDER_FIELDS = ("parent", "translation", "visibility")


async def list_folders(request: Request, site: Site) -> Response:
    return _list(request, site, KB_FOLDER, _FOLDER_TEXTS)


async def create_folder(request: Request, site: Site) -> Response:
    body = _object(await json_body(request))
    language, content = _translation(body, _FOLDER_TEXTS)
    with site.lock:
        changes = _card_changes(
            site, {k: v for k, v in body.items() if k != "translation"}, _FOLDER_FIELDS
        )
        now = site.timestamp()
        row = site.insert(
            KB_FOLDER,
            {
                "number": _next_number(site, KB_FOLDER, "KIF"),
                "parent": None,
                "archived": False,
                "visibility": {"sspVisibility": "VISIBLE"},
                **changes,
                "creationDate": now,
                "modificationDate": now,
                "_translations": {language: content},
            },
        )
    return respond(request, {"id": row["id"], "number": row["number"]}, 201)


async def get_folder(request: Request, site: Site) -> Response:
    row = _path_row(site, request, KB_FOLDER, "folder")
    fields = request.query_params.get("fields") or "all"
    return respond(request, _render(row, _FOLDER_TEXTS, fields, _language(request)))


async def update_folder(request: Request, site: Site) -> Response:
    allowed = tuple(f for f in _FOLDER_FIELDS if f != "translation")
    return await _update(request, site, KB_FOLDER, "folder", allowed)


# ---------------------------------------------------------------------------- statuses and more


def _status(row: Row) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"]}


async def list_statuses(request: Request, site: Site) -> Response:
    archived = (request.query_params.get("archived") or "false").lower() == "true"
    rows = [row for row in site.rows(KB_STATUS) if bool(row.get("archived")) == archived]
    return respond(request, {"results": [_status(row) for row in rows]})


def _status_name(site: Site, body: Any, other_than: str | None = None) -> str:
    name = _object(body).get("name")
    if not isinstance(name, str) or not name.strip():
        raise _problem(400, "value_mandatory", "name", "A name is mandatory.")
    clash = site.named(KB_STATUS, name)
    if clash is not None and clash["id"] != other_than:
        raise _problem(400, "duplicate_value", "name", "A status with this name already exists.")
    return name


async def create_status(request: Request, site: Site) -> Response:
    body = await json_body(request)
    with site.lock:
        row = site.insert(KB_STATUS, {"name": _status_name(site, body), "archived": False})
    return respond(request, _status(row), 201)


async def rename_status(request: Request, site: Site) -> Response:
    row = site.get(KB_STATUS, request.path_params["identifier"])
    if row is None:
        raise _not_found("knowledge item status")
    body = await json_body(request)
    with site.lock:
        row = site.merge(KB_STATUS, row["id"], {"name": _status_name(site, body, row["id"])})
    return respond(request, _status(row))


def _status_archiver(archived: bool) -> Handler:
    async def handler(request: Request, site: Site) -> Response:
        row = site.get(KB_STATUS, request.path_params["identifier"])
        if row is None:
            raise _not_found("knowledge item status")
        return respond(request, _status(site.merge(KB_STATUS, row["id"], {"archived": archived})))

    return handler


async def explorer_migrated(request: Request, site: Site) -> Response:
    return respond(request, {"migrated": True})


_KI, _KF = f"{KB}/knowledgeItems", f"{KB}/folders"


def _endpoint(
    path: str, method: str, handler: Any, produces: tuple[str, ...] = (JSON,)
) -> Endpoint:
    return Endpoint(path, (method,), handler, produces=produces, module=_MODULE)


ENDPOINTS = [
    _endpoint(f"{KB}/explorer/migrated", "GET", explorer_migrated),
    _endpoint(_KI, "GET", list_items, _LIST_MEDIA),
    _endpoint(_KI, "POST", create_item),
    _endpoint(f"{_KI}/{{identifier}}", "GET", get_item),
    _endpoint(f"{_KI}/{{identifier}}", "PATCH", update_item),
    _endpoint(f"{_KI}/{{identifier}}/archive", "POST", _archiver(KB_ITEM, "knowledge item", True)),
    _endpoint(
        f"{_KI}/{{identifier}}/unarchive", "POST", _archiver(KB_ITEM, "knowledge item", False)
    ),
    *(
        _endpoint(
            f"{_KI}/{{identifier}}/translations/{{language}}",
            m,
            _translator(KB_ITEM, "knowledge item", _ITEM_TEXTS, m),
        )
        for m in ("POST", "PATCH", "DELETE")
    ),
    _endpoint(_KF, "GET", list_folders),
    _endpoint(_KF, "POST", create_folder),
    _endpoint(f"{_KF}/{{identifier}}", "GET", get_folder),
    _endpoint(f"{_KF}/{{identifier}}", "PATCH", update_folder),
    _endpoint(f"{_KF}/{{identifier}}/archive", "POST", _archiver(KB_FOLDER, "folder", True)),
    _endpoint(f"{_KF}/{{identifier}}/unarchive", "POST", _archiver(KB_FOLDER, "folder", False)),
    *(
        _endpoint(
            f"{_KF}/{{identifier}}/translations/{{language}}",
            m,
            _translator(KB_FOLDER, "folder", _FOLDER_TEXTS, m),
        )
        for m in ("POST", "PATCH", "DELETE")
    ),
    _endpoint(f"{KB}/knowledgeItemStatuses", "GET", list_statuses),
    _endpoint(f"{KB}/knowledgeItemStatuses", "POST", create_status),
    _endpoint(f"{KB}/knowledgeItemStatuses/{{identifier}}", "PATCH", rename_status),
    _endpoint(f"{KB}/knowledgeItemStatuses/{{identifier}}/archive", "POST", _status_archiver(True)),
    _endpoint(
        f"{KB}/knowledgeItemStatuses/{{identifier}}/unarchive", "POST", _status_archiver(False)
    ),
]
