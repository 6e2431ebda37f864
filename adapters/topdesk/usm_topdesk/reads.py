"""Reading a TOPdesk tenant: every list the wanted kinds come from, a few at a time.

Before the first read of a plan the adapter probes the tenant (:func:`usm_topdesk.client.probe`):
its REST API and product versions, and which API modules answer 403 or 404 (not licensed, or
not readable for the API user). Kinds of a module out of reach are not read: the plan then
creates or lists them again, and a warning says why, instead of the plan failing.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence, Set
from typing import Any

from usm_config.aio import gather_bounded
from usm_config.engine.contract import ReadScope
from usm_config.engine.records import Record
from usm_config.http import (
    HttpClient,
    HttpStatusError,
    NotFoundError,
    PermissionDeniedError,
    read_shaped,
)
from usm_topdesk import client as api
from usm_topdesk.kinds import WRITTEN
from usm_topdesk.parse import (
    PLAIN,
    parse_categories,
    parse_folders,
    parse_knowledge_items,
    parse_slas,
)

log = logging.getLogger("usm_topdesk")

LANGUAGES = ("en", "nl")

#: The API module each kind is read from (:data:`usm_topdesk.client.LISTS`).
MODULES: dict[str, str] = {
    **{kind: api.LISTS[name].module for kind, (name, _) in PLAIN.items()},
    "knowledge_folder": "knowledge base",
    "knowledge_item": "knowledge base",
    "category": "general",
    "subcategory": "general",
    "service_level": "incident",
}

#: One list per module to probe it with.
PROBES: dict[str, str] = {
    "supporting files": "operatorgroups",
    "services": "services",
    "knowledge base": "folders",
    "incident": "call_types",
    "general": "categories",
    "change": "change_templates",
    "operations management": "activity_types",
}

Job = Callable[[], Awaitable[list[Record]]]

_REACH: weakref.WeakKeyDictionary[HttpClient, api.Reach] = weakref.WeakKeyDictionary()


async def reach(client: HttpClient) -> api.Reach:
    """The tenant's versions and the modules out of reach, probed once per client."""
    found = _REACH.get(client)
    if found is None:
        found = await api.probe(client, PROBES)
        _REACH[client] = found
        log.info("TOPdesk %s, REST API %s", found.product_version, found.version)
        for module, status in found.unreachable.items():
            kinds = sorted(k for k, m in MODULES.items() if m == module)
            log.warning(
                "TOPdesk's %s API answers HTTP %d (not licensed, or the API user may not read "
                "it): %s cannot be read, so they are planned as missing",
                module,
                status,
                ", ".join(kinds),
            )
    return found


async def _lists_by_language(client: HttpClient, name: str) -> dict[str, list[Any]]:
    rows = await asyncio.gather(
        *(api.read_list(client, name, {"language": lang}) for lang in LANGUAGES)
    )
    return dict(zip(LANGUAGES, rows, strict=True))


async def _knowledge(client: HttpClient, kinds: set[str], scope: ReadScope | None) -> list[Record]:
    folders, languages = parse_folders(await _lists_by_language(client, "folders"))
    records = [r for r in folders if "knowledge_folder" in kinds]
    if "knowledge_item" in kinds:
        if scope is None:
            items = await _lists_by_language(client, "knowledgeItems")
        else:
            titles = {key[0] for key in scope.keys_of("knowledge_item")}
            items = await _scoped_items(client, titles, scope.ids_of("knowledge_item"))
        records += parse_knowledge_items(items, languages)
    return records


async def _items_where(
    client: HttpClient, comparisons: Mapping[str, Sequence[str]]
) -> dict[str, list[Any]] | None:
    """The knowledge item rows of each language that match any of its ``comparisons`` (no
    request for a language without); ``None`` when they need more requests than a scoped read
    sends."""
    asked: list[tuple[str, str]] = []
    for language, wanted in comparisons.items():
        queries = api.fiql_any(wanted) if wanted else []
        if queries is None:
            return None
        asked += [(language, query) for query in queries]
    found = await asyncio.gather(
        *(
            api.read_list(client, "knowledgeItems", {"language": language, "query": query})
            for language, query in asked
        )
    )
    rows: dict[str, list[Any]] = {language: [] for language in LANGUAGES}
    for (language, _), listed in zip(asked, found, strict=True):
        rows[language] += listed
    return rows


