"""The live records an adapter's inverse reads, and what it found on the way.

Every export walks the records ``read`` returned kind by kind, marks each one it turned into a
blueprint element as used, and reports the others as :class:`Finding`\\ s naming the record, so
that nothing is dropped silently. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from usm_config.engine.records import Address, Record
from usm_config.export.model import Finding, FindingKind


@dataclass
class LiveRecords:
    """The live records by kind, which of them the export has used, and the findings."""

    records: Sequence[Record]
    by_kind: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    used: set[Address] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        for record in self.records:
            self.by_kind[record.kind].append(record)

    def of(self, kind: str) -> list[Record]:
        """The records of ``kind``, by key."""
        return sorted(self.by_kind.get(kind, []), key=lambda r: r.key)

    def use(self, record: Record) -> None:
        """Mark ``record`` as carried over into the blueprint."""
        self.used.add((record.kind, record.key))

    def find(self, record: Record, message: str, kind: FindingKind = FindingKind.LEFT_OUT) -> None:
        """Report ``record`` as not carried over (or carried by a guess), and why; it counts
        as used."""
        self.use(record)
        self.report(record, message, kind)

    def report(
        self, record: Record, message: str, kind: FindingKind = FindingKind.LEFT_OUT
    ) -> None:
        """Report something of ``record``, which stays as used or unused as it was."""
        self.findings.append(Finding(record.address, message, record.target_id, kind))

    def note(self, where: str, message: str, kind: FindingKind = FindingKind.ASSUMED) -> None:
        """Report something of ``where`` (records of a kind, a value) that has no record."""
        self.findings.append(Finding(where, message, kind=kind))


def field_text(record: Record, name: str) -> str:
    """The text of field ``name`` ('' when it is not text)."""
    value = record.fields.get(name)
    return value if isinstance(value, str) else ""
