"""Output to a terminal whose encoding lacks a character (a console in cp1252, a latin-1
locale): the character is written as an escape and the command finishes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNIVERSITY = REPO / "blueprints" / "examples" / "university.yaml"


# (An ASCII stream is one click itself treats as misconfigured and writes UTF-8 to.)
@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_a_character_the_terminal_lacks_is_escaped(encoding: str) -> None:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    done = subprocess.run(
        [sys.executable, "-m", "usm_config.cli", "show", str(UNIVERSITY)],
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode(encoding)
    out = done.stdout.decode(encoding)
    assert "agree \\u2192 change \\u2192 operate" in out  # USM's workflow arrow
    assert done.stderr == b""
