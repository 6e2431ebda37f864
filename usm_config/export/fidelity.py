"""Where each blueprint element lands in a target tool: the fidelity report of a migration.

Every element of the (merged) blueprint is looked up among the records the target's adapter
compiles, by the blueprint path each record comes from (``Record.source``): an element that
becomes a record the API writes lands as an **API record**; one whose records are all of kinds
the API cannot write lands as a **manual step**; one without records lands in an **artifact**
when the adapter writes that part of the blueprint to its offline files, and is **not
representable** otherwise. What the export from the source tool could not carry over comes
first, so the report shows everything lost on the way.

What changes on the way is said per element: the adapter names what it renames or merges (a
step that keeps the platform's state and label, categories of two call types that become one
category), and an element whose name appears in none of its records' fields is shown under
another name. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.validation_errors import format_path
from usm_config.compile import walk
from usm_config.compile.wording import named
from usm_config.engine.records import KindSpec, Record
from usm_config.export.model import Finding


class Landing(StrEnum):
    """How a blueprint element arrives in the target tool."""

    RECORD = "API record"
    MANUAL = "manual step"
    ARTIFACT = "artifact"
    NONE = "not representable"


class Explanation(NamedTuple):
    """An adapter's word on one element (see :class:`usm_config.adapter.SupportsLandings`).

    ``landing`` is a :class:`Landing` value for an element without a record of its own, and
    empty for one whose records say how it lands; ``why`` explains the landing; ``changed``
    says what the element becomes on the way (a renamed state, a merged category)."""

    landing: str = ""
    why: str = ""
    changed: str = ""


@dataclass(frozen=True)
class Element:
    """One element of a blueprint: where it is, what it is, and its name."""

    path: str
    what: str
    name: str
    called: str = ""
    """The name its records carry when that is not ``name`` (a category's own name, where
    ``name`` is its trail 'Parent / Child')."""


@dataclass(frozen=True)
class ElementLanding:
    """Where one element lands: how, through which records, and why when it does not."""

    element: Element
    landing: Landing
    records: tuple[str, ...] = ()
    why: str = ""
    changed: str = ""


@dataclass(frozen=True)
class FidelityReport:
    """A migration from one target to another, element by element."""

    source: str
    target: str
    lost_on_export: tuple[Finding, ...]
    elements: tuple[ElementLanding, ...]
    plan_summary: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> tuple[ElementLanding, ...]:
        """The elements that arrive renamed, merged or otherwise changed."""
        return tuple(e for e in self.elements if e.changed)

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
            f"{len(self.changed)} changed on the way; {len(self.lost_on_export)} lost on export"
        )


_AGREEMENT_WHAT = {
    walk.AgreementKind.SERVICE: "service agreement",
    walk.AgreementKind.OLA: "OLA",
    walk.AgreementKind.UC: "UC",
}


def elements(bp: Blueprint) -> Iterator[Element]:
    """Every element of the blueprint, parents before their parts, in blueprint order, named
    in the blueprint's locale."""
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
        name = named(bp, call_type)
        yield Element(format_path(("call_types", i)), "call type", name)
    for i, process in enumerate(bp.processes):
        yield Element(format_path(("processes", i)), "process", named(bp, process))
        for j, step in enumerate(process.steps):
            name = named(bp, step)
            yield Element(format_path(("processes", i, "steps", j)), "process step", name)
    for workflow in walk.workflows(bp):
        name = named(bp, workflow.workflow)
        yield Element(format_path(workflow.path), "workflow", name)
    if bp.classification is not None:
        for category in walk.categories(bp):
            yield Element(format_path(category.path), "category", category.label, category.name)
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


#: The elements whose name the tool shows; an element of another kind (an agreement's id, a
#: matrix) is not looked for by name among its records.
_NAMED = frozenset(
    {
        "customer",
        "team",
        "schedule",
        "service",
        "request item",
        "call type",
        "process step",
        "category",
    }
)


def land(
    bp: Blueprint,
    records: Iterable[Record],
    kinds: Mapping[str, KindSpec],
    *,
    explained: Mapping[str, Explanation] | None = None,
) -> list[ElementLanding]:
    """Where each element of ``bp`` lands among the compiled ``records`` of a target adapter.

    ``explained`` is the adapter's word on elements (see
    :class:`usm_config.adapter.SupportsLandings`); an element it neither has records for nor
    explains is not representable."""
    found = list(elements(bp))
    paths = [e.path for e in found]
    owned: dict[str, list[Record]] = {p: [] for p in paths}
    for record in records:
        owner = _owner(record.source or "", paths)
        if owner is not None:
            owned[owner].append(record)
    told = explained or {}
    out = []
    # The first element of each kind and name with records: a later one with that name and
    # none of its own shares them (Jira's statuses are site-wide, one per name).
    named: dict[tuple[str, str], ElementLanding] = {}
    for element in found:
        mine = owned[element.path]
        addresses = tuple(sorted(r.address for r in mine))
        word = told.get(element.path, Explanation())
        changed = word.changed or _renamed(element, mine)
        name = (element.what, (element.called or element.name).casefold())
        shared = named.get(name) if element.what in _NAMED else None
        if any(kinds[r.kind].operations for r in mine if r.kind in kinds):
            landed = ElementLanding(element, Landing.RECORD, addresses, word.why, changed)
        elif mine:
            why = word.why or "the tool's API cannot write these"
            landed = ElementLanding(element, Landing.MANUAL, addresses, why, changed)
        elif word.landing:
            landed = ElementLanding(element, Landing(word.landing), (), word.why, changed)
        elif shared is not None:
            why = f"one record for every {element.what} of this name"
            changed = f"merged with {shared.element.path}: shares {', '.join(shared.records[:3])}"
            landed = ElementLanding(element, shared.landing, (), why, changed)
        elif _children_land(element.path, paths, owned):
            continue  # a container whose parts land on their own (a process and its steps)
        else:
            why = "the adapter writes no record for it"
            landed = ElementLanding(element, Landing.NONE, (), why, changed)
        if mine:
            named.setdefault(name, landed)
        out.append(landed)
    return out


def _renamed(element: Element, records: Sequence[Record]) -> str:
    """'shown as …' when the element's name is in none of its records' text."""
    if element.what not in _NAMED or not records:
        return ""
    name = (element.called or element.name).casefold()
    for record in records:
        texts = [*record.key, *(v for v in record.fields.values() if isinstance(v, str))]
        if any(name in text.casefold() for text in texts):
            return ""
    main = [r for r in records if r.source == element.path] or list(records)
    shown = next((part for part in main[0].key if part), main[0].address)
    return f"shown as '{shown}'"


def _children_land(path: str, paths: Sequence[str], owned: Mapping[str, list[Record]]) -> bool:
    return any(p != path and p.startswith((path + ".", path + "[")) and owned[p] for p in paths)
