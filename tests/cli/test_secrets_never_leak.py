"""A credential set through the environment appears in no output, plan file, journal, lock file
or artifact, also with ``--verbose``.

The ServiceNow emulator is served over real HTTP on 127.0.0.1 with a robot user and an OAuth
client whose secrets are distinctive strings. A thin ASGI wrapper in front of it records every
token ``/oauth_token.do`` issues, and answers a wrong password with a 401 whose body echoes
the password and the ``Authorization`` header, as careless servers do. Every test then
searches all output (including log records) and every file the command line wrote for the
secrets, their base64 basic-auth forms and the tokens.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from usm_servicenow.kinds import KINDS
from usm_servicenow.sandbox import create_app

from usm_config.cli import cli
from usm_config.sandbox.faults import FaultConfig
from usm_config.sandbox.serve import run_in_thread

REPO = Path(__file__).resolve().parents[2]

USER, SECRET = "usm-robot", "Sup3r-S3cret-Passw0rd-7f3a"
CLIENT_ID, CLIENT_SECRET = "robot-client", "0Auth-Cl1ent-S3cret-9b2e"
WRONG = "Wr0ng-Passw0rd-Ech0ed-5c1d"

ENV = {
    "USM_LEAK_TEST_USER": USER,
    "USM_LEAK_TEST_PASSWORD": SECRET,
    "USM_LEAK_TEST_WRONG_PASSWORD": WRONG,
    "USM_LEAK_TEST_CLIENT_ID": CLIENT_ID,
    "USM_LEAK_TEST_CLIENT_SECRET": CLIENT_SECRET,
}

TARGETS = """\
targets:
  basic:
    adapter: servicenow
    url: {url}
    lock_dir: state
    auth: {{type: basic, username_env: USM_LEAK_TEST_USER, password_env: USM_LEAK_TEST_PASSWORD}}
  oauth:
    adapter: servicenow
    url: {url}
    lock_dir: state
    auth:
      type: oauth-client-credentials
      client_id_env: USM_LEAK_TEST_CLIENT_ID
      client_secret_env: USM_LEAK_TEST_CLIENT_SECRET
  wrong:
    adapter: servicenow
    url: {url}
    lock_dir: state
    auth:
      type: basic
      username_env: USM_LEAK_TEST_USER
      password_env: USM_LEAK_TEST_WRONG_PASSWORD
"""

BLUEPRINT = """\
usm: 1
extends: usm-reference.yaml
organisation: {id: leak-test, name: Leak Test, locale: en, timezone: Europe/London}
customers:
  - {id: staff, name: Staff, kind: internal}
teams:
  - {id: desk, name: Service Desk, kind: internal, email: desk@leak.example}
schedules:
  - id: office
    name: Office hours
    spans:
      - {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00"}
services:
  - id: email
    name: E-mail
    supported_by: [desk]
    agreements:
      service:
        id: sa-email
        customer: staff
        service_hours: office
        support_hours: office
        channels: [portal]
        targets:
          - {priority: p1, response: 30m, resolution: 4h}
          - {priority: p2, response: 1h, resolution: 8h}
          - {priority: p3, response: 4h, resolution: 3d}
          - {priority: p4, response: 1d, resolution: 10d}
"""


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Spy:
    """ASGI wrapper: records issued tokens, echoes rejected credentials in the 401 body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.tokens: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            user, _, password = base64.b64decode(credentials).decode().partition(":")
            if user == USER and password != SECRET:
                await self._echo_401(send, password, header)
                return
        if scope["path"] != "/oauth_token.do":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep)
        try:
            body = json.loads(b"".join(chunks))
        except ValueError:
            return
        self.tokens += [body[k] for k in ("access_token", "refresh_token") if body.get(k)]

    @staticmethod
    async def _echo_401(send: Send, password: str, header: str) -> None:
        detail = f"password '{password}' is wrong (you sent {header})"
        body = json.dumps({"error": {"message": "User Not Authenticated", "detail": detail}})
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"x-rejected-authorization", header.encode("latin-1")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})


