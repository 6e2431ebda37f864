"""What the ServiceNow export reads its records with: the instance's records by kind, the
base system's own records told apart, field and reference values, and the adapter's words
matched back. Pure."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from usm_config.blueprint.model import Locale
from usm_config.compile.wording import Wording
from usm_config.engine.records import Record, ref_target
from usm_config.export.live import LiveRecords, field_text
from usm_config.export.text import template_pattern
from usm_servicenow.sandbox_baseline import baseline
from usm_servicenow.values import WORDS

Doc = dict[str, Any]


#: The adapter's phrase ``key`` (:data:`usm_servicenow.values.WORDS`) in a locale.
words = Wording(WORDS).phrase


def match_words(
    key: str, locale: Locale, text: str, strip_dot: bool = False
) -> re.Match[str] | None:
    """``text`` matched against the phrase ``key``, one group per placeholder; with
    ``strip_dot`` the final full stops are left out of both (the placeholder may end in one)."""
    template = words(key, locale)
    if strip_dot:
        template, text = template.rstrip("."), text.rstrip(".")
    return template_pattern(template).match(text)


def ref_key(record: Record, name: str) -> tuple[str, ...] | None:
    """The key of the record reference field ``name`` points at (None when it points at none)."""
    target = ref_target(record.fields.get(name))
    return target[1] if target else None


def ref_name(record: Record, name: str) -> str | None:
    """The last key field (the name) of the record field ``name`` points at."""
    key = ref_key(record, name)
    return key[-1] if key else None


@cache
def _baseline_rows() -> dict[str, dict[str, Any]]:
    """sys_id → the out-of-box row, over every baseline table."""
    return {
        str(row["sys_id"]): row
        for rows in baseline()["tables"].values()
        for row in rows
        if "sys_id" in row
    }


def is_platform(record: Record) -> bool:
    """True for a record the instance had out of the box, unchanged (plain fields compared)."""
    row = _baseline_rows().get(record.target_id or "")
    if row is None:
        return False
    return all(
        str(row.get(name, "") or "") == value
        for name, value in record.fields.items()
        if isinstance(value, str)
    )


class Instance(LiveRecords):
    """The live records by kind, and the findings collected so far."""

    def ours(self, kind: str) -> list[Record]:
        """The records of ``kind`` that are not the base system's own."""
        return [r for r in self.of(kind) if not is_platform(r)]

    def choices(self, table: str, element: str) -> list[Record]:
        """The choices of ``table.element`` (platform's included), in sequence order."""
        rows = [
            r
            for r in self.of("sys_choice")
            if field_text(r, "name") == table and field_text(r, "element") == element
        ]
        return sorted(rows, key=lambda r: (as_int(field_text(r, "sequence")), r.key))


def as_int(text: str, default: int = 0) -> int:
    """``text`` as a number (choice values and sequences are text); ``default`` if it is none."""
    try:
        return int(text)
    except ValueError:
        return default


def is_managed(record: Record, locale: Locale) -> bool:
    """True when ``record``'s description ends with "Managed by usm-config." (in ``locale``)."""
    return field_text(record, "description").strip().endswith(words("managed", locale))
