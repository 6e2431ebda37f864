"""One apply per blueprint and target at a time: the apply lock, with real processes."""

from __future__ import annotations

import getpass
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_plan_apply_cli import Workspace

from usm_config.engine.apply_lock import ApplyLocked, apply_lock, apply_lock_path, running_apply

CLI = Path(sys.executable).parent / "usm-config"
HOLD = """\
import sys
from pathlib import Path
from usm_config.engine.apply_lock import apply_lock
with apply_lock(Path(sys.argv[1]), blueprint="x", target="y", command="holder --test"):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, flow=False)


def lock_file(ws: Workspace) -> Path:
    return ws.folder / ".usm-sandbox" / "tiny.sandbox.lock.json"


@pytest.fixture
def holder(ws: Workspace) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the apply lock of tiny.yaml and target 'sandbox'."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock_file(ws))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "held\n"
    yield process
    process.kill()
    process.communicate()


def test_apply_is_refused_at_once_while_another_process_holds_the_lock(
    ws: Workspace, holder: subprocess.Popen[str]
) -> None:
    refused = ws.run("apply", "tiny.yaml", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stdout == "", "refused before anything was read or planned"
    message = refused.stderr
    assert message.startswith(
        f"error: another apply of tiny.yaml to target 'sandbox' is running "
        f"(pid {holder.pid} on host {socket.gethostname()} by user "
    )
    assert ": holder --test); wait for it to finish and apply again." in message
    assert f"{apply_lock_path(lock_file(ws)).name} only names its last holder" in message

    reset = ws.run("sandbox", "reset", "tiny.yaml", "--target", "sandbox")
    assert reset.exit_code == 1
    assert "another apply of tiny.yaml to target 'sandbox' is running" in reset.stderr

    plan = ws.run("plan", "tiny.yaml")
    assert plan.exit_code == 0, "a plan does not take the lock"
    assert ws.expected_summary() in plan.stdout, "nothing was written"
    assert plan.stderr == (
        f"an apply of this blueprint to target 'sandbox' is running (pid {holder.pid} on host "
        f"{socket.gethostname()} by user {getpass.getuser()} since "
        f"{json.loads(apply_lock_path(lock_file(ws)).read_text())['since']}: holder --test): "
        "this plan sees the target part way through it\n"
    )


def test_the_lock_ends_with_its_holder_however_it_ends(
    ws: Workspace, holder: subprocess.Popen[str]
) -> None:
    holder.kill()
    holder.wait()
    assert running_apply(lock_file(ws)) is None, "a holder that ended runs no apply"
    applied = ws.run("apply", "tiny.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Converged" in applied.stdout
    recorded = json.loads(apply_lock_path(lock_file(ws)).read_text(encoding="utf-8"))
    assert recorded["pid"] == os.getpid(), "the file names the last holder"
    assert set(recorded) == {"pid", "host", "user", "since", "command"}


def test_the_lock_is_per_target_and_lock_file(tmp_path: Path) -> None:
    with apply_lock(tmp_path / "a.prod.lock.json", blueprint="a", target="prod", command="t"):
        with apply_lock(tmp_path / "a.test.lock.json", blueprint="a", target="test", command="t"):
            pass
        with (
            pytest.raises(ApplyLocked, match="another apply of a to target 'prod'"),
            apply_lock(tmp_path / "a.prod.lock.json", blueprint="a", target="prod", command="t"),
        ):
            pass


def test_two_applies_racing_create_every_record_once(ws: Workspace) -> None:
    slow = ws.targets.read_text(encoding="utf-8").replace(
        "    lock_dir: .usm-sandbox\n", "    lock_dir: .usm-sandbox\n    sandbox: {latency_ms: 5}\n"
    )
    ws.targets.write_text(slow, encoding="utf-8")
    assert ws.run("plan", "tiny.yaml").exit_code == 0  # the sandbox exists before the race
    argv = [str(CLI), "apply", "tiny.yaml", "--auto-approve", "--targets", str(ws.targets)]
    racers = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(*p.communicate(timeout=300), p.returncode) for p in racers]
    assert any("Converged" in out for out, _, _ in results), results
    for out, err, code in results:
        if "Converged" in out:
            assert code == 0, err
        elif code == 1:
            assert "another apply of tiny.yaml to target 'sandbox' is running" in err, err
        else:
            assert out.endswith("Nothing to apply.\n"), (code, out, err)
    after = ws.run("plan", "tiny.yaml")
    assert "Plan: 0 to create, 0 to update, 0 to delete, 0 manual." in after.stdout
    assert "DUPLICATES" not in after.stdout, after.stdout
