"""The benchmarks write their tables into the README themselves (``--readme README.md``).

Each table lives between two marker lines, ``<!-- benchmark:NAME -->`` and
``<!-- /benchmark:NAME -->``; a run replaces what is between them with its table and a line that
says when, on what machine and by which command it was measured, so every number in those blocks
comes from one run, never from copying by hand. The prose around the blocks is the README's own.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

#: The tables, per adapter: ``steps`` (bench_apply.py), ``curve`` (bench_apply.py --curve) and
#: ``peer`` (the adapter's peer script).
TABLES = ("steps", "curve", "peer")
ADAPTERS = ("servicenow", "jsm", "topdesk")
#: Every block the benchmarks write; the README holds each once. ``request-cost`` is
#: bench_request.py's, for no adapter.
BLOCKS = (*(f"{table}-{adapter}" for table in TABLES for adapter in ADAPTERS), "request-cost")


def block(table: str, adapter: str) -> str:
    """The name of ``table``'s block for ``adapter``."""
    name = f"{table}-{adapter}"
    if name not in BLOCKS:
        raise ValueError(f"no README block {name!r}; the blocks are {', '.join(BLOCKS)}")
    return name


class BlockError(Exception):
    """The README's markers for a block are missing, repeated or out of order."""


def begin_marker(name: str) -> str:
    return f"<!-- benchmark:{name} -->"


def end_marker(name: str) -> str:
    return f"<!-- /benchmark:{name} -->"


def _lines_equal_to(lines: Sequence[str], marker: str) -> list[int]:
    return [number for number, line in enumerate(lines, 1) if line.strip() == marker]


def replace_block(text: str, name: str, body: str, *, source: str = "README.md") -> str:
    """``text`` with the lines between block ``name``'s markers replaced by ``body``.

    Raises :class:`BlockError` (``source:line: what is wrong. How to fix``) when either marker is
    missing or repeated, or the end comes before the begin."""
    lines = text.splitlines(keepends=True)
    begin, end = begin_marker(name), end_marker(name)
    starts, ends = _lines_equal_to(lines, begin), _lines_equal_to(lines, end)
    for marker, found in ((begin, starts), (end, ends)):
        if not found:
            raise BlockError(
                f"{source}: no line {marker!r}. Add the pair of marker lines {begin!r} and "
                f"{end!r} where the table belongs"
            )
        if len(found) > 1:
            raise BlockError(
                f"{source}:{found[1]}: {marker!r} again (first at line {found[0]}). Keep one "
                "pair of markers per table"
            )
    if ends[0] < starts[0]:
        raise BlockError(
            f"{source}:{ends[0]}: {end!r} comes before {begin!r} (line {starts[0]}). Put the "
            "end marker after the begin marker"
        )
    content = body if body.endswith("\n") else body + "\n"
    return "".join([*lines[: starts[0]], content, *lines[ends[0] - 1 :]])


def _replaced(readme: Path, name: str, body: str) -> str:
    """``readme``'s text with block ``name`` replaced; what is wrong with the file ends the
    run with exit code 1 and the located message (no traceback)."""
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError as exc:
        raise SystemExit(f"error: {readme}: {exc.strerror}. Point --readme at the README") from None
    except UnicodeDecodeError as exc:
        raise SystemExit(
            f"error: {readme}: not UTF-8 ({exc.reason}). Point --readme at the README"
        ) from None
    try:
        return replace_block(text, name, body, source=str(readme))
    except BlockError as exc:
        raise SystemExit(f"error: {exc}") from None


def add_option(parser: argparse.ArgumentParser) -> None:
    """``--readme README``: also write the run's table into the block for it."""
    parser.add_argument(
        "--readme",
        type=Path,
        metavar="README",
        help="also write the table into this file's block for it (see readme.py)",
    )


def check(readme: Path, name: str) -> None:
    """Stop before anything is measured when ``readme`` cannot take block ``name``."""
    _replaced(readme, name, "")


def publish(readme: Path, name: str, table: str) -> None:
    """Write ``table`` into block ``name`` of ``readme``, after the line that says how it was
    measured (:func:`provenance`); the file is replaced whole, so a stopped run leaves it as
    it was."""
    text = _replaced(readme, name, f"{provenance()}\n\n{table}")
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=readme.parent, delete=False, suffix=".tmp"
    ) as out:
        written = Path(out.name)
        try:
            out.write(text)
        except BaseException:
            written.unlink()
            raise
    written.replace(readme)
    print(f"wrote block {name!r} of {readme}", file=sys.stderr)


def _processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def provenance(argv: Sequence[str] | None = None) -> str:
    """When, where and how a table was measured: date, cores, processor, Python, and the
    command from the repository's root (without ``--readme``, which only says where to write)."""
    args = list(sys.argv if argv is None else argv)
    kept: list[str] = []
    skip = False
    for arg in args[1:]:
        if skip or arg.startswith("--readme="):
            skip = False
            continue
        if arg == "--readme":
            skip = True
            continue
        kept.append(arg)
    command = shlex.join(["python", f"benchmarks/{Path(args[0]).name}", *kept])
    return (
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {os.cpu_count()} cores ({_processor()}), "
        f"Python {platform.python_version()}: `{command}`"
    )
