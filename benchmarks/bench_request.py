"""What one HTTP request costs the client in CPU: usm-config's ``HttpClient`` beside httpx with
its default transport, against two servers on loopback.

Both servers answer every ``GET`` with a one-row JSON list, as TOPdesk's ``/incidents/slas``
answers a plan that reads SLA services one service at a time. One answers at once; the other
works ``--busy-ms`` on each request, one request at a time (as the served emulators do, and as
any tool's answers arrive one by one behind latency). The client keeps ``--parallelism``
requests in flight and the table gives its CPU time (user and system) per request, the least
and the most of ``--rounds`` runs taken alternately. The servers run in processes of their
own, so their work is not counted.

    .venv/bin/python benchmarks/bench_request.py --requests 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from readme import add_option, check, publish

from usm_config.aio import gather_bounded
from usm_config.http import HttpClient

#: The README block the table goes into.
BLOCK = "request-cost"
PATH = "/tas/api/incidents/slas"
ROW = {
    "id": "7c5b6b6e-0000-4000-8000-000000000001",
    "contractId": "7c5b6b6e-0000-4000-8000-000000000002",
    "contractName": "Departments",
    "contractSequenceNumber": 1,
    "serviceId": "7c5b6b6e-0000-4000-8000-000000000003",
    "serviceName": "Service 0001",
    "serviceLevelId": "7c5b6b6e-0000-4000-8000-000000000004",
    "serviceLevelName": "SA Service 0001",
}
BODY = json.dumps({"results": [ROW]}).encode()
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)


class _Server(asyncio.Protocol):
    """Answers each request (a head without a body) with :data:`ANSWER`, after ``busy``
    seconds of work."""

    def __init__(self, busy: float) -> None:
        self.busy = busy
        self.pending = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.pending += data
        while b"\r\n\r\n" in self.pending:
            _, self.pending = self.pending.split(b"\r\n\r\n", 1)
            done = time.perf_counter() + self.busy
            while time.perf_counter() < done:
                pass
            assert self.transport is not None
            self.transport.write(ANSWER)


async def _serve(busy: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Server(busy), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


@contextmanager
def served(busy_ms: float) -> Iterator[str]:
    """The URL of a server (its own process) that works ``busy_ms`` on each request."""
    with subprocess.Popen(
        [sys.executable, __file__, "--serve", str(busy_ms)], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            yield f"http://127.0.0.1:{int(child.stdout.readline())}"
        finally:
            child.kill()


async def _usm_config(url: str, requests: int, parallelism: int) -> None:
    async with HttpClient(url, auth=httpx.BasicAuth("bench", "bench")) as client:
        await gather_bounded(
            (client.get_json(PATH, {"service": f"{n:032x}"}) for n in range(requests)),
            parallelism,
        )


async def _httpx(url: str, requests: int, parallelism: int) -> None:
    async def one(client: httpx.AsyncClient, n: int) -> Any:
        return (await client.get(PATH, params={"service": f"{n:032x}"})).json()

    async with httpx.AsyncClient(base_url=url, auth=httpx.BasicAuth("bench", "bench")) as client:
        await gather_bounded((one(client, n) for n in range(requests)), parallelism)


Client = Callable[[str, int, int], Coroutine[Any, Any, None]]
CLIENTS: dict[str, Client] = {
    "usm-config (`HttpClient`)": _usm_config,
    "httpx, default transport": _httpx,
}


def measure(requests: int, parallelism: int, busy_ms: float, rounds: int) -> str:
    """The Markdown table: CPU per request for each client against each server."""
    cpu: dict[tuple[str, str], list[float]] = {}
    with served(0.0) as instant, served(busy_ms) as busy:
        urls = {"answers at once": instant, f"works {busy_ms:g} ms per request": busy}
        for _ in range(rounds):
            for server, url in urls.items():
                for name, client in CLIENTS.items():
                    started = time.process_time()
                    asyncio.run(client(url, requests, parallelism))
                    per_request = (time.process_time() - started) / requests * 1000
                    cpu.setdefault((name, server), []).append(per_request)
    lines = [
        f"{requests:,} GET requests, {parallelism} in flight; client CPU (user and system) per"
        f" request, least and most of {rounds} runs",
        "",
        "| client | server | CPU per request, ms |",
        "|---|---|---:|",
    ]
    for (name, server), runs in cpu.items():
        lines.append(f"| {name} | {server} | {min(runs):.2f} to {max(runs):.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--busy-ms", type=float, default=1.6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", type=float, metavar="BUSY_MS", help=argparse.SUPPRESS)
    add_option(parser)
    args = parser.parse_args()
    if args.serve is not None:
        asyncio.run(_serve(args.serve / 1000))
        return
    if args.readme:
        check(args.readme, BLOCK)
    table = measure(args.requests, args.parallelism, args.busy_ms, args.rounds)
    print(table)
    if args.readme:
        publish(args.readme, BLOCK, table)


if __name__ == "__main__":
    main()