def _key_or_id(field: str, keys: Iterable[str], ids: Iterable[str]) -> list[str]:
    """FIQL comparisons for the rows whose ``field`` is one of ``keys`` or whose id is one of
    ``ids``, in a stable order."""
    wanted = [api.fiql_equals(field, key) for key in sorted(keys)]
    return wanted + [api.fiql_equals("id", i) for i in sorted(ids)]


def _ids(rows: Iterable[Any]) -> set[str]:
    return {str(row["id"]) for row in rows if isinstance(row, dict) and "id" in row}


async def _scoped_items(
    client: HttpClient, titles: Set[str], ids: Set[str]
) -> dict[str, list[Any]]:
    """A plan's knowledge item rows, per language: those titled as the blueprint's items or
    holding a managed item's id, then the other language's rows of each item found (its
    translation, titled otherwise). Another team's knowledge base holds thousands of items
    with their texts, a blueprint eight. Read whole when the scope takes more requests than
    a scoped read sends, or when TOPdesk refuses the query (HTTP 400)."""
    wanted = _key_or_id("title", titles, ids)
    try:
        first = await _items_where(client, dict.fromkeys(LANGUAGES, wanted))
        if first is not None:
            listed = {language: _ids(rows) for language, rows in first.items()}
            every = set().union(*listed.values())
            rest = await _items_where(
                client,
                {
                    language: [api.fiql_equals("id", i) for i in sorted(every - listed[language])]
                    for language in LANGUAGES
                },
            )
            if rest is not None:
                return {language: first[language] + rest[language] for language in LANGUAGES}
    except HttpStatusError as exc:
        if exc.status != 400:
            raise
        log.info("TOPdesk refused a query of knowledge items (HTTP 400): reading them all")
    return await _lists_by_language(client, "knowledgeItems")


#: Plain kinds a plan reads by key and id (FIQL), and the field their key is: a tenant's other
#: teams keep hundreds of operator groups, a blueprint a few teams.
SCOPED: Mapping[str, str] = {"operator_group": "groupName"}


async def _scoped_rows(client: HttpClient, kind: str, scope: ReadScope) -> list[Any]:
    """The rows of plain ``kind`` whose key or id ``scope`` names (archived ones too: a query
    lists them, the parser leaves them out); the whole list when that takes more requests than
    a scoped read sends, or when TOPdesk refuses the query (HTTP 400)."""
    name = PLAIN[kind][0]
    names = {key[0] for key in scope.keys_of(kind)}
    wanted = _key_or_id(SCOPED[kind], names, scope.ids_of(kind))
    queries = api.fiql_any(wanted)
    if queries is not None:
        try:
            found = await asyncio.gather(
                *(api.read_list(client, name, {"query": query}) for query in queries)
            )
        except HttpStatusError as exc:
            if exc.status != 400:
                raise
            log.info("TOPdesk refused a query of %s (HTTP 400): reading them all", name)
        else:
            return list({_row_key(row): row for rows in found for row in rows}.values())
    return await api.read_list(client, name)


def _row_key(row: Any) -> object:
    """A row's id, to list a row two queries found once (an odd row stays, for the parser)."""
    return str(row["id"]) if isinstance(row, dict) and "id" in row else id(row)


