"""Constants and value formats of the ServiceNow mapping (pure helpers).

Everything an instance user sees follows the blueprint's locale (``en`` or ``nl``): USM's own
names come from the blueprint (``name_nl`` in Dutch, else USM's Dutch wording in
:mod:`usm_config.blueprint.usm`); :data:`WORDS` are the adapter's own phrases around them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import cache

from pydantic import JsonValue

from usm_config.blueprint.model import (
    Blueprint,
    Level,
    Matrix,
    Overridable,
    TimeSpan,
    Workflow,
    duration_minutes,
)
from usm_config.blueprint.usm import CALL_TYPE_NAMES, PROCESSES, CallType, ProcessId
from usm_config.compile import wording
from usm_config.compile.settings import setting as read_setting

ADAPTER = "servicenow"
TOOL = "ServiceNow"
Path = tuple[str | int, ...]
Fields = dict[str, JsonValue]

CRITICALITIES = (
    "1 - most critical",
    "2 - somewhat critical",
    "3 - less critical",
    "4 - not critical",
)
CLASSIFICATIONS = ("Business Service", "Technical Service", "Application Service")
DEFAULT_CRITICALITY = "3 - less critical"
DEFAULT_CLASSIFICATION = "Business Service"

OPERATIONAL_STATUS = {"live": "1", "pipeline": "2", "retired": "6"}
OFFERING_PHASE = {"live": "Catalog", "pipeline": "Pipeline", "retired": "Retired"}
AGREEMENT_TYPE = {"service": "SLA", "olas": "OLA", "ucs": "Underpinning contract"}
STOP_CONDITION = {"response": "state!=1^EQ", "resolution": "stateIN6,7^EQ"}
PAUSE_CONDITION = {"response": "", "resolution": "state=3^EQ"}

#: Where the categories of each call type go: (table, subcategories supported).
CATEGORY_CHOICES: dict[CallType, tuple[str, bool]] = {
    CallType.INCIDENT: ("incident", True),
    CallType.REQUEST_FOR_CHANGE: ("change_request", False),
    CallType.RISK: ("problem", True),
}
CATALOG_CALL_TYPES = (CallType.WISH, CallType.SERVICE_REQUEST)

CHANGE_MODEL = "USM change"
#: USM steps that share the meaning of a base-system state use that state as it is: its
#: value, and its label, which the adapter never changes (servicenow.md §2.3). Step key →
#: state value; the comment is the platform's label.
CHANGE_STATES: dict[str, str] = {
    "accept": "-5",  # New
    "classify": "-4",  # Assess
    "plan": "-3",  # Authorize
    "prepare": "-2",  # Scheduled
    "deploy": "-1",  # Implement
    "review": "0",  # Review
    "close": "3",  # Closed
}
PROBLEM_STATES: dict[str, str] = {
    "identify": "101",  # New
    "classify": "102",  # Assess
    "determine-cause": "103",  # Root Cause Analysis
    "deploy-measure": "104",  # Fix in Progress
    "review": "106",  # Resolved
    "close": "107",  # Closed
}
STATE_TABLES: dict[ProcessId, tuple[str, dict[str, str]]] = {
    ProcessId.CHANGE: ("change_request", CHANGE_STATES),
    ProcessId.IMPROVE: ("problem", PROBLEM_STATES),
}
#: Steps without such a state get a new value in the 900s, which no base-system state list
#: uses (task 1–8, change_request -5–4, problem 101–107): 900 + the step's position. The
#: Improve status "known error" is 900 itself.
USM_STATE_BASE = 900
KNOWN_ERROR_VALUE = str(USM_STATE_BASE)

CALL_TYPE_TABLE = "task"
CALL_TYPE_COLUMN = "u_usm_call_type"

#: Weekly spans start repeating on this Monday; holidays use their own date.
SPAN_ANCHOR = date(2000, 1, 3)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MANAGED = "Managed by usm-config."
WORDS: dict[str, tuple[str, str]] = {
    # key: (en, nl)
    "managed": (MANAGED, "Beheerd door usm-config."),
    "known_error": ("Known error", "Bekende fout"),
    "call_type_column": ("USM call type", "USM-meldingsoort"),
    "catalog": ("{org} services", "Diensten van {org}"),
    "catalog_description": (
        "Service requests and wishes of {org}.",
        "Serviceverzoeken en wensen van {org}.",
    ),
    "knowledge_base": ("{org} workflows", "Workflows van {org}"),
    "knowledge_base_description": (
        "The eight USM workflows of {org}: steps, roles and instructions.",
        "De acht USM-workflows van {org}: stappen, rollen en instructies.",
    ),
    "category": ("{call_type} category: {name}.", "Categorie van {call_type}: {name}."),
    "item": (
        "Part of the service {service}; handled as a {call_type}.",
        "Onderdeel van de dienst {service}; afgehandeld als {call_type}.",
    ),
    "change_model": (
        "The steps of the USM Change process.",
        "De stappen van het USM-proces Wijzigen.",
    ),
    "transition": ("{before} to {after}", "{before} naar {after}"),
    "supplier_group": (
        "Assignment group of the supplier {name}",
        "Toewijzingsgroep van de leverancier {name}",
    ),
    "channels": ("Channels: {items}.", "Kanalen: {items}."),
    "availability": (
        "Availability: {value}% during {hours}.",
        "Beschikbaarheid: {value}% tijdens {hours}.",
    ),
    "service_hours": ("service hours", "de servicetijden"),
    # The last word of an SLA definition's name: its target (contract_sla.target).
    "sla_response": ("response", "reactietijd"),
    "sla_resolution": ("resolution", "oplostijd"),
    "support_hours": ("Support hours: {name}.", "Ondersteuningstijden: {name}."),
}


locale = wording.locale
localised = wording.localised
word = wording.Wording(WORDS).word


def step_name(bp: Blueprint, process: ProcessId, key: str, name: str, name_nl: str | None) -> str:
    """A process step's name in the blueprint's locale (USM's Dutch name when none is given)."""
    canon = next((s.name_nl for s in PROCESSES[process].steps if s.key == key), None)
    return localised(bp, name, name_nl or canon)


def call_type_name(bp: Blueprint, call_type: CallType) -> str:
    """The name of a call type in the blueprint's locale, as the blueprint gives it."""
    defined = next((ct for ct in bp.call_types if ct.id == call_type), None)
    en, nl = CALL_TYPE_NAMES[call_type]
    if defined is None:
        return nl if locale(bp) == "nl" else en
    return localised(bp, defined.name, defined.name_nl or nl)


# ----------------------------------------------------------------------------- value helpers


@cache  # a blueprint repeats a few durations in every agreement's targets
def glide_duration(value: str) -> str:
    """A blueprint duration as glide_duration text: '1d4h' → '1970-01-02 04:00:00'."""
    moment = datetime(1970, 1, 1) + timedelta(minutes=duration_minutes(value))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def days_of_week(days: Iterable[str]) -> str:
    """Weekdays as ServiceNow digits, 1 = Monday … 7 = Sunday: ('mon', 'fri') → '15'."""
    return "".join(str(WEEKDAYS.index(d) + 1) for d in sorted(set(days), key=WEEKDAYS.index))


def _day_runs(days: Iterable[str]) -> str:
    numbers = sorted({WEEKDAYS.index(d) for d in days})
    runs: list[list[int]] = []
    for n in numbers:
        if runs and runs[-1][-1] + 1 == n:
            runs[-1].append(n)
        else:
            runs.append([n])
    names = [WEEKDAYS[n].capitalize() for n in range(7)]
    parts = [
        f"{names[run[0]]}-{names[run[-1]]}" if len(run) > 2 else ",".join(names[n] for n in run)
        for run in runs
    ]
    return ",".join(parts)


def span_name(span: TimeSpan) -> str:
    """Name of a weekly span, e.g. 'Mon-Fri 08:00-17:00'."""
    return f"{_day_runs(span.days)} {span.start}-{span.end}"


def holiday_name(day: date) -> str:
    """Name of the schedule entry that closes a holiday, e.g. 'Holiday 2026-12-25'."""
    return f"Holiday {day.isoformat()}"


def schedule_date_time(day: date, clock: str = "00:00") -> str:
    """A schedule date-time as ServiceNow stores it: '20260101T080000' ('24:00' rolls over)."""
    hours, minutes = (int(part) for part in clock.split(":"))
    moment = datetime(day.year, day.month, day.day) + timedelta(hours=hours, minutes=minutes)
    return moment.strftime("%Y%m%dT%H%M%S")


def offering_name(service_name: str, customer_name: str) -> str:
    """Name of the offering that holds one service agreement: '<service> – <customer>'."""
    return f"{service_name} – {customer_name}"


def sla_name(agreement_id: str, priority_name: str, target: str) -> str:
    """Name of an SLA definition, e.g. 'sa-workplace Critical resolution' ('sa-werkplek
    Kritiek oplostijd' in Dutch): ``target`` is the word of its target in the locale."""
    return f"{agreement_id} {priority_name} {target}"


def level_values(levels: Sequence[Level]) -> dict[str, str]:
    """Choice values of a scale in list order: the first level is '1'."""
    return {level.id: str(i) for i, level in enumerate(levels, start=1)}


def priority_values(matrix: Matrix) -> dict[str, str]:
    """Choice values of the priority levels: 1 … n in rank order (ties keep list order)."""
    ordered = sorted(enumerate(matrix.levels), key=lambda pair: (pair[1].rank, pair[0]))
    return {level.id: str(i) for i, (_, level) in enumerate(ordered, start=1)}


def state_values(process: ProcessId, keys: Sequence[str]) -> list[tuple[str, bool]]:
    """The state value of each step (by key, in order) and whether it is the platform's.

    A step whose meaning a base-system state shares uses it (:data:`CHANGE_STATES`,
    :data:`PROBLEM_STATES`); any other step gets ``900 + position`` (1-based).
    """
    platform = STATE_TABLES[process][1]
    out = []
    for position, key in enumerate(keys, start=1):
        value = platform.get(key)
        out.append((value, True) if value else (str(USM_STATE_BASE + position), False))
    return out


def start_condition(priority: str, offering: str, group: str | None = None) -> str:
    """Encoded start condition of an SLA definition; dot-walks instead of using sys_ids."""
    parts = [f"priority={priority}", f"service_offering.name={offering}"]
    if group is not None:
        parts.append(f"assignment_group.name={group}")
    return "^".join(parts) + "^EQ"


def setting(element: Overridable, key: str, default: str) -> str:
    """The text of ``x-servicenow.<key>`` on ``element``, or ``default``."""
    return read_setting(element, ADAPTER, key, default)


def catalog_title(blueprint: Blueprint) -> str:
    """Title of the service catalog: ``x-servicenow.catalog_title`` or '<name> services'
    ('Diensten van <name>' in Dutch)."""
    org = blueprint.organisation
    return setting(org, "catalog_title", word(blueprint, "catalog", org=org.name))


def knowledge_base_title(blueprint: Blueprint) -> str:
    """Title of the knowledge base: ``x-servicenow.knowledge_base_title`` or '<name> workflows'
    ('Workflows van <name>' in Dutch)."""
    org = blueprint.organisation
    return setting(org, "knowledge_base_title", word(blueprint, "knowledge_base", org=org.name))


def article_title(blueprint: Blueprint, workflow: Workflow) -> str:
    """Short description of a workflow's knowledge article, in the blueprint's locale."""
    if locale(blueprint) == "nl":
        return f"USM-workflow {workflow.number}: {workflow.name_nl or workflow.name}"
    return f"USM workflow {workflow.number}: {workflow.name}"


def yes(value: bool) -> str:
    return "true" if value else "false"


def sentence(text: str | None) -> str:
    if not text:
        return ""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


join_parts = wording.join_words
