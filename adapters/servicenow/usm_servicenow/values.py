"""Constants and value formats of the ServiceNow mapping (pure helpers)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

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
from usm_config.blueprint.usm import CallType
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
#: Change steps are numbered from the platform's first change state (-5 = New) upwards;
#: 4 (Canceled) is left to the platform.
CHANGE_STATE_START = -5
CHANGE_STATE_RESERVED = frozenset({4})
#: Improve steps become problem states 101, 102, ...; "Known error" follows the last step.
PROBLEM_STATE_START = 101
KNOWN_ERROR_LABEL = "Known error"

CALL_TYPE_TABLE = "task"
CALL_TYPE_COLUMN = "u_usm_call_type"

#: Weekly spans start repeating on this Monday; holidays use their own date.
SPAN_ANCHOR = date(2000, 1, 3)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MANAGED = "Managed by usm-config."


# ----------------------------------------------------------------------------- value helpers


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
    """Name of an SLA definition, e.g. 'sa-workplace Critical resolution'."""
    return f"{agreement_id} {priority_name} {target}"


def level_values(levels: Sequence[Level]) -> dict[str, str]:
    """Choice values of a scale in list order: the first level is '1'."""
    return {level.id: str(i) for i, level in enumerate(levels, start=1)}


def priority_values(matrix: Matrix) -> dict[str, str]:
    """Choice values of the priority levels: 1 … n in rank order (ties keep list order)."""
    ordered = sorted(enumerate(matrix.levels), key=lambda pair: (pair[1].rank, pair[0]))
    return {level.id: str(i) for i, (_, level) in enumerate(ordered, start=1)}


def change_state_values(count: int) -> list[str]:
    """Deterministic change_request state values for ``count`` steps: -5, -4, …, 3, 5, …"""
    values: list[str] = []
    value = CHANGE_STATE_START
    while len(values) < count:
        if value not in CHANGE_STATE_RESERVED:
            values.append(str(value))
        value += 1
    return values


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
    """Title of the service catalog: ``x-servicenow.catalog_title`` or '<name> services'."""
    org = blueprint.organisation
    return setting(org, "catalog_title", f"{org.name} services")


def knowledge_base_title(blueprint: Blueprint) -> str:
    """Title of the knowledge base: ``x-servicenow.knowledge_base_title`` or '<name> workflows'."""
    org = blueprint.organisation
    return setting(org, "knowledge_base_title", f"{org.name} workflows")


def article_title(workflow: Workflow) -> str:
    """Short description of a workflow's knowledge article."""
    return f"USM workflow {workflow.number}: {workflow.name}"


def yes(value: bool) -> str:
    return "true" if value else "false"


def sentence(text: str | None) -> str:
    if not text:
        return ""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def join_parts(*parts: str) -> str:
    return " ".join(part for part in parts if part)
