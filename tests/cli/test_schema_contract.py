"""The published JSON Schema is a contract: it is valid, documented, current, and every
blueprint and every ``show --output json`` satisfies it; the JSON loads back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from usm_config.cli import cli
from usm_config.yamlsource import parse_file, to_plain

REPO = Path(__file__).resolve().parents[2]
BLUEPRINTS = REPO / "blueprints"
COMMITTED = REPO / "schema" / "usm-blueprint.schema.json"


def _blueprints() -> list[Path]:
    """The blueprints a user can load: the reference and each example (file or directory)."""
    examples = BLUEPRINTS / "examples"
    found = [BLUEPRINTS / "usm-reference.yaml"]
    if examples.is_dir():
        found += sorted(
            p for p in examples.iterdir() if p.is_dir() or p.suffix in (".yaml", ".yml")
        )
    return found


def _yaml_files() -> list[Path]:
    return sorted(p for p in BLUEPRINTS.rglob("*") if p.suffix in (".yaml", ".yml"))


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def schema_text() -> str:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def schema(schema_text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_text)
    return data


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema)


def _errors(validator: Draft202012Validator, data: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]


def _show_json(path: Path) -> str:
    result = CliRunner().invoke(cli, ["show", _rel(path), "--output", "json"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_schema_is_a_valid_draft_2020_12_schema(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:usm-config:blueprint:1"


def test_committed_schema_is_current(schema_text: str) -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text, (
        "schema/usm-blueprint.schema.json is stale; regenerate it with "
        "'usm-config schema --out schema/usm-blueprint.schema.json'"
    )


def test_schema_out_writes_the_same_text(schema_text: str, tmp_path: Path) -> None:
    out = tmp_path / "schema.json"

    result = CliRunner().invoke(cli, ["schema", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == schema_text


def _properties(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property schema anywhere in the schema, with a JSON-pointer-like location."""
    if isinstance(node, dict):
        for kind in ("properties", "patternProperties"):
            for name, prop in node.get(kind, {}).items():
                yield f"{where}/{kind}/{name}", prop
        for key, value in node.items():
            yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _properties(value, f"{where}/{i}")


def test_every_property_has_a_description(schema: dict[str, Any]) -> None:
    properties = list(_properties(schema))
    assert len(properties) > 100
    # A property that is only a $ref needs its own description: editors show the
    # property's description on hover, not the referenced definition's.
    undocumented = [where for where, prop in properties if not prop.get("description")]
    assert undocumented == []


def test_every_definition_has_a_description(schema: dict[str, Any]) -> None:
    assert [name for name, d in schema["$defs"].items() if not d.get("description")] == []


@pytest.mark.parametrize("path", _yaml_files(), ids=_rel)
def test_every_blueprint_file_validates_against_the_schema(
    path: Path, validator: Draft202012Validator
) -> None:
    # Read as the loader reads YAML (YAML 1.2: dates stay text). The schema requires no keys,
    # so a single file of a directory blueprint, or a tailoring layer, validates on its own.
    tree, diagnostics = parse_file(path)
    assert diagnostics == []
    assert tree is not None
    assert _errors(validator, to_plain(tree)) == []


@pytest.mark.parametrize("path", _blueprints(), ids=_rel)
def test_show_json_validates_against_the_schema(
    path: Path, validator: Draft202012Validator
) -> None:
    data = json.loads(_show_json(path))

    assert _errors(validator, data) == []
    # The normalised blueprint is complete: what 'validate' requires is there.
    for key in ("usm", "organisation", "processes", "workflows", "call_types"):
        assert key in data


@pytest.mark.parametrize("path", _blueprints(), ids=_rel)
def test_show_json_loads_back_unchanged(path: Path, tmp_path: Path) -> None:
    first = _show_json(path)
    copy = tmp_path / "normalised.json"  # JSON is YAML
    copy.write_text(first, encoding="utf-8")

    validated = CliRunner().invoke(cli, ["validate", "--strict", str(copy)])
    again = CliRunner().invoke(cli, ["show", str(copy), "--output", "json"])

    assert validated.exit_code == 0, validated.output
    assert again.exit_code == 0, again.output
    assert again.stdout == first


def test_schema_rejects_what_the_loader_rejects(validator: Draft202012Validator) -> None:
    # A few spot checks that the schema is not trivially permissive.
    assert _errors(validator, {"usm": 2})
    assert _errors(validator, {"servces": []})
    assert _errors(validator, {"teams": [{"id": "Service_Desk"}]})
    assert _errors(validator, {"schedules": [{"spans": [{"start": "8:00"}]}]})
    assert _errors(validator, {"organisation": {"x-servicenow": 3}})
    assert not _errors(validator, {"extends": "../usm-reference.yaml"})
    assert not _errors(validator, {"extends": ["a.yaml", "b/"]})
    assert not _errors(validator, {"organisation": {"x-servicenow": {"sys_id": "1"}}})
