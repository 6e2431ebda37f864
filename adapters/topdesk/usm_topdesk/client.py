"""HTTP calls to TOPdesk's REST APIs: requests only, no decisions.

Every list the adapter reads is a row of :data:`LISTS`: its path, its paging style, the
``Accept`` media type it serves and the API module it belongs to (topdesk.md §2). TOPdesk's
protocol, as the adapter meets it:

* paging differs per module (§2.4): ``start``/``page_size`` (supporting files, knowledge base),
  ``$top`` (services, service windows), a ``next`` link (categories, whose link pages with
  ``pageStart``) or none (the incident search lists, operations' activity types); **206**
  means "more results", **204** "none". The other lists paged with ``pageStart``/``pageSize``
  (incidents, operational activities, persons) hold records, not settings, and are not read;
* errors come in several envelopes (§2.5, §8): a list of ``{message}``, ``{errors: [{errorCode,
  appliesTo, errorMessage}]}`` and a bare ``{errorCode, appliesTo}``; :func:`error_text` reads
  them all, :func:`is_duplicate` finds ``duplicate_value``, 409 and "already exists";
* versions are per module and per media type (§2.3): a wrong ``Accept`` answers 406, which
  :class:`MediaTypeRefused` names;
* an unlicensed module, or one the API user may not read, answers 403 or 404 (§4.5):
  :func:`probe` finds out which, once per plan;
* FIQL ``query`` narrows a list (§2.7): :func:`fiql_text` quotes a value, and
  :func:`fiql_any` asks for the rows that match any of several comparisons.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from usm_config.http import HttpClient, HttpError, HttpStatusError, PageStep, PagingStrategy
from usm_config.http.filters import scope_texts
from usm_config.http.paging import TopdeskPaging, UnpagedList, collect_items
from usm_topdesk.values import EXTERNAL_LINK_TYPE

API = "/tas/api"
KB = "/services/knowledge-base-v1"
JSON = "application/json"
#: ``externalLink.type`` of what usm-config creates: TOPdesk asks each integration to pick its
#: own non-zero integer (supporting files 2.7.11, ``ExternalLinkDto.type``).
EXTERNAL_LINK = EXTERNAL_LINK_TYPE

#: Media types TOPdesk versions its knowledge base lists and writes by ([3p] UGDSB
#: ``New-TopdeskKnowledgeItem``; topdesk.md §2.3).
KB_LIST = "application/x.topdesk-kb-ki-list-v1+json"
KB_CREATE = "application/x.topdesk-kb-create-ki-v1+json"

#: Supporting files and the knowledge base: ``start``/``page_size``, at most 100 a page.
START = TopdeskPaging(page_size=100, max_page_size=100)
#: The knowledge base pages the same way, its rows under ``item`` (next to a ``next`` link).
KB_PAGES = TopdeskPaging(item_key="item", page_size=100, max_page_size=100)
#: ``$top`` lists return at most ``$top`` rows and have no later pages (§2.4).
TOP = {"$top": 10000}


@dataclass(frozen=True)
class WholeList(UnpagedList):
    """A list TOPdesk returns whole: 200 with the rows, or 204 No Content when there are
    none (``/incidents/slas`` and the ``$top`` lists answer 204, §2.4)."""

    def read_page(self, response: httpx.Response, body: Any, sent: Mapping[str, Any]) -> PageStep:
        """The one page; none on 204."""
        if response.status_code == 204:
            return PageStep([], None)
        return super().read_page(response, body, sent)


@dataclass(frozen=True)
class NextLink(WholeList):
    """A list whose body may carry a ``next`` link to the rest (``/categories``: ``{item,
    next, size}``, the link paging with ``pageStart``, general 1.2.0): followed while present
    (206 or not), the link's own query parameters replacing the paging ones."""

    def read_page(self, response: httpx.Response, body: Any, sent: Mapping[str, Any]) -> PageStep:
        """The page, and the parameters of the ``next`` link when there is one."""
        step = super().read_page(response, body, sent)
        link = body.get("next") if isinstance(body, dict) else None
        if not step.items or not isinstance(link, str) or not link:
            return step
        return PageStep(step.items, dict(httpx.URL(link).params.multi_items()))


ARRAY = WholeList()
RESULTS = WholeList("results")
ITEMS = WholeList("item")


@dataclass(frozen=True)
class ListEndpoint:
    """Where one list is read: path, paging, fixed parameters, ``Accept`` and API module."""

    path: str
    paging: PagingStrategy
    module: str
    params: Mapping[str, Any] = field(default_factory=dict)
    accept: str = JSON


