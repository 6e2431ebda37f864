"""The table-driven ``x-<adapter>`` settings check and reading one setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import JsonValue

from usm_config.adapter import Problem
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint, Team
from usm_config.compile.settings import SettingSpec, SettingsTable, check_settings, setting
from usm_config.compile.walk import ElementType

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = "tool"

TABLE = SettingsTable(
    tool="Tool",
    settings=(
        SettingSpec("project_key", on=(ElementType.ORGANISATION,)),
        SettingSpec("queue", on=(ElementType.TEAM, ElementType.SERVICE)),
        SettingSpec("portal", on=(ElementType.SERVICE,), value_type=bool),
        SettingSpec("tier", on=(ElementType.SERVICE,), choices=("gold", "silver")),
        SettingSpec("sort_order", on=(ElementType.REQUEST_ITEM,), value_type=int),
        SettingSpec("labels", on=(ElementType.WORKFLOW,), value_type=list),
        SettingSpec("colour", on=(ElementType.AGREEMENT,), choices=("red",), hint="pick red"),
    ),
)


@pytest.fixture(scope="module")
def university() -> Blueprint:
    blueprint = load_blueprint(ROOT / "blueprints" / "examples" / "university.yaml").blueprint
    assert blueprint is not None
    return blueprint


def _with_settings(bp: Blueprint, at: tuple[str | int, ...], settings: Any) -> Blueprint:
    data = bp.model_dump(mode="json")
    node = data
    for part in at:
        node = node[part]
    node[f"x-{ADAPTER}"] = settings
    return Blueprint.model_validate(data)


SERVICE = ("services", 0)
TEAM = ("teams", 0)

#: (case, element path, settings written there, expected problems as (setting, message, hint))
CASES: list[tuple[str, tuple[str | int, ...], dict[str, JsonValue], list[tuple[str, str, str]]]] = [
    ("valid", SERVICE, {"queue": "Rooms", "portal": True, "tier": "gold"}, []),
    ("valid request item", (*SERVICE, "requests", 1), {"sort_order": 3}, []),
    ("valid workflow", ("workflows", 0), {"labels": ["usm", "wf1"]}, []),
    (
        "unknown, did you mean",
        SERVICE,
        {"teir": "gold"},
        [
            (
                "teir",
                "unknown Tool setting 'teir' on service 'room-booking' (did you mean 'tier'?)",
                "Tool settings here: portal, queue, tier",
            )
        ],
    ),
    (
        "setting of another element",
        TEAM,
        {"portal": True},
        [
            (
                "portal",
                "unknown Tool setting 'portal' on team 'campus-desk'",
                "'portal' is a setting of services; move it there",
            )
        ],
    ),
    (
        "setting of two other elements",
        ("schedules", 0),
        {"queue": "x"},
        [
            (
                "queue",
                "unknown Tool setting 'queue' on schedule 'office-hours'",
                "'queue' is a setting of teams or services; move it there",
            )
        ],
    ),
    (
        "element without settings",
        ("customers", 0),
        {"anything": 1},
        [
            (
                "anything",
                "unknown Tool setting 'anything' on customer 'students'",
                "customer 'students' takes no Tool settings; remove it",
            )
        ],
    ),
    (
        "the blueprint itself",
        (),
        {"project_key": "X"},
        [
            (
                "project_key",
                "unknown Tool setting 'project_key' on the blueprint",
                "'project_key' is a setting of the organisation; move it there",
            )
        ],
    ),
    (
        "not a flag",
        SERVICE,
        {"portal": "yes"},
        [("portal", "'portal' must be true or false", "write portal as true or false")],
    ),
    (
        "a flag is not a number",
        (*SERVICE, "requests", 0),
        {"sort_order": True},
        [
            (
                "sort_order",
                "'sort_order' must be a whole number",
                "write sort_order as a whole number",
            )
        ],
    ),
    (
        "not a list of texts",
        ("workflows", 0),
        {"labels": ["usm", 3]},
        [("labels", "'labels' must be a list of texts", "write labels as a list of texts")],
    ),
    (
        "blank text",
        ("organisation",),
        {"project_key": " "},
        [("project_key", "'project_key' must be text", "write project_key as text")],
    ),
    (
        "choice of the wrong type",
        SERVICE,
        {"tier": 1},
        [
            (
                "tier",
                "'tier' must be one of 'gold', 'silver'",
                "write tier as one of 'gold', 'silver'",
            )
        ],
    ),
    (
        "not a choice",
        SERVICE,
        {"tier": "goldd"},
        [
            (
                "tier",
                "'goldd' is not a Tool tier (did you mean 'gold'?)",
                "use one of: 'gold', 'silver'",
            )
        ],
    ),
    (
        "the setting's own hint",
        (*SERVICE, "agreements", "service"),
        {"colour": "blue"},
        [("colour", "'blue' is not a Tool colour", "pick red")],
    ),
]


@pytest.mark.parametrize(("case", "at", "settings", "expected"), CASES, ids=[c[0] for c in CASES])
def test_check_settings(
    university: Blueprint,
    case: str,
    at: tuple[str | int, ...],
    settings: dict[str, JsonValue],
    expected: list[tuple[str, str, str]],
) -> None:
    problems = check_settings(_with_settings(university, at, settings), ADAPTER, TABLE)
    assert problems == [
        Problem((*at, f"x-{ADAPTER}", name), message, hint) for name, message, hint in expected
    ]


def test_other_adapters_settings_are_not_checked(university: Blueprint) -> None:
    data = university.model_dump(mode="json")
    data["services"][0]["x-other"] = {"anything": "goes"}
    assert check_settings(Blueprint.model_validate(data), ADAPTER, TABLE) == []


def test_every_problem_of_a_blueprint_in_blueprint_order(university: Blueprint) -> None:
    bp = _with_settings(university, ("teams", 1), {"portal": True})
    bp = _with_settings(bp, ("organisation",), {"project_keys": "X"})
    assert [p.path for p in check_settings(bp, ADAPTER, TABLE)] == [
        ("organisation", "x-tool", "project_keys"),
        ("teams", 1, "x-tool", "portal"),
    ]


#: (settings on a team, name, default, value read)
READ_CASES: list[tuple[dict[str, JsonValue], str, Any, Any]] = [
    ({"queue": "Rooms"}, "queue", "", "Rooms"),
    ({}, "queue", "Default", "Default"),
    ({"queue": "  "}, "queue", "Default", "Default"),
    ({"queue": 3}, "queue", "Default", "Default"),
    ({"portal": False}, "portal", True, False),
    ({"portal": "no"}, "portal", True, True),
    ({"order": 7}, "order", 0, 7),
    ({"order": True}, "order", 0, 0),
    ({"labels": ["a", "b"]}, "labels", [], ["a", "b"]),
    ({"labels": "a"}, "labels", [], []),
]


@pytest.mark.parametrize(("settings", "name", "default", "expected"), READ_CASES)
def test_setting_reads_one_value(
    settings: dict[str, JsonValue], name: str, default: Any, expected: Any
) -> None:
    team = Team.model_validate({"id": "desk", "name": "Desk", f"x-{ADAPTER}": settings})
    assert setting(team, ADAPTER, name, default) == expected
    assert setting(team, "other", name, default) == default
