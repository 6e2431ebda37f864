"""Generic building blocks for the adapters' local emulators ("sandboxes").

An emulator is its vendor's routes and envelopes on top of this kit:

* :mod:`~usm_config.sandbox.app`: :func:`build_emulator_app`, the app with control endpoints,
  faults, request log and spec checks around an emulator's routes;
* :mod:`~usm_config.sandbox.store`: :class:`RecordStore`, tables of JSON rows in SQLite;
* :mod:`~usm_config.sandbox.auth`: :class:`SandboxAuth` (basic users, bearer tokens) and the
  :class:`TokenRegistry` of issued tokens;
* :mod:`~usm_config.sandbox.faults`: :class:`FaultConfig` and the ASGI fault middleware;
* :mod:`~usm_config.sandbox.embedded`: :class:`EmbeddedTransport`, the in-process httpx transport;
* :mod:`~usm_config.sandbox.requestlog`: :class:`RequestLog` of the requests an emulator answered;
* :mod:`~usm_config.sandbox.openapi_check`: checking requests against a vendor's OpenAPI export;
* :mod:`~usm_config.sandbox.serve`: serving an emulator on 127.0.0.1.

Only the transport, faults and log are imported here, so that code which merely talks to an
emulator does not load the app, store and spec modules.
"""

from usm_config.sandbox.embedded import EmbeddedTransport
from usm_config.sandbox.faults import FaultConfig, FaultInjectionMiddleware
from usm_config.sandbox.requestlog import LoggedRequest, RequestLog

__all__ = [
    "EmbeddedTransport",
    "FaultConfig",
    "FaultInjectionMiddleware",
    "LoggedRequest",
    "RequestLog",
]
