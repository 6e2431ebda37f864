"""The JSON data files an adapter ships (an emulator's out-of-box records, a tool's templates)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def package_data(package: str, name: str) -> dict[str, Any]:
    """``<package>/data/<name>``, parsed once (shared; do not mutate)."""
    text = resources.files(package).joinpath("data", name).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
