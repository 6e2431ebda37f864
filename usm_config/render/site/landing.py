"""'Where it lands': what each blueprint element becomes in each installed adapter.

Built from the adapters' pure compile step (and the names of the files their plans write);
no tool is contacted. Each desired record names the blueprint path it comes from; records are
grouped by the element at the top of that path (a service, a schedule, a workflow, the
priority matrix, ...), and a record of a kind the adapter cannot create is a manual step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from usm_config.adapter import Adapter, SupportsArtifacts
from usm_config.blueprint.model import SECTIONS, Blueprint
from usm_config.engine.records import Op

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

ElementPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Landing:
    """Records of one kind that one element becomes: ``count`` of them, by ``label``."""

    kind: str
    label: str
    count: int
    manual: bool


@dataclass(frozen=True)
class ElementRow:
    """One blueprint element and what it becomes."""

    path: ElementPath
    landings: tuple[Landing, ...]


@dataclass(frozen=True)
class AdapterLanding:
    """Everything one adapter makes of the blueprint."""

    name: str
    description: str
    rows: tuple[ElementRow, ...]
    artifacts: tuple[str, ...]
    notes: tuple[str, ...]


def parse_source(source: str) -> ElementPath:
    """'services[8].agreements.olas[0]' → ('services', 8, 'agreements', 'olas', 0)."""
    return tuple(int(index) if index else name for name, index in _PART.findall(source))


def element_of(path: ElementPath) -> ElementPath:
    """The element a record path belongs to: a collection item or a part of a singleton."""
    return path[:2]


def adapter_landing(adapter: Adapter, blueprint: Blueprint) -> AdapterLanding:
    """What ``adapter`` makes of ``blueprint``, grouped by element in blueprint order."""
    desired = adapter.compile(blueprint)
    kinds = adapter.kinds
    counts: dict[ElementPath, dict[str, int]] = {}
    for record in desired.records:
        element = element_of(parse_source(record.source)) if record.source else ()
        per_kind = counts.setdefault(element, {})
        per_kind[record.kind] = per_kind.get(record.kind, 0) + 1
    rows = tuple(
        ElementRow(
            element,
            tuple(
                Landing(
                    kind,
                    kinds[kind].label if kind in kinds else kind,
                    count,
                    kind in kinds and Op.CREATE not in kinds[kind].operations,
                )
                for kind, count in per_kind.items()
            ),
        )
        for element, per_kind in sorted(counts.items(), key=lambda item: _order(item[0]))
    )
    files: Mapping[str, bytes] = (
        adapter.artifacts(blueprint, [], {}) if isinstance(adapter, SupportsArtifacts) else {}
    )
    return AdapterLanding(
        adapter.name, adapter.description, rows, tuple(sorted(files)), desired.notes
    )


def _order(path: ElementPath) -> tuple[int, str, int]:
    top = SECTIONS.index(str(path[0])) if path and path[0] in SECTIONS else len(SECTIONS)
    second = path[1] if len(path) > 1 else ""
    return (
        top,
        second if isinstance(second, str) else "",
        second if isinstance(second, int) else -1,
    )
