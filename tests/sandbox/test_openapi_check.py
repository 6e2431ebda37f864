"""OpenApiRequestChecker against the ServiceNow Table API export and a small hand-made spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from usm_config.sandbox.openapi_check import OpenApiRequestChecker

SPEC = Path("/work/shared/specs/servicenow/table.json")
TABLE = "/api/now/table/sys_user_group"
RECORD = TABLE + "/0123456789abcdef0123456789abcdef"

needs_spec = pytest.mark.skipif(not SPEC.is_file(), reason="ServiceNow Table API export absent")


@needs_spec
def test_table_api_requests_that_follow_the_export_pass() -> None:
    checker = OpenApiRequestChecker.from_file(SPEC)
    assert checker.check("GET", TABLE, ["sysparm_query", "sysparm_limit", "sysparm_fields"]) == []
    assert checker.check("post", TABLE, {"sysparm_input_display_value": "true"}) == []
    assert checker.check("PATCH", RECORD, ["sysparm_exclude_reference_link"]) == []
    assert checker.check("DELETE", RECORD, []) == []


@needs_spec
def test_undeclared_parameters_methods_and_paths_are_violations() -> None:
    checker = OpenApiRequestChecker.from_file(SPEC)
    assert checker.check("GET", TABLE, ["sysparm_offset"]) == [
        "GET /api/now/table/{tableName}: query parameter 'sysparm_offset' is not declared"
    ]
    assert checker.check("DELETE", TABLE, []) == [
        "DELETE /api/now/table/{tableName}: method not allowed (spec allows GET, POST)"
    ]
    assert checker.check("GET", "/api/now/stats/incident", []) == [
        "GET /api/now/stats/incident: no path in the spec matches"
    ]
    # sysparm_limit is a list parameter only.
    assert checker.check("GET", RECORD, ["sysparm_limit"]) != []


@needs_spec
def test_extra_documented_parameters_and_per_call_allowances() -> None:
    checker = OpenApiRequestChecker.from_file(
        SPEC, extra_params={"GET /api/now/table/{tableName}": {"sysparm_offset"}}
    )
    assert checker.check("GET", TABLE, ["sysparm_offset"]) == []
    assert checker.check("GET", RECORD, ["sysparm_offset"]) != []
    assert checker.check("GET", TABLE, ["name"]) != []
    assert checker.check("GET", TABLE, ["name"], allow_param=lambda n: n == "name") == []


def test_refs_path_level_parameters_required_and_server_base_path(tmp_path: Path) -> None:
    spec = {
        "openapi": "3.0.3",
        "servers": [{"url": "https://example.test/rest/v2/"}],
        "components": {"parameters": {"page": {"name": "page", "in": "query"}}},
        "paths": {
            "/items/{id}": {
                "parameters": [{"$ref": "#/components/parameters/page"}],
                "get": {"parameters": [{"name": "q", "in": "query", "required": True}]},
            },
            "/items/special": {"get": {}},
        },
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    checker = OpenApiRequestChecker.from_file(path, extra_params={"*": {"trace"}})
    assert checker.check("GET", "/rest/v2/items/7", ["q", "page", "trace"]) == []
    assert checker.check("GET", "/rest/v2/items/7", ["page"]) == [
        "GET /rest/v2/items/{id}: required query parameter 'q' is missing"
    ]
    # The literal path wins over the template.
    assert checker.check("GET", "/rest/v2/items/special", ["page"]) == [
        "GET /rest/v2/items/special: query parameter 'page' is not declared"
    ]
    assert checker.check("GET", "/items/7", ["q"]) == ["GET /items/7: no path in the spec matches"]


def test_rejects_a_document_that_is_not_openapi_3(tmp_path: Path) -> None:
    path = tmp_path / "swagger.json"
    path.write_text(json.dumps({"swagger": "2.0", "paths": {}}))
    with pytest.raises(ValueError, match="not an OpenAPI 3"):
        OpenApiRequestChecker.from_file(path)
