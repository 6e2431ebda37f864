"""pytest explains failing assertions of the conformance suite, as it does for test modules;
and a fixture that makes the emulator refuse FIQL queries."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

pytest.register_assert_rewrite("usm_config.testing")


@pytest.fixture
def refuse_queries(monkeypatch: pytest.MonkeyPatch) -> Callable[[ModuleType], None]:
    """Make the lists of an emulator module answer every FIQL ``query`` with 400, as a
    release whose list takes no query on the fields asked for does."""

    def refuse(module: ModuleType) -> None:
        filtered = module.filtered

        def refusing(request: Any, rows: Any, **options: Any) -> Any:
            return filtered(request, rows, **{**options, "fields": ()})

        monkeypatch.setattr(module, "filtered", refusing)

    return refuse
