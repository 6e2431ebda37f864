"""Auth configs, build_auth from the environment, and the OAuth token flow."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pydantic
import pytest
import respx
from support import FakeSleep

from usm_config.http import (
    AuthConfig,
    AuthenticationError,
    BasicAuthConfig,
    BearerTokenAuth,
    BearerTokenConfig,
    HttpClient,
    HttpError,
    MissingCredentialError,
    NoAuthConfig,
    OAuthClientCredentialsConfig,
    OAuthPasswordConfig,
    OAuthTokenAuth,
    RetryPolicy,
    build_auth,
)

BASE = "https://example.service-now.test"
API = "/api/now/table/sys_user_group"
TOKEN = "/oauth_token.do"
AUTH_CONFIG: pydantic.TypeAdapter[AuthConfig] = pydantic.TypeAdapter(AuthConfig)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(
    test: Callable[[HttpClient], Awaitable[Any]],
    auth: httpx.Auth | None,
    *,
    secrets: list[str] | None = None,
    sleep: FakeSleep | None = None,
) -> Any:
    async def main() -> Any:
        async with HttpClient(
            BASE,
            auth=auth,
            secrets=secrets or [],
            sleep=sleep or FakeSleep(),
            retry=RetryPolicy(max_attempts=3),
        ) as client:
            return await test(client)

    return asyncio.run(main())


def form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


def token_body(access: str, refresh: str | None = "refresh-1", expires_in: int = 1799) -> Any:
    body: dict[str, Any] = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
    }
    if refresh:
        body["refresh_token"] = refresh
    return body


def password_auth(clock: FakeClock | None = None) -> OAuthTokenAuth:
    return OAuthTokenAuth(
        grant_type="password",
        client_id="client-id-1",
        client_secret="client-secret-1",
        username="svc.usm",
        password="user-password-1",
        clock=clock or FakeClock(),
    )


def get_three_times(client: HttpClient) -> Awaitable[list[int]]:
    async def calls() -> list[int]:
        return [(await client.request("GET", API)).status_code for _ in range(3)]

    return calls()


# --------------------------------------------------------------------------- config models


def test_auth_config_is_a_discriminated_union() -> None:
    parsed = AUTH_CONFIG.validate_python(
        {"type": "basic", "username_env": "SN_USER", "password_env": "SN_PASSWORD"}
    )
    assert parsed == BasicAuthConfig(username_env="SN_USER", password_env="SN_PASSWORD")
    oauth = AUTH_CONFIG.validate_python(
        {"type": "oauth-client-credentials", "client_id_env": "ID", "client_secret_env": "SECRET"}
    )
    assert isinstance(oauth, OAuthClientCredentialsConfig)
    assert oauth.token_path == "/oauth_token.do"
    assert isinstance(AUTH_CONFIG.validate_python({"type": "none"}), NoAuthConfig)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "basic", "username_env": "U", "password_env": "P", "password": "inline"},
        {"type": "basic", "username_env": "U", "password_env": "not an env name!"},
        {"type": "kerberos"},
    ],
    ids=["extra-field", "bad-env-name", "unknown-type"],
)
def test_auth_config_rejects_bad_input(data: dict[str, str]) -> None:
    with pytest.raises(pydantic.ValidationError):
        AUTH_CONFIG.validate_python(data)


# --------------------------------------------------------------------------- build_auth


def test_basic_auth_from_environment() -> None:
    config = BasicAuthConfig(username_env="SN_USER", password_env="SN_PASSWORD")
    auth, secrets = build_auth(config, {"SN_USER": "svc.usm", "SN_PASSWORD": "pw-123"})
    userpass = base64.b64encode(b"svc.usm:pw-123").decode()
    assert secrets == ["pw-123", userpass]
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(API).mock(return_value=httpx.Response(200, json={}))
        run(lambda c: c.request("GET", API), auth, secrets=secrets)
    assert route.calls[0].request.headers["Authorization"] == f"Basic {userpass}"


def test_bearer_auth_from_environment() -> None:
    auth, secrets = build_auth(BearerTokenConfig(token_env="JIRA_PAT"), {"JIRA_PAT": "pat-xyz"})
    assert isinstance(auth, BearerTokenAuth)
    assert secrets == ["pat-xyz"]
    assert "pat-xyz" not in repr(auth)
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get(API).mock(return_value=httpx.Response(200, json={}))
        run(lambda c: c.request("GET", API), auth)
    assert route.calls[0].request.headers["Authorization"] == "Bearer pat-xyz"


def test_no_auth() -> None:
    assert build_auth(NoAuthConfig(), {}) == (None, [])


@pytest.mark.parametrize("environ", [{}, {"SN_PASSWORD": ""}, {"SN_PASSWORD": "  "}])
def test_missing_env_var_names_the_variable_and_how_to_set_it(environ: dict[str, str]) -> None:
    config = BasicAuthConfig(username_env="SN_USER", password_env="SN_PASSWORD")
    with pytest.raises(MissingCredentialError) as caught:
        build_auth(config, {"SN_USER": "svc.usm", **environ})
    error = caught.value
    assert error.env_name == "SN_PASSWORD"
    assert "SN_PASSWORD" in str(error)
    assert "export SN_PASSWORD=" in str(error)
    assert "svc.usm" not in str(error)


def test_oauth_configs_build_token_auths_and_list_their_secrets() -> None:
    environ = {"ID": "client-id-1", "SECRET": "client-secret-1", "U": "svc", "P": "pw-1"}
    password_config = OAuthPasswordConfig(
        client_id_env="ID", client_secret_env="SECRET", username_env="U", password_env="P"
    )
    auth, secrets = build_auth(password_config, environ)
    assert isinstance(auth, OAuthTokenAuth)
    assert secrets == ["client-secret-1", "pw-1"]
    cc_config = OAuthClientCredentialsConfig(
        token_path="/oauth/token", client_id_env="ID", client_secret_env="SECRET"
    )
    auth, secrets = build_auth(cc_config, environ)
    assert isinstance(auth, OAuthTokenAuth)
    assert auth.token_path == "/oauth/token"
    assert secrets == ["client-secret-1"]
    with pytest.raises(MissingCredentialError, match="U"):
        build_auth(password_config, {"ID": "x", "SECRET": "y"})


# --------------------------------------------------------------------------- OAuth flow


def test_password_grant_fetches_one_token_for_many_requests() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        token = router.post(TOKEN).mock(return_value=httpx.Response(200, json=token_body("at-1")))
        api = router.get(API).mock(return_value=httpx.Response(200, json={}))
        statuses = run(get_three_times, password_auth())
    assert statuses == [200, 200, 200]
    assert token.call_count == 1
    assert form(token.calls[0].request) == {
        "grant_type": "password",
        "client_id": "client-id-1",
        "client_secret": "client-secret-1",
        "username": "svc.usm",
        "password": "user-password-1",
    }
    assert token.calls[0].request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert [call.request.headers["Authorization"] for call in api.calls] == ["Bearer at-1"] * 3


def test_client_credentials_grant() -> None:
    auth = OAuthTokenAuth(
        grant_type="client_credentials", client_id="client-id-1", client_secret="cs-1"
    )
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        token = router.post(TOKEN).mock(
            return_value=httpx.Response(200, json=token_body("at-cc", refresh=None))
        )
        api = router.get(API).mock(return_value=httpx.Response(200, json={}))
        run(get_three_times, auth)
    assert token.call_count == 1
    assert form(token.calls[0].request) == {
        "grant_type": "client_credentials",
        "client_id": "client-id-1",
        "client_secret": "cs-1",
    }
    assert api.calls[-1].request.headers["Authorization"] == "Bearer at-cc"


def test_token_is_refreshed_shortly_before_expiry() -> None:
    clock = FakeClock()
    auth = password_auth(clock)

    async def calls(client: HttpClient) -> None:
        await client.request("GET", API)
        clock.now += 1799 - 61  # still more than 60 s left
        await client.request("GET", API)
        clock.now += 2  # inside the 60 s margin
        await client.request("GET", API)

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        token = router.post(TOKEN).mock(
            side_effect=[
                httpx.Response(200, json=token_body("at-1", "rt-1")),
                httpx.Response(200, json=token_body("at-2", refresh=None)),
            ]
        )
        api = router.get(API).mock(return_value=httpx.Response(200, json={}))
        run(calls, auth)
    assert token.call_count == 2
    assert form(token.calls[1].request) == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-1",
        "client_id": "client-id-1",
        "client_secret": "client-secret-1",
    }
    bearers = [call.request.headers["Authorization"] for call in api.calls]
    assert bearers == ["Bearer at-1", "Bearer at-1", "Bearer at-2"]


def test_rejected_refresh_token_falls_back_to_a_new_grant() -> None:
    clock = FakeClock()
    auth = password_auth(clock)

    async def calls(client: HttpClient) -> None:
        await client.request("GET", API)
        clock.now += 3600
        await client.request("GET", API)

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        token = router.post(TOKEN).mock(
            side_effect=[
                httpx.Response(200, json=token_body("at-1", "rt-1")),
                httpx.Response(401, json={"error": "invalid_grant"}),
                httpx.Response(200, json=token_body("at-2", "rt-2")),
            ]
        )
        api = router.get(API).mock(return_value=httpx.Response(200, json={}))
        run(calls, auth)
    grants = [form(call.request)["grant_type"] for call in token.calls]
    assert grants == ["password", "refresh_token", "password"]
    assert api.calls[-1].request.headers["Authorization"] == "Bearer at-2"


def test_401_triggers_one_reauthentication_and_one_resend() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        token = router.post(TOKEN).mock(
            side_effect=[
                httpx.Response(200, json=token_body("at-1")),
                httpx.Response(200, json=token_body("at-2")),
            ]
        )
        api = router.post(API).mock(
            side_effect=[httpx.Response(401), httpx.Response(201, json={"result": {}})]
        )
        response = run(lambda c: c.request("POST", API, json={"name": "x"}), password_auth())
    assert response.status_code == 201
    assert token.call_count == 2
    assert [call.request.headers["Authorization"] for call in api.calls] == [
        "Bearer at-1",
        "Bearer at-2",
    ]
    assert api.calls[1].request.content == b'{"name":"x"}'


def test_second_401_is_an_authentication_error_without_looping() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        token = router.post(TOKEN).mock(return_value=httpx.Response(200, json=token_body("at")))
        api = router.get(API).mock(return_value=httpx.Response(401, json={"error": {}}))
        with pytest.raises(AuthenticationError):
            run(lambda c: c.request("GET", API), password_auth())
    assert (token.call_count, api.call_count) == (2, 2)


def test_token_endpoint_refusal_is_an_authentication_error() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(TOKEN).mock(
            return_value=httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "bad password"}
            )
        )
        # No API route: the request itself must never be sent.
        with pytest.raises(AuthenticationError) as caught:
            run(lambda c: c.request("GET", API), password_auth())
    assert caught.value.status == 400
    assert caught.value.url == f"{BASE}{TOKEN}"
    assert "invalid_grant" in caught.value.body_excerpt


def test_token_endpoint_outage_is_retried_even_for_a_post() -> None:
    sleep = FakeSleep()
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        token = router.post(TOKEN).mock(
            side_effect=[
                httpx.Response(503, headers={"Retry-After": "2"}),
                httpx.Response(200, json=token_body("at-1")),
            ]
        )
        api = router.post(API).mock(return_value=httpx.Response(201, json={}))
        response = run(lambda c: c.request("POST", API, json={}), password_auth(), sleep=sleep)
    assert response.status_code == 201
    assert (token.call_count, api.call_count) == (2, 1)
    assert sleep.delays == [2.0]


def test_token_response_without_access_token_is_an_error() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(TOKEN).mock(return_value=httpx.Response(200, json={"error": "nope"}))
        with pytest.raises(HttpError, match="without an access_token"):
            run(lambda c: c.request("GET", API), password_auth())


def test_fetched_tokens_are_registered_for_redaction() -> None:
    async def call(client: HttpClient) -> str:
        await client.request("GET", API)
        return client.redact("at-secret-1 rt-secret-1 client-secret-1 user-password-1")

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(TOKEN).mock(
            return_value=httpx.Response(200, json=token_body("at-secret-1", "rt-secret-1"))
        )
        router.get(API).mock(return_value=httpx.Response(200, json={}))
        assert run(call, password_auth()) == "*** *** *** ***"


def test_password_grant_requires_username_and_password() -> None:
    with pytest.raises(ValueError, match="username and a password"):
        OAuthTokenAuth(grant_type="password", client_id="id", client_secret="s")
