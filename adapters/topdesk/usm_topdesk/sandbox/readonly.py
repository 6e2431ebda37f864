"""The read-only configuration lists: a table from path to stored list and shape.

TOPdesk's REST API can read these lists but not write them (topdesk.md §3.1, §3.5, §3.7):
they are maintained in the settings UI (the emulator's ``/_sandbox/ui`` routes play that
part). A write to any of these paths is refused by the app with 405 and ``Allow: GET``, as the
JAX-RS resources behind them do for a method they do not serve.

Shapes follow the specs: the incident lists (incident 4.2.6) are bare JSON arrays;
``/categories`` (general 1.2.0) is ``{item: [...]}`` with FIQL ``query`` and ``fields`` (the
``translations`` only on request, topdesk.md §8.5); the change lists (change 1.4.0) are
``{results: [...]}``; operations activity types (operations-management 1.10.0) ``{item}``.
SLA services (``/incidents/slas``) are ``{results}`` paged by ``page_size`` alone (1..100):
206 says more exist, but no later page can be asked for (topdesk.md §2.4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from usm_topdesk.sandbox.common import (
    MALFORMED,
    filtered,
    no_content,
    respond,
    select_fields,
    top,
)
from usm_topdesk.sandbox.errors import EmptyError
from usm_topdesk.sandbox.site import (
    ARCHIVING_REASON,
    CALL_TYPE,
    CATEGORY,
    CHANGE_STATUS,
    CHANGE_TEMPLATE,
    CLOSURE_CODE,
    DEESCALATION_REASON,
    DURATION,
    ENTRY_TYPE,
    ESCALATION_REASON,
    IMPACT,
    OPERATIONS_TYPE,
    PRIORITY,
    PROCESSING_STATUS,
    SERVICE_WINDOW,
    SLA,
    TIMESPENT_REASON,
    URGENCY,
    Endpoint,
    Handler,
    Row,
    Site,
    public,
)

__all__ = ["ENDPOINTS", "READ_ONLY_LISTS"]

API = "/tas/api"


def _id_name(row: Row) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"]}


#: Path → (table, how a row is shown) of the bare-array incident and general lists.
READ_ONLY_LISTS: dict[str, tuple[str, Callable[[Row], dict[str, Any]]]] = {
    f"{API}/incidents/call_types": (CALL_TYPE, _id_name),
    f"{API}/incidents/entry_types": (ENTRY_TYPE, _id_name),
    f"{API}/incidents/impacts": (IMPACT, _id_name),
    f"{API}/incidents/urgencies": (URGENCY, _id_name),
    f"{API}/incidents/priorities": (PRIORITY, public),
    f"{API}/incidents/durations": (DURATION, public),
    f"{API}/incidents/statuses": (PROCESSING_STATUS, public),
    f"{API}/incidents/closure_codes": (CLOSURE_CODE, _id_name),
    f"{API}/incidents/escalation-reasons": (ESCALATION_REASON, _id_name),
    f"{API}/incidents/deescalation-reasons": (DEESCALATION_REASON, _id_name),
    f"{API}/archiving-reasons": (ARCHIVING_REASON, _id_name),
    f"{API}/timespent-reasons": (TIMESPENT_REASON, _id_name),
}


def _active(row: Row) -> bool:
    return not row.get("archived", False)


def _array_list(table: str, show: Callable[[Row], dict[str, Any]]) -> Handler:
    async def handler(request: Request, site: Site) -> Response:
        return respond(request, [show(row) for row in site.rows(table) if _active(row)])

    return handler


def _for_incidents(row: Row) -> bool:
    return _active(row) and bool((row.get("modules") or {}).get("incidents"))


async def categories(request: Request, site: Site) -> Response:
    """``GET /categories``: the whole tree, every module; ``translations`` only on request."""
    rows = filtered(request, site.rows(CATEGORY))
    spec = request.query_params.get("fields")
    default = ("id", "name", "archived", "parent", "modules")
    items = [select_fields(row, spec, default) for row in rows]
    sort = request.query_params.get("sort")
    for key in reversed([part for part in (sort or "").split(",") if part]):
        field, _, direction = key.partition(":")

        def value(item: dict[str, Any], path: str = field) -> str:
            node: Any = item
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            return str(node or "").casefold()

        items.sort(key=value, reverse=direction.lower() == "desc")
    return respond(request, {"item": items})


async def incident_categories(request: Request, site: Site) -> Response:
    """``GET /incidents/categories``: top-level categories used in Incident Management."""
    rows = [r for r in site.rows(CATEGORY) if r.get("parent") is None and _for_incidents(r)]
    return respond(request, [_id_name(row) for row in rows])


async def incident_subcategories(request: Request, site: Site) -> Response:
    """``GET /incidents/subcategories``: ``{id, name, category{id, name}}``."""
    rows = [r for r in site.rows(CATEGORY) if r.get("parent") is not None and _for_incidents(r)]
    return respond(request, [{**_id_name(row), "category": row["parent"]} for row in rows])


async def change_templates(request: Request, site: Site) -> Response:
    """``GET /applicableChangeTemplates``: ``{results: [{id, number, briefDescription}]}``."""
    rows = [public(row) for row in site.rows(CHANGE_TEMPLATE) if _active(row)]
    return respond(request, {"results": rows})


async def change_statuses(request: Request, site: Site) -> Response:
    """``GET /changes/changeStatuses``: ``{results: [...]}``."""
    return respond(request, {"results": [public(row) for row in site.rows(CHANGE_STATUS)]})


async def operations_types(request: Request, site: Site) -> Response:
    """``GET /operationalActivities/types``: ``{item: [{id, name, archived}]}``, FIQL."""
    rows = filtered(request, site.rows(OPERATIONS_TYPE))
    return respond(request, {"item": [public(row) for row in rows]})


async def slas(request: Request, site: Site) -> Response:
    """``GET /incidents/slas``: filtered by ``contract`` and ``service`` (the sandbox has no
    contract conditions on persons, branches or call types, so the other filters match all)."""
    raw = request.query_params.get("page_size") or "10"
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise EmptyError(400, MALFORMED)
    size = int(raw)
    contract = request.query_params.get("contract")
    service = request.query_params.get("service")
    rows = [
        public(row)
        for row in site.rows(SLA)
        if (contract is None or row["contractId"] == contract)
        and (service is None or service in (row["serviceId"], row["serviceName"]))
    ]
    if not rows:
        return no_content()
    return respond(request, {"results": rows[:size]}, 206 if len(rows) > size else 200)


async def sla_services(request: Request, site: Site) -> Response:
    """``GET /incidents/slas/services``: the services some SLA covers, once each."""
    seen = {row["serviceId"]: row["serviceName"] for row in site.rows(SLA)}
    return respond(request, [{"id": key, "name": name} for key, name in seen.items()])


async def service_windows(request: Request, site: Site) -> Response:
    """``GET /serviceWindow/lookup/``: ``[{id, name}]`` by ``name`` prefix and ``archived``,
    cut at ``$top`` (general 1.2.0)."""
    name = (request.query_params.get("name") or "").casefold()
    archived = (request.query_params.get("archived") or "false").lower() == "true"
    rows = [
        _id_name(row)
        for row in site.rows(SERVICE_WINDOW)
        if row["name"].casefold().startswith(name) and bool(row.get("archived")) == archived
    ]
    return respond(request, top(request, rows))


async def service_window(request: Request, site: Site) -> Response:
    row = site.get(SERVICE_WINDOW, request.path_params["id"])
    if row is None:
        raise EmptyError(404, "Service window not found")
    return respond(request, _id_name(row))


ENDPOINTS = [
    *(Endpoint(path, ("GET",), _array_list(*spec)) for path, spec in READ_ONLY_LISTS.items()),
    Endpoint(f"{API}/incidents/slas", ("GET",), slas),
    Endpoint(f"{API}/incidents/slas/services", ("GET",), sla_services),
    Endpoint(f"{API}/serviceWindow/lookup/", ("GET",), service_windows),
    Endpoint(f"{API}/serviceWindow/lookup/{{id}}", ("GET",), service_window),
    Endpoint(f"{API}/categories", ("GET",), categories),
    Endpoint(f"{API}/incidents/categories", ("GET",), incident_categories),
    Endpoint(f"{API}/incidents/subcategories", ("GET",), incident_subcategories),
    Endpoint(f"{API}/applicableChangeTemplates", ("GET",), change_templates, module="change"),
    Endpoint(f"{API}/changes/changeStatuses", ("GET",), change_statuses, module="change"),
    Endpoint(f"{API}/operationalActivities/types", ("GET",), operations_types, module="operations"),
]
