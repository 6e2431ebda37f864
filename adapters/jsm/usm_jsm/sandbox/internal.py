"""Jira's internal endpoints for queues, SLA metrics and calendars, as the settings pages use.

Atlassian documents none of them and they are in no OpenAPI document, so the app exempts these
prefixes from its spec check (not from auth or faults). The shapes, and their public sources,
are listed in :mod:`usm_jsm.private`. Served:

* ``POST /rest/servicedesk/1/servicedesk/{projectKey}/queues`` ``{name, jql, columns}``,
  ``PUT …/queues/{id}``, and ``PUT …/queues`` ``{"deleted": [id]}``. Queues live in the public
  API's ``queue`` table, so ``GET /rest/servicedeskapi/servicedesk/{id}/queue`` lists them;
  the public read shows the JQL with ``project = KEY AND`` before it, which the internal write
  leaves out (Salto's ``queue_fetch.ts`` strips it). A project keeps at least one queue and
  queue names are unique in it (Salto's ``last_queue`` and duplicate-name change validators).
* ``GET/POST /rest/servicedesk/1/servicedesk/agent/{projectKey}/sla/metrics``,
  ``PUT/DELETE …/metrics/{id}``: ``{timeMetrics: [...]}``. A status condition must name an
  existing status and gets its name from it ("Entered Status: X"; "Status: X" when it pauses);
  a goal's ``calendarId`` must be a calendar of the project.
* ``GET /rest/workinghours/1/internal/dialog/{projectKey}`` ``{calendars: [...]}``,
  ``POST /rest/workinghours/1/api/calendar/{projectKey}``, ``PUT …/{projectKey}/{id}``,
  ``DELETE /rest/workinghours/1/api/calendar/{id}``. A calendar a goal uses cannot be deleted
  (the dialog marks it ``deletable: false``).

What public code does not show is kept minimal: the answers to writes are the written object
with its id (Salto reads ``id`` from them), a queue delete answers 204, and errors use the
service desk API's ``errorMessage`` envelope.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from usm_jsm.sandbox.errors import JsmApiError
from usm_jsm.sandbox.servicedesk import next_small_id
from usm_jsm.sandbox.site import QUEUE, SERVICE_DESK, Endpoint, Row, Site, public

__all__ = ["CALENDAR", "ENDPOINTS", "SLA_METRIC"]

SERVICEDESK = "/rest/servicedesk/1/servicedesk"
WORKINGHOURS = "/rest/workinghours/1"
CALENDAR = "calendar"
SLA_METRIC = "sla_metric"

_QUEUES = f"{SERVICEDESK}/{{projectKey}}/queues"
_METRICS = f"{SERVICEDESK}/agent/{{projectKey}}/sla/metrics"
_CALENDAR = f"{WORKINGHOURS}/api/calendar"
_DAY_MS = 86_400_000
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_STATUS_FACTORY = "status-sla-condition-factory"
#: The conditions other than statuses this emulator offers: (factoryKey, conditionId) → name,
#: as a raw GET answer of SLA metrics names them (see usm_jsm.private).
_CONDITIONS = {
    ("issue-created-sla-condition-factory", "issue-created-hit-condition"): "Issue Created",
    ("resolution-sla-condition-factory", "resolution-set-hit-condition"): "Resolution: Set",
    ("resolution-sla-condition-factory", "resolution-cleared-hit-condition"): "Resolution: Cleared",
}
_PROJECT_CLAUSE = re.compile(r"^\s*project\s*=\s*\w+\s+AND\s+", re.IGNORECASE)


def _bad(message: str, status: int = 400) -> JsmApiError:
    return JsmApiError(status, message, "sd.internal.error" if status == 400 else "notfound")


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise _bad("The request body is not JSON.") from None


async def _object(request: Request) -> dict[str, Any]:
    body = await _body(request)
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object.")
    return body


def _name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _bad("A name is required.")
    return name.strip()


def _desk(site: Site, project_key: str) -> Row:
    desk = site.find(SERVICE_DESK, projectKey=project_key)
    if desk is None:
        raise _bad(f"'{project_key}' is not a service project.", 404)
    return desk


def _unique(rows: list[Row], name: str, what: str, own: str | None = None) -> None:
    if any(r["name"].casefold() == name.casefold() and r["id"] != own for r in rows):
        raise _bad(f"A {what} named '{name}' already exists in this project.")


def _ok(body: Any) -> Response:
    return JSONResponse(body)


# ---------------------------------------------------------------------- queues


def _desk_queues(site: Site, desk: Row) -> list[Row]:
    return [q for q in site.rows(QUEUE) if q["_serviceDeskId"] == desk["id"]]


def _queue_fields(body: dict[str, Any], key: str) -> dict[str, Any]:
    jql = body.get("jql")
    if not isinstance(jql, str) or not jql.strip():
        raise _bad("A queue needs JQL.")
    columns = body.get("columns") or ["issuetype", "issuekey", "summary", "status", "created"]
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise _bad("'columns' must be a list of field ids.")
    return {"jql": f"project = {key} AND {jql.strip()}", "fields": columns}


def _queue_json(row: Row) -> dict[str, Any]:
    return {
        "id": int(row["id"]),
        "name": row["name"],
        "jql": _PROJECT_CLAUSE.sub("", row["jql"], count=1),
        "columns": row["fields"],
    }


async def create_queue(request: Request, site: Site) -> Response:
    key = request.path_params["projectKey"]
    desk = _desk(site, key)
    body = await _object(request)
    name = _name(body)
    _unique(_desk_queues(site, desk), name, "queue")
    row = {
        "id": next_small_id(site, QUEUE),
        "name": name,
        **_queue_fields(body, key),
        "_serviceDeskId": desk["id"],
    }
    return _ok(_queue_json(site.insert(QUEUE, row)))


async def update_queue(request: Request, site: Site) -> Response:
    key = request.path_params["projectKey"]
    desk = _desk(site, key)
    queues = _desk_queues(site, desk)
    wanted = request.path_params["queueId"]
    row = next((q for q in queues if q["id"] == wanted), None)
    if row is None:
        raise _bad(f"The queue '{wanted}' does not exist in this project.", 404)
    body = await _object(request)
    name = _name(body)
    _unique(queues, name, "queue", own=wanted)
    updated = {**row, "name": name, **_queue_fields(body, key)}
    return _ok(_queue_json(site.replace(QUEUE, updated)))


async def delete_queues(request: Request, site: Site) -> Response:
    desk = _desk(site, request.path_params["projectKey"])
    body = await _object(request)
    deleted = body.get("deleted")
    if not isinstance(deleted, list) or not deleted:
        raise _bad("'deleted' must list the ids of the queues to delete.")
    queues = {q["id"] for q in _desk_queues(site, desk)}
    gone = {str(i) for i in deleted}
    missing = sorted(gone - queues)
    if missing:
        raise _bad(f"The queue '{missing[0]}' does not exist in this project.", 404)
    if gone >= queues:
        raise _bad("A service project needs at least one queue.")
    for queue_id in gone:
        site.delete(QUEUE, queue_id)
    return Response(status_code=204)


# ---------------------------------------------------------------------- calendars


def _calendars(site: Site, key: str) -> list[Row]:
    return [c for c in site.rows(CALENDAR) if c["_projectKey"] == key]


def _used_calendars(site: Site) -> set[str]:
    return {
        str(goal["calendarId"])
        for metric in site.rows(SLA_METRIC)
        for goal in metric["config"]["goals"]
        if goal.get("calendarId") is not None
    }


def _working_times(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _bad("'workingTimes' must be a list.")
    out = []
    for item in value:
        weekday = item.get("weekday") if isinstance(item, dict) else None
        start, end = (item.get("start"), item.get("end")) if isinstance(item, dict) else (0, 0)
        if weekday not in _WEEKDAYS:
            raise _bad(f"'{weekday}' is not a weekday.")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= _DAY_MS):
            raise _bad("Working times are milliseconds after midnight, the start before the end.")
        out.append({"weekday": weekday, "start": start, "end": end})
    return out


def _holidays(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _bad("'holidays' must be a list.")
    out = []
    for item in value:
        day = item.get("iso8601Date") if isinstance(item, dict) else None
        try:
            date.fromisoformat(str(day))
        except ValueError:
            raise _bad(f"'{day}' is not an ISO 8601 date.") from None
        name = str(item.get("name") or day)
        out.append({"name": name, "iso8601Date": day, "recurring": bool(item.get("recurring"))})
    return out


def _calendar_fields(body: dict[str, Any]) -> dict[str, Any]:
    zone = body.get("timezoneId")
    # Public code shows no check of the zone id beyond its presence, so none is made here.
    if not isinstance(zone, str) or not zone.strip():
        raise _bad("A calendar needs a time zone.")
    return {
        "name": _name(body),
        "timezoneId": zone,
        "workingTimes": _working_times(body.get("workingTimes") or []),
        "holidays": _holidays(body.get("holidays") or []),
    }


def _calendar_json(row: Row, used: set[str]) -> dict[str, Any]:
    free = row["id"] not in used
    return {
        **public(row),
        "id": int(row["id"]),
        "canUpdate": True,
        "canDelete": free,
        "deletable": free,
    }


async def calendar_dialog(request: Request, site: Site) -> Response:
    key = request.path_params["projectKey"]
    _desk(site, key)
    used = _used_calendars(site)
    return _ok({"calendars": [_calendar_json(c, used) for c in _calendars(site, key)]})


async def create_calendar(request: Request, site: Site) -> Response:
    key = request.path_params["projectKey"]
    _desk(site, key)
    fields = _calendar_fields(await _object(request))
    _unique(_calendars(site, key), fields["name"], "calendar")
    row = {"id": next_small_id(site, CALENDAR), **fields, "_projectKey": key}
    return _ok(_calendar_json(site.insert(CALENDAR, row), set()))


async def update_calendar(request: Request, site: Site) -> Response:
    key = request.path_params["projectKey"]
    _desk(site, key)
    wanted = request.path_params["calendarId"]
    row = site.get(CALENDAR, wanted)
    if row is None or row["_projectKey"] != key:
        raise _bad(f"The calendar '{wanted}' does not exist in this project.", 404)
    fields = _calendar_fields(await _object(request))
    _unique(_calendars(site, key), fields["name"], "calendar", own=wanted)
    updated = site.replace(CALENDAR, {**row, **fields})
    return _ok(_calendar_json(updated, _used_calendars(site)))


async def delete_calendar(request: Request, site: Site) -> Response:
    wanted = request.path_params["calendarId"]
    if site.get(CALENDAR, wanted) is None:
        raise _bad(f"The calendar '{wanted}' does not exist.", 404)
    if wanted in _used_calendars(site):
        raise _bad("The calendar is used by an SLA goal and cannot be deleted.")
    site.delete(CALENDAR, wanted)
    return Response(status_code=204)


# ---------------------------------------------------------------------- SLA metrics


def _metrics(site: Site, key: str) -> list[Row]:
    return [m for m in site.rows(SLA_METRIC) if m["_projectKey"] == key]


def _conditions(site: Site, value: Any, which: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _bad(f"'{which}' must be a list of conditions.")
    out = []
    for raw in value:
        item = raw if isinstance(raw, dict) else {}
        factory, condition = str(item.get("factoryKey")), str(item.get("conditionId"))
        if factory == _STATUS_FACTORY:
            status = site.status(condition) if condition.isdigit() else None
            if status is None:
                raise _bad(f"The status '{condition}' of an SLA condition does not exist.")
            prefix = "Status: " if which == "pause" else "Entered Status: "
            name = prefix + status["name"]
        elif (factory, condition) in _CONDITIONS and which != "pause":
            name = _CONDITIONS[(factory, condition)]
        else:
            raise _bad(f"Unknown SLA {which} condition '{factory}/{condition}'.")
        out.append(
            {
                "pluginKey": item.get("pluginKey") or "com.atlassian.servicedesk",
                "factoryKey": factory,
                "conditionId": condition,
                "type": which.capitalize(),
                "name": name,
                "missing": False,
            }
        )
    return out


def _goals(site: Site, key: str, value: Any, metric_id: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _bad("'goals' must be a list.")
    calendars = {c["id"] for c in _calendars(site, key)}
    out = []
    for raw in value:
        item = raw if isinstance(raw, dict) else {}
        goal: dict[str, Any] = {
            "id": next_small_id(site, "sla_goal"),
            "jqlQuery": str(item.get("jqlQuery") or ""),
            "defaultGoal": bool(item.get("defaultGoal")),
            "timeMetricId": int(metric_id),
        }
        if item.get("calendarId") is not None:
            if str(item["calendarId"]) not in calendars:
                raise _bad(f"The calendar '{item['calendarId']}' does not exist in this project.")
            goal["calendarId"] = int(item["calendarId"])
        duration = item.get("duration")
        if duration is not None:
            if not isinstance(duration, int) or duration <= 0:
                raise _bad("A goal's duration is a positive number of milliseconds.")
            goal["duration"] = duration
        elif not goal["defaultGoal"]:
            raise _bad("A goal needs a duration.")
        out.append(goal)
    return out


def _metric_fields(site: Site, key: str, body: dict[str, Any], metric_id: str) -> dict[str, Any]:
    config = body.get("config")
    if not isinstance(config, dict):
        raise _bad("'config' is required.")
    definition = config.get("definition") or {}
    return {
        "name": _name(body),
        "config": {
            "definition": {
                which: _conditions(site, definition.get(which) or [], which)
                for which in ("start", "stop", "pause")
            }
            | {"inconsistent": False},
            "goals": _goals(site, key, config.get("goals") or [], metric_id),
        },
    }


def _metric_json(row: Row) -> dict[str, Any]:
    return {**public(row), "id": int(row["id"])}


async def list_metrics(request: Request, site: Site) -> Response:
    key = request.path_params["projectKey"]
    _desk(site, key)
    return _ok({"timeMetrics": [_metric_json(m) for m in _metrics(site, key)]})


async def create_metric(request: Request, site: Site) -> Response:
    key = request.path_params["projectKey"]
    _desk(site, key)
    body = await _object(request)
    _unique(_metrics(site, key), _name(body), "SLA metric")
    metric_id = next_small_id(site, SLA_METRIC)
    row = {"id": metric_id, **_metric_fields(site, key, body, metric_id), "_projectKey": key}
    return _ok(_metric_json(site.insert(SLA_METRIC, row)))


def _metric(request: Request, site: Site) -> Row:
    key = request.path_params["projectKey"]
    _desk(site, key)
    wanted = request.path_params["metricId"]
    row = site.get(SLA_METRIC, wanted)
    if row is None or row["_projectKey"] != key:
        raise _bad(f"The SLA metric '{wanted}' does not exist in this project.", 404)
    return row


async def update_metric(request: Request, site: Site) -> Response:
    row = _metric(request, site)
    key = row["_projectKey"]
    body = await _object(request)
    _unique(_metrics(site, key), _name(body), "SLA metric", own=row["id"])
    updated = {**row, **_metric_fields(site, key, body, row["id"])}
    return _ok(_metric_json(site.replace(SLA_METRIC, updated)))


async def delete_metric(request: Request, site: Site) -> Response:
    site.delete(SLA_METRIC, _metric(request, site)["id"])
    return Response(status_code=204)


ENDPOINTS = [
    Endpoint(_QUEUES, ("POST",), create_queue),
    Endpoint(_QUEUES, ("PUT",), delete_queues),
    Endpoint(f"{_QUEUES}/{{queueId}}", ("PUT",), update_queue),
    Endpoint(_METRICS, ("GET",), list_metrics),
    Endpoint(_METRICS, ("POST",), create_metric),
    Endpoint(f"{_METRICS}/{{metricId}}", ("PUT",), update_metric),
    Endpoint(f"{_METRICS}/{{metricId}}", ("DELETE",), delete_metric),
    Endpoint(f"{WORKINGHOURS}/internal/dialog/{{projectKey}}", ("GET",), calendar_dialog),
    Endpoint(f"{_CALENDAR}/{{projectKey}}", ("POST",), create_calendar),
    Endpoint(f"{_CALENDAR}/{{projectKey}}/{{calendarId}}", ("PUT",), update_calendar),
    Endpoint(f"{_CALENDAR}/{{calendarId}}", ("DELETE",), delete_calendar),
]
