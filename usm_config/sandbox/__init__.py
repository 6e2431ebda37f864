"""Generic building blocks for the adapters' local emulators ("sandboxes").

* :mod:`~usm_config.sandbox.faults`: :class:`FaultConfig` and the ASGI fault middleware;
* :mod:`~usm_config.sandbox.embedded`: :class:`EmbeddedTransport`, the in-process httpx transport;
* :mod:`~usm_config.sandbox.requestlog`: :class:`RequestLog` of the requests an emulator answered;
* :mod:`~usm_config.sandbox.openapi_check`: checking requests against a vendor's OpenAPI export;
* :mod:`~usm_config.sandbox.serve`: serving an emulator on 127.0.0.1 (imports uvicorn, so it is
  not imported here).
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
