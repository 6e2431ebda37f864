"""What a new Jira Cloud site with Jira Service Management holds before any project exists.

The records live in ``usm_jsm/data/site-baseline.json`` (``tables``: table name → rows in the
shape the site stores them; ``_source``: where each table's facts come from). :func:`seed` is
the record store's seeding hook: it runs once on a fresh database and after a reset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from usm_config.sandbox.baseline import package_data, seed_tables

if TYPE_CHECKING:
    from usm_config.sandbox.store import RecordStore

__all__ = ["BASELINE_FILE", "baseline", "seed"]

BASELINE_FILE = "site-baseline.json"


def baseline() -> dict[str, Any]:
    """The parsed baseline data file (shared; do not mutate)."""
    return package_data("usm_jsm", BASELINE_FILE)


def seed(store: RecordStore) -> None:
    """Insert every baseline row; a table listed under ``keys`` is keyed by that field."""
    seed_tables(store, baseline())
