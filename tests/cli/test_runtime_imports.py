"""pytest is a test dependency only: nothing but usm_config.testing imports it."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import usm_config

TEST_ONLY = ("pytest", "hypothesis", "respx")


def runtime_modules() -> list[str]:
    """Every module of the usm_config package except the test kit."""
    return sorted(
        info.name
        for info in pkgutil.walk_packages(usm_config.__path__, "usm_config.")
        if not info.name.startswith("usm_config.testing")
    )


def test_the_runtime_modules_import_no_test_library() -> None:
    modules = runtime_modules()
    assert {"usm_config.cli", "usm_config.runner", "usm_config.adapter"} <= set(modules)
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in {TEST_ONLY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_test_kit_is_importable_by_name() -> None:
    from usm_config.testing import AdapterConformance, Harness

    assert AdapterConformance.__module__ == "usm_config.testing.conformance"
    assert Harness.__module__ == "usm_config.testing.harness"
    assert not AdapterConformance.__name__.startswith("Test"), "pytest would collect the base"
