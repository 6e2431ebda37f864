"""What a new ServiceNow instance holds before usm-config writes anything.

The records live in ``usm_servicenow/data/instance-baseline.json``: ``tables`` (table name →
rows as the instance stores them, every value a string), ``extends`` (child table → parent
table, the ``sys_db_object`` hierarchy), ``columns`` (columns of the parent tables that no
baseline row shows) and ``_source`` (where each part comes from). :func:`seed` is the record
store's seeding hook: it runs once on a fresh database and after a reset.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from usm_config.sandbox.baseline import package_data

if TYPE_CHECKING:
    from usm_config.sandbox.store import RecordStore

__all__ = ["BASELINE_FILE", "SEEDED_ON", "TableTree", "baseline", "platform_choices", "seed"]

BASELINE_FILE = "instance-baseline.json"
#: sys_created_on / sys_updated_on of every out-of-box record.
SEEDED_ON = "2024-01-01 00:00:00"


def baseline() -> dict[str, Any]:
    """The parsed baseline data file (shared; do not mutate)."""
    return package_data("usm_servicenow", BASELINE_FILE)


def seed(store: RecordStore) -> None:
    """Insert every baseline row with the sys fields an instance gives it."""
    for table, rows in baseline()["tables"].items():
        for row in rows:
            store.insert(
                table,
                {
                    **row,
                    "sys_class_name": table,
                    "sys_created_on": SEEDED_ON,
                    "sys_created_by": "system",
                    "sys_updated_on": SEEDED_ON,
                    "sys_updated_by": "system",
                    "sys_mod_count": "0",
                },
            )


@cache
def platform_choices() -> dict[tuple[str, str], dict[str, str]]:
    """``(table, element)`` → ``{value: label}`` of the base system's choice lists."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for row in baseline()["tables"].get("sys_choice", []):
        if not row["dependent_value"]:
            out.setdefault((row["name"], row["element"]), {})[row["value"]] = row["label"]
    return out


class TableTree:
    """The table hierarchy: which tables extend which (``sys_db_object.super_class``)."""

    def __init__(self, extends: Mapping[str, str], columns: Mapping[str, list[str]]) -> None:
        self.parent = dict(extends)
        self.declared = {table: tuple(names) for table, names in columns.items()}

    @classmethod
    def from_baseline(cls) -> TableTree:
        """The hierarchy of the baseline data file."""
        data = baseline()
        return cls(data["extends"], data["columns"])

    def ancestors(self, table: str) -> list[str]:
        """The parent tables of ``table``, nearest first."""
        out = []
        while table in self.parent:
            table = self.parent[table]
            out.append(table)
        return out

    def family(self, table: str) -> list[str]:
        """``table`` and every table that extends it, directly or not."""
        out = [table]
        for child, parent in self.parent.items():
            if parent == table:
                out.extend(self.family(child))
        return out

    def tables(self) -> set[str]:
        """Every table the hierarchy names."""
        return {*self.parent, *self.parent.values(), *self.declared}
