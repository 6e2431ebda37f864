"""Which of usm-config's files a document is, by its top-level keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from usm_config.blueprint.model import Blueprint
from usm_config.file_kinds import BLUEPRINT_KEYS, FileKind, kind_of_document

REPO = Path(__file__).resolve().parents[2]


def test_the_blueprint_keys_are_the_model_s() -> None:
    """Every top-level key but the adapters' own ``x-<adapter>`` ones."""
    fields = {info.alias or name for name, info in Blueprint.model_fields.items()}
    assert fields - {"x-*"} == BLUEPRINT_KEYS


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("blueprints/usm-reference.yaml", FileKind.BLUEPRINT),
        ("blueprints/examples/university.yaml", FileKind.BLUEPRINT),
        ("targets.yaml", FileKind.TARGETS),
        ("tests/engine/saved_plans/servicenow-municipality-edited.json", FileKind.SAVED_PLAN),
    ],
)
def test_the_project_s_own_files_are_known(path: str, kind: FileKind) -> None:
    document = yaml.safe_load((REPO / path).read_text(encoding="utf-8"))
    assert kind_of_document(document) is kind


def test_a_lock_file_and_what_says_nothing() -> None:
    lock = {"adapter": "jsm", "format": 1, "records": {}, "target": "jsm"}
    assert kind_of_document(json.loads(json.dumps(lock))) is FileKind.LOCK
    # An overlay holds only what differs; a file of one blueprint folder may hold one section.
    assert kind_of_document({"services": []}) is FileKind.BLUEPRINT
    assert kind_of_document({"name": "x"}) is None
    assert kind_of_document({"targets": {}, "services": []}) is None
