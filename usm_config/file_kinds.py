"""Which of usm-config's files a document is, by its top-level keys: a blueprint, a targets
file, a saved plan or a lock file. A file given where another kind goes (``apply plan.json``,
``--targets blueprint.yaml``) is then named as what it is, with how to use it, instead of
coming out as a screenful of unknown keys."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum


class FileKind(StrEnum):
    """A kind of file usm-config reads, as an error names it."""

    BLUEPRINT = "a blueprint"
    TARGETS = "a targets file"
    SAVED_PLAN = "a saved plan (from 'plan --out')"
    LOCK = "a lock file (what usm-config manages in a target)"


#: The top-level keys of a blueprint (and of a layer or overlay of one).
BLUEPRINT_KEYS = frozenset(
    {
        "usm", "extends", "omit", "organisation", "profiles", "customers", "teams",
        "schedules", "services", "call_types", "processes", "workflows", "classification",
    }
)  # fmt: skip


def kind_of_document(keys: Collection[str]) -> FileKind | None:
    """The kind of file whose top-level mapping has ``keys``, or ``None`` when they say
    nothing (no key that only one kind of file has)."""
    names = set(keys)
    if "blueprint_fingerprint" in names or {"format_version", "changes"} <= names:
        return FileKind.SAVED_PLAN
    if {"format", "records"} <= names:
        return FileKind.LOCK
    if "targets" in names and not names & BLUEPRINT_KEYS:
        return FileKind.TARGETS
    if names & BLUEPRINT_KEYS and "targets" not in names:
        return FileKind.BLUEPRINT
    return None


__all__ = ["BLUEPRINT_KEYS", "FileKind", "kind_of_document"]
