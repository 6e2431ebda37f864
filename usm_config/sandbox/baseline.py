"""The JSON data files an adapter ships (an emulator's out-of-box records, a tool's templates)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from usm_config.sandbox.store import RecordStore


@cache
def package_data(package: str, name: str) -> dict[str, Any]:
    """``<package>/data/<name>``, parsed once (shared; do not mutate)."""
    text = resources.files(package).joinpath("data", name).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def seed_tables(store: RecordStore, data: Mapping[str, Any]) -> None:
    """Insert every row of ``data["tables"]`` (table name → rows) under its own id: the field
    ``data["keys"]`` names for its table, else ``id``."""
    keys: Mapping[str, str] = data.get("keys", {})
    for table, rows in data["tables"].items():
        key = keys.get(table, "id")
        for row in rows:
            store.insert(table, dict(row), str(row[key]))
