"""Secrets never reach log records, exception text or body excerpts."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import respx
from support import FakeSleep

from usm_config.http import (
    BasicAuthConfig,
    HttpClient,
    HttpStatusError,
    OAuthTokenAuth,
    Redactor,
    RetryPolicy,
    TransientError,
    UncertainWriteError,
    build_auth,
)

BASE = "https://example.service-now.test"
API = "/api/now/table/sys_user_group"
PASSWORD = "S3cr3t/p@ss+word"
USERPASS_B64 = base64.b64encode(f"svc.usm:{PASSWORD}".encode()).decode()
SPELLINGS = [PASSWORD, quote(PASSWORD, safe=""), quote_plus(PASSWORD), USERPASS_B64]


def basic_client_secrets() -> tuple[httpx.Auth | None, list[str]]:
    config = BasicAuthConfig(username_env="SN_USER", password_env="SN_PASSWORD")
    return build_auth(config, {"SN_USER": "svc.usm", "SN_PASSWORD": PASSWORD})


def run(
    test: Callable[[HttpClient], Awaitable[Any]],
    *,
    base_url: str = BASE,
    auth: httpx.Auth | None = None,
    secrets: list[str] | None = None,
) -> Any:
    async def main() -> Any:
        async with HttpClient(
            base_url,
            auth=auth,
            secrets=secrets or [],
            sleep=FakeSleep(),
            retry=RetryPolicy(max_attempts=2),
        ) as client:
            return await test(client)

    return asyncio.run(main())


def assert_clean(text: str, secrets: list[str] = SPELLINGS) -> None:
    for secret in secrets:
        assert secret not in text


def assert_logs_clean(caplog: pytest.LogCaptureFixture, secrets: list[str] = SPELLINGS) -> None:
    assert caplog.records, "expected the client to log"
    for record in caplog.records:
        assert_clean(record.getMessage(), secrets)
    assert_clean(caplog.text, secrets)


# --------------------------------------------------------------------------- Redactor


def test_redactor_masks_secret_and_its_encodings() -> None:
    redactor = Redactor([PASSWORD])
    text = " | ".join(
        [
            PASSWORD,
            quote(PASSWORD, safe=""),
            quote_plus(PASSWORD),
            json.dumps({"echo": PASSWORD}),
            json.dumps(PASSWORD).replace("/", "\\/"),
            base64.b64encode(PASSWORD.encode()).decode(),
        ]
    )
    redacted = redactor.redact(text)
    assert_clean(redacted)
    assert redacted.count("***") == 6


def test_redactor_masks_short_secrets_and_ignores_empty_ones() -> None:
    redactor = Redactor(["", "abc"])
    redactor.add("xy")
    assert redactor.redact("abc-xy-abd") == "***-***-abd"


def test_redactor_masks_url_userinfo() -> None:
    redacted = Redactor().redact("GET https://admin:hunter2@dev.service-now.com/api and x@y.z")
    assert redacted == "GET https://***@dev.service-now.com/api and x@y.z"


def test_redactor_masks_credential_fields_it_was_never_told_about() -> None:
    text = "\n".join(
        [
            '{"access_token": "tok1", "refresh_token":"tok2", "scope": "useraccount"}',
            "{'client_secret': 'tok3'}",
            "grant_type=password&password=tok4&client_secret=tok5&username=svc",
            "Authorization: Basic dG9rNjp0b2s3",
            "Cookie: JSESSIONID=tok8",
            "x-sn-apikey: tok9",
        ]
    )
    redacted = Redactor().redact(text)
    for n in range(1, 10):
        assert f"tok{n}" not in redacted
    assert '"scope": "useraccount"' in redacted
    assert "username=svc" in redacted


def test_redactor_learns_credentials_from_headers() -> None:
    redactor = Redactor()
    redactor.add_header("Authorization", "Bearer abc.def.ghi")
    redactor.add_header("Cookie", "JSESSIONID=0123456789ABCDEF; lang=en")
    redactor.add_header("Accept", "application/json")
    assert redactor.redact("abc.def.ghi 0123456789ABCDEF en application/json") == (
        "*** *** en application/json"
    )


def test_redactor_repr_does_not_leak() -> None:
    assert PASSWORD not in repr(Redactor([PASSWORD]))


# --------------------------------------------------------------------------- the client


def test_secret_from_env_is_absent_from_logs_exceptions_and_echoed_bodies(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    auth, secrets = basic_client_secrets()
    echo = json.dumps(
        {
            "error": {
                "message": f"bad credentials {PASSWORD}",
                "detail": f"Authorization: Basic {USERPASS_B64}",
            },
            "query": f"password={quote_plus(PASSWORD)}",
        }
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(API).mock(return_value=httpx.Response(400, text=echo))
        with pytest.raises(HttpStatusError) as caught:
            run(lambda c: c.request("GET", API, params={"q": PASSWORD}), auth=auth, secrets=secrets)
    error = caught.value
    for text in (str(error), repr(error), error.body_excerpt, error.url):
        assert_clean(text)
    assert "bad credentials ***" in error.body_excerpt
    assert_logs_clean(caplog)
    assert any(
        r.name == "usm_config.http" and "attempt 1/2" in r.getMessage() for r in caplog.records
    )


def test_caller_supplied_auth_header_is_learned_and_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(API).mock(
            return_value=httpx.Response(500, text=f"echo: Basic {USERPASS_B64} / {PASSWORD}")
        )
        with pytest.raises(HttpStatusError) as caught:
            run(lambda c: c.request("GET", API), auth=httpx.BasicAuth("svc.usm", PASSWORD))
    assert caught.value.body_excerpt == "echo: Basic *** / ***"
    assert_logs_clean(caplog)


def test_secret_in_transport_errors_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    auth, secrets = basic_client_secrets()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(API).mock(side_effect=httpx.ReadError(f"reset while sending {PASSWORD}"))
        router.get(API).mock(side_effect=httpx.ReadTimeout(f"timeout {PASSWORD}"))
        with pytest.raises(UncertainWriteError) as uncertain:
            run(lambda c: c.request("POST", API, json={}), auth=auth, secrets=secrets)
        with pytest.raises(TransientError) as transient:
            run(lambda c: c.request("GET", API), auth=auth, secrets=secrets)
    for error in (uncertain.value, transient.value):
        assert_clean(str(error))
        assert_clean(repr(error))
        assert error.__cause__ is None
    assert "ReadError: reset while sending ***" in str(uncertain.value)
    assert_logs_clean(caplog)


def test_url_userinfo_is_masked_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    base = "https://svc.usm:hunter2hunter2@example.service-now.test"
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(API).mock(return_value=httpx.Response(404, text="hunter2hunter2"))
        with pytest.raises(HttpStatusError) as caught:
            run(lambda c: c.request("GET", API), base_url=base)
    secrets = ["hunter2hunter2"]
    assert_clean(str(caught.value), secrets)
    assert caught.value.body_excerpt == "***"
    assert_logs_clean(caplog, secrets)
    # httpx's own "HTTP Request:" line shows userinfo unless the client redacts it.
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any("https://***@example.service-now.test" in line for line in httpx_lines)


def test_oauth_tokens_and_client_secret_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    auth = OAuthTokenAuth(
        grant_type="client_credentials", client_id="client-id-1", client_secret="cs-very-secret"
    )
    secrets = ["cs-very-secret", "at-very-secret", "rt-very-secret"]
    tokens = {"access_token": "at-very-secret", "refresh_token": "rt-very-secret"}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post("/oauth_token.do").mock(
            return_value=httpx.Response(200, json={**tokens, "expires_in": 1799})
        )
        router.get(API).mock(
            return_value=httpx.Response(403, text="token at-very-secret lacks role")
        )
        with pytest.raises(HttpStatusError) as caught:
            run(lambda c: c.request("GET", API), auth=auth)
    assert caught.value.body_excerpt == "token *** lacks role"
    assert_clean(repr(caught.value), secrets)
    assert_logs_clean(caplog, secrets)
    assert "cs-very-secret" not in repr(auth)


def test_client_redact_and_header_secrets() -> None:
    client = HttpClient(BASE, headers={"x-sn-apikey": "apikey-123456"}, secrets=["tiny"])
    assert client.redact("apikey-123456 tiny") == "*** ***"
    assert "apikey" not in repr(client)
