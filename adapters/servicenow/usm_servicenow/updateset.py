"""Render planned writes as an importable ServiceNow update set (XML). Pure.

The file has the shape of an update set exported from an instance ("Export to XML"): an
``<unload>`` holding one ``sys_remote_update_set`` and one ``sys_update_xml`` per record. Each
``sys_update_xml`` carries the record itself as a ``<record_update>`` document in its
``<payload>``, escaped as text. The inner document is rendered first and then escaped by the
outer template, so a value is escaped once per level and survives two parses unchanged.

Nothing here reads a clock or draws a random number: ids derive from names (uuid5) and the
only time in the file is the ``created_on`` the caller passes, so the same input renders the
same bytes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from usm_servicenow.templating import environment

UpdateAction = Literal["INSERT_OR_UPDATE", "DELETE"]

#: Namespace of every id this module derives; changing it changes every generated sys_id.
NAMESPACE = uuid.UUID("0f6c8a52-4f1e-5b7a-9d3c-7e2a1b5c4d60")
AUTHOR = "usm-config"
APPLICATION = "global"

#: Labels ServiceNow shows as an update's type; other tables show their name.
TYPE_LABELS = {
    "chg_model": "Change Model",
    "cmn_schedule": "Schedule",
    "cmn_schedule_span": "Schedule Entry",
    "contract_sla": "SLA Definition",
    "kb_knowledge": "Knowledge",
    "kb_knowledge_base": "Knowledge Base",
    "sc_cat_item": "Catalog Item",
    "sc_catalog": "Catalog",
    "sc_category": "Category",
    "sys_choice": "Choice",
    "sys_dictionary": "Dictionary",
    "sys_user_group": "Group",
}

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_SYS_ID = re.compile(r"^[0-9a-f]{32}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_RESERVED = frozenset({"sys_id", "sys_class_name", "sys_update_name"})


@dataclass(frozen=True)
class UpdateSetChange:
    """One record to write into the update set.

    ``fields`` holds database values as text, with references as the referenced sys_id;
    ``display_values`` optionally gives a reference field's display value, written as the
    ``display_value`` attribute the platform itself exports. ``display_name`` is what the
    update set lists as the update's target.
    """

    table: str
    action: UpdateAction
    sys_id: str
    fields: Mapping[str, str]
    display_name: str
    display_values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Column:
    name: str
    value: str
    display_value: str | None = None


@dataclass(frozen=True)
class _Update:
    sys_id: str
    name: str
    action: str
    payload: str
    payload_hash: str
    target_name: str
    type: str
    guid: str


def derived_id(*parts: str) -> str:
    """A 32-hex sys_id derived from ``parts``: the same parts always give the same id."""
    return uuid.uuid5(NAMESPACE, "\x1f".join(parts)).hex


def record_sys_id(table: str, key: Sequence[str]) -> str:
    """The sys_id a new record of ``table`` with natural ``key`` gets in an update set."""
    return derived_id("record", table, *key)


def update_set_sys_id(name: str) -> str:
    """The sys_id of the update set called ``name``."""
    return derived_id("update-set", name)


def update_name(table: str, sys_id: str) -> str:
    """The platform's default update name of a record: ``<table>_<sys_id>``."""
    return f"{table}_{sys_id}"


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode()`` (over UTF-16 code units), as third-party generators use
    for ``payload_hash``."""
    value = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        value = (31 * value + int.from_bytes(data[i : i + 2], "big")) & 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _check_text(where: str, value: str) -> None:
    bad = _NOT_XML.search(value)
    if bad:
        raise ValueError(
            f"{where} contains the character U+{ord(bad.group()):04X}, which XML cannot carry"
        )


def _check_change(change: UpdateSetChange) -> None:
    if not _NAME.match(change.table):
        raise ValueError(f"'{change.table}' is not a ServiceNow table name")
    if change.action not in ("INSERT_OR_UPDATE", "DELETE"):
        raise ValueError(f"unknown update action '{change.action}'")
    if not _SYS_ID.match(change.sys_id):
        raise ValueError(f"'{change.sys_id}' is not a sys_id (32 lower-case hex digits)")
    _check_text(f"the display name of {change.table} {change.sys_id}", change.display_name)
    for name, value in change.fields.items():
        if not _NAME.match(name):
            raise ValueError(f"'{name}' is not a column name of {change.table}")
        if name in _RESERVED:
            raise ValueError(f"{change.table}.{name} is written by the update set itself")
        _check_text(f"{change.table}.{name}", value)
    for name, value in change.display_values.items():
        if name not in change.fields:
            raise ValueError(f"display value for {change.table}.{name}, which has no value")
        _check_text(f"the display value of {change.table}.{name}", value)


def render_record_update(change: UpdateSetChange) -> str:
    """The ``<record_update>`` document of one change (the text of its ``<payload>``)."""
    _check_change(change)
    values = {
        **change.fields,
        "sys_class_name": change.table,
        "sys_id": change.sys_id,
        "sys_update_name": update_name(change.table, change.sys_id),
    }
    columns = [
        _Column(name, values[name], change.display_values.get(name)) for name in sorted(values)
    ]
    template = environment().get_template("record_update.xml.j2")
    text = template.render(table=change.table, action=change.action, columns=columns)
    return text.rstrip("\n")


def render_update_set(
    changes: Sequence[UpdateSetChange],
    name: str,
    created_on: str,
    description: str = "Generated by usm-config from a USM blueprint.",
) -> bytes:
    """An importable update-set XML file (UTF-8) holding ``changes`` in the order given.

    ``created_on`` is the export time as ``YYYY-MM-DD HH:MM:SS`` (UTC); it is the only
    time written, so the output depends on nothing but the arguments.
    """
    if not _TIMESTAMP.match(created_on):
        raise ValueError(f"created_on must look like 2026-01-31 12:00:00, not '{created_on}'")
    if not name.strip():
        raise ValueError("an update set needs a name")
    _check_text("the update set name", name)
    _check_text("the update set description", description)
    set_id = update_set_sys_id(name)
    updates = []
    for change in changes:
        payload = render_record_update(change)
        update = update_name(change.table, change.sys_id)
        updates.append(
            _Update(
                sys_id=derived_id("update", set_id, update, change.action),
                name=update,
                action=change.action,
                payload=payload,
                payload_hash=str(java_string_hash(payload)),
                target_name=change.display_name,
                type=TYPE_LABELS.get(change.table, change.table),
                guid=derived_id("guid", set_id, update, change.action),
            )
        )
    template = environment().get_template("update_set.xml.j2")
    text = template.render(
        name=name,
        description=description,
        created_on=created_on,
        set_id=set_id,
        local_id=derived_id("local-update-set", name),
        application=APPLICATION,
        author=AUTHOR,
        updates=updates,
    )
    return text.encode("utf-8")


__all__ = [
    "UpdateAction",
    "UpdateSetChange",
    "derived_id",
    "java_string_hash",
    "record_sys_id",
    "render_record_update",
    "render_update_set",
    "update_name",
    "update_set_sys_id",
]
