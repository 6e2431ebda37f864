"""Make the shared adapter conformance suite (``tests/conformance/suite.py``) importable."""

from __future__ import annotations

import sys
from pathlib import Path

CONFORMANCE = str(Path(__file__).resolve().parents[2] / "conformance")
if CONFORMANCE not in sys.path:
    sys.path.insert(0, CONFORMANCE)
