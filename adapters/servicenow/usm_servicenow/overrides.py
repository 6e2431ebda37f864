"""Validation of the blueprint's ``x-servicenow`` settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from usm_config.adapter import Problem
from usm_config.blueprint.model import (
    Blueprint,
    Customer,
    Overridable,
    Service,
    Team,
)
from usm_config.diagnostics import did_you_mean
from usm_servicenow.mapping import build_records, name_clashes
from usm_servicenow.values import (
    _SETTINGS_HOME,
    ADAPTER,
    ORGANISATION_SETTINGS,
    SERVICE_SETTINGS,
    TEAM_SETTINGS,
    WORKFLOW_SETTINGS,
    Path,
)

# ----------------------------------------------------------------------------- checks


def _elements(
    bp: Blueprint,
) -> Iterable[tuple[Path, Overridable, Mapping[str, tuple[str, ...] | None], str]]:
    """Every element that may carry ``x-servicenow``, with the settings it accepts."""
    none: dict[str, tuple[str, ...] | None] = {}
    yield (), bp, none, "the blueprint"
    yield ("organisation",), bp.organisation, ORGANISATION_SETTINGS, "the organisation"
    for name, noun, settings in (
        ("profiles", "profile", none),
        ("customers", "customer", none),
        ("teams", "team", TEAM_SETTINGS),
        ("schedules", "schedule", none),
        ("call_types", "call type", none),
        ("processes", "process", none),
        ("workflows", "workflow", WORKFLOW_SETTINGS),
    ):
        for i, element in enumerate(getattr(bp, name)):
            yield (name, i), element, settings, f"{noun} '{element.id}'"
    for i, svc in enumerate(bp.services):
        at: Path = ("services", i)
        yield at, svc, SERVICE_SETTINGS, f"service '{svc.id}'"
        if svc.agreements.service:
            sa = svc.agreements.service
            yield (*at, "agreements", "service"), sa, none, f"agreement '{sa.id}'"
        for kind in ("olas", "ucs"):
            for j, agreement in enumerate(getattr(svc.agreements, kind)):
                yield (*at, "agreements", kind, j), agreement, none, f"agreement '{agreement.id}'"
        for j, item in enumerate(svc.requests):
            yield (*at, "requests", j), item, none, f"request '{item.id}'"
    if bp.classification:
        yield ("classification",), bp.classification, none, "the classification"


def _setting_problems(
    at: Path, element: Overridable, allowed: Mapping[str, tuple[str, ...] | None], label: str
) -> Iterable[Problem]:
    for key, value in element.override(ADAPTER).items():
        path: Path = (*at, "x-servicenow", key)
        if key not in allowed:
            if allowed:
                hint = "ServiceNow settings here: " + ", ".join(sorted(allowed))
            else:
                hint = f"{label} takes no ServiceNow settings; remove it"
            home = _SETTINGS_HOME.get(key)
            if home:
                hint = f"'{key}' is a setting of {home}; move it there"
            yield Problem(
                path,
                f"unknown ServiceNow setting '{key}' on {label}{did_you_mean(key, allowed)}",
                hint,
            )
            continue
        choices = allowed[key]
        if not isinstance(value, str) or not value.strip():
            expected = "one of " + ", ".join(f"'{c}'" for c in choices) if choices else "text"
            yield Problem(path, f"'{key}' must be {expected}", f"write {key} as {expected}")
        elif choices is not None and value not in choices:
            yield Problem(
                path,
                f"'{value}' is not a ServiceNow {key.replace('_', ' ')}"
                f"{did_you_mean(value, choices)}",
                "use one of: " + ", ".join(f"'{c}'" for c in choices),
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
    problems: list[Problem] = []
    for at, element, allowed, label in _elements(blueprint):
        problems.extend(_setting_problems(at, element, allowed, label))
    problems.extend(_query_problems(blueprint))
    problems.extend(name_clashes(build_records(blueprint)))
    return problems
