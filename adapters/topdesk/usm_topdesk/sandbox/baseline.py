"""What a new TOPdesk tenant holds before anyone configures it.

The records live in ``usm_topdesk/data/sandbox_baseline.json`` (``tables``: table name → rows
in the shape the site stores them; ``_source``: where each table's values come from, and which
are the sandbox's own assumptions). :func:`seed` is the record store's seeding hook: it runs
once on a fresh database and after a reset.
"""

from __future__ import annotations

from typing import Any

from usm_config.sandbox.baseline import package_data, seed_tables
from usm_config.sandbox.store import RecordStore

__all__ = ["BASELINE_FILE", "baseline", "seed"]

BASELINE_FILE = "sandbox_baseline.json"


def baseline() -> dict[str, Any]:
    """The parsed baseline data file (shared; do not mutate)."""
    return package_data("usm_topdesk", BASELINE_FILE)


def seed(store: RecordStore) -> None:
    """Insert every baseline row under its own id."""
    seed_tables(store, baseline())