async def _service_levels(client: HttpClient, only: Set[str] | None) -> list[Record]:
    """SLA services. ``/incidents/slas`` answers at most 100 rows and has no later pages
    (:func:`usm_topdesk.client.read_slas`), so one read serves a tenant with fewer; a tenant
    with more is read per service (with ``only``, per service of those names), and a service
    with more per contract, for every contract seen in any answer. A contract no answer shows
    cannot be asked for: then a warning says which services may have SLA services the plan
    does not see (their checklist items stay listed)."""
    try:
        rows, whole = await api.read_slas(client, {})
    except HttpStatusError as exc:
        if exc.status != 400:
            raise
        # The incident API documents no filter as required; a tenant that refuses a query
        # without one is read per service all the same.
        log.info("TOPdesk wants a filter on /incidents/slas (HTTP 400): read per service")
        rows, whole = [], False
    if whole:
        return parse_slas(rows)
    listed = await api.read_list(client, "services")
    named = {str(s["id"]): str(s.get("name") or s["id"]) for s in listed}
    services = [key for key, name in named.items() if only is None or name in only]
    answers = await gather_bounded(
        (api.read_slas(client, {"service": s}) for s in services), client.parallelism
    )
    found = rows + [row for service_rows, _ in answers for row in service_rows]
    cut = [s for s, (_, service_whole) in zip(services, answers, strict=True) if not service_whole]
    if cut:
        contracts = sorted({str(row.get("contractId")) for row in found})
        by_contract = await gather_bounded(
            (api.read_slas(client, {"service": s, "contract": c}) for s in cut for c in contracts),
            client.parallelism,
        )
        found += [row for pair_rows, _ in by_contract for row in pair_rows]
        log.warning(
            "TOPdesk lists at most 100 SLA services per request and %d service(s) have more "
            "(%s): they were read per contract, for the %d contract(s) seen; an SLA service "
            "of another contract is not seen and its checklist item stays listed",
            len(cut),
            ", ".join(named[s] for s in cut[:5]) + (", ..." if len(cut) > 5 else ""),
            len(contracts),
        )
    unique = {
        (row.get("id"), row.get("contractId"), row.get("serviceId"), row.get("serviceLevelId")): row
        for row in found
    }
    return parse_slas(list(unique.values()))


def _guarded(kinds: set[str], job: Job) -> Job:
    """A checklist list that answers 403 or 404 (a tenant without it) is out of reach:
    said, and its items stay on the checklist. A list usm-config writes to must answer."""
    if kinds & WRITTEN:
        return job

    async def safe() -> list[Record]:
        try:
            return await job()
        except (NotFoundError, PermissionDeniedError) as exc:
            log.warning(
                "TOPdesk cannot read %s (HTTP %d): their checklist items stay listed",
                ", ".join(sorted(kinds)),
                exc.status,
            )
            return []

    return safe


async def read_tenant(
    client: HttpClient, kinds: Iterable[str], *, scope: ReadScope | None = None
) -> list[Record]:
    """Every record of ``kinds`` that TOPdesk lets the API user read. With a plan's ``scope``,
    the SLA services of the services it names alone once the tenant holds more SLA services
    than one request lists (the rows that request answers are all kept), and the operator
    groups and knowledge items it names by name or id (see :func:`_scoped_rows` and
    :func:`_scoped_items`)."""
    sla_services = None if scope is None else {key[1] for key in scope.keys_of("service_level")}
    out = await reach(client)
    wanted = {k for k in kinds if MODULES.get(k) not in out.unreachable}
    jobs: list[tuple[str, Job]] = []

    def plain(kind: str) -> Job:
        name, parser = PLAIN[kind]

        async def job() -> list[Record]:
            if scope is not None and kind in SCOPED:
                return parser(await _scoped_rows(client, kind, scope))
            return parser(await api.read_list(client, name))

        return job

    async def categories() -> list[Record]:
        return [
            r
            for r in parse_categories(await api.read_list(client, "categories"))
            if r.kind in wanted
        ]

    jobs += [(kind, _guarded({kind}, plain(kind))) for kind in sorted(wanted & PLAIN.keys())]
    if wanted & {"category", "subcategory"}:
        jobs.append(("category", _guarded(wanted & {"category", "subcategory"}, categories)))
    if wanted & {"knowledge_folder", "knowledge_item"}:
        jobs.append(("knowledge_folder", lambda: _knowledge(client, wanted, scope)))
    if "service_level" in wanted:
        jobs.append(
            (
                "service_level",
                _guarded({"service_level"}, lambda: _service_levels(client, sla_services)),
            )
        )

    found = await gather_bounded(
        (read_shaped(client, _what(kind), job()) for kind, job in jobs), client.parallelism
    )
    return [record for records in found for record in records]


#: The lists each read that is not of a plain list reads (:data:`usm_topdesk.client.LISTS`).
_LISTS_READ = {
    "category": ("categories",),
    "knowledge_folder": ("folders", "knowledgeItems"),
    "service_level": ("slas",),
}


def _what(kind: str) -> str:
    """What the read of ``kind`` reads, as its error says: the kind and its lists' paths."""
    names = (PLAIN[kind][0],) if kind in PLAIN else _LISTS_READ[kind]
    return f"{kind} ({', '.join(api.LISTS[name].path for name in names)})"
