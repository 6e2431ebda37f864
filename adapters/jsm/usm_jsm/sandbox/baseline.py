"""What a new Jira Cloud site with Jira Service Management holds before any project exists.

The records live in ``usm_jsm/data/site-baseline.json`` (``tables``: table name → rows in the
shape the site stores them; ``_source``: where each table's facts come from). :func:`seed` is
the record store's seeding hook: it runs once on a fresh database and after a reset.
"""

from __future__ import annotations

from typing import Any, Protocol

from usm_config.sandbox.baseline import package_data

__all__ = ["BASELINE_FILE", "baseline", "seed"]

BASELINE_FILE = "site-baseline.json"


class _Store(Protocol):
    def insert(self, table: str, row: dict[str, Any], row_id: str | None = None) -> Any: ...


def baseline() -> dict[str, Any]:
    """The parsed baseline data file (shared; do not mutate)."""
    return package_data("usm_jsm", BASELINE_FILE)


def seed(store: _Store) -> None:
    """Insert every baseline row; a table listed under ``keys`` is keyed by that field."""
    data = baseline()
    keys: dict[str, str] = data.get("keys", {})
    for table, rows in data["tables"].items():
        key = keys.get(table, "id")
        for row in rows:
            store.insert(table, dict(row), str(row[key]))
