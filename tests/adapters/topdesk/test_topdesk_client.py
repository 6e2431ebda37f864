"""The TOPdesk client, reads and writes against respx mocks of the vendor protocol.

Covers topdesk.md §2.4-§2.7 and §8: the paging styles (``start``/``page_size``,
``pageStart``/``pageSize``, ``$top``, unpaged) with 206 "more" and 204 "none", the error
envelopes, 406 on a media type the tenant does not serve, duplicates adopted, task flags set
after the create, the version and licence probe, and lists read per language and per service.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import respx
from support import run_client
from usm_topdesk import client as api
from usm_topdesk import reads, writes
from usm_topdesk.adapter import ADAPTER

from usm_config.http import HttpClient, HttpError, HttpStatusError, UncertainWriteError

BASE = "https://tenant.topdesk.test"
API = f"{BASE}/tas/api"
KB = f"{BASE}/services/knowledge-base-v1"


def query(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(str(request.url)).query))


def probe_routes(mock: respx.MockRouter, unreachable: dict[str, int] | None = None) -> None:
    """Answers for the version and module probe; ``unreachable`` maps a probed path to 403/404."""
    mock.get(f"{API}/version").respond(200, json={"version": "3.7.1"})
    mock.get(f"{API}/productVersion").respond(200, json={"major": 2026, "minor": 1, "patch": 0})
    for name in reads.PROBES.values():
        mock.get(BASE + api.LISTS[name].path).respond((unreachable or {}).get(name, 204))


@pytest.fixture(autouse=True)
def fresh_probe() -> None:
    reads._REACH.clear()


@respx.mock
def test_start_and_page_size_follow_206_until_200() -> None:
    pages = [
        httpx.Response(206, json=[{"id": "a", "groupName": "A"}, {"id": "b", "groupName": "B"}]),
        httpx.Response(200, json=[{"id": "c", "groupName": "C", "status": "archived"}]),
    ]
    route = respx.get(f"{API}/operatorgroups").mock(side_effect=pages)
    rows = run_client(BASE, lambda c: api.read_list(c, "operatorgroups"))
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    sent = [query(call.request) for call in route.calls]
    assert sent == [{"start": "0", "page_size": "100"}, {"start": "2", "page_size": "100"}]


@respx.mock
def test_204_means_none() -> None:
    respx.get(f"{API}/operatorgroups").respond(204)
    respx.get(f"{API}/operationalActivities/types").respond(204)
    assert run_client(BASE, lambda c: api.read_list(c, "operatorgroups")) == []


@respx.mock
def test_unpaged_lists_under_item() -> None:
    respx.get(f"{API}/operationalActivities/types").respond(
        200,
        json={
            "item": [{"id": "t1", "name": "Backup"}, {"id": "t2", "name": "X", "archived": True}]
        },
    )
    rows = run_client(BASE, lambda c: api.read_list(c, "activity_types"))
    assert [r["id"] for r in rows] == ["t1", "t2"]


@respx.mock
def test_top_lists_ask_for_everything_at_once() -> None:
    route = respx.get(f"{API}/services").respond(200, json={"results": [{"id": "s", "name": "S"}]})
    rows = run_client(BASE, lambda c: api.read_list(c, "services"))
    assert rows == [{"id": "s", "name": "S"}]
    assert query(route.calls[0].request) == {"$top": "10000"}


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ([{"message": "Mandatory field 'groupName' is missing."}], "groupName' is missing"),
        (
            {
                "errors": [
                    {"errorCode": "duplicate_value", "appliesTo": ["name"], "errorMessage": "x"}
                ]
            },
            "duplicate_value (name) x",
        ),
        (
            {"errors": [{"errorCode": "value_too_long", "appliesTo": "title"}]},
            "value_too_long (title)",
        ),
        ({"errorCode": "value_mandatory", "appliesTo": ["name"]}, "value_mandatory (name)"),
        ("Internal error", "Internal error"),
    ],
)
def test_every_error_envelope_reads_as_text(body: Any, text: str) -> None:
    assert text in api.error_text(body)


@pytest.mark.parametrize(
    ("status", "body", "duplicate"),
    [
        (409, {"errors": [{"errorCode": "conflict"}]}, True),
        (400, {"errors": [{"errorCode": "duplicate_value", "appliesTo": ["name"]}]}, True),
        (400, [{"message": "Department with name 'ICT' already exists."}], True),
        (400, {"errorCode": "duplicate_value", "appliesTo": ["name"]}, True),
        (400, [{"message": "Mandatory field 'name' is missing."}], False),
    ],
)
def test_duplicates_are_recognised_in_every_envelope(
    status: int, body: Any, duplicate: bool
) -> None:
    assert api.is_duplicate(status, body) is duplicate


@respx.mock
def test_a_department_made_since_the_plan_is_refused_to_be_adopted_by_the_next_plan() -> None:
    """The plan saw no "Finance": taken over here, the adoption would be in no plan and the
    lock file would call the department created."""
    post = respx.post(f"{API}/departments").respond(
        400, json=[{"message": "Department with name 'Finance' already exists."}]
    )
    fields = {"name": "Finance", "owner": "gemeente-lindeveen-ict"}
    with pytest.raises(api.TopdeskRefused) as refused:
        run_client(BASE, lambda c: writes.CREATE["department"](c, fields))
    assert str(refused.value) == (
        "TOPdesk refused POST /tas/api/departments (HTTP 400): Department with name 'Finance' "
        "already exists.; TOPdesk holds this record since the plan was made: plan again, and "
        "the plan takes it over"
    )
    sent = json.loads(post.calls[0].request.content)
    # the link marks the blueprint that owns the department (usm_config.engine.ownership)
    link = {"id": "usm-config/gemeente-lindeveen-ict", "type": api.EXTERNAL_LINK}
    assert sent == {"name": "Finance", "externalLink": link}


@respx.mock
def test_a_refused_create_names_topdesks_message() -> None:
    respx.post(f"{API}/branches").respond(
        400, json=[{"message": 'The value for the field "name" can only be 60 characters long.'}]
    )

    async def create(client: HttpClient) -> str:
        return await writes.CREATE["branch"](client, {"name": "x" * 61})

    with pytest.raises(api.TopdeskRefused, match=r"HTTP 400.*60 characters"):
        run_client(BASE, create)


#: What a single-sign-on proxy answers in TOPdesk's place.
LOGIN_PAGE: dict[str, Any] = {
    "text": "<html><title>TOPdesk - Login</title></html>",
    "headers": {"Content-Type": "text/html"},
}


@respx.mock
def test_a_create_answered_by_a_page_may_have_happened() -> None:
    """A single-sign-on proxy's page in place of TOPdesk's answer cannot say whether the branch
    was made: the engine looks it up before it creates it again."""
    respx.post(f"{API}/branches").respond(200, **LOGIN_PAGE)

    async def create(client: HttpClient) -> str:
        return await writes.CREATE["branch"](client, {"name": "Stadhuis"})

    with pytest.raises(UncertainWriteError, match=r"may or may not.*non-JSON body \(text/html\)"):
        run_client(BASE, create)


@respx.mock
def test_an_update_answered_by_a_page_is_an_error() -> None:
    respx.patch(f"{API}/branches/id/b-1").respond(200, **LOGIN_PAGE)

    async def update(client: HttpClient) -> None:
        await writes.UPDATE["branch"](client, "b-1", {"name": "Stadhuis"})

    with pytest.raises(HttpError, match=r"HTTP 200 with a non-JSON body") as raised:
        run_client(BASE, update)
    assert not isinstance(raised.value, UncertainWriteError)


@respx.mock
def test_operator_group_task_flags_are_set_after_the_create() -> None:
    post = respx.post(f"{API}/operatorgroups").respond(201, json={"id": "g-1"})
    patch = respx.patch(f"{API}/operatorgroups/id/g-1").respond(200, json={"id": "g-1"})
    fields = {
        "groupName": "Desk",
        "branch": "b-1",
        "email": "desk@example.test",
        "firstLineCallOperator": True,
        "secondLineCallOperator": False,
    }
    assert run_client(BASE, lambda c: writes.CREATE["operator_group"](c, fields)) == "g-1"
    created = json.loads(post.calls[0].request.content)
    assert created == {
        "groupName": "Desk",
        "branch": {"id": "b-1"},
        "contact": {"email": "desk@example.test"},
    }
    assert json.loads(patch.calls[0].request.content) == {
        "firstLineCallOperator": True,
        "secondLineCallOperator": False,
    }


@respx.mock
def test_archiving_a_group_sends_an_archiving_reason() -> None:
    respx.get(f"{API}/archiving-reasons").respond(200, json=[{"id": "r-1", "name": "Obsolete"}])
    archive = respx.patch(f"{API}/operatorgroups/id/g-1/archive").respond(200, json={})
    run_client(BASE, lambda c: writes.DELETE["operator_group"](c, "g-1"))
    assert json.loads(archive.calls[0].request.content) == {"id": "r-1"}


@respx.mock
def test_a_media_type_the_tenant_does_not_serve_is_named() -> None:
    route = respx.get(f"{KB}/knowledgeItems").respond(406)
    with pytest.raises(api.MediaTypeRefused, match=r"x\.topdesk-kb-ki-list-v1"):
        run_client(BASE, lambda c: api.read_list(c, "knowledgeItems"))
    assert route.calls[0].request.headers["Accept"] == api.KB_LIST


@respx.mock
def test_a_module_out_of_reach_is_said_and_not_read(caplog: pytest.LogCaptureFixture) -> None:
    probe_routes(respx.mock, {"activity_types": 404, "change_templates": 403})
    respx.get(f"{API}/incidents/call_types").respond(200, json=[{"id": "c", "name": "Incident"}])

    async def read(client: HttpClient) -> list[Any]:
        return await ADAPTER.read(client, ["call_type", "activity_type", "change_template"])

    with caplog.at_level(logging.WARNING, logger="usm_topdesk"):
        records = run_client(BASE, read)
    assert [(r.kind, r.fields) for r in records] == [("call_type", {"name": "Incident"})]
    text = caplog.text
    assert "operations management API answers HTTP 404" in text and "activity_type" in text
    assert "change API answers HTTP 403" in text


@respx.mock
def test_the_probe_asks_each_list_for_one_row() -> None:
    """A list that answers is all the probe needs to know: it never reads a tenant's services
    (or operator groups) whole, which the plan then reads once."""
    probe_routes(respx.mock)
    run_client(BASE, reads.reach)
    probed = {
        call.request.url.path: query(call.request)
        for call in respx.calls
        if call.request.url.path.endswith(("/services", "/operatorgroups"))
    }
    assert probed == {
        f"{api.API}/services": {"$top": "1"},
        f"{api.API}/operatorgroups": {"start": "0", "page_size": "1"},
    }


@respx.mock
def test_knowledge_items_are_read_in_both_languages_in_their_folders_language() -> None:
    probe_routes(respx.mock)

    def folders(request: httpx.Request) -> httpx.Response:
        if query(request).get("language") == "nl":
            return httpx.Response(200, json={"item": [{"id": "f", "title": "USM-workflows"}]})
        return httpx.Response(204)

    def items(request: httpx.Request) -> httpx.Response:
        lang = query(request)["language"]
        title = {"nl": "USM-workflow 1: Wens", "en": "USM workflow 1: Wish"}[lang]
        row = {
            "id": "ki",
            "parent": {"id": "f"},
            "translation": {
                "language": lang,
                "content": {"title": title, "content": f"<p>{lang}</p>"},
            },
        }
        return httpx.Response(200, json={"item": [row]})

    respx.get(f"{KB}/folders").mock(side_effect=folders)
    route = respx.get(f"{KB}/knowledgeItems").mock(side_effect=items)
    records = run_client(BASE, lambda c: ADAPTER.read(c, ["knowledge_folder", "knowledge_item"]))
    by_kind = {r.kind: r for r in records}
    assert by_kind["knowledge_folder"].fields == {"title": "USM-workflows"}
    assert by_kind["knowledge_item"].fields == {
        "title": "USM-workflow 1: Wens",
        "folder": "f",
        "language": "nl",
        "content": "<p>nl</p>",
        "translation": {"language": "en", "title": "USM workflow 1: Wish", "content": "<p>en</p>"},
    }
    assert {c.request.headers["Accept"] for c in route.calls} == {api.KB_LIST}


@respx.mock
def test_sla_services_beyond_one_answer_are_read_per_service_and_categories_in_two_levels() -> None:
    probe_routes(respx.mock)
    respx.get(f"{API}/services").respond(
        200, json={"results": [{"id": "s1", "name": "Mail"}, {"id": "s2", "name": "Print"}]}
    )

    def slas(request: httpx.Request) -> httpx.Response:
        service = query(request).get("service", "s1")
        if service == "s2":
            return httpx.Response(204)
        row = {
            "id": "sla",
            "contractName": "Finance",
            "serviceId": service,
            "serviceLevelName": "SA Mail",
        }
        # Unfiltered, the list says there are more than it answers (206).
        return httpx.Response(200 if "service" in query(request) else 206, json={"results": [row]})

    respx.get(f"{API}/incidents/slas").mock(side_effect=slas)
    respx.get(f"{API}/categories").respond(
        200,
        json={
            "item": [
                {"id": "c", "name": "Hardware", "modules": {"incidents": True, "changes": False}},
                {"id": "s", "name": "Laptop", "parent": {"id": "c", "name": "Hardware"}},
                {"id": "old", "name": "Fax", "archived": True},
            ]
        },
    )
    records = run_client(
        BASE, lambda c: ADAPTER.read(c, ["service_level", "category", "subcategory"])
    )
    got = sorted((r.kind, r.target_id, tuple(sorted(r.fields.items()))) for r in records)
    assert got == [
        ("category", "c", (("name", "Hardware"),)),
        ("service_level", "sla", (("contract", "Finance"), ("service", "s1"))),
        ("subcategory", "s", (("category", "c"), ("name", "Laptop"))),
    ]


@respx.mock
def test_unreadable_kinds_are_never_requested() -> None:
    probe_routes(respx.mock)
    records = run_client(BASE, lambda c: ADAPTER.read(c, ["priority_matrix", "problem_status"]))
    assert records == []


@respx.mock
def test_categories_follow_their_next_link_with_page_start() -> None:
    route = respx.get(f"{API}/categories").mock(
        side_effect=[
            httpx.Response(
                206,
                json={
                    "item": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
                    "next": f"{API}/categories/?pageStart=2&pageSize=2&fields=all",
                    "size": 2,
                },
            ),
            httpx.Response(200, json={"item": [{"id": "c", "name": "C"}], "size": 1}),
        ]
    )
    rows = run_client(BASE, lambda c: api.read_list(c, "categories"))
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    sent = [query(call.request) for call in route.calls]
    assert sent == [{"fields": "all"}, {"fields": "all", "pageStart": "2", "pageSize": "2"}]


@respx.mock
def test_a_tenant_without_product_version_is_still_planned() -> None:
    probe_routes(respx.mock)
    respx.get(f"{API}/productVersion").respond(404, json=[{"message": "Not found"}])
    reach = run_client(BASE, reads.reach)
    assert (reach.version, reach.product_version, dict(reach.unreachable)) == ("3.7.1", "?.?.?", {})


@pytest.mark.parametrize("parallelism", [1, 3, 8])
@respx.mock
def test_sla_services_are_read_at_the_target_parallelism(parallelism: int) -> None:
    probe_routes(respx.mock)
    services = [{"id": f"s{n}", "name": f"Service {n}"} for n in range(20)]
    respx.get(f"{API}/services").respond(200, json={"results": services})
    in_flight: list[str] = []
    most = 0

    async def slas(request: httpx.Request) -> httpx.Response:
        nonlocal most
        if "service" not in query(request):
            return httpx.Response(206, json={"results": [{"id": "one", "serviceId": "s0"}]})
        in_flight.append(query(request)["service"])
        most = max(most, len(in_flight))
        await asyncio.sleep(0.002)
        in_flight.pop()
        return httpx.Response(204)

    respx.get(f"{API}/incidents/slas").mock(side_effect=slas)

    async def read(client: HttpClient) -> list[Any]:
        client.parallelism = parallelism
        return await ADAPTER.read(client, ["service_level"])

    assert [r.target_id for r in run_client(BASE, read)] == ["one"]
    assert most == parallelism


@respx.mock
def test_sla_services_are_read_per_service_when_a_filter_is_required() -> None:
    probe_routes(respx.mock)
    respx.get(f"{API}/services").respond(200, json={"results": [{"id": "s1", "name": "Mail"}]})

    def slas(request: httpx.Request) -> httpx.Response:
        if "service" not in query(request):
            return httpx.Response(400, json=[{"message": "Provide a filter"}])
        row = {"id": "sla", "contractName": "Finance", "serviceId": "s1"}
        return httpx.Response(200, json={"results": [row]})

    route = respx.get(f"{API}/incidents/slas").mock(side_effect=slas)
    records = run_client(BASE, lambda c: ADAPTER.read(c, ["service_level"]))
    assert [(r.target_id, r.fields["service"]) for r in records] == [("sla", "s1")]
    assert [query(c.request).get("service") for c in route.calls] == [None, "s1"]


@respx.mock
def test_an_sla_read_refused_otherwise_fails_the_read() -> None:
    probe_routes(respx.mock)
    respx.get(f"{API}/incidents/slas").respond(500, json=[{"message": "Internal error"}])
    with pytest.raises(HttpStatusError):
        run_client(BASE, lambda c: ADAPTER.read(c, ["service_level"]))
