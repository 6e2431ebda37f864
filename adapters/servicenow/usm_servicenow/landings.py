"""How the blueprint elements ServiceNow gets no record of their own for land (pure).

The fidelity report of ``usm-config migrate`` asks every adapter where each element goes. Most
become records; these do not, each for its reason: Improve steps that use a problem state the
instance has out of the box (its value, never relabelled: the step is shown under the
platform's label, which the report says), the steps of the processes whose
tickets keep the platform's own states, profiles, internal customers, and the risk matrix.
"""

from __future__ import annotations

from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.usm import ProcessId
from usm_config.compile.wording import named
from usm_config.export.fidelity import Explanation
from usm_servicenow.sandbox_baseline import platform_choices
from usm_servicenow.values import STATE_TABLES, state_values

#: Where the processes without a USM state set live in ServiceNow.
_OWN_STATES = {
    ProcessId.AGREE: "ServiceNow has no ticket of its own for wishes",
    ProcessId.RECOVER: "incidents keep the platform's own states",
    ProcessId.OPERATE: "requested items and catalog tasks keep the platform's own states",
}
_ARTICLES = "its steps are described in the knowledge article of each workflow that takes it"


def landings(bp: Blueprint) -> dict[str, Explanation]:
    """Blueprint path → how the element lands, for the elements without a record of their
    own and for the steps shown under a platform state's label."""
    out: dict[str, Explanation] = {}
    for i, process in enumerate(bp.processes):
        if process.id in _OWN_STATES:
            why = f"{_OWN_STATES[process.id]}; {_ARTICLES}"
            out[f"processes[{i}]"] = Explanation("not representable", why)
            for j in range(len(process.steps)):
                out[f"processes[{i}].steps[{j}]"] = Explanation("not representable", why)
            continue
        if process.id not in STATE_TABLES:
            continue
        table = STATE_TABLES[process.id][0]
        labels = platform_choices().get((table, "state"), {})
        states = state_values(process.id, [s.key for s in process.steps])
        for j, ((value, platform), step) in enumerate(zip(states, process.steps, strict=True)):
            if platform:
                label = labels.get(value, value)
                why = f"the platform's {table}.state {value} '{label}', as it is"
                name = named(bp, step)
                changed = "" if label.casefold() == name.casefold() else f"shown as '{label}'"
                out[f"processes[{i}].steps[{j}]"] = Explanation("API record", why, changed)
    for i in range(len(bp.profiles)):
        out[f"profiles[{i}]"] = Explanation(
            "not representable",
            "ServiceNow roles are security configuration; the profile is named in the "
            "knowledge articles' RACI tables",
        )
    for i, customer in enumerate(bp.customers):
        if customer.kind == "internal":
            out[f"customers[{i}]"] = Explanation(
                "not representable",
                "only external customers become companies; an internal customer is named in "
                "its services' offerings",
            )
    if bp.classification is not None:
        out["classification.risk"] = Explanation(
            "not representable",
            "ServiceNow's problem records have no risk matrix; Improve's risk levels are not "
            "written",
        )
    return out
