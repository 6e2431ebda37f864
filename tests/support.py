"""Helpers shared by test modules: golden files, a sleep that only records, a client runner."""

from __future__ import annotations

import asyncio
import difflib
import importlib
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.engine.records import Record
from usm_config.http import HttpClient, RetryPolicy
from usm_config.sandbox.embedded import EmbeddedTransport
from usm_config.testing import Harness, with_emulator

REPO = Path(__file__).resolve().parents[1]
MUNICIPALITY = REPO / "blueprints" / "examples" / "municipality"
#: The vendors' machine-readable API descriptions, in ``shared/`` beside the checkout (as CI
#: has it); read from there, never copied into the project.
SPECS = REPO.parent / "shared" / "specs"
#: The benchmark scripts' folder: not a package; its modules import each other by name.
BENCHMARKS = REPO / "benchmarks"
#: ``UPDATE_GOLDEN=1 pytest …`` rewrites golden files instead of comparing with them.
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")
DIFF_LINES = 300


def assert_golden(path: Path, actual: str, *, shown: str | None = None) -> None:
    """Compare ``actual`` with the golden file at ``path`` (bytes, UTF-8), or rewrite it.

    A mismatch fails with a unified diff (cut after a few hundred lines).
    """
    label = shown or str(path)
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    if not path.exists():
        pytest.fail(f"golden file {label} is missing; create it with UPDATE_GOLDEN=1")
    expected = path.read_bytes().decode("utf-8")
    if actual != expected:
        diff = list(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"{label} (expected)",
                tofile="actual",
            )
        )
        more = f"\n... {len(diff) - DIFF_LINES} more lines" if len(diff) > DIFF_LINES else ""
        pytest.fail(
            f"output differs from {label} (UPDATE_GOLDEN=1 accepts it):\n"
            + "".join(diff[:DIFF_LINES])
            + more,
            pytrace=False,
        )


def benchmark_module(name: str) -> ModuleType:
    """``benchmarks/<name>.py``, imported as the scripts import each other."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.append(str(BENCHMARKS))
    return importlib.import_module(name)


def run_benchmark(
    script: str, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``benchmarks/<script>`` run as documented, in a process of its own, its output kept."""
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


class FakeSleep:
    """Records back-off delays instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def run_client(
    base_url: str,
    test: Callable[[HttpClient], Awaitable[Any]],
    *,
    sleep: FakeSleep | None = None,
    retry: RetryPolicy | None = None,
) -> Any:
    """Run ``test`` with an :class:`HttpClient` on ``base_url`` whose back-off only records."""

    async def main() -> Any:
        async with HttpClient(
            base_url, sleep=sleep or FakeSleep(), retry=retry or RetryPolicy()
        ) as client:
            return await test(client)

    return asyncio.run(main())


class EmbeddedApi:
    """Synchronous requests to one emulator app, in process, as one login (``None``:
    anonymous); one event loop per call. Subclasses name the tool's :attr:`base` URL and the
    API :attr:`prefix` a relative path is under."""

    base = "https://sandbox.test"
    prefix = ""

    def __init__(self, app: Any, auth: tuple[str, str] | None) -> None:
        self.app = app
        self.auth = auth

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        **params: Any,
    ) -> httpx.Response:
        """One request; ``path`` is relative to :attr:`prefix` unless it starts with ``/``."""
        url = path if path.startswith("/") else f"{self.prefix}/{path}"

        async def send() -> httpx.Response:
            async with httpx.AsyncClient(
                transport=EmbeddedTransport(self.app), base_url=self.base, auth=self.auth
            ) as client:
                response = await client.request(
                    method,
                    url,
                    json=body if content is None else None,
                    content=content,
                    params=params or None,
                    headers=dict(headers or {}),
                )
                await response.aread()
                return response

        return asyncio.run(send())

    def ok(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """The JSON of a 2xx answer (``None`` for 204); fails the test otherwise."""
        response = self.call(method, path, body, **params)
        assert response.is_success, (response.status_code, response.text)
        return None if response.status_code == 204 else response.json()


class RecordedSandbox:
    """A copy of an adapter whose every emulator app (one per opened session) is kept, so a
    test can see what the adapter asked; :meth:`app` opens the target's emulator to play the
    administrator in it. Use :attr:`adapter` in a :class:`~usm_config.testing.Harness`."""

    def __init__(self, adapter: Any) -> None:
        self.apps: list[Any] = []

        def kept(app: Any) -> Any:
            self.apps.append(app)
            return app

        self.adapter = with_emulator(adapter, kept)

    def app(self, state_file: Path) -> Any:
        """The emulator of the target whose state is ``state_file`` (made on first use)."""
        state_file.parent.mkdir(parents=True, exist_ok=True)
        return self.adapter.sandbox_app(state_file)

    def queries(self, path_end: str) -> list[dict[str, str]]:
        """The queries of the requests (a batch's items included) to a path ending in
        ``path_end`` since :meth:`forget`."""
        entries = [entry for app in self.apps for entry in app.state.request_log]
        entries += [sub for entry in entries for sub in entry.subrequests]
        return [dict(entry.query) for entry in entries if entry.path.endswith(path_end)]

    def forget(self) -> None:
        """Drop the requests seen so far."""
        self.apps.clear()


class RecordedTarget:
    """A blueprint's :class:`~usm_config.testing.Harness` on an adapter's sandbox whose every
    request is kept (:class:`RecordedSandbox`), and :attr:`api` to play its administrator
    (``login`` is the emulator's own)."""

    def __init__(
        self,
        adapter_name: str,
        base_dir: Path,
        login: tuple[str, str],
        blueprint: Path = MUNICIPALITY,
    ) -> None:
        loaded = load_blueprint(blueprint)
        assert loaded.blueprint is not None
        self.sandbox = RecordedSandbox(load_adapter(adapter_name))
        self.harness = Harness(self.sandbox.adapter, loaded.blueprint, blueprint, base_dir)
        self.login = login

    @property
    def api(self) -> EmbeddedApi:
        """Requests to the target's emulator, as its administrator."""
        return EmbeddedApi(self.sandbox.app(self.harness.context().sandbox_state), self.login)

    def ours(self, kind: str) -> list[Record]:
        """The blueprint's records of ``kind``."""
        return [r for r in self.harness.desired() if r.kind == kind]

    def one_of_ours(self, kind: str) -> Record:
        """A record of ``kind`` the blueprint describes, as the target holds it."""
        keys = {r.key for r in self.ours(kind)}
        return next(r for r in self.harness.live() if r.kind == kind and r.key in keys)
