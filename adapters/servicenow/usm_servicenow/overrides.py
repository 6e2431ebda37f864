"""Validation of the blueprint's ``x-servicenow`` settings and of names ServiceNow cannot hold."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from usm_config.adapter import Problem
from usm_config.blueprint.model import Blueprint, Customer, Service, Team
from usm_config.compile.settings import SettingSpec, SettingsTable, check_settings
from usm_config.compile.walk import ElementType
from usm_servicenow.mapping import compile_records
from usm_servicenow.values import ADAPTER, CLASSIFICATIONS, CRITICALITIES, TOOL

#: Every ``x-servicenow`` setting the mapping reads.
SETTINGS = SettingsTable(
    tool=TOOL,
    settings=(
        SettingSpec("catalog_title", on=(ElementType.ORGANISATION,)),
        SettingSpec("knowledge_base_title", on=(ElementType.ORGANISATION,)),
        SettingSpec("group_type", on=(ElementType.TEAM,)),
        SettingSpec("business_criticality", on=(ElementType.SERVICE,), choices=CRITICALITIES),
        SettingSpec("service_classification", on=(ElementType.SERVICE,), choices=CLASSIFICATIONS),
        SettingSpec("flow", on=(ElementType.WORKFLOW,)),
        SettingSpec("article", on=(ElementType.WORKFLOW,)),
    ),
)


def _query_problems(bp: Blueprint) -> Iterable[Problem]:
    """Names that SLA conditions put into encoded queries, which cannot escape '^'."""
    hint = "encoded queries cannot escape '^'; remove it from the name"
    named: tuple[tuple[str, str, Sequence[Service | Customer | Team]], ...] = (
        ("services", "service", bp.services),
        ("customers", "customer", bp.customers),
        ("teams", "team", bp.teams),
    )
    for collection, label, elements in named:
        for i, element in enumerate(elements):
            if "^" in element.name:
                yield Problem(
                    (collection, i, "name"),
                    f"{label} name '{element.name}' contains '^', which SLA conditions cannot "
                    "match",
                    hint,
                )


def check_overrides(blueprint: Blueprint) -> list[Problem]:
    """Problems with the blueprint's ``x-servicenow`` settings, and with names ServiceNow
    cannot hold apart (two elements becoming one record, '^' in names used in queries)."""
    problems = check_settings(blueprint, ADAPTER, SETTINGS)
    problems.extend(_query_problems(blueprint))
    problems.extend(compile_records(blueprint).clashes())
    return problems
