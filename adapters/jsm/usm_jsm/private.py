"""Jira's internal endpoints for queues, SLA calendars and SLA metrics (``private_api: true``).

The public Cloud REST API cannot write queues, calendars or SLA metrics, nor read the last two
(jira.md §1.9). Jira's own settings pages use internal endpoints for them, and so does Salto
behind its ``usePrivateAPI`` flag. Atlassian neither documents nor supports them; they may
change without notice. A target uses them only when it says ``options: {private_api: true}``.

Endpoints and shapes, and where each comes from (no vendor documentation exists):

* Queues: ``POST /rest/servicedesk/1/servicedesk/{projectKey}/queues`` and ``PUT …/queues/{id}``
  with ``{name, jql, columns}`` (Salto ``src/config/api_config.ts`` ``Queue.deployRequests``;
  the body fields from Salto's ``e2e_test/instances/cloud/jsm/queue.ts``, where ``columns``
  are field ids, the public read's ``fields`` renamed by ``src/filters/queue_fetch.ts``). A
  delete is ``PUT …/queues`` with ``{"deleted": [id]}`` (Salto ``src/filters/
  queue_deployment.ts``). Reads stay the public ``GET /rest/servicedeskapi/servicedesk/{id}/
  queue``, whose JQL starts with ``project = KEY AND`` while the internal write takes the JQL
  without that clause (Salto ``queue_fetch.ts`` strips it before writing a queue back).
* SLA metrics: ``GET/POST /rest/servicedesk/1/servicedesk/agent/{projectKey}/sla/metrics``,
  ``PUT/DELETE …/sla/metrics/{id}`` (Salto ``api_config.ts`` ``SLA``; atlassian-python-api
  ``ServiceDesk.get_sla_metrics`` / ``update_sla_metric``). The read answers ``{timeMetrics:
  [{id, name, config: {definition: {start, stop, pause}, goals}}]}`` (Salto
  ``src/filters/sla_addition_deployment.ts``); a condition is ``{pluginKey, factoryKey,
  conditionId, name}`` and a goal ``{id, jqlQuery, duration (ms), calendarId, defaultGoal,
  timeMetricId}`` (Salto ``e2e_test/instances/cloud/jsm/SLA.ts``, and a public raw GET
  answer of a project's metrics that lists the condition names, e.g. ``"Entered Status:
  Accepted"`` with the status id as ``conditionId`` and factory
  ``status-sla-condition-factory``; Salto ``src/reference_mapping.ts`` resolves that
  ``conditionId`` to a status the same way). That answer's default goal has no ``duration``.
* Calendars: ``GET /rest/workinghours/1/internal/dialog/{projectKey}`` answers ``{calendars:
  [{id, name, timezoneId, workingTimes: [{weekday, start, end}], holidays: [{name,
  iso8601Date, recurring}], canUpdate, canDelete, deletable, …}]}``; ``POST
  /rest/workinghours/1/api/calendar/{projectKey}``, ``PUT …/{projectKey}/{id}``, ``DELETE
  /rest/workinghours/1/api/calendar/{id}`` (Salto ``api_config.ts`` ``Calendar``; the body
  from Salto's ``e2e_test/instances/cloud/jsm/calendar.ts``: ``weekday`` ``"monday"``,
  ``start``/``end`` in milliseconds after midnight).

Composite ids follow :mod:`usm_jsm.parse`: a queue is ``<service desk id>/<queue id>`` (as the
public read names it); a calendar or SLA metric is ``<project key>/<id>``, because the internal
API addresses them by project key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import JsonValue

from usm_config.engine.records import Record
from usm_config.http import HttpClient, answer_id
from usm_jsm import client as api
from usm_jsm import parse
from usm_jsm.mapping import goal_order

Row = Mapping[str, Any]

SERVICEDESK = "/rest/servicedesk/1/servicedesk"
WORKINGHOURS = "/rest/workinghours/1"
#: Every condition Jira's SLA settings offer comes from this plugin.
PLUGIN = "com.atlassian.servicedesk"
STATUS_FACTORY = "status-sla-condition-factory"
#: Conditions that are not about a status: name → (factoryKey, conditionId), as the raw GET
#: answer of SLA metrics lists them (module docstring).
NAMED_CONDITIONS: Mapping[str, tuple[str, str]] = {
    "Issue Created": ("issue-created-sla-condition-factory", "issue-created-hit-condition"),
    "Resolution: Set": ("resolution-sla-condition-factory", "resolution-set-hit-condition"),
    "Resolution: Cleared": ("resolution-sla-condition-factory", "resolution-cleared-hit-condition"),
}
#: A status condition's name: "Entered Status: X" starts or stops the clock, "Status: X" pauses.
STATUS_PREFIX = {"start": "Entered Status: ", "stop": "Entered Status: ", "pause": "Status: "}
#: The columns a queue written by usm-config shows (the UI's default for a new queue).
QUEUE_COLUMNS = ("issuetype", "issuekey", "summary", "status", "created")
WEEKDAYS = {
    "mon": "monday",
    "tue": "tuesday",
    "wed": "wednesday",
    "thu": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}
_DAY_ORDER = {long: i for i, long in enumerate(WEEKDAYS.values())}
_SHORT = {long: short for short, long in WEEKDAYS.items()}
_PROJECT_CLAUSE = re.compile(r"^\s*project\s*=\s*\w+\s+AND\s+", re.IGNORECASE)
_HOUR_MS, _MINUTE_MS = 3_600_000, 60_000


class PrivateApiError(ValueError):
    """A record cannot be put into the internal API's shape (an unknown condition, status or
    calendar); the message names it."""


# ----------------------------------------------------------------------------- values


def duration_ms(text: str) -> int:
    """An SLA goal target as the mapping writes it (``"28h 30m"``) in milliseconds."""
    parts = {unit: int(n) for n, unit in re.findall(r"(\d+)([hm])", text)}
    return parts.get("h", 0) * _HOUR_MS + parts.get("m", 0) * _MINUTE_MS


def duration_text(ms: int) -> str:
    """Milliseconds as the mapping writes a target: ``"4h"``, ``"28h 30m"``, ``"45m"``."""
    hours, rest = divmod(int(ms) // _MINUTE_MS, 60)
    text = " ".join(p for p in (f"{hours}h" if hours else "", f"{rest}m" if rest else "") if p)
    return text or "0m"


def clock_ms(clock: str) -> int:
    """``"08:30"`` as milliseconds after midnight."""
    hours, minutes = clock.split(":")
    return int(hours) * _HOUR_MS + int(minutes) * _MINUTE_MS


def clock_text(ms: int) -> str:
    """Milliseconds after midnight as ``"08:30"``."""
    hours, minutes = divmod(int(ms) // _MINUTE_MS, 60)
    return f"{hours:02d}:{minutes:02d}"


def queue_jql(jql: str) -> str:
    """The JQL the internal queue API takes: without the leading ``project = KEY AND``."""
    return _PROJECT_CLAUSE.sub("", jql, count=1)


# ----------------------------------------------------------------------------- parse


def parse_calendars(project_id: str, project_key: str, rows: Iterable[Row]) -> list[Record]:
    """``GET /rest/workinghours/1/internal/dialog/{projectKey}`` ``calendars``."""
    out = []
    for row in rows:
        times = sorted(
            row.get("workingTimes") or [],
            key=lambda t: (_DAY_ORDER.get(str(t.get("weekday")).lower(), 7), t["start"], t["end"]),
        )
        hours: list[JsonValue] = [
            f"{_SHORT.get(str(t['weekday']).lower(), t['weekday'])} "
            f"{clock_text(t['start'])}-{clock_text(t['end'])}"
            for t in times
        ]
        holidays = list[JsonValue](
            sorted(
                {str(h["iso8601Date"]) for h in row.get("holidays") or [] if h.get("iso8601Date")}
            )
        )
        out.append(
            Record(
                kind="calendar",
                key=(),
                fields={
                    "project": project_id,
                    "name": str(row.get("name") or ""),
                    "timeZone": str(row.get("timezoneId") or ""),
                    "workingHours": hours,
                    "holidays": holidays,
                },
                target_id=parse.composite(project_key, row["id"]),
            )
        )
    return out


def _condition_names(conditions: Any) -> str:
    return ", ".join(sorted(str(c.get("name") or "") for c in conditions or []))


def _goals(goals: Iterable[Row], calendars: Mapping[str, str]) -> list[JsonValue]:
    out: list[JsonValue] = []
    for goal in goals:
        if goal.get("defaultGoal") and goal.get("duration") is None:
            continue  # "All remaining issues" without a target: Jira's own, never written
        calendar_id = goal.get("calendarId")
        calendar = (
            calendars.get(str(calendar_id), "")
            if calendar_id is not None
            else str(goal.get("calendarName") or "")
        )
        out.append(
            {
                "jql": str(goal.get("jqlQuery") or ""),
                "duration": duration_text(int(goal.get("duration") or 0)),
                "calendar": calendar,
            }
        )
    return sorted(out, key=goal_order)


def parse_slas(
    project_id: str, project_key: str, rows: Iterable[Row], calendars: Mapping[str, str]
) -> list[Record]:
    """``GET …/agent/{projectKey}/sla/metrics`` ``timeMetrics``; ``calendars`` maps the
    project's calendar ids to their names. Conditions are shown by name, several joined with
    ", "; a default goal without a target is Jira's own and left out."""
    out = []
    for row in rows:
        config = row.get("config") or {}
        definition = config.get("definition") or {}
        out.append(
            Record(
                kind="sla",
                key=(),
                fields={
                    "project": project_id,
                    "name": str(row.get("name") or ""),
                    "start": _condition_names(definition.get("start")),
                    "stop": _condition_names(definition.get("stop")),
                    "pause": _condition_names(definition.get("pause")),
                    "goals": _goals(config.get("goals") or [], calendars),
                },
                target_id=parse.composite(project_key, row["id"]),
            )
        )
    return out


