"""build_emulator_app: a tiny emulator's routes with the kit's control endpoints and plumbing."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from usm_config.sandbox.app import build_emulator_app
from usm_config.sandbox.auth import SandboxAuth, Unauthenticated
from usm_config.sandbox.embedded import EmbeddedTransport
from usm_config.sandbox.faults import FaultConfig
from usm_config.sandbox.openapi_check import OpenApiRequestChecker
from usm_config.sandbox.requestlog import LoggedRequest, log_subrequest
from usm_config.sandbox.store import RecordStore

BASE = "http://emulator.test"
SPEC = {
    "openapi": "3.0.1",
    "servers": [{"url": "https://vendor.test/api"}],
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "owner": {"type": "string", "nullable": True},
                },
            }
        }
    },
    "paths": {
        "/things": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "query", "schema": {"type": "array"}},
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                ]
            },
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                    },
                }
            },
        },
        "/things/{id}": {"get": {}},
        "/batch": {"post": {"requestBody": {"content": {"application/json": {"schema": {}}}}}},
    },
}


def vendor_error(status: int) -> tuple[bytes, dict[str, str]]:
    return json.dumps({"errorMessages": [f"fault {status}"]}).encode(), {
        "content-type": "application/json"
    }


def spec_error(violations: Sequence[str]) -> Response:
    return JSONResponse({"errorMessages": list(violations)}, status_code=400)


def tiny_emulator(**kwargs: Any) -> tuple[Starlette, list[str]]:
    """Things in a store behind basic auth: the routes and envelopes are all it brings."""
    resets: list[str] = []
    store = RecordStore(
        tables=["things"], seed=lambda s: s.insert("things", {"name": "out of the box"})
    )
    auth = SandboxAuth({"admin": "admin"})

    async def things(request: Request) -> Response:
        try:
            auth.authenticate(request.headers)
        except Unauthenticated:
            return JSONResponse({"errorMessages": ["login"]}, status_code=401)
        if request.method == "POST":
            try:
                thing = json.loads(await request.body())
            except ValueError:
                return JSONResponse({"errorMessages": ["not JSON"]}, status_code=400)
            return JSONResponse(store.insert("things", thing), status_code=201)
        ids = request.query_params.getlist("id")
        rows = [r for r in store.rows("things") if not ids or r["id"] in ids]
        return JSONResponse({"values": rows})

    async def batch(request: Request) -> Response:
        for item in await request.json():
            log_subrequest(
                request.scope,
                LoggedRequest("GET", item, {}, 200, None, (("q", "x"),), {"sub": True}),
            )
        return JSONResponse({})

    async def ui(request: Request) -> Response:
        return JSONResponse({"ui": True})

    app = build_emulator_app(
        [
            Route("/api/things", things, methods=["GET", "POST"]),
            Route("/api/batch", batch, methods=["POST"]),
        ],
        store=store,
        error_body=vendor_error,
        control_routes=[Route("/_sandbox/ui/screen", ui)],
        on_reset=lambda: resets.append("reset"),
        **kwargs,
    )
    return app, resets


def run(app: Starlette, scenario: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(
            transport=EmbeddedTransport(app), base_url=BASE, auth=("admin", "admin")
        ) as client:
            return await scenario(client)

    return asyncio.run(main())


def test_control_endpoints_need_no_auth_get_no_faults_and_reset_reseeds() -> None:
    app, resets = tiny_emulator(faults=FaultConfig(rate_5xx=1.0, seed=1))

    async def scenario(client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/things")).status_code == 503
        app.state.store.insert("things", {"name": "added"})
        dump = await client.get("/_sandbox/tables/things", auth=None)
        assert [r["name"] for r in dump.json()["result"]] == ["out of the box", "added"]
        assert (await client.get("/_sandbox/tables/nope")).status_code == 404
        assert (await client.get("/_sandbox/ui/screen")).json() == {"ui": True}
        logged = (await client.get("/_sandbox/requests")).json()["requests"]
        assert [(r["path"], r["status"], r["injected_fault"]) for r in logged] == [
            ("/api/things", 503, "rate_5xx")
        ]
        assert (await client.post("/_sandbox/reset")).json() == {"status": "reset"}
        dump = await client.get("/_sandbox/tables/things")
        assert [r["name"] for r in dump.json()["result"]] == ["out of the box"]
        assert (await client.get("/_sandbox/requests")).json() == {"requests": []}

    run(app, scenario)
    assert resets == ["reset"]


def test_request_log_keeps_repeated_parameters_bodies_and_sub_requests() -> None:
    app, _ = tiny_emulator()

    async def scenario(client: httpx.AsyncClient) -> Any:
        await client.post("/api/things", json={"name": "x", "tags": [1, 2]})
        listed = await client.get("/api/things", params=[("id", "10000"), ("id", "10001")])
        assert [r["name"] for r in listed.json()["values"]] == ["out of the box", "x"]
        await client.post("/api/batch", json=["/api/things/1", "/api/things/2"])
        await client.post("/api/things", content=b"x" * 70_000, headers={"content-type": "text"})
        return (await client.get("/_sandbox/requests")).json()["requests"]

    logged = run(app, scenario)
    created, listing, batch, big = logged
    assert created["body"] == {"name": "x", "tags": [1, 2]}
    assert listing["query_items"] == [["id", "10000"], ["id", "10001"]]
    assert listing["query"] == {"id": "10001"}
    assert [(s["path"], s["body"]) for s in batch["subrequests"]] == [
        ("/api/things/1", {"sub": True}),
        ("/api/things/2", {"sub": True}),
    ]
    assert big["body"].endswith("…[4464 more bytes]")
    log = app.state.request_log
    assert len(log) == 4
    assert log.count(method="GET", expand=True) == 3


def test_spec_violations_are_answered_by_the_emulator_and_recorded() -> None:
    checker = OpenApiRequestChecker(SPEC)
    app, _ = tiny_emulator(spec=checker, spec_error=spec_error)

    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.get("/api/things", params=[("id", "1"), ("id", "2"), ("q", "a")]),
            await client.post("/api/things", json={"name": "ok", "owner": None}),
            await client.get("/api/things", params=[("q", "a"), ("q", "b")]),
            await client.post("/api/things", json={"name": 3, "colour": "red"}),
            await client.post("/api/things"),
            await client.get("/api/things", params={"sort": "name"}),
        ]

    statuses = [r.status_code for r in run(app, scenario)]
    assert statuses == [200, 201, 400, 400, 400, 400]
    assert app.state.spec_violations == [
        "GET /api/things: query parameter 'q' is repeated but no array",
        "POST /api/things: request body (root): Additional properties are not allowed "
        "('colour' was unexpected)",
        "POST /api/things: request body ['name']: 3 is not of type 'string'",
        "POST /api/things: request body is required",
        "GET /api/things: query parameter 'sort' is not declared",
    ]
    assert [r["name"] for r in app.state.store.rows("things")] == ["out of the box", "ok"]


def test_answers_that_depart_from_their_documented_schema_are_recorded() -> None:
    """The emulator's answers are checked as well as the requests: an answer the spec's
    schema for its status does not allow is recorded, and still sent as it was."""
    documented = copy.deepcopy(SPEC)
    listing = {
        "type": "object",
        "required": ["values", "total"],
        "properties": {
            "values": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}
        },
    }
    documented["paths"]["/things"]["get"]["responses"] = {
        "200": {"content": {"application/json": {"schema": listing}}}
    }
    app, _ = tiny_emulator(spec=OpenApiRequestChecker(documented), spec_error=spec_error)

    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [await client.get("/api/things")]

    (answer,) = run(app, scenario)
    assert answer.status_code == 200
    assert [row["name"] for row in answer.json()["values"]] == ["out of the box"]
    assert app.state.spec_violations == [
        "GET /api/things: 200 response body (root): 'total' is a required property"
    ]


def test_answers_the_spec_does_not_document_are_recorded() -> None:
    """An emulator answers what the vendor's tool answers: a status the operation does not
    document is a spec violation (``extra_statuses`` names what the vendor documents
    elsewhere); injected faults are the fault knobs', not the emulator's."""
    documented = copy.deepcopy(SPEC)
    paths = documented["paths"]
    paths["/things"]["get"]["responses"] = {"200": {}}
    paths["/things"]["post"]["responses"] = {"201": {}, "400": {}}
    checker = OpenApiRequestChecker(documented, extra_statuses={"POST /api/things": {409}})
    app, _ = tiny_emulator(spec=checker, spec_error=spec_error)

    async def scenario(client: httpx.AsyncClient) -> list[int]:
        return [
            (await client.get("/api/things")).status_code,
            (await client.post("/api/things", json={"name": "ok"})).status_code,
            (await client.get("/api/things", auth=("admin", "wrong"))).status_code,
        ]

    assert run(app, scenario) == [200, 201, 401]
    assert app.state.spec_violations == [
        "GET /api/things: answered 401, which the operation does not document (200)"
    ]
    assert checker.check_status("POST", "/api/things", 409) == []  # named elsewhere
    assert checker.check_status("GET", "/api/things/1", 500) == []  # documents no responses
    assert checker.check_status("GET", "/api/nowhere", 500) == []  # check() reports the path
    ranged = copy.deepcopy(documented)
    ranged["paths"]["/things"]["get"]["responses"] = {"2XX": {}}
    assert OpenApiRequestChecker(ranged).check_status("GET", "/api/things", 204) == []
    assert OpenApiRequestChecker(ranged).check_status("GET", "/api/things", 418) != []
    ranged["paths"]["/things"]["get"]["responses"] = {"2XX": {}, "default": {}}
    assert OpenApiRequestChecker(ranged).check_status("GET", "/api/things", 418) == []
    faulty, _ = tiny_emulator(
        spec=checker, spec_error=spec_error, faults=FaultConfig(rate_5xx=1.0, seed=1)
    )
    assert run(faulty, lambda client: client.get("/api/things")).status_code == 503
    assert faulty.state.spec_violations == []


def test_control_routes_must_stay_under_the_exempt_prefixes() -> None:
    async def page(request: Request) -> Response:
        return Response()

    with pytest.raises(ValueError, match="outside"):
        build_emulator_app(
            [],
            store=RecordStore(),
            error_body=vendor_error,
            control_routes=[Route("/ui", page)],
        )
