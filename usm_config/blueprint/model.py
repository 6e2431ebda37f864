"""The canonical, tool-neutral USM blueprint (pydantic v2).

Every model forbids unknown keys and is frozen; collections are tuples, so a loaded blueprint
cannot change. Adapter-specific settings live under ``x-<adapter>`` keys (for example
``x-servicenow``) on any element that has an ``id``; the canonical part stays tool-neutral.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SerializerFunctionWrapHandler,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)

from usm_config.blueprint.usm import CallStatus, CallType, ProcessId, UsmRole

BLUEPRINT_FORMAT = 1
OVERRIDE_KEY = re.compile(r"^x-[a-z][a-z0-9-]*$")
_OVERRIDES_ALIAS = "x-*"

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$"),
    Field(description="Identifier: lower-case letters, digits and dashes, at most 63 characters."),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Duration = Annotated[
    str,
    StringConstraints(pattern=r"^(\d+d(\d+h)?(\d+m)?|\d+h(\d+m)?|\d+m)$"),
    Field(description="A duration such as '30m', '4h', '2d' or '1d4h30m'."),
]
ClockTime = Annotated[
    str,
    StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"),
    Field(description="A time of day, 'HH:MM' (24-hour clock; '24:00' ends a day)."),
]
RaciCode = Annotated[
    str,
    StringConstraints(pattern=r"^[RACI]{1,4}$"),
    Field(description="One or more of R (responsible), A (accountable), C, I."),
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Channel = Literal["portal", "email", "phone", "chat", "walk-in", "monitoring"]
Lifecycle = Literal["pipeline", "live", "retired"]


@functools.lru_cache(maxsize=1024)
def duration_minutes(value: str) -> int:
    """Convert a blueprint duration ('1d4h30m') to minutes."""
    match = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?", value)
    if not match or not value:
        raise ValueError(f"not a duration: {value!r}")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return (days * 24 + hours) * 60 + minutes


class Strict(BaseModel):
    """Base of every blueprint model: unknown keys are errors and values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _override_schema(schema: dict[str, Any]) -> None:
    schema.get("properties", {}).pop(_OVERRIDES_ALIAS, None)
    schema["patternProperties"] = {
        OVERRIDE_KEY.pattern: {
            "type": "object",
            "description": "Settings for one adapter only, e.g. 'x-servicenow'. The adapter "
            "validates them; other adapters ignore them.",
        }
    }