# ----------------------------------------------------------------------------- payloads


def queue_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The body of a queue create or update."""
    return {
        "name": fields["name"],
        "jql": queue_jql(str(fields["jql"])),
        "columns": list(QUEUE_COLUMNS),
    }


def calendar_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The body of a calendar create or update. A holiday is named by its date: the
    blueprint's holidays are dates only."""
    times = []
    for row in fields.get("workingHours") or []:
        day, span = str(row).split(" ", 1)
        start, end = span.split("-")
        times.append({"weekday": WEEKDAYS[day], "start": clock_ms(start), "end": clock_ms(end)})
    return {
        "name": fields["name"],
        "timezoneId": fields.get("timeZone") or "UTC",
        "workingTimes": times,
        "holidays": [
            {"name": str(day), "iso8601Date": str(day), "recurring": False}
            for day in fields.get("holidays") or []
        ],
    }


def _conditions(text: str, which: str, statuses: Mapping[str, str]) -> list[dict[str, str]]:
    out = []
    for name in (part.strip() for part in text.split(", ") if part.strip()):
        prefix = STATUS_PREFIX[which]
        if name in NAMED_CONDITIONS and which != "pause":
            factory, condition = NAMED_CONDITIONS[name]
        elif name.startswith(prefix) and name.removeprefix(prefix) in statuses:
            factory, condition = STATUS_FACTORY, statuses[name.removeprefix(prefix)]
        else:
            raise PrivateApiError(f"SLA {which} condition '{name}' is not one Jira offers")
        out.append(
            {"pluginKey": PLUGIN, "factoryKey": factory, "conditionId": condition, "name": name}
        )
    return out