@contextlib.contextmanager
def serve(state: Path, **faults: Any) -> Iterator[tuple[str, Spy]]:
    """The emulator behind a :class:`Spy`, on 127.0.0.1 for the duration of the block."""
    app = create_app(
        db_path=state,
        users={USER: SECRET},
        oauth_clients={CLIENT_ID: CLIENT_SECRET},
        extra_tables=KINDS,
        faults=FaultConfig(**faults),
    )
    spy = Spy(app)
    with run_in_thread(spy) as url:
        yield url, spy


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Spy]]:
    with serve(tmp_path_factory.mktemp("served") / "servicenow.sqlite3") as served:
        yield served


class Workspace:
    """Where the command line runs: blueprint, targets file, and everything it writes."""

    def __init__(self, folder: Path, url: str, spy: Spy) -> None:
        self.folder = folder
        self.spy = spy
        self.outputs: list[str] = []
        (folder / "usm-reference.yaml").write_bytes(
            (REPO / "blueprints" / "usm-reference.yaml").read_bytes()
        )
        (folder / "tiny.yaml").write_text(BLUEPRINT, encoding="utf-8")
        (folder / "targets.yaml").write_text(TARGETS.format(url=url), encoding="utf-8")

    def run(self, *args: str) -> Result:
        result = CliRunner().invoke(cli, list(args), env=ENV)
        self.outputs += [result.output, result.stderr]
        assert "Traceback" not in result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    def forbidden(self) -> dict[str, str]:
        """Every string that must never be written: secrets, their encodings, tokens."""
        found = {
            "password": SECRET,
            "client secret": CLIENT_SECRET,
            "wrong password": WRONG,
            "basic auth": _b64(f"{USER}:{SECRET}"),
            "wrong basic auth": _b64(f"{USER}:{WRONG}"),
            "client basic auth": _b64(f"{CLIENT_ID}:{CLIENT_SECRET}"),
            "password (base64)": _b64(SECRET),
        }
        found.update({f"token {i}": token for i, token in enumerate(self.spy.tokens)})
        return found

    def files(self) -> dict[str, str]:
        """Every file under the workspace, as text."""
        return {
            str(path.relative_to(self.folder)): path.read_bytes().decode("utf-8", "replace")
            for path in sorted(self.folder.rglob("*"))
            if path.is_file()
        }

    def assert_nothing_leaked(self, caplog: pytest.LogCaptureFixture) -> None:
        texts = {f"output {i}": text for i, text in enumerate(self.outputs)}
        texts["log records"] = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
        texts.update(self.files())
        leaks = [
            f"{name} in {where}"
            for where, text in texts.items()
            for name, secret in self.forbidden().items()
            if secret in text
        ]
        assert leaks == []


@pytest.fixture
def ws(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    server: tuple[str, Spy],
) -> Workspace:
    # --verbose logs at DEBUG; under pytest the root logger's handler is caplog's.
    caplog.set_level(logging.DEBUG)
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, *server)


def targets() -> tuple[str, str]:
    return ("--targets", "targets.yaml")


