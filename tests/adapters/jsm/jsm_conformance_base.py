"""What the JSM adapter's conformance runs share: the blueprint, the Jira specs every request is
checked against, and a flaky site that also refuses workflow, status and scheme writes with
409 lock conflicts."""

from __future__ import annotations

from pathlib import Path

from jira_examples import JIRA_SPECS

from usm_config.targets import SandboxKnobs
from usm_config.testing import AdapterConformance

REPO = Path(__file__).resolve().parents[3]


class JsmConformance(AdapterConformance):
    adapter_name = "jsm"
    blueprint = REPO / "blueprints" / "examples" / "municipality"
    spec_path = JIRA_SPECS
    reference = REPO / "blueprints" / "usm-reference.yaml"
    flaky_knobs = SandboxKnobs(
        rate_429=0.2,
        rate_5xx=0.1,
        drop_after_commit=0.1,
        rate_409=0.2,
        retry_after_s=0.001,
        seed=20261127,
    )
