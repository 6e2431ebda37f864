"""How the blueprint elements ServiceNow gets no record of their own for land (pure).

The fidelity report of ``usm-config migrate`` asks every adapter where each element goes. Most
become records; these do not, each for its reason: Improve steps that use a problem state the
instance has out of the box (its value, never relabelled), the steps of the processes whose
tickets keep the platform's own states, profiles, internal customers, and the risk matrix.
"""

from __future__ import annotations

from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.usm import ProcessId
from usm_servicenow.sandbox_baseline import platform_choices
from usm_servicenow.values import STATE_TABLES, state_values

#: Where the processes without a USM state set live in ServiceNow.
_OWN_STATES = {
    ProcessId.AGREE: "ServiceNow has no ticket of its own for wishes",
    ProcessId.RECOVER: "incidents keep the platform's own states",
    ProcessId.OPERATE: "requested items and catalog tasks keep the platform's own states",
}
_ARTICLES = "its steps are described in the knowledge article of each workflow that takes it"


def landings(bp: Blueprint) -> dict[str, tuple[str, str]]:
    """Blueprint path → (landing, why) for the elements without a record of their own."""
    out: dict[str, tuple[str, str]] = {}
    for i, process in enumerate(bp.processes):
        if process.id in _OWN_STATES:
            why = f"{_OWN_STATES[process.id]}; {_ARTICLES}"
            out[f"processes[{i}]"] = ("not representable", why)
            for j in range(len(process.steps)):
                out[f"processes[{i}].steps[{j}]"] = ("not representable", why)
            continue
        if process.id not in STATE_TABLES:
            continue
        table = STATE_TABLES[process.id][0]
        labels = platform_choices().get((table, "state"), {})
        states = state_values(process.id, [s.key for s in process.steps])
        for j, (value, platform) in enumerate(states):
            if platform:
                why = f"the platform's {table}.state {value} '{labels.get(value, value)}', as it is"
                out[f"processes[{i}].steps[{j}]"] = ("API record", why)
    for i in range(len(bp.profiles)):
        out[f"profiles[{i}]"] = (
            "not representable",
            "ServiceNow roles are security configuration; the profile is named in the "
            "knowledge articles' RACI tables",
        )
    for i, customer in enumerate(bp.customers):
        if customer.kind == "internal":
            out[f"customers[{i}]"] = (
                "not representable",
                "only external customers become companies; an internal customer is named in "
                "its services' offerings",
            )
    if bp.classification is not None:
        out["classification.risk"] = (
            "not representable",
            "ServiceNow's problem records have no risk matrix; Improve's risk levels are not "
            "written",
        )
    return out
