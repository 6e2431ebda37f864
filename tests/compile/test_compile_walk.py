"""The blueprint walker: every element of the shipped blueprints visited exactly once, at a path
that exists in the loaded YAML and holds that element; category trees and lookups."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from usm_config.blueprint.loader import LoadResult, load_blueprint
from usm_config.blueprint.model import Blueprint, Category, RequestItem
from usm_config.blueprint.usm import CallType
from usm_config.blueprint.validation_errors import format_path
from usm_config.compile import walk
from usm_config.compile.walk import ElementType, Lookups
from usm_config.diagnostics import Severity

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = [
    ROOT / "blueprints" / "usm-reference.yaml",
    ROOT / "blueprints" / "examples" / "university.yaml",
    ROOT / "blueprints" / "examples" / "municipality",
]


@pytest.fixture(scope="module", params=BLUEPRINTS, ids=lambda p: p.stem)
def loaded(request: pytest.FixtureRequest) -> LoadResult:
    result = load_blueprint(request.param)
    errors = [d.render() for d in result.diagnostics if d.severity == Severity.ERROR]
    assert result.blueprint is not None and not errors, errors
    return result


def _visits(bp: Blueprint) -> dict[str, list[tuple[tuple[str | int, ...], BaseModel]]]:
    """Per generator: the visited paths with the element each visit carries."""
    return {
        "teams": [(v.path, v.team) for v in walk.teams(bp)],
        "customers": [(v.path, v.customer) for v in walk.customers(bp)],
        "workflows": [(v.path, v.workflow) for v in walk.workflows(bp)],
        "schedules": [(v.path, v.schedule) for v in walk.schedules(bp)],
        "spans": [(s.path, s.span) for v in walk.schedules(bp) for s in v.spans],
        "services": [(v.path, v.service) for v in walk.services(bp)],
        "agreements": [(v.path, v.agreement) for v in walk.agreements(bp)],
        "targets": [(v.path, v.target) for v in walk.targets(bp)],
        "requests": [(v.path, v.item) for v in walk.requests(bp)],
        "categories": [(v.path, v.category) for v in walk.categories(bp)],
        "overridables": [(v.path, v.element) for v in walk.overridables(bp)],
    }


#: Which written paths each generator must visit, as a pattern over ``format_path``.
EXPECTED_PATHS = {
    "teams": r"teams\[\d+\]",
    "customers": r"customers\[\d+\]",
    "workflows": r"workflows\[\d+\]",
    "schedules": r"schedules\[\d+\]",
    "spans": r"schedules\[\d+\]\.spans\[\d+\]",
    "services": r"services\[\d+\]",
    "agreements": r"services\[\d+\]\.agreements\.(service|olas\[\d+\]|ucs\[\d+\])",
    "targets": r"services\[\d+\]\.agreements\.(service|olas\[\d+\]|ucs\[\d+\])\.targets\[\d+\]",
    "requests": r"services\[\d+\]\.requests\[\d+\]",
    "categories": r"classification\.categories\.[a-z-]+\[\d+\](\.children\[\d+\])*",
    "overridables": r"|organisation|classification"
    r"|(profiles|customers|teams|schedules|call_types|processes|workflows|services)\[\d+\]"
    r"|services\[\d+\]\.(agreements\.(service|olas\[\d+\]|ucs\[\d+\])|requests\[\d+\])",
}


def _resolve(document: Any, path: Iterable[str | int]) -> Any:
    for part in path:
        document = document[part]
    return document


@pytest.mark.parametrize("generator", sorted(EXPECTED_PATHS))
def test_every_element_is_visited_once_at_its_written_path(
    loaded: LoadResult, generator: str
) -> None:
    assert loaded.blueprint is not None
    visits = _visits(loaded.blueprint)[generator]
    paths = [path for path, _ in visits]
    assert len(paths) == len(set(paths)), "an element was visited twice"
    pattern = re.compile(EXPECTED_PATHS[generator])
    written = {path for path in loaded.index if pattern.fullmatch(format_path(path))}
    if generator == "overridables":
        written.add(())  # the blueprint itself has no key of its own
    assert set(paths) == written
    document = loaded.blueprint.model_dump(mode="json")
    for path, element in visits:
        assert _resolve(document, path) == element.model_dump(mode="json"), format_path(path)


def test_holidays_are_visited_at_their_paths(loaded: LoadResult) -> None:
    assert loaded.blueprint is not None
    for visit in walk.schedules(loaded.blueprint):
        days = [(h.path, h.day) for h in visit.holidays]
        assert days == [
            ((*visit.path, "holidays", j), day) for j, day in enumerate(visit.schedule.holidays)
        ]
        assert all(path in loaded.index for path, _ in days)


def test_agreements_know_their_service_kind_and_team(loaded: LoadResult) -> None:
    assert loaded.blueprint is not None
    for visit in walk.agreements(loaded.blueprint):
        assert visit.path[: len(visit.service_path)] == visit.service_path
        assert visit.service.id == loaded.blueprint.services[int(visit.service_path[1])].id
        assert visit.path[3] == visit.kind.value
        if visit.kind is walk.AgreementKind.SERVICE:
            assert visit.team is None
        else:
            assert visit.team == _resolve(loaded.blueprint.model_dump(), visit.path)["team"]
        assert all(t.agreement == visit for t in visit.targets)


SINGLETONS = (ElementType.BLUEPRINT, ElementType.ORGANISATION, ElementType.CLASSIFICATION)


def test_overridables_are_labelled_by_type(loaded: LoadResult) -> None:
    assert loaded.blueprint is not None
    for visit in walk.overridables(loaded.blueprint):
        ident = getattr(visit.element, "id", None)
        if visit.type in SINGLETONS:
            assert visit.label == f"the {visit.type.value}"
        elif visit.type is ElementType.REQUEST_ITEM:
            assert visit.label == f"request '{ident}'"
        else:
            assert visit.label == f"{visit.type.value} '{ident}'"


TREE = Blueprint.model_validate(
    {
        "usm": 1,
        "organisation": {"id": "acme", "name": "Acme"},
        "classification": {
            "categories": {
                "incident": [
                    {
                        "id": "hardware",
                        "name": "Hardware",
                        "children": [
                            {
                                "id": "laptop",
                                "name": "Laptop",
                                "children": [{"id": "screen", "name": "Screen"}],
                            },
                            {"id": "printer", "name": "Printer"},
                        ],
                    },
                    {"id": "software", "name": "Software"},
                ],
                "wish": [{"id": "new", "name": "New service"}],
            },
            "priority": {
                "rows": [{"id": "high", "name": "High"}],
                "columns": [{"id": "high", "name": "High"}],
                "levels": [{"id": "p1", "name": "Critical", "rank": 1}],
                "matrix": {"high": {"high": "p1"}},
            },
            "risk": {
                "rows": [{"id": "high", "name": "High"}],
                "columns": [{"id": "high", "name": "High"}],
                "levels": [{"id": "r1", "name": "Severe", "rank": 1}],
                "matrix": {"high": {"high": "r1"}},
            },
        },
    }
)

#: (call type, id, parent id, top id, depth, label, path) in visiting order.
TREE_VISITS = [
    ("incident", "hardware", None, "hardware", 0, "Hardware", ("incident", 0)),
    ("incident", "laptop", "hardware", "hardware", 1, "Hardware / Laptop", ("incident", 0, 0)),
    (
        "incident",
        "screen",
        "laptop",
        "hardware",
        2,
        "Hardware / Laptop / Screen",
        ("incident", 0, 0, 0),
    ),
    ("incident", "printer", "hardware", "hardware", 1, "Hardware / Printer", ("incident", 0, 1)),
    ("incident", "software", None, "software", 0, "Software", ("incident", 1)),
    ("wish", "new", None, "new", 0, "New service", ("wish", 0)),
]


def _category_path(call_type: str, top: int, *children: int) -> tuple[str | int, ...]:
    path: tuple[str | int, ...] = ("classification", "categories", call_type, top)
    for child in children:
        path = (*path, "children", child)
    return path


def test_category_trees_are_walked_depth_first() -> None:
    seen = [
        (
            v.call_type.value,
            v.category.id,
            v.parent.id if v.parent else None,
            v.top.id,
            v.depth,
            v.label,
            v.path,
        )
        for v in walk.categories(TREE)
    ]
    expected = [(*row[:6], _category_path(row[6][0], *row[6][1:])) for row in TREE_VISITS]
    assert seen == expected
    only_wishes = [v.category.id for v in walk.categories(TREE, CallType.WISH)]
    assert only_wishes == ["new"]


def _item(**fields: Any) -> RequestItem:
    return RequestItem.model_validate({"id": "item", "name": "Item", **fields})


def _id(category: Category | None) -> str | None:
    return category.id if category else None


LOOKUP_CASES: list[tuple[str, Callable[[Lookups], object], object]] = [
    ("category at depth", lambda lk: lk.categories[CallType.INCIDENT]["screen"].name, "Screen"),
    ("first category", lambda lk: lk.first_category[CallType.INCIDENT].id, "hardware"),
    ("own category", lambda lk: lk.request_category(_item(category="new")), None),
    (
        "wish category",
        lambda lk: _id(lk.request_category(_item(call_type="wish", category="new"))),
        "new",
    ),
    (
        "default category",
        lambda lk: _id(lk.request_category(_item(call_type="wish"))),
        "new",
    ),
    ("no category", lambda lk: lk.request_category(_item()), None),
    ("priority name", lambda lk: lk.priority_name("p1"), "Critical"),
    ("unknown priority", lambda lk: lk.priority_name("p9"), "p9"),
    ("priority rank", lambda lk: lk.priority_ranks["p1"], 1),
    ("unknown team", lambda lk: lk.team_name("nobody"), None),
    ("unknown customer", lambda lk: lk.customer_name("nobody"), "nobody"),
]


@pytest.mark.parametrize(
    ("case", "look", "expected"), LOOKUP_CASES, ids=[c[0] for c in LOOKUP_CASES]
)
def test_lookups(case: str, look: Callable[[Lookups], object], expected: object) -> None:
    assert look(Lookups.of(TREE)) == expected


def test_lookups_of_a_shipped_blueprint(loaded: LoadResult) -> None:
    bp = loaded.blueprint
    assert bp is not None
    lk = Lookups.of(bp)
    for visit in walk.requests(bp):
        team = Lookups.request_team(visit.service, visit.item)
        assert team == (visit.item.team or visit.service.supported_by[0])
        assert lk.team_name(team) == next(t.name for t in bp.teams if t.id == team)
    assert set(lk.processes) == {p.id for p in bp.processes}
    assert {ct: len(ids) for ct, ids in lk.categories.items()} == {
        ct: sum(1 for v in walk.categories(bp, ct)) for ct in lk.categories
    }


SPANS = [{"days": ["mon"], "start": "08:00", "end": "17:00"}]


def test_a_schedule_runs_in_its_own_time_zone_else_the_organisations() -> None:
    bp = Blueprint.model_validate(
        {
            "usm": 1,
            "organisation": {"id": "o", "name": "O", "timezone": "Europe/Amsterdam"},
            "schedules": [
                {"id": "own", "name": "Own", "timezone": "Europe/London", "spans": SPANS},
                {"id": "unset", "name": "Unset", "spans": SPANS},
                {"id": "utc", "name": "UTC", "timezone": "UTC", "spans": SPANS},
            ],
        }
    )
    zones = {s.id: walk.schedule_timezone(bp, s) for s in bp.schedules}
    # The model's 'UTC' default is no choice; a schedule that says UTC means it.
    assert zones == {"own": "Europe/London", "unset": "Europe/Amsterdam", "utc": "UTC"}
    assert walk.schedule_timezone(bp, None) == "Europe/Amsterdam"
