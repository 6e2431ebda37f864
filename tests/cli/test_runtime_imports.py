"""What the runtime imports: no test library, and on a plan's path no library it does not use."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_plan_apply_cli import Workspace

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


def test_a_plan_in_a_pipeline_imports_no_library_it_does_not_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real ``usm-config plan`` with stderr a pipe, as in CI: rich only draws on terminals,
    ruamel.yaml only reads files libyaml cannot vouch for (and export's round trip), and httpx's
    own command line (which imports rich and pygments) is never run. Together they were a
    sixth of every command's start-up."""
    monkeypatch.chdir(tmp_path)
    Workspace(tmp_path, flow=False)
    script = (
        "import sys\n"
        "from usm_config.cli import main\n"
        "try:\n"
        "    main(['plan', 'tiny.yaml'])\n"
        "finally:\n"
        "    print('imported:', *sorted(n for n, m in sys.modules.items() if m is not None))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "to create" in done.stdout
    imported = set(done.stdout.rsplit("imported:", 1)[1].split())
    assert {"usm_config.commands.target", "httpx", "yaml", "usm_servicenow.adapter"} <= imported
    unused = ("rich", "pygments", "ruamel", "httpx._main")
    assert sorted(name for name in unused if name in imported) == []
