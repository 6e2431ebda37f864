"""SIGTERM and Ctrl-C (SIGINT) during ``apply`` stop it cleanly, and the next apply resumes.

A real ``usm-config apply`` process writes to the embedded sandbox, slowed by injected latency
so that the signal lands while it writes. It must finish the writes in flight, journal them,
print one line saying how many were done, exit 128 + the signal's number, and leave a lock file
from which the next apply creates exactly the rest: no duplicates, nothing lost.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_plan_apply_cli import BLUEPRINT, Workspace

TARGETS = """\
targets:
  sandbox:
    adapter: servicenow
    url: "sandbox:"
    lock_dir: .usm-sandbox
    parallelism: 1
    sandbox: {latency_ms: 10}
"""
LOCK = Path(".usm-sandbox/tiny.sandbox.lock.json")
JOURNAL = Path(".usm-sandbox/tiny.sandbox.lock.journal.jsonl")
STOPPED = re.compile(
    r"^stopped: (\d+) of (\d+) changes applied and journaled; run apply again to resume$"
)
DEADLINE_S = 30


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    workspace = Workspace(tmp_path, flow=False)
    workspace.targets.write_text(TARGETS, encoding="utf-8")
    assert workspace.blueprint.read_text(encoding="utf-8") == BLUEPRINT
    return workspace


def _journal_lines() -> int:
    try:
        return JOURNAL.read_text(encoding="utf-8").count("\n")
    except FileNotFoundError:
        return 0


def _apply_and_signal(sig: signal.Signals) -> subprocess.CompletedProcess[str]:
    """Start an apply, send ``sig`` once it has journaled a few writes, and wait for it."""
    command = [sys.executable, "-m", "usm_config.cli", "apply", "tiny.yaml", "--auto-approve"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    try:
        started = time.monotonic()
        while _journal_lines() < 10:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() - started < DEADLINE_S, "apply did not start writing"
            time.sleep(0.01)
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=DEADLINE_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)
def test_a_signal_during_apply_stops_cleanly_and_the_next_apply_resumes(
    ws: Workspace, sig: signal.Signals, code: int
) -> None:
    stopped = _apply_and_signal(sig)

    assert stopped.returncode == code, stopped.stderr
    assert "Traceback" not in stopped.stderr
    lines = stopped.stderr.splitlines()
    assert lines[0].startswith(f"{sig.name}: stopping once the writes in flight are done")
    match = STOPPED.match(lines[-1])
    assert match, stopped.stderr
    done, total = int(match[1]), int(match[2])
    assert 0 < done < total
    assert "Converged" not in stopped.stdout and "Applied" not in stopped.stdout

    # What was done is in the lock file; the journal was folded into it and removed.
    assert not JOURNAL.exists()
    assert len(json.loads(LOCK.read_text(encoding="utf-8"))["records"]) == done

    resumed = ws.run("apply", "tiny.yaml", "--auto-approve", "-o", "summary")
    assert resumed.exit_code == 0, resumed.stderr
    # What is left is created, or adopted where a fresh instance has the record out of the box.
    # (an adoption that rewrites an out-of-box record's fields counts as an update too).
    left = re.search(
        r"Plan: (\d+) to create, \d+ to update, 0 to delete, 0 manual(?:, (\d+) to adopt)?",
        resumed.stdout,
    )
    assert left, resumed.stdout
    assert int(left[1]) + int(left[2] or 0) == total - done, resumed.stdout
    assert "Converged: a fresh plan shows no changes." in resumed.stdout

    after = ws.run("plan", "tiny.yaml", "--detailed-exitcode", "-o", "summary")
    assert after.exit_code == 0, after.stdout
    assert "duplicated" not in after.stdout
    assert len(json.loads(LOCK.read_text(encoding="utf-8"))["records"]) == total
