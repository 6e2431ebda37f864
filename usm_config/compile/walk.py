"""One walk over the blueprint's nesting, and the lookups every mapping needs.

Each generator yields small frozen *visits*: the element, what it hangs under, and its path in
the blueprint (``("services", 0, "agreements", "olas", 1)``), the same path
:func:`~usm_config.blueprint.validation_errors.format_path` and the diagnostics use. Visits come
in blueprint order, so whatever is produced from them is deterministic.

Nesting covered: services → agreements (the service agreement, OLAs, UCs) → response targets;
services → request items; classification categories as trees per call type; schedules → spans
and holidays; and the flat lists (teams, customers, workflows). :func:`overridables` visits
every element that may carry ``x-<adapter>`` settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from usm_config.blueprint.model import (
    Blueprint,
    CallTypeDef,
    Category,
    Customer,
    Locale,
    Overridable,
    Process,
    Profile,
    RequestItem,
    ResponseTarget,
    Schedule,
    Service,
    ServiceAgreement,
    SupportAgreement,
    Team,
    TimeSpan,
    Workflow,
)
from usm_config.blueprint.usm import CallType, ProcessId
from usm_config.compile.wording import name_in, named

Path = tuple[str | int, ...]

# ----------------------------------------------------------------------------- flat lists


@dataclass(frozen=True)
class TeamVisit:
    """A team (internal or supplier) at ``teams[i]``."""

    team: Team
    path: Path


@dataclass(frozen=True)
class CustomerVisit:
    """A customer at ``customers[i]``."""

    customer: Customer
    path: Path


@dataclass(frozen=True)
class WorkflowVisit:
    """A workflow at ``workflows[i]``."""

    workflow: Workflow
    path: Path


def teams(bp: Blueprint) -> Iterator[TeamVisit]:
    """Every team, in blueprint order."""
    for i, team in enumerate(bp.teams):
        yield TeamVisit(team, ("teams", i))


def customers(bp: Blueprint) -> Iterator[CustomerVisit]:
    """Every customer, in blueprint order."""
    for i, customer in enumerate(bp.customers):
        yield CustomerVisit(customer, ("customers", i))


def workflows(bp: Blueprint) -> Iterator[WorkflowVisit]:
    """Every workflow, in blueprint order."""
    for i, workflow in enumerate(bp.workflows):
        yield WorkflowVisit(workflow, ("workflows", i))


# ----------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class SpanVisit:
    """A weekly span of a schedule at ``schedules[i].spans[j]``."""

    schedule: Schedule
    span: TimeSpan
    index: int
    path: Path


@dataclass(frozen=True)
class HolidayVisit:
    """A holiday of a schedule at ``schedules[i].holidays[j]``."""

    schedule: Schedule
    day: date
    index: int
    path: Path


@dataclass(frozen=True)
class ScheduleVisit:
    """A schedule at ``schedules[i]`` with its spans and holidays."""

    schedule: Schedule
    path: Path

    @property
    def spans(self) -> tuple[SpanVisit, ...]:
        """The weekly spans, in order."""
        return tuple(
            SpanVisit(self.schedule, span, j, (*self.path, "spans", j))
            for j, span in enumerate(self.schedule.spans)
        )

    @property
    def holidays(self) -> tuple[HolidayVisit, ...]:
        """The holidays, in order."""
        return tuple(
            HolidayVisit(self.schedule, day, j, (*self.path, "holidays", j))
            for j, day in enumerate(self.schedule.holidays)
        )


def schedules(bp: Blueprint) -> Iterator[ScheduleVisit]:
    """Every schedule, in blueprint order."""
    for i, schedule in enumerate(bp.schedules):
        yield ScheduleVisit(schedule, ("schedules", i))


def schedule_timezone(bp: Blueprint, schedule: Schedule | None) -> str:
    """The IANA time zone ``schedule`` runs in: its own when the blueprint sets one, else the
    organisation's (also when there is no schedule). The model's own default ('UTC') is only a
    default, never a choice the organisation made."""
    if schedule is not None and "timezone" in schedule.model_fields_set:
        return schedule.timezone
    return bp.organisation.timezone


# ----------------------------------------------------------------------------- services


@dataclass(frozen=True)
class ServiceVisit:
    """A service at ``services[i]``."""

    service: Service
    path: Path


class AgreementKind(StrEnum):
    """Which agreement of a service; the value is the key it is written under."""

    SERVICE = "service"
    OLA = "olas"
    UC = "ucs"


@dataclass(frozen=True)
class AgreementVisit:
    """One agreement of a service: its service agreement (SA), an OLA or a UC."""

    kind: AgreementKind
    service: Service
    service_path: Path
    agreement: ServiceAgreement | SupportAgreement
    path: Path

    @property
    def id(self) -> str:
        """The agreement's id."""
        return self.agreement.id

    @property
    def team(self) -> str | None:
        """The team id an OLA or UC binds; ``None`` for the service agreement."""
        return self.agreement.team if isinstance(self.agreement, SupportAgreement) else None

    @property
    def targets(self) -> tuple[TargetVisit, ...]:
        """The agreement's response targets, in order."""
        return tuple(
            TargetVisit(self, target, k, (*self.path, "targets", k))
            for k, target in enumerate(self.agreement.targets)
        )


