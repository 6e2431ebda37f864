"""Benchmark: the reference blueprint scaled to N services against an adapter's sandbox.

Prints, for a plan on an empty instance, the apply, and a plan on the converged instance:
requests sent, wall time, peak memory (tracemalloc) and the ratio of requests to the lower
bound, as a Markdown table (``--readme README.md`` also writes it into the README's block for
the adapter, see :mod:`readme`). Writes: one request per changed record. Reads: the fewest
requests the tool's public API allows for the records read (:data:`READ_BOUNDS`): one per page
of each collection, and for collections that only exist per parent (Jira's contexts per field,
components per project, ...) one per page per parent.

    .venv/bin/python benchmarks/bench_apply.py --adapter servicenow --services 500 --latency-ms 50
    .venv/bin/python benchmarks/bench_apply.py --adapter jsm --services 500 --latency-ms 50
    .venv/bin/python benchmarks/bench_apply.py --adapter topdesk --services 500 --latency-ms 50

With ``--curve`` it measures the command line itself at 50 / 500 / 2,000 / 5,000 services
instead (:mod:`bench_curve`).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import resource
import tempfile
import tracemalloc
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readme import add_option, block, check, publish

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import (
    Agreements,
    Blueprint,
    Customer,
    Facility,
    ResponseTarget,
    Schedule,
    Service,
    ServiceAgreement,
    Team,
    TimeSpan,
)
from usm_config.engine.records import Record
from usm_config.runner import Context, Phase, Session
from usm_config.targets import ResolvedTarget, Target

REFERENCE = Path(__file__).resolve().parent.parent / "blueprints" / "usm-reference.yaml"


def scaled_blueprint(services: int) -> Blueprint:
    """The reference library plus ``services`` services with agreements and teams."""
    base = load_blueprint(REFERENCE).blueprint
    assert base is not None, "the reference blueprint does not load"
    teams = tuple(Team(id=f"team-{i:02d}", name=f"Team {i:02d}") for i in range(10))
    hours = Schedule(
        id="office-hours",
        name="Office hours",
        timezone="Europe/Amsterdam",
        spans=(TimeSpan(days=("mon", "tue", "wed", "thu", "fri"), start="08:00", end="17:00"),),
    )
    always = Schedule(
        id="always",
        name="Always",
        spans=(
            TimeSpan(
                days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"), start="00:00", end="24:00"
            ),
        ),
    )
    targets = tuple(
        ResponseTarget(priority=f"p{n}", response=f"{n}h", resolution=f"{4 * n}h")
        for n in (1, 2, 3, 4)
    )
    generated = tuple(
        Service(
            id=f"service-{i:04d}",
            name=f"Service {i:04d}",
            description=f"Generated service number {i}.",
            facility=Facility(goods=("application",), actions=("support",)),
            supported_by=(teams[i % len(teams)].id,),
            agreements=Agreements(
                service=ServiceAgreement(
                    id=f"sa-{i:04d}",
                    customer="departments",
                    service_hours="always",
                    support_hours="office-hours",
                    channels=("portal", "phone"),
                    targets=targets,
                )
            ),
        )
        for i in range(services)
    )
    return base.model_copy(
        update={
            "teams": teams,
            "schedules": (hours, always),
            "customers": (Customer(id="departments", name="Departments"),),
            "services": generated,
        }
    )


@dataclass(frozen=True)
class Collection:
    """How one kind is read at the least: pages of ``page`` records, ``per`` parent record
    (a kind name), plus ``extra`` fixed requests (association reads that come with it)."""

    page: int
    per: str | None = None
    extra: int = 0
    #: Fewer records than this come in one unfiltered answer (TOPdesk's SLA services).
    whole_below: int = 0


#: ServiceNow: every table pages by 1,000 (servicenow.md §1.2).
SERVICENOW = {kind: Collection(1000) for kind in load_adapter("servicenow").kinds}
#: Jira Cloud and JSM (jira.md §2): PageBean caps of 50 (200 for statuses), unpaged issue types
#: and priorities; components, request types, queues and portal groups per project; contexts
#: per field (with their issue type and project mappings) and options per context. Schemes
#: come with their items; a project with its two scheme associations; the service desk list.
JSM = {
    "group": Collection(50),
    "organization": Collection(50),
    "issuetype": Collection(10_000),
    "status": Collection(200),
    "priority": Collection(10_000),
    "field": Collection(50),
    "workflow": Collection(50),
    "workflowscheme": Collection(50),
    "issuetypescheme": Collection(50, extra=1),
    "project": Collection(50, extra=3),
    "field_context": Collection(50, per="field", extra=0),
    "field_option": Collection(100, per="field_context"),
    "component": Collection(50, per="project"),
    "requesttype": Collection(50, per="project"),
    "queue": Collection(50, per="project"),
    "portal_group": Collection(50, per="project"),
}
#: TOPdesk (topdesk.md §2.4): the incident search lists, categories (subcategories come with
#: them), branches, departments, services and service windows whole, one request each;
#: operator groups and the knowledge base in pages of 100, the knowledge base once per language
#: (two); SLA services in one request when there are fewer than 100, else per service
#: (``/incidents/slas`` has no later pages). The kinds the API cannot read cost nothing. The
#: plan's probe of ``/version``, ``/productVersion`` and one list per module (9 requests) is not
#: part of the bound.
TOPDESK = {
    **{
        kind: Collection(10_000)
        for kind in (
            "branch", "department", "service", "call_type", "entry_type", "impact", "urgency",
            "priority", "duration", "processing_status", "closure_code", "category",
            "service_window", "change_template", "activity_type",
        )
    },
    "operator_group": Collection(100),
    "knowledge_folder": Collection(100, extra=1),
    "knowledge_item": Collection(100, extra=1),
    "service_level": Collection(100, per="service", whole_below=100),
}  # fmt: skip
READ_BOUNDS = {"servicenow": SERVICENOW, "jsm": JSM, "topdesk": TOPDESK}
#: Requests a field's contexts cost besides their pages: its issue type and project mappings.
CONTEXT_MAPPINGS = 2


def read_bound(adapter: str, live: list[Record]) -> int:
    """The fewest read requests the tool's API allows for ``live`` (see the module docstring)."""
    per_kind = Counter(r.kind for r in live)
    total = 0
    for kind, collection in READ_BOUNDS[adapter].items():
        parents = per_kind.get(collection.per, 0) if collection.per else 1
        if per_kind.get(kind, 0) < collection.whole_below:
            parents = 1
        if collection.per == "field":
            # Only the fields whose contexts are read count: those usm-config manages.
            parents = len({str(r.fields.get("field")) for r in live if r.kind == kind})
            total += parents * CONTEXT_MAPPINGS
        pages = max(parents, math.ceil(per_kind.get(kind, 0) / collection.page))
        total += pages + collection.extra
    return total


