"""The JSM adapter passes the adapter conformance suite (usm_config.testing).

The emulator checks every request against the Jira platform and JSM OpenAPI documents; the
fault test adds Jira's 409 lock conflicts on workflow, status and scheme writes.
"""

from __future__ import annotations

from pathlib import Path

from usm_config.targets import SandboxKnobs
from usm_config.testing import AdapterConformance

REPO = Path(__file__).resolve().parents[3]
# In CI the shared/ folder (vendor API descriptions) sits beside the checkout.
JIRA_SPECS = REPO.parent / "shared" / "specs" / "jira"


class TestJsmConformance(AdapterConformance):
    adapter_name = "jsm"
    blueprint = REPO / "blueprints" / "examples" / "municipality"
    spec_path = JIRA_SPECS
    flaky_knobs = SandboxKnobs(
        rate_429=0.2,
        rate_5xx=0.1,
        drop_after_commit=0.1,
        rate_409=0.2,
        retry_after_s=0.001,
        seed=20261127,
    )
