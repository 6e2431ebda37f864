"""The export report: how exactly the export compiles back, and every finding. Markdown."""

from __future__ import annotations

from collections import defaultdict

from usm_config.export.model import Exported, FindingKind
from usm_config.export.verify import Fidelity

_SECTIONS = (
    (FindingKind.UNREADABLE, "Lost: what the tool's API cannot read"),
    (FindingKind.LEFT_OUT, "Left out: the organisation's records that are not USM's"),
    (FindingKind.ASSUMED, "Carried over by assumption: check these"),
    (FindingKind.PLATFORM, "Left out: the tool's own records"),
)


def render_export_report(exported: Exported, fidelity: Fidelity, origin: str) -> str:
    """``export-report.md``: the fidelity counts, the records the export does not reproduce,
    and the findings grouped by what they say."""
    lines = [
        "# Export report",
        "",
        f"Exported from {origin}.",
        "",
        f"Compiled back onto the target: {fidelity.summary()}.",
        "",
    ]
    if fidelity.differs or fidelity.invented:
        lines += ["## Records the export does not reproduce", ""]
        for change in (*fidelity.differs, *fidelity.invented):
            fields = ", ".join(d.field for d in change.diff)
            lines.append(f"- `{change.address}` ({change.action.value}): {fields}")
        lines.append("")
    if fidelity.pending:
        lines += ["## Manual steps that stay pending", ""]
        lines += [f"- `{change.address}`" for change in fidelity.pending]
        lines.append("")
    for kind, title in _SECTIONS:
        grouped: defaultdict[str, list[str]] = defaultdict(list)
        for finding in exported.findings:
            if finding.kind == kind:
                where = f"`{finding.record}`"
                grouped[finding.message].append(
                    where + (f" ({finding.target_id})" if finding.target_id else "")
                )
        if grouped:
            lines += [f"## {title}", ""]
            for message, records in grouped.items():
                lines += [f"- {message}", f"  - {', '.join(records)}"]
            lines.append("")
    return "\n".join(lines)
