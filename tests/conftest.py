"""Settings every test shares."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import httpx
import respx.mocks
from hypothesis import settings

# On CI the property tests try the same examples on every run, so a build is not turned red at
# random by a case no change made; elsewhere each run tries new ones (a case found there
# becomes an explicit @example).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Tests never go through a proxy of the machine they run on (a test of proxies sets its own).
for _name in list(os.environ):
    if _name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        del os.environ[_name]


class TransportMocker(respx.mocks.AbstractRequestMocker):
    """respx in front of usm-config's own transport (:mod:`usm_config.http.transport`), as
    respx's default stands in front of httpcore's pool: what a test's routes see is a copy of
    each request as it went to the transport, so a header an auth flow changes later on the
    same request object (a token refreshed after a 401) does not rewrite what was recorded."""

    name = "usm-transport"
    targets: ClassVar[list[str]] = ["usm_config.http.transport.Transport"]
    target_methods: ClassVar[list[str]] = ["handle_async_request"]

    @classmethod
    def to_httpx_request(cls, **kwargs: Any) -> httpx.Request:
        sent: httpx.Request = kwargs["request"]
        return httpx.Request(
            sent.method,
            sent.url,
            headers=sent.headers.raw,
            stream=sent.stream,
            extensions=sent.extensions,
        )

    @classmethod
    async def from_async_httpx_response(
        cls, httpx_response: httpx.Response, target: Any, **kwargs: Any
    ) -> httpx.Response:
        return httpx_response


respx.mocks.DEFAULT_MOCKER = TransportMocker.name
