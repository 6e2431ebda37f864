"""Where each blueprint element lands in a target tool: the fidelity report of a migration.

Every element of the (merged) blueprint is looked up among the records the target's adapter
compiles, by the blueprint path each record comes from (``Record.source``): an element that
becomes a record the API writes lands as an **API record**; one whose records are all of kinds
the API cannot write lands as a **manual step**; one without records lands in an **artifact**
when the adapter writes that part of the blueprint to its offline files, and is **not
representable** otherwise. What the export from the source tool could not carry over comes
first, so the report shows everything lost on the way. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.validation_errors import format_path
from usm_config.compile import walk
from usm_config.engine.records import KindSpec, Record
from usm_config.export.model import Finding


class Landing(StrEnum):
    """How a blueprint element arrives in the target tool."""

    RECORD = "API record"
    MANUAL = "manual step"
    ARTIFACT = "artifact"
    NONE = "not representable"


@dataclass(frozen=True)
class Element:
    """One element of a blueprint: where it is, what it is, and its name."""

    path: str
    what: str
    name: str


@dataclass(frozen=True)
class ElementLanding:
    """Where one element lands: how, through which records, and why when it does not."""

    element: Element
    landing: Landing
    records: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class FidelityReport:
    """A migration from one target to another, element by element."""

    source: str
    target: str
    lost_on_export: tuple[Finding, ...]
    elements: tuple[ElementLanding, ...]
    plan_summary: str = ""
    notes: tuple[str, ...] = field(default=())

    def counts(self) -> Counter[Landing]:
        """Elements per landing."""
        return Counter(e.landing for e in self.elements)

    @property
    def lost(self) -> bool:
        """True when anything does not arrive: lost on export, or not representable."""
        return bool(self.lost_on_export) or any(e.landing == Landing.NONE for e in self.elements)

    def summary(self) -> str:
        """One line with the counts."""
        c = self.counts()
        parts = [f"{c[landing]} {landing.value}" for landing in Landing if c[landing]]
        return (
            f"{len(self.elements)} element(s): {', '.join(parts) or 'none'}; "
            f"{len(self.lost_on_export)} lost on export"
        )


_AGREEMENT_WHAT = {
    walk.AgreementKind.SERVICE: "service agreement",
    walk.AgreementKind.OLA: "OLA",
    walk.AgreementKind.UC: "UC",
}


def elements(bp: Blueprint) -> Iterator[Element]:
    """Every element of the blueprint, parents before their parts, in blueprint order."""
    yield Element("organisation", "organisation", bp.organisation.name)
    for i, profile in enumerate(bp.profiles):
        yield Element(format_path(("profiles", i)), "profile", profile.name)
    for customer in walk.customers(bp):
        yield Element(format_path(customer.path), "customer", customer.customer.name)
    for team in walk.teams(bp):
        yield Element(format_path(team.path), "team", team.team.name)
    for schedule in walk.schedules(bp):
        yield Element(format_path(schedule.path), "schedule", schedule.schedule.name)
    for service in walk.services(bp):
        yield Element(format_path(service.path), "service", service.service.name)
        for agreement in walk.service_agreements(service):
            what = _AGREEMENT_WHAT[agreement.kind]
            yield Element(format_path(agreement.path), what, agreement.id)
        for request in walk.service_requests(service):
            yield Element(format_path(request.path), "request item", request.item.name)
    for i, call_type in enumerate(bp.call_types):
        yield Element(format_path(("call_types", i)), "call type", call_type.name)
    for i, process in enumerate(bp.processes):
        yield Element(format_path(("processes", i)), "process", process.name)
        for j, step in enumerate(process.steps):
            yield Element(format_path(("processes", i, "steps", j)), "process step", step.name)
    for workflow in walk.workflows(bp):
        yield Element(format_path(workflow.path), "workflow", workflow.workflow.name)
    if bp.classification is not None:
        for ct in bp.classification.categories:
            path = format_path(("classification", "categories", ct.value))
            yield Element(path, "categories", ct.value)
        yield Element("classification.priority", "priority matrix", "impact × urgency")
        yield Element("classification.risk", "risk matrix", "effect × likelihood")


def _owner(source: str, paths: Sequence[str]) -> str | None:
    """The most specific element path ``source`` lies in."""
    best = None
    for path in paths:
        if (source == path or source.startswith((path + ".", path + "["))) and (
            best is None or len(path) > len(best)
        ):
            best = path
    return best


def land(
    bp: Blueprint,
    records: Iterable[Record],
    kinds: Mapping[str, KindSpec],
    *,
    explained: Mapping[str, tuple[str, str]] | None = None,
) -> list[ElementLanding]:
    """Where each element of ``bp`` lands among the compiled ``records`` of a target adapter.

    ``explained`` is the adapter's word on elements without a record of their own (see
    :class:`usm_config.adapter.SupportsLandings`); an element neither has nor explains is not
    representable."""
    found = list(elements(bp))
    paths = [e.path for e in found]
    owned: dict[str, list[Record]] = {p: [] for p in paths}
    for record in records:
        owner = _owner(record.source or "", paths)
        if owner is not None:
            owned[owner].append(record)
    told = explained or {}
    out = []
    for element in found:
        mine = owned[element.path]
        addresses = tuple(sorted(r.address for r in mine))
        if any(kinds[r.kind].operations for r in mine if r.kind in kinds):
            out.append(ElementLanding(element, Landing.RECORD, addresses))
        elif mine:
            out.append(
                ElementLanding(
                    element, Landing.MANUAL, addresses, "the tool's API cannot write these"
                )
            )
        elif element.path in told:
            landing, why = told[element.path]
            out.append(ElementLanding(element, Landing(landing), (), why))
        elif _children_land(element.path, paths, owned):
            continue  # a container whose parts land on their own (a process and its steps)
        else:
            out.append(
                ElementLanding(element, Landing.NONE, (), "the adapter writes no record for it")
            )
    return out


def _children_land(path: str, paths: Sequence[str], owned: Mapping[str, list[Record]]) -> bool:
    return any(p != path and p.startswith((path + ".", path + "[")) and owned[p] for p in paths)