def sla_body(
    fields: Mapping[str, Any], statuses: Mapping[str, str], calendars: Mapping[str, str]
) -> dict[str, Any]:
    """The body of an SLA metric create or update. ``statuses`` and ``calendars`` map names to
    ids (statuses site-wide, calendars of the project). The default goal ("All remaining
    issues") is sent without a target, as the raw GET answer shows it; public code shows no
    write that omits it, so it is always sent."""
    goals: list[dict[str, Any]] = []
    for goal in fields.get("goals") or []:
        body: dict[str, Any] = {
            "jqlQuery": goal["jql"],
            "duration": duration_ms(str(goal["duration"])),
            "defaultGoal": False,
        }
        if goal.get("calendar"):
            if goal["calendar"] not in calendars:
                raise PrivateApiError(f"SLA goal calendar '{goal['calendar']}' does not exist")
            body["calendarId"] = int(calendars[goal["calendar"]])
        goals.append(body)
    goals.append({"jqlQuery": "", "defaultGoal": True})
    return {
        "name": fields["name"],
        "config": {
            "definition": {
                which: _conditions(str(fields.get(which) or ""), which, statuses)
                for which in ("start", "stop", "pause")
            },
            "goals": goals,
        },
    }


# ----------------------------------------------------------------------------- HTTP


def _queues_path(project_key: str) -> str:
    return f"{SERVICEDESK}/{project_key}/queues"


def _metrics_path(project_key: str) -> str:
    return f"{SERVICEDESK}/agent/{project_key}/sla/metrics"


async def service_desk(client: HttpClient, reference: str) -> Row:
    """The service desk ``reference`` names (an id or ``projectId:…``)."""
    body: Row = await client.get_json(f"{api.JSM}/servicedesk/{reference}")
    return body


async def read_calendars(client: HttpClient, project_key: str) -> list[Any]:
    """The calendars of one project."""
    body = await client.get_json(f"{WORKINGHOURS}/internal/dialog/{project_key}")
    return list((body or {}).get("calendars") or [])


