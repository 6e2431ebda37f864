"""What the export round-trip properties share: a generated blueprint document compiled by an
adapter into the records a tool would hold, exported back over the USM reference, written as a
blueprint directory, and compiled again onto exactly those records."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.diagnostics import Severity
from usm_config.engine.records import Record
from usm_config.export.model import Exported
from usm_config.export.verify import check_export
from usm_config.export.writer import write_directory

REFERENCE = Path(__file__).resolve().parents[2] / "blueprints" / "usm-reference.yaml"

Export = Callable[[Sequence[Record], Blueprint], Exported]


def assert_round_trip(
    adapter_name: str,
    document: dict[str, Any],
    export: Export,
    *,
    unreadable: Collection[str] = (),
) -> None:
    """``document`` compiled by the adapter (without the kinds its API cannot read) exports
    to a valid blueprint that compiles back onto exactly those records."""
    adapter = load_adapter(adapter_name)
    reference = load_blueprint(REFERENCE).blueprint
    assert reference is not None
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source.yaml"
        with source.open("w", encoding="utf-8") as handle:
            YAML().dump(document, handle)
        loaded = load_blueprint(source)
        invalid = [d.render() for d in loaded.diagnostics if d.severity == Severity.ERROR]
        assert loaded.blueprint is not None and not invalid, invalid
        live = [
            Record(kind=r.kind, key=r.key, fields=r.fields, target_id=f"{r.kind}-{i}")
            for i, r in enumerate(adapter.compile(loaded.blueprint).records)
            if r.kind not in unreadable
        ]
        out = Path(tmp) / "exported"
        write_directory(export(live, reference), out, extends=REFERENCE, origin="a simulation")
        result = load_blueprint(out)
        errors = [d.render() for d in result.diagnostics if d.severity == Severity.ERROR]
        assert result.blueprint is not None and not errors, errors
        fidelity = check_export(adapter, result.blueprint, live)
        assert fidelity.exact, [
            (c.address, c.diff) for c in (*fidelity.differs, *fidelity.invented)
        ]
