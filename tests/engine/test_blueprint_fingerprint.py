"""A blueprint's fingerprint is that of its whole JSON dump, however its long lists are
dumped: every example blueprint, with every list of models streamed."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import pytest

from usm_config.blueprint.loader import load_blueprint
from usm_config.engine import records
from usm_config.engine.records import LongList, streamed_fingerprint
from usm_config.runner import dump_streamed

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = [
    REPO / "blueprints" / "usm-reference.yaml",
    *sorted(p for p in (REPO / "blueprints" / "examples").iterdir() if p.suffix != ".md"),
]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_streamed_dump_has_the_whole_dumps_fingerprint(path: Path) -> None:
    blueprint = load_blueprint(path).blueprint
    assert blueprint is not None
    whole = streamed_fingerprint(blueprint.model_dump(mode="json", by_alias=True))
    with patch.object(records, "STREAMED", 1):
        streamed = dump_streamed(blueprint)
        assert any(isinstance(value, LongList) for value in streamed.values())
        assert streamed_fingerprint(streamed) == whole
