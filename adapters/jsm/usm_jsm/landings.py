"""How the blueprint elements JSM gets no record of their own for land (pure).

Workflows and profiles are written to the workflow guide artifact. Agreements become SLA
metrics, one pair (response, resolution) per agreement kind and team, with a goal per target:
the metrics carry the first such agreement, and every later one of that kind and team merges
into them as goals (the report says which it merged with). Process steps with one name share
Jira's site-wide status; :func:`usm_config.export.fidelity.land` sees that by itself.
"""

from __future__ import annotations

from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.validation_errors import format_path
from usm_config.compile import walk
from usm_config.export.fidelity import Explanation, Landing
from usm_jsm.kinds import KINDS

_GUIDE = "in the workflow guide (plan --artifacts DIR)"
_METRICS = "one pair of SLA metrics per agreement kind and team, a goal per target"


def landings(bp: Blueprint) -> dict[str, Explanation]:
    """Blueprint path → how the element lands, for workflows, profiles and the agreements
    whose targets become goals of another agreement's SLA metrics."""
    guide = Explanation(Landing.ARTIFACT.value, _GUIDE)
    out = {format_path(("workflows", i)): guide for i in range(len(bp.workflows))}
    out |= {format_path(("profiles", i)): guide for i in range(len(bp.profiles))}
    landing = Landing.RECORD if KINDS["sla"].operations else Landing.MANUAL
    first: dict[tuple[str, str], str] = {}
    for agreement in walk.agreements(bp):
        if not agreement.targets:
            continue
        path = format_path(agreement.path)
        carrier = first.setdefault((agreement.kind.value, agreement.team or ""), path)
        if carrier != path:
            changed = f"merged with {carrier}: its targets are goals of the same SLA metrics"
            out[path] = Explanation(landing.value, _METRICS, changed)
    return out