#: Every list the adapter reads, by name (the kinds read from it are in :mod:`usm_topdesk.reads`).
LISTS: Mapping[str, ListEndpoint] = {
    "branches": ListEndpoint(
        f"{API}/branches", ARRAY, "supporting files", {"$fields": "id,name,branchType"}
    ),
    "departments": ListEndpoint(f"{API}/departments", ARRAY, "supporting files"),
    "operatorgroups": ListEndpoint(f"{API}/operatorgroups", START, "supporting files"),
    "services": ListEndpoint(f"{API}/services", RESULTS, "services", TOP),
    "folders": ListEndpoint(
        f"{KB}/folders", KB_PAGES, "knowledge base", {"fields": "id,number,title,parent"}
    ),
    "knowledgeItems": ListEndpoint(
        f"{KB}/knowledgeItems",
        KB_PAGES,
        "knowledge base",
        {"fields": "id,number,title,content,parent,translation,externalLink"},
        KB_LIST,
    ),
    "call_types": ListEndpoint(f"{API}/incidents/call_types", ARRAY, "incident"),
    "entry_types": ListEndpoint(f"{API}/incidents/entry_types", ARRAY, "incident"),
    "impacts": ListEndpoint(f"{API}/incidents/impacts", ARRAY, "incident"),
    "urgencies": ListEndpoint(f"{API}/incidents/urgencies", ARRAY, "incident"),
    "priorities": ListEndpoint(f"{API}/incidents/priorities", ARRAY, "incident"),
    "durations": ListEndpoint(f"{API}/incidents/durations", ARRAY, "incident"),
    "statuses": ListEndpoint(f"{API}/incidents/statuses", ARRAY, "incident"),
    "closure_codes": ListEndpoint(f"{API}/incidents/closure_codes", ARRAY, "incident"),
    "categories": ListEndpoint(f"{API}/categories", NextLink("item"), "general", {"fields": "all"}),
    "service_windows": ListEndpoint(f"{API}/serviceWindow/lookup/", ARRAY, "general", TOP),
    "slas": ListEndpoint(f"{API}/incidents/slas", RESULTS, "incident", {"page_size": 100}),
    "change_templates": ListEndpoint(f"{API}/applicableChangeTemplates", RESULTS, "change"),
    "activity_types": ListEndpoint(
        f"{API}/operationalActivities/types", ITEMS, "operations management"
    ),
}


class MediaTypeRefused(HttpError):
    """TOPdesk answered 406: the resource does not serve the media type in ``Accept``."""


class TopdeskRefused(HttpError):
    """TOPdesk refused a write; the message is TOPdesk's own, from any of its envelopes."""

    def __init__(self, status: int, method: str, path: str, text: str) -> None:
        super().__init__(f"TOPdesk refused {method} {path} (HTTP {status}): {text}")
        self.status = status
        self.text = text


# ----------------------------------------------------------------------------- protocol


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def error_text(body: Any) -> str:
    """The message of any TOPdesk error envelope: ``[{message}]``, ``{errors: [{errorCode,
    appliesTo, errorMessage}]}`` or a bare ``{errorCode, appliesTo, errorMessage}``."""
    entries: list[Any]
    if isinstance(body, list):
        entries = body
    elif isinstance(body, dict) and isinstance(body.get("errors"), list):
        entries = body["errors"]
    elif isinstance(body, dict):
        entries = [body]
    else:
        return " ".join(str(body).split())[:300]
    parts = []
    for entry in entries:
        if not isinstance(entry, dict):
            parts.append(str(entry))
            continue
        message = entry.get("message") or entry.get("errorMessage") or ""
        code = entry.get("errorCode")
        applies = entry.get("appliesTo")
        if isinstance(applies, list):
            applies = ", ".join(str(a) for a in applies)
        text = " ".join(str(p) for p in (code, f"({applies})" if applies else "", message) if p)
        parts.append(text)
    return "; ".join(p for p in parts if p) or json.dumps(body)[:300]


def error_codes(body: Any) -> set[str]:
    """The ``errorCode`` values of an error body (empty for the legacy envelope)."""
    entries = body.get("errors", [body]) if isinstance(body, dict) else []
    return {str(e["errorCode"]) for e in entries if isinstance(e, dict) and e.get("errorCode")}


def is_duplicate(status: int, body: Any) -> bool:
    """True when a create was refused because the record exists: 409, ``duplicate_value``, or
    a 400 whose message says "already exists" (departments, supporting files §8.1)."""
    if status == 409 or "duplicate_value" in error_codes(body):
        return True
    return status == 400 and "already exists" in error_text(body).lower()


