"""Validation of the blueprint's ``x-jsm`` settings and of names Jira cannot hold."""

from __future__ import annotations

import re
from collections.abc import Iterable

from usm_config.adapter import Problem
from usm_config.blueprint.model import Blueprint
from usm_config.compile.settings import SettingSpec, SettingsTable, check_settings, setting
from usm_config.compile.walk import ElementType
from usm_jsm.mapping import build
from usm_jsm.values import ADAPTER, TOOL

#: Every ``x-jsm`` setting the mapping reads.
SETTINGS = SettingsTable(
    tool=TOOL,
    settings=(
        SettingSpec(
            "project_key",
            on=(ElementType.ORGANISATION,),
            hint="a Jira project key: 2 to 10 upper-case letters and digits, first a letter",
        ),
    ),
)

#: Jira project keys (https://support.atlassian.com/jira-cloud-administration/docs/edit-a-projects-details/).
PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")

#: The longest names Jira accepts, per kind (``CreateIssueTypeDetails.name`` ≤ 60, statuses
#: and priorities likewise; custom fields, components and request types ≤ 255).
NAME_LIMITS = {"issuetype": 60, "status": 60, "priority": 60, "workflow": 255, "component": 255}


def _project_key(bp: Blueprint) -> Iterable[Problem]:
    key = setting(bp.organisation, ADAPTER, "project_key", "")
    if key and not PROJECT_KEY.match(key):
        yield Problem(
            ("organisation", f"x-{ADAPTER}", "project_key"),
            f"'{key}' is not a Jira project key",
            "use 2 to 10 upper-case letters and digits, starting with a letter, e.g. 'ICT'",
        )


def _name_lengths(bp: Blueprint) -> Iterable[Problem]:
    for record, path in build(bp).items:
        limit = NAME_LIMITS.get(record.kind)
        name = str(record.fields.get("name", ""))
        if limit is not None and len(name) > limit:
            yield Problem(
                path,
                f"'{name}' becomes a Jira {record.kind} name of {len(name)} characters; Jira "
                f"accepts at most {limit}",
                f"shorten the name to {limit} characters or fewer",
            )


def check_overrides(blueprint: Blueprint) -> list[Problem]:
    """Problems with the blueprint's ``x-jsm`` settings, and with names Jira cannot hold
    apart (two elements becoming one record) or cannot hold at all (too long)."""
    problems = check_settings(blueprint, ADAPTER, SETTINGS)
    problems.extend(_project_key(blueprint))
    problems.extend(_name_lengths(blueprint))
    problems.extend(build(blueprint).clashes())
    return problems