class Overridable(Strict):
    """An element that may carry adapter-specific overrides under ``x-<adapter>`` keys."""

    model_config = ConfigDict(json_schema_extra=_override_schema)

    overrides: dict[str, dict[str, JsonValue]] = Field(
        default_factory=dict,
        alias=_OVERRIDES_ALIAS,
        description="Adapter-specific settings keyed by adapter name (written as x-<adapter>).",
    )

    @model_validator(mode="before")
    @classmethod
    def _collect_overrides(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if _OVERRIDES_ALIAS in data or "overrides" in data:
            key = _OVERRIDES_ALIAS if _OVERRIDES_ALIAS in data else "overrides"
            raise ValueError(f"'{key}' is not a key; write adapter settings as x-<adapter>")
        found = {str(k)[2:]: v for k, v in data.items() if OVERRIDE_KEY.match(str(k))}
        if not found:
            return data
        rest = {k: v for k, v in data.items() if not OVERRIDE_KEY.match(str(k))}
        rest[_OVERRIDES_ALIAS] = found
        return rest

    @model_serializer(mode="wrap")
    def _flatten_overrides(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        overrides = data.pop(_OVERRIDES_ALIAS, None) or data.pop("overrides", None) or {}
        data.update({f"x-{name}": value for name, value in overrides.items()})
        return data

    def override(self, adapter: str) -> dict[str, JsonValue]:
        """The settings this element carries for ``adapter`` (empty when none)."""
        return self.overrides.get(adapter, {})


#: The languages a blueprint can show its tools.
Locale = Literal["en", "nl"]


class Organisation(Overridable):
    """The organisation whose service management the blueprint describes."""

    id: Id
    name: Text = Field(description="Display name of the organisation.")
    description: Text | None = Field(None, description="What the organisation does.")
    locale: Locale = Field("en", description="Language of names shown in tools.")
    timezone: str = Field("UTC", description="Default IANA time zone, e.g. 'Europe/Amsterdam'.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return _check_timezone(value)


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    # A key naming a folder of the zone database ('Europe') or longer than a file name can be
    # fails with OSError instead of ZoneInfoNotFoundError.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone '{value}'; use an IANA name such as 'Europe/Amsterdam'"
        ) from None
    return value


class Profile(Overridable):
    """A provider role (WHO), mapped to one of USM's profiles where it fits."""

    id: Id
    name: Text = Field(description="Name of the role as the organisation uses it.")
    usm_role: UsmRole | None = Field(None, description="The USM profile this role plays.")
    description: Text | None = Field(None, description="What people in this role do.")


class Customer(Overridable):
    """A party that agrees services with the provider."""

    id: Id
    name: Text = Field(description="Display name of the customer.")
    kind: Literal["internal", "external"] = Field(
        "internal", description="Internal department or external organisation."
    )
    description: Text | None = Field(None, description="Who the customer is.")


class Team(Overridable):
    """A solution team: internal (bound by OLAs) or an external supplier (bound by UCs)."""

    id: Id
    name: Text = Field(description="Display name of the team.")
    kind: Literal["internal", "supplier"] = Field(
        "internal", description="'internal' solution team or external 'supplier'."
    )
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = Field(
        None, description="Address where the team receives work."
    )
    coordinator: Id | None = Field(None, description="Profile id of the team coordinator.")
    description: Text | None = Field(None, description="What the team looks after.")


class TimeSpan(Strict):
    """Recurring hours on a set of weekdays."""

    days: tuple[Weekday, ...] = Field(min_length=1, description="Weekdays the span applies to.")
    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> TimeSpan:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be later than start {self.start}")
        return self


class Schedule(Overridable):
    """Service hours or support hours: when the clock runs."""

    id: Id
    name: Text = Field(description="Display name of the schedule.")
    timezone: str = Field("UTC", description="IANA time zone of the spans.")
    spans: tuple[TimeSpan, ...] = Field(min_length=1, description="Weekly recurring hours.")
    holidays: tuple[date, ...] = Field((), description="Dates on which the schedule is closed.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return _check_timezone(value)


class ResponseTarget(Strict):
    """Response and resolution times agreed for one priority."""

    priority: Id = Field(description="Priority id from the classification.")
    response: Duration = Field(description="Time until the call is accepted.")
    resolution: Duration = Field(description="Time until the call is fulfilled.")


class ServiceAgreement(Overridable):
    """The agreement with the customer (SA): hours, channels, targets, availability."""

    id: Id
    customer: Id = Field(description="Customer id this agreement is made with.")
    service_hours: Id = Field(description="Schedule id of the hours the facility is available.")
    support_hours: Id = Field(description="Schedule id of the hours support is given.")
    channels: tuple[Channel, ...] = Field(
        min_length=1, description="Ways the customer reaches support."
    )
    targets: tuple[ResponseTarget, ...] = Field(
        (), description="Response and resolution targets per priority."
    )
    availability: float | None = Field(
        None, gt=0, le=100, description="Agreed availability in percent during service hours."
    )
    description: Text | None = Field(None, description="What the agreement covers.")


class SupportAgreement(Overridable):
    """An OLA with an internal team or a UC with a supplier."""

    id: Id
    team: Id = Field(description="Team id bound by this agreement.")
    targets: tuple[ResponseTarget, ...] = Field(
        (), description="Response and resolution targets per priority."
    )
    reference: Text | None = Field(None, description="Contract or document reference.")
    description: Text | None = Field(None, description="What the agreement covers.")


class Agreements(Strict):
    """All agreements that support one service."""

    service: ServiceAgreement | None = Field(None, description="The agreement with the customer.")
    olas: tuple[SupportAgreement, ...] = Field((), description="Agreements with internal teams.")
    ucs: tuple[SupportAgreement, ...] = Field((), description="Contracts with suppliers.")


class Facility(Strict):
    """What the service makes available: goods and actions."""

    goods: tuple[Text, ...] = Field((), description="Things made available for use.")
    actions: tuple[Text, ...] = Field((), description="Things done for the customer.")


class RequestItem(Overridable):
    """Something a customer can ask for on a service: a standard service request or wish."""

    id: Id
    name: Text = Field(description="Name shown to the customer.")
    call_type: Literal[CallType.SERVICE_REQUEST, CallType.WISH] = Field(
        CallType.SERVICE_REQUEST, description="'service-request' or 'wish'."
    )
    category: Id | None = Field(None, description="Category id for this call type.")
    team: Id | None = Field(None, description="Team id that fulfils the request.")
    description: Text | None = Field(None, description="What the customer gets.")


class Service(Overridable):
    """A supported facility: goods plus actions, supported according to agreements."""

    id: Id
    name: Text = Field(description="Display name of the service.")
    description: Text | None = Field(None, description="What the service is for.")
    status: Lifecycle = Field("live", description="Lifecycle status.")
    owner: Id | None = Field(None, description="Profile id of the service manager.")
    facility: Facility = Field(default_factory=Facility, description="Goods and actions.")
    supported_by: tuple[Id, ...] = Field((), description="Team ids that support the service.")
    agreements: Agreements = Field(default_factory=Agreements, description="SA, OLAs and UCs.")
    requests: tuple[RequestItem, ...] = Field((), description="Requests customers can make.")


class Level(Strict):
    """One value on a classification scale (impact, urgency, effect, likelihood)."""

    id: Id
    name: Text = Field(description="Display name of the level.")
    name_nl: Text | None = Field(None, description="Dutch name.")


class Rank(Strict):
    """A priority or risk level with its order (1 is most urgent)."""

    id: Id
    name: Text = Field(description="Display name.")
    name_nl: Text | None = Field(None, description="Dutch name.")
    rank: int = Field(ge=1, le=99, description="Order; 1 is handled first.")


class Category(Strict):
    """A category of calls, optionally with sub-categories."""

    id: Id
    name: Text = Field(description="Display name of the category.")
    name_nl: Text | None = Field(None, description="Dutch name.")
    children: tuple[Category, ...] = Field((), description="Sub-categories.")


class Matrix(Strict):
    """A two-dimensional lookup: rows × columns → level."""

    rows: tuple[Level, ...] = Field(min_length=1, description="Row scale, e.g. impact.")
    columns: tuple[Level, ...] = Field(min_length=1, description="Column scale, e.g. urgency.")
    levels: tuple[Rank, ...] = Field(min_length=1, description="Result values.")
    matrix: dict[str, dict[str, str]] = Field(
        description="For every row id, for every column id, the id of the resulting level."
    )


class Classification(Overridable):
    """How calls are categorised and prioritised."""

    categories: dict[CallType, tuple[Category, ...]] = Field(
        default_factory=dict, description="Categories per call type."
    )
    priority: Matrix = Field(description="Impact (rows) × urgency (columns) → priority.")
    risk: Matrix = Field(description="Improve's effect (rows) × likelihood (columns) → risk level.")


class CallTypeDef(Overridable):
    """A call type and the process it starts."""

    id: CallType = Field(description="Which of the five USM call types this is.")
    name: Text = Field(description="English name.")
    name_nl: Text | None = Field(None, description="Dutch name.")
    process: ProcessId = Field(description="The process this call type starts.")
    description: Text | None = Field(None, description="When a call is of this type.")
    description_nl: Text | None = Field(None, description="Dutch description.")


class ProcessStep(Strict):
    """One step of a process."""

    key: Id = Field(description="Stable key of the step (canonical keys come from USM).")
    name: Text = Field(description="English name.")
    name_nl: Text | None = Field(None, description="Dutch name.")
    fork: bool = Field(False, description="True on the step that hands over to another process.")
    description: Text | None = Field(None, description="What happens in the step.")


class Process(Overridable):
    """One of the five USM processes with its ordered steps."""

    id: ProcessId = Field(description="Which of the five USM processes this is.")
    name: Text = Field(description="English name.")
    name_nl: Text | None = Field(None, description="Dutch name.")
    trigger: CallType = Field(description="The call type that starts the process.")
    description: Text | None = Field(None, description="What the process delivers.")
    description_nl: Text | None = Field(None, description="Dutch description.")
    steps: tuple[ProcessStep, ...] = Field(min_length=1, description="Ordered steps.")


class StepRef(Strict):
    """A reference to one step of one process."""

    process: ProcessId = Field(description="The process the step belongs to.")
    step: Id = Field(description="Step key within the process.")


class Activity(Strict):
    """An activity inside a step, with who does what (RACI) and how."""

    id: Id
    name: Text = Field(description="What is done.")
    raci: dict[str, RaciCode] = Field(
        default_factory=dict, description="Profile id → R, A, C and/or I."
    )
    work_instruction: Text | None = Field(None, description="How it is done in the tool.")


class StepTailoring(Strict):
    """How the organisation tailors one step of a workflow."""

    process: ProcessId = Field(description="The process the step belongs to.")
    step: Id = Field(description="Step key within the process.")
    name: Text | None = Field(None, description="Name of the step in this workflow.")
    activities: tuple[Activity, ...] = Field((), description="Activities in this step.")
    work_instruction: Text | None = Field(None, description="How the step is done in the tool.")


class SlaClock(Strict):
    """A clock measured on this workflow against the agreement's targets."""

    id: Id
    name: Text = Field(description="Display name.")
    target: Literal["response", "resolution"] = Field(
        description="Which agreement target the clock is measured against."
    )
    start: StepRef = Field(description="Step whose start starts the clock.")
    stop: StepRef = Field(description="Step whose start stops the clock.")


class SequenceStep(Strict):
    """One step of a workflow's expanded sequence (derived; written by `show`)."""

    position: int = Field(ge=1, description="1-based position in the workflow.")
    process: ProcessId = Field(description="The process the step belongs to.")
    step: Id = Field(description="Step key within its process.")
    number: int = Field(ge=1, description="1-based number of the step within its process.")
    name: Text = Field(description="Name of the step in this workflow.")
    depth: int = Field(ge=0, description="Nesting depth: 0 for the initiating process.")
    fork: bool = Field(False, description="True where the process hands over.")
    status: CallStatus | None = Field(None, description="Status the step sets on its call.")


class Workflow(Overridable):
    """One of the eight USM workflows, possibly tailored by the organisation."""

    id: Id
    number: int = Field(ge=1, le=8, description="USM workflow number, 1 to 8.")
    name: Text = Field(description="English name.")
    name_nl: Text | None = Field(None, description="Dutch name.")
    trigger: CallType = Field(description="The call type that starts the workflow.")
    proactive: bool = Field(False, description="True for the three risk-triggered workflows.")
    path: tuple[ProcessId, ...] = Field(
        min_length=1, description="Processes in nesting order, initiating process first."
    )
    description: Text | None = Field(None, description="When the workflow is used.")
    description_nl: Text | None = Field(None, description="Dutch description.")
    steps: tuple[StepTailoring, ...] = Field((), description="Tailoring of individual steps.")
    sla_clocks: tuple[SlaClock, ...] = Field((), description="Clocks measured on this workflow.")
    sequence: tuple[SequenceStep, ...] = Field(
        (),
        description="Derived, read-only: the expanded step sequence. Recomputed on load.",
        json_schema_extra={"readOnly": True},
    )


#: The sections of a blueprint document, in the order :class:`Blueprint` lists them.
SECTIONS = (
    "organisation",
    "profiles",
    "customers",
    "teams",
    "schedules",
    "services",
    "call_types",
    "processes",
    "workflows",
    "classification",
)
#: The sections that list elements with an ``id``: what a layer may ``omit`` from its bases.
COLLECTIONS = tuple(name for name in SECTIONS if name not in ("organisation", "classification"))


class Blueprint(Overridable):
    """A complete USM blueprint: the organisation's services and its service management."""

    model_config = ConfigDict(
        title="USM blueprint",
        json_schema_extra=_override_schema,
    )

    usm: Literal[1] = Field(description="Blueprint format version; currently 1.")
    extends: Annotated[
        tuple[str, ...],
        # The loader resolves 'extends' before validation and accepts one path or a list.
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "minLength": 1},
                    {"type": "array", "items": {"type": "string", "minLength": 1}},
                ]
            }
        ),
    ] = Field((), description="Blueprint files or directories this one builds on (relative paths).")
    omit: Annotated[
        dict[str, tuple[str, ...]],
        # The loader applies 'omit' while laying a layer over its bases, before validation.
        WithJsonSchema(
            {
                "type": "object",
                "properties": {
                    name: {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "description": f"Ids of {name} to leave out.",
                    }
                    for name in COLLECTIONS
                },
                "additionalProperties": False,
            }
        ),
    ] = Field(
        default_factory=dict,
        exclude=True,
        description="Elements of the blueprints this layer builds on (or, in an overlay, of "
        "the blueprint) to leave out, by collection and id, e.g. {services: [old-intranet]}.",
    )
    organisation: Organisation = Field(
        description="Who the blueprint is for: id, name, language and default time zone."
    )
    profiles: tuple[Profile, ...] = Field((), description="Provider roles.")
    customers: tuple[Customer, ...] = Field((), description="Customers.")
    teams: tuple[Team, ...] = Field((), description="Internal teams and suppliers.")
    schedules: tuple[Schedule, ...] = Field((), description="Service and support hours.")
    services: tuple[Service, ...] = Field((), description="Services (supported facilities).")
    call_types: tuple[CallTypeDef, ...] = Field((), description="The five call types.")
    processes: tuple[Process, ...] = Field((), description="The five USM processes.")
    workflows: tuple[Workflow, ...] = Field((), description="The eight USM workflows.")
    classification: Classification | None = Field(
        None, description="Categories and priority and risk matrices."
    )

    @field_validator("usm", mode="before")
    @classmethod
    def _known_format(cls, value: Any) -> Any:
        # 'usm: true' and 'usm: 1.0' equal 1 in Python, but they are not a format number.
        if type(value) is not int:
            shown = "empty" if value is None else repr(value)
            if isinstance(value, bool):
                shown = str(value).lower()
            raise ValueError(
                f"the blueprint format is a whole number, not {shown}; fix: write "
                f"'usm: {BLUEPRINT_FORMAT}'"
            )
        if value != BLUEPRINT_FORMAT:
            raise ValueError(
                f"unsupported blueprint format {value}; this version reads format "
                f"{BLUEPRINT_FORMAT}"
            )
        return value
