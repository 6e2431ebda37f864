"""What creating a project from the ITSM template gives it (jira.md §1.6).

The template is data (``usm_jsm/data/itsm-template.json``, with its ``_source``);
:func:`instantiate` only writes it for one project: issue types (reused by name), a project
issue type scheme, the ITSM workflows and a workflow scheme, the field configuration scheme,
the service desk, its request-type groups, request types and queues. ``{key}`` in a name is
the project key.

The project row gets ``_issueTypeSchemeId``, ``_workflowSchemeId`` and
``_fieldConfigurationSchemeId``, ``_serviceDeskId``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from usm_config.sandbox.baseline import package_data
from usm_jsm.sandbox.errors import JiraApiError
from usm_jsm.sandbox.servicedesk import next_small_id, request_type_row
from usm_jsm.sandbox.site import (
    ISSUE_TYPE,
    ISSUE_TYPE_SCHEME,
    PROJECT,
    QUEUE,
    REQUEST_TYPE_GROUP,
    SERVICE_DESK,
    STATUS,
    WORKFLOW,
    WORKFLOW_SCHEME,
    Row,
    Site,
)

__all__ = ["FIELD_CONFIGURATION_SCHEME", "TEMPLATE_KEY", "instantiate", "template"]

TEMPLATE_KEY = "com.atlassian.servicedesk:simplified-it-service-management"
FIELD_CONFIGURATION_SCHEME = "fieldconfigurationscheme"

_NO_CONDITIONS: Mapping[str, Any] = {"operation": "ALL", "conditions": [], "conditionGroups": []}


def template() -> dict[str, Any]:
    """The parsed template data file (shared; do not mutate)."""
    return package_data("usm_jsm", "itsm-template.json")


def _named(text: str, key: str) -> str:
    return text.replace("{key}", key)


def _issue_types(site: Site, spec: list[dict[str, Any]]) -> dict[str, str]:
    """Template issue type ref → id; a missing type is created and joins the default scheme."""
    ids: dict[str, str] = {}
    for entry in spec:
        found = site.find(ISSUE_TYPE, name=entry["name"])
        if found is None:
            avatar = entry.get("avatarId", 10318)
            found = site.insert(
                ISSUE_TYPE,
                {
                    "id": site.new_id(ISSUE_TYPE),
                    "name": entry["name"],
                    "untranslatedName": entry["name"],
                    "description": entry.get("description", ""),
                    "iconUrl": "/rest/api/2/universal_avatar/view/type/issuetype/avatar/"
                    f"{avatar}?size=medium",
                    "subtask": False,
                    "avatarId": avatar,
                    "hierarchyLevel": 0,
                },
            )
            default = site.find(ISSUE_TYPE_SCHEME, isDefault=True)
            if default is not None:
                members = [*default.get("_issueTypeIds", []), found["id"]]
                site.replace(ISSUE_TYPE_SCHEME, {**default, "_issueTypeIds": members})
        ids[entry["ref"]] = str(found["id"])
    return ids


def _status_ids(site: Site, spec: list[dict[str, Any]]) -> dict[str, str]:
    """Status name → id; a status missing from the site is created as a global one."""
    ids: dict[str, str] = {}
    for entry in spec:
        found = site.find(STATUS, name=entry["name"])
        if found is None:
            found = site.insert(
                STATUS,
                {
                    "id": site.new_id(STATUS),
                    "name": entry["name"],
                    "description": "",
                    "statusCategory": entry["category"],
                    "scope": {"type": "GLOBAL"},
                },
            )
        ids[entry["name"]] = str(found["id"])
    return ids


def _transition(number: int, name: str, sources: list[str] | None, target: str) -> Row:
    return {
        "id": str(number),
        "type": "INITIAL" if sources is None else "DIRECTED",
        "toStatusReference": target,
        "links": [
            {"fromStatusReference": source, "fromPort": 0, "toPort": 0} for source in sources or []
        ],
        "name": name,
        "description": "",
        "properties": {},
        "actions": [],
        "validators": [],
        "triggers": [],
        "conditions": dict(_NO_CONDITIONS),
    }


def _workflow(site: Site, spec: Mapping[str, Any], key: str, statuses: Mapping[str, str]) -> Row:
    stamp = site.timestamp()
    transitions = [
        # Jira numbers a workflow's transitions 1, 11, 21, …
        _transition(
            1 if index == 0 else index * 10 + 1,
            name,
            None if sources is None else [statuses[s] for s in sources],
            statuses[target],
        )
        for index, (name, sources, target) in enumerate(spec["transitions"])
    ]
    return site.insert(
        WORKFLOW,
        {
            "id": site.new_uuid(),
            "name": _named(spec["name"], key),
            "description": spec["description"],
            "scope": {"type": "GLOBAL"},
            "statuses": [
                {
                    "statusReference": statuses[name],
                    "properties": {},
                    "layout": {"x": 0.0, "y": 0.0},
                    "deprecated": False,
                }
                for name in spec["statuses"]
            ],
            "transitions": transitions,
            "startPointLayout": None,
            "loopedTransitionContainerLayout": None,
            "version": {"id": site.new_uuid(), "versionNumber": 0},
            "isEditable": True,
            "created": stamp,
            "updated": stamp,
        },
    )


def _check_field_configuration_scheme_free(site: Site, name: str) -> None:
    # Salto PR #3027: Jira creates the project, then fails on the clashing scheme name.
    if site.find(FIELD_CONFIGURATION_SCHEME, name=name) is not None:
        raise JiraApiError(
            500,
            [f"A field configuration scheme with the name '{name}' already exists."],
        )


def _service_desk(
    site: Site, project: Row, data: Mapping[str, Any], types: Mapping[str, str]
) -> Row:
    desk = site.insert(
        SERVICE_DESK,
        {
            "id": next_small_id(site, SERVICE_DESK),
            "projectId": str(project["id"]),
            "projectKey": project["key"],
            "projectName": project["name"],
            "projectTypeKey": "service_desk",
            "_portalId": next_small_id(site, "portal"),
        },
    )
    groups: dict[str, str] = {}
    for name in data["requestTypeGroups"]:
        group = site.insert(
            REQUEST_TYPE_GROUP,
            {
                "id": next_small_id(site, REQUEST_TYPE_GROUP),
                "name": name,
                "_serviceDeskId": desk["id"],
            },
        )
        groups[name] = group["id"]
    for entry in data["requestTypes"]:
        request_type_row(
            site,
            desk,
            name=entry["name"],
            description=entry["description"],
            help_text=entry.get("helpText", ""),
            issue_type_id=types[entry["issueType"]],
            group_ids=[groups[g] for g in entry["groups"]],
            practice=data["practices"].get(entry["issueType"]),
            field_ids=data["templateRequestTypeFields"],
        )
    for queue in data["queues"]:
        site.insert(
            QUEUE,
            {
                "id": next_small_id(site, QUEUE),
                "name": queue["name"],
                "jql": _named(queue["jql"], project["key"]),
                "fields": list(data["queueFields"]),
                "_serviceDeskId": desk["id"],
            },
        )
    return desk


def instantiate(site: Site, project_row: Row) -> None:
    """Give the just-created ``project_row`` what the ITSM template creates.

    Raises a 500 :class:`JiraApiError` (after the project exists) when the project's field
    configuration scheme name is already taken.
    """
    data = template()
    key = str(project_row["key"])
    fcs_name = _named(data["fieldConfigurationScheme"]["name"], key)
    _check_field_configuration_scheme_free(site, fcs_name)

    types = _issue_types(site, data["issueTypes"])
    scheme_spec = data["issueTypeScheme"]
    issue_type_scheme = site.insert(
        ISSUE_TYPE_SCHEME,
        {
            "id": site.new_id(ISSUE_TYPE_SCHEME),
            "name": _named(scheme_spec["name"], key),
            "description": scheme_spec["description"],
            "defaultIssueTypeId": types[scheme_spec["defaultIssueType"]],
            "isDefault": False,
            "_issueTypeIds": [types[ref] for ref in scheme_spec["issueTypes"]],
        },
    )
    statuses = _status_ids(site, data["statuses"])
    workflows = {spec["ref"]: _workflow(site, spec, key, statuses) for spec in data["workflows"]}
    ws_spec = data["workflowScheme"]
    workflow_scheme = site.insert(
        WORKFLOW_SCHEME,
        {
            "id": site.new_id(WORKFLOW_SCHEME),
            "name": _named(ws_spec["name"], key),
            "description": _named(ws_spec["description"], key),
            "defaultWorkflow": workflows[ws_spec["defaultWorkflow"]]["name"],
            "issueTypeMappings": {
                types[ref]: workflows[workflow]["name"]
                for ref, workflow in ws_spec["issueTypeMappings"].items()
            },
        },
    )
    field_configuration_scheme = site.insert(
        FIELD_CONFIGURATION_SCHEME,
        {
            "id": site.new_id(FIELD_CONFIGURATION_SCHEME),
            "name": fcs_name,
            "description": data["fieldConfigurationScheme"]["description"],
        },
    )
    desk = _service_desk(site, project_row, data, types)
    current = site.get(PROJECT, project_row["id"]) or project_row
    site.replace(
        PROJECT,
        {
            **current,
            "_issueTypeSchemeId": issue_type_scheme["id"],
            "_workflowSchemeId": workflow_scheme["id"],
            "_fieldConfigurationSchemeId": field_configuration_scheme["id"],
            "_serviceDeskId": desk["id"],
        },
    )
