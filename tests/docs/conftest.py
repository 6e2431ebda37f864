"""Sites built once per test session: the Dutch municipality and the English university."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from usm_config.cli import cli

REPO = Path(__file__).resolve().parents[2]
SITES = {
    "municipality": "blueprints/examples/municipality",
    "university": "blueprints/examples/university.yaml",
}


@pytest.fixture(scope="session")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each example's site, written by ``usm-config docs`` from the repository root."""
    built = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)  # pages show the blueprint's path relative to the working dir
        for name, blueprint in SITES.items():
            out = tmp_path_factory.mktemp(name) / "site"
            result = CliRunner().invoke(cli, ["docs", blueprint, "--out", str(out)])
            assert result.exit_code == 0, result.output
            built[name] = out
    return built
