"""Benchmark: the reference blueprint scaled to N services against the ServiceNow sandbox.

Prints, for a plan on an empty instance, the apply, and a plan on the converged instance:
requests sent, wall time, peak memory (tracemalloc) and the ratio of requests to the lower
bound (reads: one request per page per kind; writes: one request per changed record).

    .venv/bin/python benchmarks/bench_servicenow.py --services 500 --latency-ms 50
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

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
PAGE_SIZE = 1000


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


def read_bound(live: list[Record], kinds: list[str]) -> int:
    """One request per page per kind (an empty kind still costs one request)."""
    per_kind = Counter(r.kind for r in live)
    return sum(max(1, math.ceil(per_kind.get(kind, 0) / PAGE_SIZE)) for kind in kinds)


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


async def run(services: int, latency_ms: float, parallelism: int) -> list[dict[str, Any]]:
    """Plan on an empty sandbox, apply, plan again; return the measurements."""
    blueprint = scaled_blueprint(services)
    adapter = load_adapter("servicenow")
    with tempfile.TemporaryDirectory() as folder:
        target = ResolvedTarget(
            name="bench",
            config=Target(
                adapter="servicenow",
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
        kinds = list(adapter.kinds)
        live = outcome.after.snapshot.live
        return [
            report_row(
                "plan (empty instance)", plan, read_bound(outcome.planned.snapshot.live, kinds)
            ),
            report_row("apply", apply, sum(c.writes for c in outcome.plan.changes)),
            report_row("plan (converged)", replan, read_bound(live, kinds)),
            {"step": "records", "requests": len(live), "lower_bound": 0},
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()
    tracemalloc.start()
    rows = asyncio.run(run(args.services, args.latency_ms, args.parallelism))
    print(
        f"{args.services} services, {args.latency_ms:g} ms latency, parallelism {args.parallelism}"
    )
    print(
        f"{'step':<24}{'requests':>10}{'lower bound':>13}{'ratio':>8}{'wall s':>9}{'peak MiB':>10}"
    )
    for row in rows:
        if row["step"] == "records":
            print(f"live records after apply: {row['requests']}")
            continue
        ratio = row["requests"] / row["lower_bound"] if row["lower_bound"] else float("nan")
        print(
            f"{row['step']:<24}{row['requests']:>10}{row['lower_bound']:>13}{ratio:>8.2f}"
            f"{row['seconds']:>9.1f}{row['peak_mib']:>10.1f}"
        )


if __name__ == "__main__":
    main()