@dataclass(frozen=True)
class TargetVisit:
    """A response and resolution target of an agreement at ``<agreement>.targets[k]``."""

    agreement: AgreementVisit
    target: ResponseTarget
    index: int
    path: Path


@dataclass(frozen=True)
class RequestVisit:
    """A request item at ``services[i].requests[j]``, with its service."""

    service: Service
    service_path: Path
    item: RequestItem
    path: Path


def services(bp: Blueprint) -> Iterator[ServiceVisit]:
    """Every service, in blueprint order."""
    for i, service in enumerate(bp.services):
        yield ServiceVisit(service, ("services", i))


def service_agreements(visit: ServiceVisit) -> Iterator[AgreementVisit]:
    """The agreements of one service: its service agreement first, then OLAs, then UCs."""
    svc, at = visit.service, visit.path
    sa = svc.agreements.service
    if sa is not None:
        yield AgreementVisit(AgreementKind.SERVICE, svc, at, sa, (*at, "agreements", "service"))
    for kind, listed in (
        (AgreementKind.OLA, svc.agreements.olas),
        (AgreementKind.UC, svc.agreements.ucs),
    ):
        for j, agreement in enumerate(listed):
            yield AgreementVisit(kind, svc, at, agreement, (*at, "agreements", kind.value, j))


def agreements(bp: Blueprint) -> Iterator[AgreementVisit]:
    """Every agreement of every service, service by service."""
    for visit in services(bp):
        yield from service_agreements(visit)


def targets(bp: Blueprint) -> Iterator[TargetVisit]:
    """Every response target of every agreement."""
    for agreement in agreements(bp):
        yield from agreement.targets


def service_requests(visit: ServiceVisit) -> Iterator[RequestVisit]:
    """The request items of one service, in order."""
    for j, item in enumerate(visit.service.requests):
        yield RequestVisit(visit.service, visit.path, item, (*visit.path, "requests", j))


def requests(bp: Blueprint) -> Iterator[RequestVisit]:
    """Every request item of every service."""
    for visit in services(bp):
        yield from service_requests(visit)


# ----------------------------------------------------------------------------- categories


@dataclass(frozen=True)
class CategoryVisit:
    """A category in the tree of one call type.

    ``trail`` holds the names, in the blueprint's locale, from the top-level ancestor down to
    this category; ``label`` joins them as 'Parent / Child'. ``depth`` is 0 for a top-level
    category.
    """

    call_type: CallType
    category: Category
    parent: Category | None
    top: Category
    depth: int
    trail: tuple[str, ...]
    path: Path

    @property
    def name(self) -> str:
        """The category's name in the blueprint's locale."""
        return self.trail[-1]

    @property
    def top_name(self) -> str:
        """The name of its top-level ancestor (itself at depth 0) in the blueprint's locale."""
        return self.trail[0]

    @property
    def label(self) -> str:
        """The names from the top-level ancestor down, e.g. 'Hardware / Laptop'."""
        return " / ".join(self.trail)


