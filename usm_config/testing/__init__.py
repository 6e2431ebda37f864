"""Test kit for usm-config adapters: the conformance suite and the harness it drives.

``from usm_config.testing import AdapterConformance`` and subclass it (see
:mod:`usm_config.testing.conformance`). This package imports pytest, which usm-config does not
depend on: only test suites import it.
"""

from usm_config.testing.conformance import AdapterConformance
from usm_config.testing.edits import with_renamed, without_services
from usm_config.testing.harness import (
    Harness,
    counts,
    described,
    duplicates,
    quick_sleep,
    steps,
    with_emulator,
)

__all__ = [
    "AdapterConformance",
    "Harness",
    "counts",
    "described",
    "duplicates",
    "quick_sleep",
    "steps",
    "with_emulator",
    "with_renamed",
    "without_services",
]