def test_basic_auth_secrets_leak_nowhere(ws: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    plan = ws.run("--verbose", "plan", "tiny.yaml", "-t", "basic", "--out", "plan.json", *targets())
    assert plan.exit_code == 0, plan.output
    artifacts = ws.run(
        "--verbose", "plan", "tiny.yaml", "-t", "basic", "--artifacts", "out", *targets()
    )
    assert artifacts.exit_code == 0, artifacts.output
    applied = ws.run("--verbose", "apply", "tiny.yaml", "-t", "basic", "--auto-approve", *targets())
    assert applied.exit_code == 0, applied.output
    assert "Converged" in applied.stdout
    # The saved plan is stale now: the refusal is an error path of its own.
    stale = ws.run(
        "--verbose", "apply", "tiny.yaml", "-t", "basic", "--plan", "plan.json", *targets()
    )
    assert stale.exit_code == 1

    files = ws.files()
    assert {"plan.json", "out/update-set.xml", "state/tiny.basic.lock.json"} <= set(files)
    assert "usm_config.http" in caplog.text, "--verbose logged no HTTP request"
    assert "127.0.0.1" in caplog.text
    ws.assert_nothing_leaked(caplog)


def test_oauth_secrets_and_tokens_leak_nowhere(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    issued = len(ws.spy.tokens)
    plan = ws.run("--verbose", "plan", "tiny.yaml", "-t", "oauth", "--out", "plan.json", *targets())
    assert plan.exit_code == 0, plan.output
    applied = ws.run("--verbose", "apply", "tiny.yaml", "-t", "oauth", "--auto-approve", *targets())
    assert applied.exit_code == 0, applied.output
    artifacts = ws.run("plan", "tiny.yaml", "-t", "oauth", "--artifacts", "out", *targets())
    assert artifacts.exit_code == 0, artifacts.output

    assert len(ws.spy.tokens) > issued, "no OAuth token was issued"
    assert "oauth_token.do" in caplog.text
    assert {"plan.json", "out/update-set.xml", "state/tiny.oauth.lock.json"} <= set(ws.files())
    ws.assert_nothing_leaked(caplog)


def test_a_rejected_password_echoed_by_the_server_is_masked(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    result = ws.run("--verbose", "plan", "tiny.yaml", "-t", "wrong", *targets())
    assert result.exit_code == 1
    assert "HTTP 401" in result.stderr
    assert "is wrong (you sent Basic ***)" in result.stderr, "the echoed body is shown, masked"
    applied = ws.run("--verbose", "apply", "tiny.yaml", "-t", "wrong", "--auto-approve", *targets())
    assert applied.exit_code == 1
    ws.assert_nothing_leaked(caplog)


def test_a_killed_apply_leaves_a_journal_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A real ``usm-config --verbose apply`` process, killed while its first write is in flight.

    The slow server (latency on every request) keeps the apply running long enough.
    """
    caplog.set_level(logging.DEBUG)
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    with serve(tmp_path / "slow.sqlite3", latency_ms=100) as (url, spy):
        ws = Workspace(folder, url, spy)
        journal = folder / "state" / "tiny.basic.lock.journal.jsonl"
        stdout, stderr = folder / "stdout.txt", folder / "stderr.txt"
        argv = [sys.executable, "-m", "usm_config.cli", "--verbose", "apply", "tiny.yaml"]
        argv += ["-t", "basic", "--auto-approve", *targets()]
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                argv, cwd=folder, env={**os.environ, **ENV}, stdout=out, stderr=err
            )
            try:
                deadline = time.monotonic() + 60
                while not (journal.exists() and b'"begin"' in journal.read_bytes()):
                    assert process.poll() is None, "the apply ended before it was killed"
                    assert time.monotonic() < deadline, "the apply wrote no journal in 60 s"
                    time.sleep(0.005)
            finally:
                process.kill()
                process.wait(timeout=10)
        assert journal.read_text(encoding="utf-8").count('"event": "begin"') >= 1
        log = stderr.read_text(encoding="utf-8")
        assert "DEBUG usm_config.http" in log, "--verbose logged no HTTP request"
        ws.outputs += [log, stdout.read_text(encoding="utf-8")]
        assert journal.relative_to(folder).as_posix() in ws.files()
        ws.assert_nothing_leaked(caplog)

        # The next apply resumes from the journal, with the secret in play again.
        resumed = ws.run(
            "--verbose", "apply", "tiny.yaml", "-t", "basic", "--auto-approve", *targets()
        )
        assert resumed.exit_code == 0, resumed.output
        assert not journal.exists()
        ws.assert_nothing_leaked(caplog)
