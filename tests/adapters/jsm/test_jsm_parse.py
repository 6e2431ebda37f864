"""The pure read half: raw Jira and JSM responses → live records, against golden files.

The raw responses are the vendor's own example responses for each read operation, taken at
test time from the OpenAPI documents in ``../shared/specs/jira`` (never copied into the
project). ``UPDATE_GOLDEN=1 pytest …`` rewrites the expected records after an intended change.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jira_examples import PLATFORM, SERVICE_DESK, example
from support import assert_golden
from usm_jsm import parse

from usm_config.engine.records import Record

GOLDEN = Path(__file__).parent / "golden" / "parse"


def values(spec: str, path: str) -> list[Any]:
    body = example(spec, path)
    return list(body["values"]) if isinstance(body, dict) else list(body)


def _api(path: str) -> str:
    return f"/rest/api/3{path}"


def _jsm(path: str) -> str:
    return f"/rest/servicedeskapi{path}"


CASES: dict[str, Callable[[], list[Record]]] = {
    "groups": lambda: parse.parse_groups(values(PLATFORM, _api("/group/bulk"))),
    "organizations": lambda: parse.parse_organizations(values(SERVICE_DESK, _jsm("/organization"))),
    "issue-types": lambda: parse.parse_issue_types(values(PLATFORM, _api("/issuetype"))),
    # The search example holds one team-managed status, left out; the workflow search example
    # lists global ones in the same shape.
    "statuses": lambda: parse.parse_statuses(
        values(PLATFORM, _api("/statuses/search"))
        + example(PLATFORM, _api("/workflows/search"))["statuses"]
    ),
    "priorities": lambda: parse.parse_priorities(values(PLATFORM, _api("/priority"))),
    "fields": lambda: parse.parse_fields(values(PLATFORM, _api("/field/search"))),
    "contexts": lambda: parse.parse_contexts(
        "customfield_10000",
        values(PLATFORM, _api("/field/{fieldId}/context")),
        values(PLATFORM, _api("/field/{fieldId}/context/issuetypemapping")),
        values(PLATFORM, _api("/field/{fieldId}/context/projectmapping")),
    ),
    "options": lambda: parse.parse_options(
        "customfield_10000/10025",
        values(PLATFORM, _api("/field/{fieldId}/context/{contextId}/option")),
    ),
    "workflows": lambda: parse.parse_workflows(
        values(PLATFORM, _api("/workflows/search")),
        example(PLATFORM, _api("/workflows/search")).get("statuses") or [],
    ),
    # The spec's schemes name workflows its workflow examples do not have: names stay names.
    "workflow-schemes": lambda: parse.parse_workflow_schemes(
        values(PLATFORM, _api("/workflowscheme")),
        parse.parse_workflows(
            values(PLATFORM, _api("/workflows/search")),
            example(PLATFORM, _api("/workflows/search")).get("statuses") or [],
        ),
    ),
    "issue-type-schemes": lambda: parse.parse_issue_type_schemes(
        values(PLATFORM, _api("/issuetypescheme")),
        values(PLATFORM, _api("/issuetypescheme/mapping")),
    ),
    "projects": lambda: parse.parse_projects(
        values(PLATFORM, _api("/project/search")),
        parse.scheme_of_projects(
            values(PLATFORM, _api("/issuetypescheme/project")), "issueTypeScheme"
        ),
        parse.scheme_of_projects(
            values(PLATFORM, _api("/workflowscheme/project")), "workflowScheme"
        ),
    ),
    "components": lambda: parse.parse_components(
        "10000", values(PLATFORM, _api("/project/{projectIdOrKey}/component"))
    ),
    "request-types": lambda: parse.parse_request_types(
        "10000", "28", values(SERVICE_DESK, _jsm("/servicedesk/{serviceDeskId}/requesttype"))
    ),
    "queues": lambda: parse.parse_queues(
        "10000", "28", values(SERVICE_DESK, _jsm("/servicedesk/{serviceDeskId}/queue"))
    ),
    "portal-groups": lambda: parse.parse_portal_groups(
        "10000",
        "28",
        values(SERVICE_DESK, _jsm("/servicedesk/{serviceDeskId}/requesttypegroup")),
        values(SERVICE_DESK, _jsm("/servicedesk/{serviceDeskId}/requesttype")),
    ),
}


def _dump(records: list[Record]) -> str:
    rows = [{"kind": r.kind, "target_id": r.target_id, "fields": r.fields} for r in records]
    return json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_vendor_examples_parse_to_golden_records(name: str) -> None:
    records = CASES[name]()
    assert records, f"the vendor example of {name} yields no record"
    assert_golden(GOLDEN / f"{name}.json", _dump(records), shown=f"golden/parse/{name}.json")


def test_team_managed_issue_types_and_project_statuses_are_left_out() -> None:
    scoped = {"id": "1", "name": "Bug", "scope": {"type": "PROJECT", "project": {"id": "1"}}}
    assert parse.parse_issue_types([scoped]) == []
    project_status = {
        "id": "2",
        "name": "X",
        "statusCategory": "TODO",
        "scope": {"type": "PROJECT"},
    }
    assert parse.parse_statuses([project_status]) == []


def test_cascading_children_point_at_their_parent() -> None:
    rows = [{"id": "1", "value": "Hardware"}, {"id": "2", "value": "Laptop", "optionId": "1"}]
    rows.insert(1, {"id": "3", "value": "Software"})
    top, _, child, order, children = parse.parse_options("customfield_1/10", rows)
    assert (top.kind, top.target_id) == ("field_option", "customfield_1/10/1")
    assert child.kind == "field_child_option"
    assert child.fields["parent"] == "customfield_1/10/1"
    # The order of the context's options, and of the option's children, in the rows' order.
    assert (order.kind, order.target_id) == ("field_option_order", "customfield_1/10")
    assert order.fields["options"] == ["customfield_1/10/1", "customfield_1/10/3"]
    assert (children.kind, children.target_id) == ("field_child_option_order", top.target_id)
    assert children.fields == {"parent": top.target_id, "options": [child.target_id]}


def test_workflow_transitions_are_named_by_status_not_by_server_order() -> None:
    statuses = [{"id": "10", "name": "Open"}, {"id": "11", "name": "Done"}]
    workflow = {
        "id": "w1",
        "name": "W",
        "statuses": [{"statusReference": "11"}, {"statusReference": "10"}],
        "transitions": [
            {"id": "2", "name": "Finish", "type": "DIRECTED", "toStatusReference": "11",
             "links": [{"fromStatusReference": "10"}]},
            {"id": "1", "name": "Create", "type": "INITIAL", "toStatusReference": "10"},
        ],
    }  # fmt: skip
    (record,) = parse.parse_workflows([workflow], statuses)
    assert [t["name"] for t in record.fields["transitions"]] == ["Create", "Finish"]  # type: ignore[index,union-attr]
    assert record.fields["statuses"] == [
        {"name": "Done", "properties": {}},
        {"name": "Open", "properties": {}},
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_rows_served_twice_parse_as_served_once(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An offset-paged list that shifts while it is read serves a row on two pages. The
    engine keeps one record per id; what a record gathers from rows (a scheme's issue types)
    must not count the row twice either."""
    once = _dump(CASES[name]())
    served = values

    def twice(spec: str, path: str) -> list[Any]:
        rows = served(spec, path)
        return rows + rows

    monkeypatch.setattr(sys.modules[__name__], "values", twice)
    kept: dict[tuple[str, str | None], Record] = {}
    for record in CASES[name]():
        kept.setdefault((record.kind, record.target_id), record)
    assert _dump(list(kept.values())) == once