def _category_tree(
    lang: Locale,
    call_type: CallType,
    category: Category,
    parent: Category | None,
    top: Category,
    trail: tuple[str, ...],
    path: Path,
) -> Iterator[CategoryVisit]:
    trail = (*trail, name_in(lang, category))
    yield CategoryVisit(call_type, category, parent, top, len(trail) - 1, trail, path)
    for k, child in enumerate(category.children):
        yield from _category_tree(
            lang, call_type, child, category, top, trail, (*path, "children", k)
        )


def categories(bp: Blueprint, call_type: CallType | None = None) -> Iterator[CategoryVisit]:
    """Every category, depth first (a parent before its children), call type by call type.

    With ``call_type``, only that call type's tree.
    """
    if bp.classification is None:
        return
    for ct, tops in bp.classification.categories.items():
        if call_type is not None and ct != call_type:
            continue
        for j, top in enumerate(tops):
            yield from _category_tree(
                bp.organisation.locale,
                ct,
                top,
                None,
                top,
                (),
                ("classification", "categories", ct.value, j),
            )


# ----------------------------------------------------------------------------- settings


class ElementType(StrEnum):
    """The kinds of element that may carry ``x-<adapter>`` settings."""

    BLUEPRINT = "blueprint"
    ORGANISATION = "organisation"
    PROFILE = "profile"
    CUSTOMER = "customer"
    TEAM = "team"
    SCHEDULE = "schedule"
    CALL_TYPE = "call type"
    PROCESS = "process"
    WORKFLOW = "workflow"
    SERVICE = "service"
    AGREEMENT = "agreement"
    REQUEST_ITEM = "request item"
    CLASSIFICATION = "classification"

    @property
    def home(self) -> str:
        """Where elements of this type are written, for hints: 'teams', 'the organisation'."""
        return _HOMES[self]


_HOMES = {
    ElementType.BLUEPRINT: "the blueprint",
    ElementType.ORGANISATION: "the organisation",
    ElementType.PROFILE: "profiles",
    ElementType.CUSTOMER: "customers",
    ElementType.TEAM: "teams",
    ElementType.SCHEDULE: "schedules",
    ElementType.CALL_TYPE: "call types",
    ElementType.PROCESS: "processes",
    ElementType.WORKFLOW: "workflows",
    ElementType.SERVICE: "services",
    ElementType.AGREEMENT: "agreements",
    ElementType.REQUEST_ITEM: "request items",
    ElementType.CLASSIFICATION: "the classification",
}


@dataclass(frozen=True)
class OverridableVisit:
    """An element that may carry ``x-<adapter>`` settings; ``label`` names it in messages
    ("team 'desk'", "the organisation")."""

    type: ElementType
    element: Overridable
    label: str
    path: Path


def overridables(bp: Blueprint) -> Iterator[OverridableVisit]:
    """Every element that may carry ``x-<adapter>`` settings, the blueprint itself first."""
    yield OverridableVisit(ElementType.BLUEPRINT, bp, "the blueprint", ())
    yield OverridableVisit(
        ElementType.ORGANISATION, bp.organisation, "the organisation", ("organisation",)
    )
    listed: tuple[tuple[ElementType, str, Iterable[Profile | Customer | Team | Schedule]], ...] = (
        (ElementType.PROFILE, "profiles", bp.profiles),
        (ElementType.CUSTOMER, "customers", bp.customers),
        (ElementType.TEAM, "teams", bp.teams),
        (ElementType.SCHEDULE, "schedules", bp.schedules),
    )
    for element_type, key, elements in listed:
        for i, element in enumerate(elements):
            yield OverridableVisit(
                element_type, element, f"{element_type} '{element.id}'", (key, i)
            )
    usm: tuple[tuple[ElementType, str, Iterable[CallTypeDef | Process | Workflow]], ...] = (
        (ElementType.CALL_TYPE, "call_types", bp.call_types),
        (ElementType.PROCESS, "processes", bp.processes),
        (ElementType.WORKFLOW, "workflows", bp.workflows),
    )
    for element_type, key, defs in usm:
        for i, definition in enumerate(defs):
            label = f"{element_type} '{definition.id}'"
            yield OverridableVisit(element_type, definition, label, (key, i))
    for visit in services(bp):
        svc = visit.service
        yield OverridableVisit(ElementType.SERVICE, svc, f"service '{svc.id}'", visit.path)
        for agreement in service_agreements(visit):
            yield OverridableVisit(
                ElementType.AGREEMENT,
                agreement.agreement,
                f"agreement '{agreement.id}'",
                agreement.path,
            )
        for request in service_requests(visit):
            yield OverridableVisit(
                ElementType.REQUEST_ITEM, request.item, f"request '{request.item.id}'", request.path
            )
    if bp.classification is not None:
        yield OverridableVisit(
            ElementType.CLASSIFICATION, bp.classification, "the classification", ("classification",)
        )


