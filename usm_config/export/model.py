"""What an adapter's inverse returns: a blueprint layer and what did not fit it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from usm_config.blueprint.model import SECTIONS

if TYPE_CHECKING:
    from usm_config.export.assess import Evidence


class FindingKind(StrEnum):
    """What a finding means for a migration."""

    PLATFORM = "platform"
    """The tool's own record (a default group, a template's status): not the organisation's."""
    LEFT_OUT = "left-out"
    """The organisation's record that is not USM's: it does not travel with the blueprint."""
    UNREADABLE = "unreadable"
    """Configuration the tool holds where its API cannot read it: lost to the export."""
    ASSUMED = "assumed"
    """Carried over with a value the tool does not keep (say, a team's kind)."""

    @property
    def lost(self) -> bool:
        """True when the organisation's configuration does not reach the blueprint."""
        return self in (FindingKind.LEFT_OUT, FindingKind.UNREADABLE)


@dataclass(frozen=True)
class Finding:
    """Something of the live tool the exported blueprint does not hold, or holds by a guess.

    ``record`` is the record it came from (``kind[key]``, with the tool's id when it has one);
    ``message`` says what was left out or assumed, and why.
    """

    record: str
    message: str
    target_id: str | None = None
    kind: FindingKind = FindingKind.LEFT_OUT

    def render(self) -> str:
        """One line for people: ``record (id): message``."""
        where = f"{self.record} ({self.target_id})" if self.target_id else self.record
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Exported:
    """A blueprint layer over the USM reference, as plain YAML data, and the findings.

    ``document`` holds only what differs from the reference (an organisation, its customers,
    teams, services, and the tailorings of call types, processes and classification); its
    ``extends`` is filled in by whoever writes it, since only they know where the file goes.
    """

    document: dict[str, Any]
    findings: tuple[Finding, ...] = field(default=())
    assumed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per section, the keys filled in by assumption (the tool keeps no such value); pulling
    an export into an existing blueprint leaves those keys as the blueprint has them."""
    evidence: Evidence | None = None
    """What the export found that tells how USM-like the tool is (``usm-config assess``)."""

    def sections(self) -> list[str]:
        """The document's sections that hold something, in blueprint order."""
        return [s for s in SECTIONS if self.document.get(s)]
