"""The command line and table the side-by-side peer scripts share: an administrator's script
and ``usm-config apply`` doing the same job against fresh emulators with the same latency."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_apply import scaled_blueprint
from bench_curve import _login, served, usm_config, write_blueprint, write_targets
from readme import add_option, block, check, publish

#: What ``run`` returns per size: ``count`` (the first column's value), ``peer_requests``,
#: ``tool_requests``, ``peer_wall``, ``tool_wall`` and ``peer_left`` (the last line of a
#: usm-config plan of what the script wrote).
Run = Callable[[int, float, int], dict[str, Any]]


def arguments(doc: str, services: int) -> argparse.Namespace:
    """``--services`` (one or more sizes), ``--latency-ms``, ``--parallelism`` and
    ``--readme``."""
    parser = argparse.ArgumentParser(description=doc.split("\n", maxsplit=1)[0])
    parser.add_argument("--services", type=int, nargs="+", default=[services])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=8)
    add_option(parser)
    return parser.parse_args()


def report(
    args: argparse.Namespace, adapter: str, title: str, count: str, script: str, run: Run
) -> None:
    """Print ``title`` and a Markdown table: a row per size, as soon as it is measured; with
    ``--readme``, write them into the README's block ``peer-<adapter>`` at the end."""
    if args.readme:
        check(args.readme, block("peer", adapter))
    lines = [
        title,
        "",
        f"| services | {count} | {script} requests | usm-config apply requests | ratio "
        f"| {script} wall s | usm-config apply wall s | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)
    after = []
    for services in args.services:
        row = run(services, args.latency_ms, args.parallelism)
        lines.append(
            f"| {services:,} | {row['count']:,} | {row['peer_requests']:,} "
            f"| {row['tool_requests']:,} | {row['peer_requests'] / row['tool_requests']:.1f}× "
            f"| {row['peer_wall']:.1f} | {row['tool_wall']:.1f} "
            f"| {row['peer_wall'] / row['tool_wall']:.1f}× |"
        )
        print(lines[-1], flush=True)
        after.append(f"- {services:,} services: `{row['peer_left']}`")
        print(f"  usm-config plan after the {script}: {row['peer_left']}", flush=True)
    if args.readme:
        text = "\n".join([*lines, "", f"A usm-config plan after the {script}:", "", *after])
        publish(args.readme, block("peer", adapter), text)


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


def compare(
    adapter_name: str,
    services: int,
    latency_ms: float,
    parallelism: int,
    script: Callable[[str, int], int],
    plan_options: tuple[str, ...] = (),
) -> dict[str, Any]:
    """``script(url, services)`` (it returns the objects it created) against a new emulator,
    then a usm-config plan of the scaled blueprint against what it wrote (with
    ``plan_options``), and ``usm-config apply`` onto another new emulator: a row of
    :func:`report`. The emulators are served with ``latency_ms``; the default login is theirs."""
    row: dict[str, Any] = {"services": services}
    env = {**os.environ, **_login(adapter_name)[1]}

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_blueprint(scaled_blueprint(services), folder / "scaled.yaml")
        with served(adapter_name, folder / "peer", latency_ms) as (url, app):
            started = time.perf_counter()
            row["count"] = script(url, services)
            row["peer_wall"] = time.perf_counter() - started
            row["peer_requests"] = len(app.state.request_log)
            write_targets(folder, adapter_name, url, parallelism)
            args = ["plan", "scaled.yaml", "--target", "bench", "-o", "summary", *plan_options]
            plan = usm_config(args, folder, env)
            assert plan.exit_code == 0, plan.output[-2000:]
            row["peer_left"] = plan.output.strip().splitlines()[-1]
        row["tool_wall"], row["tool_requests"] = apply_to_new_instance(
            adapter_name,
            folder,
            latency_ms,
            env,
            lambda url: write_targets(folder, adapter_name, url, parallelism),
        )
    return row
