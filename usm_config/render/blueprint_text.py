"""A readable text summary of a blueprint, as printed by ``usm-config show``."""

from __future__ import annotations

from usm_config.blueprint.model import Blueprint, Service
from usm_config.blueprint.sequence import compact


def _service_lines(service: Service) -> list[str]:
    lines = [f"  {service.id}  {service.name}  [{service.status}]"]
    if service.supported_by:
        lines.append(f"      supported by: {', '.join(service.supported_by)}")
    sa = service.agreements.service
    if sa is not None:
        lines.append(
            f"      agreement {sa.id} with {sa.customer}: service hours {sa.service_hours}, "
            f"support hours {sa.support_hours}, channels {', '.join(sa.channels)}"
            + (f", availability {sa.availability:g}%" if sa.availability else "")
        )
        if sa.targets:
            targets = ", ".join(f"{t.priority} {t.response}/{t.resolution}" for t in sa.targets)
            lines.append(f"      targets (response/resolution): {targets}")
    for kind, agreements in (("OLA", service.agreements.olas), ("UC", service.agreements.ucs)):
        lines.extend(f"      {kind} {a.id} with {a.team}" for a in agreements)
    lines.extend(f"      request {r.id}: {r.name} ({r.call_type})" for r in service.requests)
    return lines


def render_text(blueprint: Blueprint, source: str) -> str:
    """Summarise services and workflows with their expanded step sequences."""
    org = blueprint.organisation
    out = [
        f"Blueprint     {source}",
        f"Organisation  {org.name} ({org.id}), locale {org.locale}, time zone {org.timezone}",
        f"Teams         {len(blueprint.teams)}    Customers  {len(blueprint.customers)}    "
        f"Schedules  {len(blueprint.schedules)}    Profiles  {len(blueprint.profiles)}",
        "",
        f"Services ({len(blueprint.services)})",
    ]
    for service in blueprint.services:
        out.extend(_service_lines(service))
    if not blueprint.services:
        out.append("  (none)")
    out += ["", "Processes (5)"]
    for process in blueprint.processes:
        fork = next((s.key for s in process.steps if s.fork), None)
        out.append(
            f"  {process.id:<8} {process.name} / {process.name_nl or '-'}: triggered by "
            f"{process.trigger}, {len(process.steps)} steps"
            + (f", fork at '{fork}'" if fork else "")
        )
    out += ["", f"Workflows ({len(blueprint.workflows)})"]
    for wf in blueprint.workflows:
        out.append(f"  {wf.number}  {wf.name} ({wf.id})")
        out.append(f"     trigger {wf.trigger}: {' → '.join(wf.path)}")
        out.append(f"     {compact(wf.sequence)}")
        for step in wf.sequence:
            status = f"  ⇒ {step.status}" if step.status else ""
            fork = "  ⑂ fork" if step.fork else ""
            label = f"{step.process}.{step.step}"
            out.append(
                f"     {step.position:>3}. {'  ' * step.depth}{label:<24} {step.name}{fork}{status}"
            )
        for clock in wf.sla_clocks:
            out.append(
                f"     clock {clock.id} ({clock.target}): {clock.start.process}.{clock.start.step}"
                f" → {clock.stop.process}.{clock.stop.step}"
            )
    if blueprint.classification is not None:
        priority = blueprint.classification.priority
        out += [
            "",
            "Classification",
            f"  priority: {len(priority.rows)} impact × {len(priority.columns)} urgency → "
            + ", ".join(level.id for level in priority.levels),
            "  categories: "
            + ", ".join(
                f"{ct} {len(cats)}" for ct, cats in blueprint.classification.categories.items()
            ),
        ]
    return "\n".join(out) + "\n"
