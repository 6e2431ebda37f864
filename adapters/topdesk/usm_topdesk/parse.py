"""TOPdesk's answers → records: one pure parser per list, as tables where the list is plain.

A reference field holds the tool's id here (``branch`` of an operator group, ``category`` of
a subcategory, ``service`` of an SLA service level); the engine turns ids into natural keys.
Archived rows are left out: for usm-config an archived record is a deleted one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import JsonValue

from usm_config.engine.records import Record
from usm_config.http import json_kind
from usm_topdesk.mapping import TASKS
from usm_topdesk.values import OWNER, link_owner

Parser = Callable[[list[Any]], list[Record]]


def _id(value: Any) -> str:
    """The id of a ``{id, name}`` reference, or ``""``."""
    return str(value.get("id") or "") if isinstance(value, dict) else ""


def _live(rows: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for row in rows:
        if not isinstance(row, dict):
            # Left out, the row would be planned as missing and created a second time.
            raise ValueError(f"a row is {json_kind(row)} where TOPdesk documents objects")
        if row.get("archived") is True:
            continue
        # A card archived by status says ``archived`` or ``<card>Archived`` (operator groups,
        # operators and branches, supporting files 2.7.11); a FIQL query lists them too.
        if str(row.get("status") or "").lower().endswith("archived"):
            continue
        yield row


def _record(kind: str, row: Mapping[str, Any], fields: dict[str, JsonValue]) -> Record:
    return Record(kind=kind, key=(), fields=fields, target_id=str(row["id"]))


def named(kind: str, field: str = "name", source: str = "name") -> Parser:
    """A parser of ``{id, <source>}`` rows into records of ``kind`` holding ``field``."""

    def parse(rows: list[Any]) -> list[Record]:
        return [_record(kind, row, {field: str(row.get(source) or "")}) for row in _live(rows)]

    return parse


def parse_departments(rows: list[Any]) -> list[Record]:
    """Departments by name, with the owner their ``externalLinks`` mark, if any."""
    records = []
    for row in _live(rows):
        fields: dict[str, JsonValue] = {"name": str(row.get("name") or "")}
        owner = link_owner(row.get("externalLinks"))
        if owner is not None:
            fields[OWNER] = owner
        records.append(_record("department", row, fields))
    return records


def parse_branches(rows: list[Any]) -> list[Record]:
    """Branches by name."""
    return [
        _record(
            "branch",
            row,
            {"name": str(row.get("name") or "")},
        )
        for row in _live(rows)
    ]


def parse_operator_groups(rows: list[Any]) -> list[Record]:
    """Operator groups: name, branch, contact e-mail and the task flags usm-config sets."""
    records = []
    for row in _live(rows):
        contact = row.get("contact") if isinstance(row.get("contact"), dict) else {}
        fields: dict[str, JsonValue] = {
            "groupName": str(row.get("groupName") or ""),
            "branch": _id(row.get("branch")),
            "email": str((contact or {}).get("email") or ""),
        }
        fields.update({flag: bool(row.get(flag)) for flag in TASKS.values()})
        records.append(_record("operator_group", row, fields))
    return records


def _translation(row: Mapping[str, Any]) -> dict[str, Any]:
    found = row.get("translation")
    return found if isinstance(found, dict) else {}


def _content(row: Mapping[str, Any]) -> dict[str, Any]:
    content = _translation(row).get("content")
    return content if isinstance(content, dict) else {}


def parse_folders(
    rows_by_language: Mapping[str, list[Any]],
) -> tuple[list[Record], dict[str, str]]:
    """Knowledge base folders, each by its title in the first language it is listed in, and
    that language by folder id (TOPdesk lists a folder only in the languages it has a title
    in; usm-config writes one, in the organisation's language)."""
    records: dict[str, Record] = {}
    languages: dict[str, str] = {}
    for language, rows in rows_by_language.items():
        for row in _live(rows):
            if str(row["id"]) in records:
                continue
            title = str(row.get("title") or _content(row).get("title") or "")
            records[str(row["id"])] = _record("knowledge_folder", row, {"title": title})
            languages[str(row["id"])] = language
    return list(records.values()), languages


def parse_knowledge_items(
    rows_by_language: Mapping[str, list[Any]], folder_languages: Mapping[str, str]
) -> list[Record]:
    """Knowledge items, each in its folder's language with its translation into the other.

    TOPdesk lists an item once per language it has content in (read once per language); an
    item usm-config writes lives in a folder titled in the organisation's language, so the
    folder says which language is the item's own and which the translation.
    """
    by_id: dict[str, dict[str, Mapping[str, Any]]] = {}
    for language, rows in rows_by_language.items():
        for row in _live(rows):
            by_id.setdefault(str(row["id"]), {})[language] = row
    records = []
    for translations in by_id.values():
        first = next(iter(translations.values()))
        parent = _id(first.get("parent"))
        language = folder_languages.get(parent, "")
        if language not in translations:
            language = next(iter(translations))
        other = next((lang for lang in rows_by_language if lang != language), "")
        own = _content(translations[language])
        there = _content(translations.get(other, {}))
        fields: dict[str, JsonValue] = {
            "title": str(own.get("title") or ""),
            "folder": parent,
            "language": language,
            "content": str(own.get("content") or ""),
            "translation": {
                "language": other,
                "title": str(there.get("title") or ""),
                "content": str(there.get("content") or ""),
            },
        }
        owner = link_owner(first.get("externalLink"))
        if owner is not None:
            fields[OWNER] = owner
        records.append(_record("knowledge_item", translations[language], fields))
    return records


def parse_categories(rows: list[Any]) -> list[Record]:
    """``/categories`` holds both levels: a row with a ``parent`` is a subcategory."""
    records = []
    for row in _live(rows):
        parent = _id(row.get("parent"))
        name = str(row.get("name") or "")
        if parent:
            records.append(_record("subcategory", row, {"category": parent, "name": name}))
            continue
        records.append(_record("category", row, {"name": name}))
    return records


def parse_slas(rows: list[Any]) -> list[Record]:
    """SLA services (``/incidents/slas``): which contract, service and service level belong
    together."""
    return [
        _record(
            "service_level",
            row,
            {
                "contract": str(row.get("contractName") or ""),
                "service": str(row.get("serviceId") or ""),
            },
        )
        for row in _live(rows)
    ]


#: The plain lists: list name → parser.
PLAIN: Mapping[str, tuple[str, Parser]] = {
    "branch": ("branches", parse_branches),
    "department": ("departments", parse_departments),
    "operator_group": ("operatorgroups", parse_operator_groups),
    "service": ("services", named("service")),
    "call_type": ("call_types", named("call_type")),
    "entry_type": ("entry_types", named("entry_type")),
    "impact": ("impacts", named("impact")),
    "urgency": ("urgencies", named("urgency")),
    "priority": ("priorities", named("priority")),
    "duration": ("durations", named("duration")),
    "processing_status": ("statuses", named("processing_status")),
    "closure_code": ("closure_codes", named("closure_code")),
    "service_window": ("service_windows", named("service_window")),
    "change_template": (
        "change_templates",
        named("change_template", "briefDescription", "briefDescription"),
    ),
    "activity_type": ("activity_types", named("activity_type")),
}
