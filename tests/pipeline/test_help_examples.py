"""Every example in every --help runs as written, in order, against the shipped targets.yaml.

The examples run with bash in a fresh copy of the repository, in the order the commands are
registered (validate, show, schema, plan, apply, …), so a plan saved by one example is there
for the apply of the next. They must exit 0, or 2 where they ask for --detailed-exitcode and
for migrate (which exits 2 when anything does not arrive).
'sandbox serve' runs until stopped: it is started, must answer on its port, and is stopped; it
runs on a free port instead of 8080, which another process may hold.
"""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from usm_config.cli import COMMANDS, cli

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    # registration order: the order the README shows them in
    names = list(COMMANDS) if group is cli else list(group.commands)
    for name in names:
        command = group.get_command(click.Context(group), name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


def _examples() -> list[str]:
    found: list[str] = []
    for args in _commands(cli):
        text = CliRunner().invoke(cli, [*args, "--help"]).output
        block = text.split("Example:", 1)[1]
        lines = [line.strip() for line in block.splitlines()]
        found += [line for line in lines if line.startswith("usm-config ")]
    return found


EXAMPLES = _examples()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(line: str, cwd: Path, env: dict[str, str]) -> None:
    port = _free_port()
    line = line.replace("--port 8080", f"--port {port}").replace("--port 8443", f"--port {port}")
    if "--port" not in line:  # the default port, 8080, may be taken
        line += f" --port {port}"
    # The vendors' API descriptions sit beside the checkout, as in CI.
    shared = cwd.parent / "shared"
    if not shared.exists():
        shared.symlink_to(REPO.parent / "shared")
    tls = "--tls-cert" in line
    log = cwd / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            ["bash", "-c", line], cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/api/now/table/sys_user_group"
        verify = ssl.create_default_context(cafile=str(cwd / "ca.pem")) if tls else True
        for _ in range(300):
            try:
                answer = httpx.get(url, auth=("admin", "admin"), verify=verify, timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.1)
        else:
            pytest.fail(f"'{line}' did not answer on port {port}: {log.read_text()}")
        assert answer.status_code == 200, answer.text
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_help_shows_examples_of_the_shipped_targets() -> None:
    targets = {m for line in EXAMPLES for m in re.findall(r"--target (\S+)", line)}
    assert targets == {"sandbox", "sandbox-prod", "sandbox-test", "sandbox-jsm"}
    assert len(EXAMPLES) >= 15


def test_every_help_example_runs_as_written(workspace: Path) -> None:
    import trustme

    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(workspace / "ca.pem"))
    issued = authority.issue_cert("127.0.0.1")
    issued.cert_chain_pems[0].write_to_path(str(workspace / "cert.pem"))
    issued.private_key_pem.write_to_path(str(workspace / "key.pem"))
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(workspace), "LANG": "C.UTF-8"}

    for line in EXAMPLES:
        if line.startswith("usm-config sandbox serve"):
            _serve(line, workspace, env)
            continue
        done = subprocess.run(
            ["bash", "-c", line],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        # --detailed-exitcode exits 2 for changes, migrate for what does not arrive.
        two = "--detailed-exitcode" in line or line.startswith("usm-config migrate")
        expected = {0, 2} if two else {0}
        assert done.returncode in expected, f"{line}\n{done.stdout[-2000:]}\n{done.stderr}"
        assert "Traceback" not in done.stderr
