"""Validation of the blueprint's ``x-topdesk`` settings and of names TOPdesk cannot hold."""

from __future__ import annotations

from collections.abc import Iterable

from usm_config.adapter import Problem
from usm_config.blueprint.model import Blueprint
from usm_config.compile.settings import SettingSpec, SettingsTable, check_settings
from usm_config.compile.walk import ElementType
from usm_config.diagnostics import did_you_mean
from usm_topdesk.mapping import TASKS, build
from usm_topdesk.values import ADAPTER, TOOL

#: Every ``x-topdesk`` setting the mapping reads.
SETTINGS = SettingsTable(
    tool=TOOL,
    settings=(
        SettingSpec(
            "operator_group",
            on=(ElementType.TEAM,),
            hint="the name of the team's TOPdesk operator group (at most 30 characters)",
        ),
        SettingSpec(
            "tasks",
            on=(ElementType.TEAM,),
            value_type=list,
            hint="a list of operator-group tasks: " + ", ".join(TASKS),
        ),
    ),
)

#: The longest names TOPdesk accepts, per kind and field (supporting files 2.7.11:
#: ``groupName`` ≤ 30, branch ``name`` ≤ 60, department ``name`` ≤ 100; services 1.3.7:
#: ``name`` 1–100; change 1.4.0: ``briefDescription`` ≤ 80).
NAME_LIMITS = {
    ("operator_group", "groupName"): 30,
    ("branch", "name"): 60,
    ("department", "name"): 100,
    ("service", "name"): 100,
}


def _tasks(bp: Blueprint) -> Iterable[Problem]:
    for i, team in enumerate(bp.teams):
        tasks = team.override(ADAPTER).get("tasks")
        if not isinstance(tasks, list):
            continue
        for k, task in enumerate(tasks):
            if isinstance(task, str) and task not in TASKS:
                yield Problem(
                    ("teams", i, f"x-{ADAPTER}", "tasks", k),
                    f"'{task}' is not an operator-group task{did_you_mean(task, TASKS)}",
                    "use " + ", ".join(f"'{t}'" for t in TASKS),
                )


def check_overrides(blueprint: Blueprint) -> list[Problem]:
    """Problems with the blueprint's ``x-topdesk`` settings, and with names TOPdesk cannot
    hold apart (two elements becoming one record) or cannot hold at all (too long)."""
    problems = check_settings(blueprint, ADAPTER, SETTINGS)
    problems.extend(_tasks(blueprint))
    sink = build(blueprint).sink
    fix = {"operator_group": " (or set x-topdesk.operator_group)"}
    problems.extend(sink.too_long(NAME_LIMITS, TOOL, fix))
    problems.extend(sink.clashes())
    return problems
