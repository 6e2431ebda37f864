"""The ServiceNow adapter passes the shared adapter conformance suite (tests/conformance)."""

from __future__ import annotations

from pathlib import Path

from suite import AdapterConformance

# In CI the shared/ folder (vendor API descriptions) sits beside the checkout.
TABLE_API_SPEC = Path(__file__).resolve().parents[3] / ".." / "shared/specs/servicenow/table.json"


class TestServiceNowConformance(AdapterConformance):
    adapter_name, spec_path = "servicenow", TABLE_API_SPEC.resolve()
