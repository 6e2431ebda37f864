"""Serve an emulator over real HTTP on a loopback address (uvicorn)."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from usm_config.sandbox.faults import ResponseDropped

__all__ = ["run_in_thread", "serve"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def _check_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() in _LOOPBACK_NAMES
    if not loopback:
        raise ValueError(
            f"refusing to serve the sandbox on {host!r}: it accepts default credentials, "
            "so it only listens on a loopback address such as 127.0.0.1"
        )


class _DroppedResponseFilter(logging.Filter):
    """Turn uvicorn's traceback for a deliberately dropped response into one info line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], ResponseDropped):
            record.msg = "sandbox fault: %s"
            record.args = (str(record.exc_info[1]),)
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.INFO
            record.levelname = logging.getLevelName(logging.INFO)
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DroppedResponseFilter) for f in logger.filters):
        logger.addFilter(_DroppedResponseFilter())


def serve(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> None:
    """Serve ``app`` on ``host:port`` until interrupted. ``host`` must be a loopback address.

    With ``certfile`` and ``keyfile`` it speaks HTTPS (clients such as pysnc accept only
    https URLs).
    """
    _check_loopback(host)
    _install_log_filter()
    uvicorn.run(
        app, host=host, port=port, log_level="info", ssl_certfile=certfile, ssl_keyfile=keyfile
    )


@contextlib.contextmanager
def run_in_thread(
    app: ASGIApp,
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    startup_timeout: float = 10.0,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> Iterator[str]:
    """Serve ``app`` from a daemon thread for the duration of the block; yield its base URL.

    ``port=0`` picks a free port. The server is asked to exit and joined when the block ends.
    With ``certfile`` and ``keyfile`` the server speaks HTTPS and the URL starts https://.
    """
    _check_loopback(host)
    _install_log_filter()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left 0: asyncio sets TCP_NODELAY only on sockets whose proto says
    # TCP, and without it every answer on a kept-alive connection waited about 40 ms for the
    # client's delayed ACK (Nagle's algorithm holds the body back behind the headers).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port: int = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        access_log=False,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="usm-sandbox", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the sandbox server stopped during start-up")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox server did not start within {startup_timeout} s")
            time.sleep(0.01)
        url_host = f"[{host}]" if ":" in host else host
        scheme = "https" if certfile else "http"
        yield f"{scheme}://{url_host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout)
        sock.close()
