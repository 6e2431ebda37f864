"""How the blueprint elements TOPdesk gets no record of their own for land (pure).

The fidelity report of ``usm-config migrate`` asks every adapter where each element goes.
TOPdesk has one category tree of two levels for every module, so categories of several call
types with one name become one category (the report says which they merged with); calls move
through processing statuses, one per USM call status, rather than through a process's steps;
Change's steps are the activities of each workflow's change template; operators are people, so
profiles are only named in the knowledge items' RACI tables.
"""

from __future__ import annotations

from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.usm import ProcessId
from usm_config.blueprint.validation_errors import format_path
from usm_config.compile import walk
from usm_config.export.fidelity import Explanation, Landing
from usm_topdesk.kinds import KINDS

_STATUSES = (
    "TOPdesk calls move through processing statuses, one per USM call status, not through the "
    "process's steps; the steps are described in the knowledge item of each workflow that "
    "takes it"
)
_CHANGE = "an activity of the change template of each workflow through Change (checklist)"
_PROFILE = (
    "TOPdesk operators are people, not roles; the profile is named in the RACI tables of the "
    "workflows' knowledge items"
)
_MERGED = "TOPdesk has one category tree for every module"


def landings(bp: Blueprint) -> dict[str, Explanation]:
    """Blueprint path → how the element lands, for the elements without a record of their
    own (merged categories, steps without a status, profiles)."""
    out: dict[str, Explanation] = {}
    for i in range(len(bp.profiles)):
        out[format_path(("profiles", i))] = Explanation("not representable", _PROFILE)
    for i, process in enumerate(bp.processes):
        if process.id in (ProcessId.OPERATE, ProcessId.IMPROVE):
            continue  # each step is an activity type or a problem status of its own
        if process.id == ProcessId.CHANGE:
            for j in range(len(process.steps)):
                step = format_path(("processes", i, "steps", j))
                out[step] = Explanation(Landing.MANUAL.value, _CHANGE)
            continue
        out[format_path(("processes", i))] = Explanation("not representable", _STATUSES)
        for j in range(len(process.steps)):
            out[format_path(("processes", i, "steps", j))] = Explanation(
                "not representable", _STATUSES
            )
    first: dict[tuple[str, ...], str] = {}
    for visit in walk.categories(bp):
        # A top-level category is one by its name, a deeper one by its top and its trail.
        key = (visit.top.name,) if visit.depth == 0 else (visit.top.name, *visit.trail[1:])
        path = format_path(visit.path)
        if key in first:
            kind = "category" if visit.depth == 0 else "subcategory"
            landing = Landing.RECORD if KINDS[kind].operations else Landing.MANUAL
            changed = f"merged with {first[key]} into one category"
            out[path] = Explanation(landing.value, _MERGED, changed)
        else:
            first[key] = path
    return out
