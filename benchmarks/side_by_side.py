"""The command line and table the side-by-side peer scripts share: an administrator's script
and ``usm-config apply`` doing the same job against fresh emulators with the same latency."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_curve import served, usm_config

#: What ``run`` returns per size: ``count`` (the first column's value), ``peer_requests``,
#: ``tool_requests``, ``peer_wall``, ``tool_wall`` and ``peer_left`` (the last line of a
#: usm-config plan of what the script wrote).
Run = Callable[[int, float, int], dict[str, Any]]


def arguments(doc: str, services: int) -> argparse.Namespace:
    """``--services`` (one or more sizes), ``--latency-ms`` and ``--parallelism``."""
    parser = argparse.ArgumentParser(description=doc.split("\n", maxsplit=1)[0])
    parser.add_argument("--services", type=int, nargs="+", default=[services])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=8)
    return parser.parse_args()


def report(args: argparse.Namespace, title: str, count: str, script: str, run: Run) -> None:
    """Print ``title`` and a Markdown table: a row per size, as soon as it is measured."""
    print(title)
    print(
        f"| services | {count} | {script} requests | usm-config apply requests | ratio "
        f"| {script} wall s | usm-config apply wall s | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for services in args.services:
        row = run(services, args.latency_ms, args.parallelism)
        print(
            f"| {services:,} | {row['count']:,} | {row['peer_requests']:,} "
            f"| {row['tool_requests']:,} | {row['peer_requests'] / row['tool_requests']:.1f}x "
            f"| {row['peer_wall']:.1f} | {row['tool_wall']:.1f} "
            f"| {row['peer_wall'] / row['tool_wall']:.1f}x |",
            flush=True,
        )
        print(f"  usm-config plan after the {script}: {row['peer_left']}", flush=True)


def apply_to_new_instance(
    adapter_name: str,
    folder: Path,
    latency_ms: float,
    env: dict[str, str],
    targets: Callable[[str], object],
) -> tuple[float, int]:
    """``usm-config apply`` of ``folder/scaled.yaml`` to a new emulator served with
    ``latency_ms``, after ``targets(url)`` has written the target file for it: the apply's
    wall seconds and the requests the emulator served."""
    with served(adapter_name, folder / "tool", latency_ms) as (url, app):
        targets(url)
        args = ["apply", "scaled.yaml", "--target", "bench", "--auto-approve", "-o", "summary"]
        apply = usm_config(args, folder, env)
        assert apply.exit_code == 0, apply.output[-2000:]
        return apply.wall, len(app.state.request_log)
