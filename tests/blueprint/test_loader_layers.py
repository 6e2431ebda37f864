"""Loading layers: 'extends', tailoring by id, directories, and schema error translation."""

from __future__ import annotations

from pathlib import Path

from usm_config.blueprint.loader import load_blueprint

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "blueprints" / "usm-reference.yaml"
HEAD = f"usm: 1\nextends: {REFERENCE}\norganisation: {{id: example, name: Example}}\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_tailoring_replaces_only_the_keys_it_sets(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bp.yaml",
        HEAD + "workflows:\n  - id: operate\n    name: Standard requests\n",
    )

    result = load_blueprint(path)

    assert result.diagnostics == []
    assert result.blueprint is not None
    operate = next(wf for wf in result.blueprint.workflows if wf.id == "operate")
    assert operate.name == "Standard requests"
    assert (operate.number, operate.trigger, operate.path) == (5, "service-request", ("operate",))
    assert len(result.blueprint.workflows) == 8
    assert result.blueprint.organisation.timezone == "UTC"  # kept from the reference


def test_renaming_a_step_in_a_process_renames_it_in_every_workflow(tmp_path: Path) -> None:
    steps = "\n".join(
        f"      - {{key: {key}, name: {name}{', fork: true' if fork else ''}}}"
        for key, name, fork in (
            ("accept", "Accept", False),
            ("classify", "Classify", False),
            ("plan", "Plan", False),
            ("execute", "Do the work", False),
            ("dispatch", "Send someone", False),
            ("review", "Review", False),
            ("close", "Close", False),
        )
    )
    path = _write(
        tmp_path / "bp.yaml", HEAD + f"processes:\n  - id: operate\n    steps:\n{steps}\n"
    )

    result = load_blueprint(path)

    assert result.diagnostics == []
    assert result.blueprint is not None
    for wf in result.blueprint.workflows:
        names = [s.name for s in wf.sequence if s.process == "operate"]
        assert names == [
            "Accept",
            "Classify",
            "Plan",
            "Do the work",
            "Send someone",
            "Review",
            "Close",
        ]


def test_extends_takes_a_list_and_later_layers_win(tmp_path: Path) -> None:
    _write(tmp_path / "teams.yaml", "teams:\n  - {id: desk, name: Desk}\n")
    _write(tmp_path / "more.yaml", "teams:\n  - {id: desk, name: Service desk, kind: internal}\n")
    path = _write(
        tmp_path / "bp.yaml",
        f"usm: 1\nextends: [{REFERENCE}, teams.yaml, more.yaml]\n"
        "organisation: {id: example, name: Example}\n",
    )

    result = load_blueprint(path)

    assert result.blueprint is not None
    assert [(t.id, t.name) for t in result.blueprint.teams] == [("desk", "Service desk")]
    assert len(result.files) == 4


def test_directory_blueprint_joins_its_files(tmp_path: Path) -> None:
    _write(tmp_path / "bp" / "main.yaml", HEAD)
    _write(tmp_path / "bp" / "teams.yml", "teams:\n  - {id: desk, name: Desk}\n")
    _write(tmp_path / "bp" / "nested" / "customers.yaml", "customers:\n  - {id: c, name: C}\n")
    _write(tmp_path / "bp" / "README.md", "not a blueprint file\n")

    result = load_blueprint(tmp_path / "bp")

    assert result.blueprint is not None
    assert [t.id for t in result.blueprint.teams] == ["desk"]
    assert [c.id for c in result.blueprint.customers] == ["c"]


def test_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "bp").mkdir()

    (diagnostic,) = load_blueprint(tmp_path / "bp").diagnostics

    assert diagnostic.code == "LOAD002"


def test_missing_path(tmp_path: Path) -> None:
    (diagnostic,) = load_blueprint(tmp_path / "nowhere.yaml").diagnostics

    assert (diagnostic.code, diagnostic.hint) == ("LOAD001", "check the path")


def test_a_missing_path_names_the_file_it_most_likely_meant(tmp_path: Path) -> None:
    """The file of that name with its extension, else the nearest name beside it; in an
    'extends' entry, where relative paths start."""
    _write(tmp_path / "university.yaml", HEAD)
    _write(tmp_path / "base" / "library.yaml", HEAD)
    (bare,) = load_blueprint(tmp_path / "university").diagnostics
    (typo,) = load_blueprint(tmp_path / "universty.yaml").diagnostics
    extends = _write(tmp_path / "bp.yaml", "usm: 1\nextends: [base/libary.yaml]\n")
    (entry,) = load_blueprint(extends).diagnostics

    assert bare.hint == f"check the path (did you mean '{tmp_path / 'university.yaml'}'?)"
    assert typo.hint == f"check the path (did you mean '{tmp_path / 'university.yaml'}'?)"
    assert entry.hint == (
        f"check the path (did you mean '{tmp_path / 'base' / 'library.yaml'}'?); "
        "relative paths in 'extends' start at the file's folder"
    )
    assert (entry.location.line, entry.location.column) == (2, 11)


def test_a_list_is_not_also_reported_short_because_an_entry_failed(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bp.yaml",
        HEAD + "schedules:\n  - id: s\n    name: S\n    spans:\n"
        "      - {days: [mon], start: '8:00', end: '17:00'}\n",
    )

    diagnostics = load_blueprint(path).diagnostics

    assert [(d.path, d.message) for d in diagnostics] == [
        ("schedules[0].spans[0].start", "'8:00' (text) is not valid here")
    ]


def test_a_list_that_is_really_too_short(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bp.yaml", HEAD + "schedules:\n  - id: s\n    name: S\n    spans: []\n"
    )

    (diagnostic,) = load_blueprint(path).diagnostics

    assert diagnostic.path == "schedules[0].spans"
    assert diagnostic.message == "list should have at least 1 item, not 0"
    assert (diagnostic.location.line, diagnostic.location.column) == (7, 5)
