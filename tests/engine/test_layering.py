"""The engine depends on nothing above it: not the adapter contract, the runner or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import usm_config.engine

ENGINE = Path(usm_config.engine.__file__).parent
ABOVE = ("usm_config.adapter", "usm_config.runner", "usm_config.commands", "usm_config.cli")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_modules_import_nothing_from_above() -> None:
    modules = sorted(ENGINE.glob("*.py"))
    assert len(modules) > 5
    upward = {
        f"{path.name}: {name}"
        for path in modules
        for name in imported_modules(path)
        if name.startswith(ABOVE)
    }
    assert upward == set()


def test_the_adapter_contract_re_exports_the_engine_contract() -> None:
    from usm_config import adapter
    from usm_config.engine import contract

    for name in contract.__all__:
        assert getattr(adapter, name) is getattr(contract, name)
    assert contract.RecordIO in adapter.Adapter.__mro__
