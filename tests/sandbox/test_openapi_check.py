"""OpenApiRequestChecker against the ServiceNow Table API export and a small hand-made spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import SPECS

from usm_config.sandbox.openapi_check import OpenApiRequestChecker

SPEC = SPECS / "servicenow" / "table.json"
TABLE = "/api/now/table/sys_user_group"
RECORD = TABLE + "/0123456789abcdef0123456789abcdef"


def test_table_api_requests_that_follow_the_export_pass() -> None:
    checker = OpenApiRequestChecker.from_file(SPEC)
    assert checker.check("GET", TABLE, ["sysparm_query", "sysparm_limit", "sysparm_fields"]) == []
    assert checker.check("post", TABLE, {"sysparm_input_display_value": "true"}) == []
    assert checker.check("PATCH", RECORD, ["sysparm_exclude_reference_link"]) == []
    assert checker.check("DELETE", RECORD, []) == []


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


JIRA = SPECS / "jira"
PLATFORM = JIRA / "jira-platform-swagger-v3.v3.json"
SERVICEDESK = JIRA / "jsm-servicedesk-swagger.v3.json"


def test_jira_platform_and_service_desk_together_loaded_once() -> None:
    checker = OpenApiRequestChecker.from_files(PLATFORM, SERVICEDESK)
    again = OpenApiRequestChecker.from_files(PLATFORM, SERVICEDESK)
    # The same indexed operations, not loaded again.
    assert all(a is b for a, b in zip(again._templates, checker._templates, strict=True))
    assert checker.check("GET", "/rest/servicedeskapi/servicedesk", [("start", "0")]) == []
    issue = {"fields": {"summary": "Printer", "project": {"key": "ITSM"}}}
    assert checker.check("POST", "/rest/api/3/issue", [], body=issue) == []
    assert checker.check("POST", "/rest/api/3/issue", [], body={"fields": "Printer"}) == [
        "POST /rest/api/3/issue: request body ['fields']: 'Printer' is not of type 'object'"
    ]
    assert checker.check("POST", "/rest/api/3/issue", []) == [
        "POST /rest/api/3/issue: request body is required"
    ]
    # Array parameters may repeat (?id=1&id=2), others may not.
    configuration = "/rest/api/3/app/field/customfield_1/context/configuration"
    assert checker.check("GET", configuration, [("id", "1"), ("id", "2")]) == []
    assert checker.check("GET", "/rest/api/3/issue/ITSM-1", [("expand", "a"), ("expand", "b")]) == [
        "GET /rest/api/3/issue/{issueIdOrKey}: query parameter 'expand' is repeated but no array"
    ]


def test_bodies_refs_nullable_and_undeclared_bodies() -> None:
    spec = {
        "openapi": "3.0.1",
        "components": {
            "schemas": {
                "Group": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "parent": {"type": "string", "nullable": True},
                        "members": {"type": "array", "items": {"$ref": "#/components/schemas/M"}},
                    },
                },
                "M": {"type": "object", "required": ["accountId"]},
            },
            "requestBodies": {
                "Group": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Group"}}
                    }
                }
            },
        },
        "paths": {
            "/groups": {"post": {"requestBody": {"$ref": "#/components/requestBodies/Group"}}},
            "/groups/{id}": {"delete": {}},
        },
    }
    checker = OpenApiRequestChecker(spec)
    good = {"name": "A", "parent": None, "members": [{"accountId": "1"}]}
    assert checker.check("POST", "/groups", [], body=good) == []
    assert checker.check("POST", "/groups", [], body={"members": [{}]}) == [
        "POST /groups: request body ['members'][0]: 'accountId' is a required property"
    ]
    assert checker.check("DELETE", "/groups/1", [], body={}) == [
        "DELETE /groups/{id}: request body is not declared"
    ]
    assert checker.check("POST", "/groups", []) == []  # the body is optional here


def test_without_jsonschema_bodies_are_checked_for_presence_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from usm_config.sandbox import openapi_check

    monkeypatch.setattr(openapi_check, "body_schemas_checked", lambda: False)
    spec = {
        "openapi": "3.0.1",
        "paths": {
            "/t": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                }
            }
        },
    }
    checker = OpenApiRequestChecker(spec)
    assert checker.check("POST", "/t", [], body=[1, 2]) == []
    assert checker.check("POST", "/t", []) == ["POST /t: request body is required"]


def test_answers_are_checked_against_the_schema_documented_for_their_status() -> None:
    thing = {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "owner": {"$ref": "#/components/schemas/Ref"},
            "kind": {"type": "string", "enum": ["a", "b"]},
        },
    }
    spec = {
        "openapi": "3.0.1",
        "components": {
            "schemas": {"Thing": thing, "Ref": {"type": "object"}},
            "responses": {
                "Error": {
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "required": ["errorMessages"]}
                        }
                    }
                }
            },
        },
        "paths": {
            "/things/{id}": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json;charset=UTF-8": {
                                    "schema": {"$ref": "#/components/schemas/Thing"}
                                }
                            }
                        },
                        "4XX": {"$ref": "#/components/responses/Error"},
                        "default": {"description": "no schema"},
                    }
                }
            },
            "/other": {"get": {}},
        },
    }
    checker = OpenApiRequestChecker(spec)
    # A tool answers null for empty links and more fields than its schema lists: both pass.
    as_tools_answer = {"name": "A", "owner": None, "kind": None, "untranslatedName": "A"}
    assert checker.check_response("GET", "/things/1", 200, as_tools_answer) == []
    assert checker.check_response("GET", "/things/1", 200, {"name": 3, "kind": "c"}) == [
        "GET /things/{id}: 200 response body ['kind']: 'c' is not one of ['a', 'b', None]",
        "GET /things/{id}: 200 response body ['name']: 3 is not of type 'string', 'null'",
    ]
    assert checker.check_response("GET", "/things/1", 200, {"owner": {}}) == [
        "GET /things/{id}: 200 response body (root): 'name' is a required property"
    ]
    # A status range's schema, through components/responses.
    assert checker.check_response("GET", "/things/1", 404, {}) == [
        "GET /things/{id}: 404 response body (root): 'errorMessages' is a required property"
    ]
    # No schema for the status (default has none), or no operation: nothing to check.
    assert checker.check_response("GET", "/things/1", 500, []) == []
    assert checker.check_response("GET", "/other", 200, []) == []
    assert checker.check_response("GET", "/nowhere", 200, []) == []