# ----------------------------------------------------------------------------- lookups


@dataclass(frozen=True)
class Lookups:
    """Elements by id, built once per blueprint with :meth:`of`.

    Lookups never fail: a dangling reference is a blueprint error the checks report, so the
    helpers return ``None`` (or the id itself, for names) and let the mapping carry on.
    """

    teams: Mapping[str, Team]
    schedules: Mapping[str, Schedule]
    customers: Mapping[str, Customer]
    profiles: Mapping[str, Profile]
    processes: Mapping[ProcessId, Process]
    call_types: Mapping[CallType, CallTypeDef]
    #: Priority level id → its display name in the blueprint's locale.
    priority_names: Mapping[str, str]
    #: Priority level id → its rank (1 is handled first).
    priority_ranks: Mapping[str, int]
    #: Per call type: category id → category (at any depth).
    categories: Mapping[CallType, Mapping[str, Category]]
    #: Per call type: its first top-level category (where uncategorised requests go).
    first_category: Mapping[CallType, Category]

    @classmethod
    def of(cls, bp: Blueprint) -> Lookups:
        """The lookups of ``bp``."""
        cls_ = bp.classification
        by_call_type: dict[CallType, dict[str, Category]] = {}
        for visit in categories(bp):
            by_call_type.setdefault(visit.call_type, {})[visit.category.id] = visit.category
        return cls(
            teams={t.id: t for t in bp.teams},
            schedules={s.id: s for s in bp.schedules},
            customers={c.id: c for c in bp.customers},
            profiles={p.id: p for p in bp.profiles},
            processes={p.id: p for p in bp.processes},
            call_types={ct.id: ct for ct in bp.call_types},
            priority_names=(
                {lvl.id: named(bp, lvl) for lvl in cls_.priority.levels} if cls_ else {}
            ),
            priority_ranks={lvl.id: lvl.rank for lvl in cls_.priority.levels} if cls_ else {},
            categories=by_call_type,
            first_category=(
                {ct: tops[0] for ct, tops in cls_.categories.items() if tops} if cls_ else {}
            ),
        )

    def team_name(self, team_id: str | None) -> str | None:
        """The name of team ``team_id``; ``None`` when there is no such team."""
        team = self.teams.get(team_id) if team_id else None
        return team.name if team else None

    def customer_name(self, customer_id: str) -> str:
        """The name of customer ``customer_id``, or the id when there is no such customer."""
        customer = self.customers.get(customer_id)
        return customer.name if customer else customer_id

    def priority_name(self, priority_id: str) -> str:
        """The name of priority level ``priority_id``, or the id when there is none."""
        return self.priority_names.get(priority_id, priority_id)

    def request_category(self, item: RequestItem) -> Category | None:
        """The category a request item belongs to: its own, else its call type's first."""
        call_type = CallType(item.call_type)
        if item.category:
            return self.categories.get(call_type, {}).get(item.category)
        return self.first_category.get(call_type)

    @staticmethod
    def request_team(service: Service, item: RequestItem) -> str | None:
        """The team id that fulfils a request: its own, else the service's first team."""
        return item.team or (service.supported_by[0] if service.supported_by else None)

    @staticmethod
    def first_team(service: Service) -> str | None:
        """The id of the first team that supports ``service``."""
        return service.supported_by[0] if service.supported_by else None
