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

#: The longest names Jira accepts, per kind and field (``CreateIssueTypeDetails.name`` ≤ 60,
#: statuses and priorities likewise; custom fields, components and request types ≤ 255).
NAME_LIMITS = {
    ("issuetype", "name"): 60,
    ("status", "name"): 60,
    ("priority", "name"): 60,
    ("workflow", "name"): 255,
    ("component", "name"): 255,
}


def _project_key(bp: Blueprint) -> Iterable[Problem]:
    key = setting(bp.organisation, ADAPTER, "project_key", "")
    if key and not PROJECT_KEY.match(key):
        yield Problem(
            ("organisation", f"x-{ADAPTER}", "project_key"),
            f"'{key}' is not a Jira project key",
            "use 2 to 10 upper-case letters and digits, starting with a letter, e.g. 'ICT'",
        )


def check_overrides(blueprint: Blueprint) -> list[Problem]:
    """Problems with the blueprint's ``x-jsm`` settings, and with names Jira cannot hold
    apart (two elements becoming one record) or cannot hold at all (too long)."""
    problems = check_settings(blueprint, ADAPTER, SETTINGS)
    problems.extend(_project_key(blueprint))
    sink = build(blueprint)
    problems.extend(sink.too_long(NAME_LIMITS, "Jira"))
    problems.extend(sink.clashes())
    return problems
