"""The export report: how exactly the export compiles back, and every finding. Markdown."""

from __future__ import annotations

from collections import defaultdict

from usm_config.export.model import Exported
from usm_config.export.verify import Fidelity


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
    grouped: defaultdict[str, list[str]] = defaultdict(list)
    for finding in exported.findings:
        where = f"`{finding.record}`" + (f" ({finding.target_id})" if finding.target_id else "")
        grouped[finding.message].append(where)
    if grouped:
        lines += ["## Findings: what the blueprint does not hold, or holds by assumption", ""]
        for message, records in grouped.items():
            lines.append(f"- {message}: {', '.join(records)}")
        lines.append("")
    return "\n".join(lines)