async def read_metrics(client: HttpClient, project_key: str) -> list[Any]:
    """The SLA metrics of one project."""
    body = await client.get_json(_metrics_path(project_key))
    return list((body or {}).get("timeMetrics") or [])


def calendar_names(rows: Iterable[Row]) -> dict[str, str]:
    """Calendar id → name."""
    return {str(r["id"]): str(r.get("name") or "") for r in rows}


def _current(records: list[Record], target_id: str) -> dict[str, Any]:
    found = next((r for r in records if r.target_id == target_id), None)
    if found is None:
        raise ValueError(f"{target_id} is gone from the site")
    return dict(found.fields)


# queues


async def create_queue(client: HttpClient, fields: dict[str, Any]) -> str:
    """Create a queue in the project ``fields["project"]`` (an id)."""
    desk = await service_desk(client, f"projectId:{fields['project']}")
    answer = await api.write(
        client, "POST", _queues_path(str(desk["projectKey"])), queue_body(fields)
    )
    return parse.composite(desk["id"], answer_id(answer, "id"))


async def update_queue(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    """Write a queue's changed name or JQL (the body carries both)."""
    desk_id, own = parse.split(target_id)
    desk = await service_desk(client, desk_id)
    current = await client.get_json(f"{api.JSM}/servicedesk/{desk_id}/queue/{own}")
    merged = {"name": current["name"], "jql": current["jql"], **fields}
    await api.write(
        client, "PUT", f"{_queues_path(str(desk['projectKey']))}/{own}", queue_body(merged)
    )


async def delete_queue(client: HttpClient, target_id: str) -> None:
    """Delete a queue (Jira refuses the last queue of a project)."""
    desk_id, own = parse.split(target_id)
    desk = await service_desk(client, desk_id)
    body = {"deleted": [int(own) if own.isdigit() else own]}
    await api.write(client, "PUT", _queues_path(str(desk["projectKey"])), body)


# calendars


async def _project_key(client: HttpClient, project_id: str) -> str:
    desk = await service_desk(client, f"projectId:{project_id}")
    return str(desk["projectKey"])


async def create_calendar(client: HttpClient, fields: dict[str, Any]) -> str:
    """Create a calendar in the project ``fields["project"]`` (an id)."""
    key = await _project_key(client, str(fields["project"]))
    answer = await api.write(
        client, "POST", f"{WORKINGHOURS}/api/calendar/{key}", calendar_body(fields)
    )
    return parse.composite(key, answer_id(answer, "id"))


async def update_calendar(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    """Write a calendar's changed fields (the body carries all of them)."""
    key, own = parse.split(target_id)
    current = _current(parse_calendars("", key, await read_calendars(client, key)), target_id)
    body = calendar_body({**current, **fields})
    await api.write(client, "PUT", f"{WORKINGHOURS}/api/calendar/{key}/{own}", body)


async def delete_calendar(client: HttpClient, target_id: str) -> None:
    """Delete a calendar."""
    own = parse.split(target_id)[1]
    await api.write(client, "DELETE", f"{WORKINGHOURS}/api/calendar/{own}")


# SLA metrics


async def _names(client: HttpClient, project_key: str) -> tuple[dict[str, str], dict[str, str]]:
    statuses = {str(s["name"]): str(s["id"]) for s in await api.read_statuses(client)}
    by_id = calendar_names(await read_calendars(client, project_key))
    calendars = {name: cid for cid, name in by_id.items()}
    return statuses, calendars


async def create_sla(client: HttpClient, fields: dict[str, Any]) -> str:
    """Create an SLA metric in the project ``fields["project"]`` (an id)."""
    key = await _project_key(client, str(fields["project"]))
    body = sla_body(fields, *await _names(client, key))
    answer = await api.write(client, "POST", _metrics_path(key), body)
    return parse.composite(key, answer_id(answer, "id"))


async def update_sla(client: HttpClient, target_id: str, fields: dict[str, Any]) -> None:
    """Write an SLA metric's changed fields (the body carries the whole metric)."""
    key, own = parse.split(target_id)
    calendars = await read_calendars(client, key)
    live = parse_slas("", key, await read_metrics(client, key), calendar_names(calendars))
    body = sla_body({**_current(live, target_id), **fields}, *await _names(client, key))
    await api.write(client, "PUT", f"{_metrics_path(key)}/{own}", body)


async def delete_sla(client: HttpClient, target_id: str) -> None:
    """Delete an SLA metric."""
    key, own = parse.split(target_id)
    await api.write(client, "DELETE", f"{_metrics_path(key)}/{own}")
