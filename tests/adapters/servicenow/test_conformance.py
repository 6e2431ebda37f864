"""The ServiceNow adapter passes the adapter conformance suite (usm_config.testing)."""

from __future__ import annotations

from pathlib import Path

from support import SPECS

from usm_config.testing import AdapterConformance

REPO = Path(__file__).resolve().parents[3]
# In CI the shared/ folder (vendor API descriptions) sits beside the checkout.
TABLE_API_SPEC = SPECS / "servicenow" / "table.json"


class TestServiceNowConformance(AdapterConformance):
    adapter_name = "servicenow"
    blueprint = REPO / "blueprints" / "examples" / "municipality"
    spec_path = TABLE_API_SPEC
    reference = REPO / "blueprints" / "usm-reference.yaml"