def fiql_text(value: str) -> str:
    """``value`` as a quoted FIQL string (the reserved characters need quotes, §2.7)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fiql_equals(field: str, value: str) -> str:
    """The FIQL comparison ``field == value``, the value quoted."""
    return f"{field}=={fiql_text(value)}"


def fiql_any(comparisons: Sequence[str]) -> list[str] | None:
    """``query`` values that together list the rows matching any of ``comparisons`` (FIQL's
    ``,`` is OR), as few as keep each request line short (:mod:`usm_config.http.filters`);
    ``None`` when that takes more requests than a scoped read sends (read the list whole)."""
    return scope_texts(comparisons, ",")


# ----------------------------------------------------------------------------- reading


async def read_list(
    client: HttpClient, name: str, extra: Mapping[str, Any] | None = None
) -> list[Any]:
    """Every row of the list ``name`` of :data:`LISTS`, all pages."""
    endpoint = LISTS[name]
    params = {**endpoint.params, **(extra or {})}
    if endpoint.accept == JSON:
        return await collect_items(client, endpoint.path, endpoint.paging, params)
    headers = {"Accept": endpoint.accept}
    rows: list[Any] = []
    paging = endpoint.paging.first_params()
    while True:
        response = await client.request(
            "GET", endpoint.path, params={**params, **paging}, headers=headers, expected=(406,)
        )
        if response.status_code == 406:
            raise MediaTypeRefused(
                f"TOPdesk does not serve {endpoint.accept} at {endpoint.path} (HTTP 406); "
                "the tenant runs another version of this API"
            )
        body = _body(response) if response.content else None
        step = endpoint.paging.read_page(response, body, paging)
        rows.extend(step.items)
        if step.next_params is None or step.next_params == paging:
            return rows
        paging = step.next_params


async def read_slas(client: HttpClient, filters: Mapping[str, str]) -> tuple[list[Any], bool]:
    """The SLA services ``/incidents/slas`` lists for ``filters`` (``service``, ``contract``),
    and whether they are all of them: the list answers at most 100 rows, says 206 when there
    are more and has no later pages (incident 4.2.6: "provide more specific filter parameters
    instead"; §2.4)."""
    endpoint = LISTS["slas"]
    response = await client.request("GET", endpoint.path, params={**endpoint.params, **filters})
    step = endpoint.paging.read_page(response, _body(response) if response.content else None, {})
    return step.items, response.status_code != 206


@dataclass(frozen=True)
class Reach:
    """What one plan found about the tenant: its versions and the modules out of reach."""

    version: str
    product_version: str
    unreachable: Mapping[str, int]


async def probe(client: HttpClient, modules: Mapping[str, str]) -> Reach:
    """``/version``, ``/productVersion``, and which of ``modules`` (module → a list of it)
    answer 403 or 404: not licensed, or not readable for the API user."""

    async def optional(path: str) -> dict[str, Any]:
        # Older on-premises releases lack /productVersion; a version is worth a line, not a
        # failed plan.
        response = await client.request("GET", path, expected=(403, 404))
        body = _body(response) if response.status_code < 300 and response.content else None
        return body if isinstance(body, dict) else {}

    version = await optional(f"{API}/version")
    product = await optional(f"{API}/productVersion")
    unreachable: dict[str, int] = {}

    async def check(module: str, name: str) -> None:
        endpoint = LISTS[name]
        params = dict(endpoint.params)
        # One row says a list answers: a tenant's 5,000 services are read by the plan, once.
        if isinstance(endpoint.paging, TopdeskPaging):
            params.update({endpoint.paging.start_param: 0, endpoint.paging.size_param: 1})
        if "$top" in params:
            params["$top"] = 1
        response = await client.request(
            "GET",
            endpoint.path,
            params=params,
            headers={"Accept": endpoint.accept},
            expected=(403, 404),
        )
        if response.status_code in (403, 404):
            unreachable[module] = response.status_code

    await asyncio.gather(*(check(module, name) for module, name in modules.items()))
    text = ".".join(str(product.get(k, "?")) for k in ("major", "minor", "patch"))
    return Reach(str(version.get("version", "?")), text, dict(sorted(unreachable.items())))


# ----------------------------------------------------------------------------- writing


async def send(
    client: HttpClient,
    method: str,
    path: str,
    body: Any = None,
    *,
    content_type: str = JSON,
    headers: Mapping[str, str] | None = None,
    expected: tuple[int, ...] = (),
) -> tuple[int, Any]:
    """One write. Returns the status and the decoded answer; a 400 or 409 (and ``expected``)
    is returned (the caller decides whether it means "exists"), any other error raises."""
    sent = {"Content-Type": content_type, **(headers or {})}
    response = await client.request(
        method, path, json=body, headers=sent, expected=(400, 409, *expected)
    )
    if not response.content:
        return response.status_code, None
    # An error envelope may be text; a success that is not JSON may not have happened.
    answer = client.write_answer(response) if response.is_success else _body(response)
    return response.status_code, answer


def refuse(status: int, method: str, path: str, answer: Any) -> TopdeskRefused:
    """The error for a refused write, with TOPdesk's own message."""
    return TopdeskRefused(status, method, path, error_text(answer))


async def archiving_reason(client: HttpClient) -> str:
    """The id of the first archiving reason (archiving a branch or an operator group needs
    one, §8.10)."""
    reasons = await client.get_json(f"{API}/archiving-reasons")
    if not reasons:
        raise HttpStatusError(
            400, "GET", f"{API}/archiving-reasons",
            "TOPdesk has no archiving reason; add one in Settings → Functional Settings → "
            "Supporting Files → Archiving reasons",
        )  # fmt: skip
    return str(reasons[0]["id"])