def report_row(label: str, phase: Phase, lower_bound: int) -> dict[str, Any]:
    """One line of the report."""
    peak = phase.peak_bytes or 0
    return {
        "step": label,
        "requests": phase.requests,
        "seconds": phase.seconds,
        "peak_mib": peak / 1_048_576,
        "lower_bound": lower_bound,
    }


async def run(
    adapter_name: str, services: int, latency_ms: float, parallelism: int
) -> list[dict[str, Any]]:
    """Plan on an empty sandbox, apply, plan again; return the measurements."""
    blueprint = scaled_blueprint(services)
    adapter = load_adapter(adapter_name)
    with tempfile.TemporaryDirectory() as folder:
        target = ResolvedTarget(
            name="bench",
            config=Target(
                adapter=adapter_name,
                url="sandbox:",
                lock_dir=".",
                sandbox={"latency_ms": latency_ms},
            ),
            base_dir=Path(folder),
        )
        context = Context(blueprint, Path(folder) / "scaled.yaml", target, adapter)
        async with Session.open(context) as session:
            outcome = await session.run(parallelism=parallelism)
        assert not outcome.result.failed, outcome.result.failed[:3]
        assert outcome.converged, f"not converged: {outcome.remaining[:3]}"
        assert outcome.after is not None
        plan, apply, replan = outcome.phases
        live = outcome.after.snapshot.live
        before = outcome.planned.snapshot.live
        return [
            report_row("plan (empty instance)", plan, read_bound(adapter_name, before)),
            report_row("apply", apply, sum(c.writes for c in outcome.plan.changes)),
            report_row("plan (converged)", replan, read_bound(adapter_name, live)),
            {"step": "records", "requests": len(live), "lower_bound": 0},
        ]


def steps_table(adapter: str, rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """The measurements of :func:`run` as a Markdown table, with the whole process's CPU time
    and peak RSS (emulator included) after it."""
    lines = [
        f"{adapter}: {args.services} services, {args.latency_ms:g} ms latency, "
        f"parallelism {args.parallelism}; peak memory of the Python heap by tracemalloc",
        "",
        "| step | requests | lower bound | ratio | wall s | peak MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    tail = []
    for row in rows:
        if row["step"] == "records":
            # ru_maxrss is in KiB on Linux; tracemalloc's peaks above count Python objects only.
            tail = [
                "",
                f"Records the converged plan read: {row['requests']:,}. Whole process, emulator "
                f"included: {usage.ru_utime + usage.ru_stime:.1f} s CPU, peak RSS "
                f"{usage.ru_maxrss / 1024:.0f} MiB.",
            ]
            continue
        ratio = row["requests"] / row["lower_bound"] if row["lower_bound"] else float("nan")
        lines.append(
            f"| {row['step']} | {row['requests']:,} | {row['lower_bound']:,} | {ratio:.2f} "
            f"| {row['seconds']:.1f} | {row['peak_mib']:.0f} |"
        )
    return "\n".join(lines + tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--adapter", choices=sorted(READ_BOUNDS), default="servicenow")
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument(
        "--curve",
        nargs="*",
        type=int,
        metavar="SERVICES",
        help="measure the command line at these sizes (default 50 500 2000 5000); see "
        "bench_curve.py",
    )
    add_option(parser)
    args = parser.parse_args()
    name = block("steps" if args.curve is None else "curve", args.adapter)
    if args.readme:
        check(args.readme, name)
    if args.curve is not None:
        from bench_curve import SIZES, curve  # noqa: PLC0415 (only this mode needs it)

        sizes = tuple(args.curve) or SIZES
        table = curve(args.adapter, args.latency_ms, args.parallelism, sizes, scaled_blueprint)
    else:
        tracemalloc.start()
        rows = asyncio.run(run(args.adapter, args.services, args.latency_ms, args.parallelism))
        table = steps_table(args.adapter, rows, args)
        print(table)
    if args.readme:
        publish(args.readme, name, table)


if __name__ == "__main__":
    main()
