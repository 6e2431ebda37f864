"""Credentials: the auth sections of ``targets.yaml`` and the :class:`httpx.Auth` built from them.

:func:`build_auth` turns an auth config plus the process environment into an
:class:`httpx.Auth` and the secret values the client must mask. :class:`OAuthTokenAuth`
fetches, caches and refreshes its own token through the client's transport.
"""

from __future__ import annotations

import base64
import logging
import math
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol, assert_never, runtime_checkable

import httpx
from pydantic import BaseModel, ConfigDict, Field

from usm_config._redact import Redactor
from usm_config.http.errors import HttpError, MissingCredentialError

#: Token requests travel inside the auth flow, which the client's own per-request log line does
#: not see; they are logged here, on the same logger, one line each.
_log = logging.getLogger("usm_config.http")

__all__ = [
    "AuthConfig",
    "BasicAuthConfig",
    "BearerTokenAuth",
    "BearerTokenConfig",
    "NoAuthConfig",
    "OAuthClientCredentialsConfig",
    "OAuthPasswordConfig",
    "OAuthTokenAuth",
    "RedactorAware",
    "build_auth",
]


class _AuthModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class BasicAuthConfig(_AuthModel):
    """HTTP Basic from two environment variables (ServiceNow, Jira Cloud API token, TOPdesk)."""

    type: Literal["basic"] = "basic"
    username_env: EnvName
    password_env: EnvName


class OAuthPasswordConfig(_AuthModel):
    """OAuth 2 resource-owner password grant against ``token_path`` on the target host."""

    type: Literal["oauth-password"] = "oauth-password"
    token_path: str = "/oauth_token.do"
    client_id_env: EnvName
    client_secret_env: EnvName
    username_env: EnvName
    password_env: EnvName


class OAuthClientCredentialsConfig(_AuthModel):
    """OAuth 2 client-credentials grant against ``token_path`` on the target host."""

    type: Literal["oauth-client-credentials"] = "oauth-client-credentials"
    token_path: str = "/oauth_token.do"
    client_id_env: EnvName
    client_secret_env: EnvName


class BearerTokenConfig(_AuthModel):
    """A static bearer token, e.g. a Jira Data Center personal access token."""

    type: Literal["bearer"] = "bearer"
    token_env: EnvName


class NoAuthConfig(_AuthModel):
    """No credentials (a local sandbox)."""

    type: Literal["none"] = "none"


AuthConfig = Annotated[
    BasicAuthConfig
    | OAuthPasswordConfig
    | OAuthClientCredentialsConfig
    | BearerTokenConfig
    | NoAuthConfig,
    Field(discriminator="type"),
]


@runtime_checkable
class RedactorAware(Protocol):
    """An auth that learns secrets at run time; :class:`HttpClient` hands it its redactor."""

    def bind_redactor(self, redactor: Redactor) -> None:
        """Register known secrets with ``redactor`` and report future ones to it."""


class BearerTokenAuth(httpx.Auth):
    """Sends ``Authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BearerTokenAuth(***)"


@dataclass(frozen=True)
class _Token:
    access_token: str
    refresh_token: str | None
    refresh_at: float


class OAuthTokenAuth(httpx.Auth):
    """OAuth 2 bearer auth that fetches, caches and refreshes its own token.

    The token request (form-encoded ``POST`` to ``token_path`` on the host of the request being
    authenticated, or to ``token_path`` itself if it is an absolute URL) is yielded from the auth
    flow, so it travels through the client's own transport, hooks and statistics. The token is
    refreshed ``refresh_margin`` seconds before ``expires_in`` runs out, with the refresh token
    when there is one, else with a new grant. A 401 on the real request triggers one new grant
    and one resend.

    If the token endpoint answers with an error status, the flow stops and that response
    becomes the response of the request, so :class:`HttpClient` retries 429/5xx and turns a 4xx
    into :class:`AuthenticationError`.

    The flow is a plain generator like :class:`httpx.DigestAuth`: it does no I/O of its own, and
    httpx's default ``async_auth_flow`` drives it, reading each response body first
    (``requires_response_body``).
    """

    requires_request_body = True
    requires_response_body = True

    def __init__(
        self,
        *,
        grant_type: Literal["password", "client_credentials"],
        client_id: str,
        client_secret: str,
        username: str | None = None,
        password: str | None = None,
        token_path: str = "/oauth_token.do",
        clock: Callable[[], float] = time.monotonic,
        refresh_margin: float = 60.0,
    ) -> None:
        self._client_form = {"client_id": client_id, "client_secret": client_secret}
        self._grant_form = {"grant_type": grant_type, **self._client_form}
        if grant_type == "password":
            if not username or not password:
                raise ValueError("the password grant needs a username and a password")
            self._grant_form |= {"username": username, "password": password}
        self.token_path = token_path
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._token: _Token | None = None
        self._secrets = [client_secret, *([password] if password else [])]
        self._redactor = Redactor(self._secrets)

    def bind_redactor(self, redactor: Redactor) -> None:
        """Register the client secret, password and every token fetched with ``redactor``."""
        for secret in self._secrets:
            redactor.add(secret)
        self._redactor = redactor

    def __repr__(self) -> str:
        return f"OAuthTokenAuth(grant_type={self._grant_form['grant_type']!r}, ***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token
        if token is None or self._clock() >= token.refresh_at:
            token = yield from self._obtain(request, previous=token)
            if token is None:
                return
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        response = yield request
        if response.status_code != 401:
            return
        current = self._token
        # Another request may already have re-authenticated; only fetch if nobody did.
        if current is None or current is token:
            current = yield from self._obtain(request, previous=None)
            if current is None:
                return
        request.headers["Authorization"] = f"Bearer {current.access_token}"
        yield request

    def _obtain(
        self, request: httpx.Request, previous: _Token | None
    ) -> Generator[httpx.Request, httpx.Response, _Token | None]:
        url = request.url.join(self.token_path)
        if previous is not None and previous.refresh_token:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": previous.refresh_token,
                **self._client_form,
            }
            response = yield self._token_request(url, form)
            self._log_token_request(response, "refresh")
            if response.is_success:
                return self._accept(response, previous)
            # An expired or revoked refresh token is not fatal: fall back to a new grant.
        response = yield self._token_request(url, self._grant_form)
        self._log_token_request(response, "grant")
        if not response.is_success:
            self._token = None
            return None
        return self._accept(response, None)

    def _log_token_request(self, response: httpx.Response, grant: str) -> None:
        url = self._redactor.redact(str(response.request.url))
        _log.debug("POST %s -> %s (OAuth token %s)", url, response.status_code, grant)

    @staticmethod
    def _token_request(url: httpx.URL, form: dict[str, str]) -> httpx.Request:
        return httpx.Request("POST", url, data=form, headers={"Accept": "application/json"})

    def _accept(self, response: httpx.Response, previous: _Token | None) -> _Token:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            url = self._redactor.redact(str(response.request.url))
            raise HttpError(
                f"token endpoint {url} answered HTTP {response.status_code} without an access_token"
            )
        refresh = body.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous.refresh_token if previous else None
        try:
            lifetime = float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            lifetime = math.inf
        # A token that lives less than two margins is refreshed half-way, not at once.
        refresh_at = self._clock() + lifetime - min(self._refresh_margin, lifetime / 2)
        for secret in (access, refresh):
            if secret:
                self._secrets.append(secret)
                self._redactor.add(secret)
        self._token = _Token(access, refresh, refresh_at)
        return self._token


def build_auth(
    config: AuthConfig, environ: Mapping[str, str]
) -> tuple[httpx.Auth | None, list[str]]:
    """Build the httpx auth for ``config`` from ``environ``.

    Returns the auth (``None`` for ``type: none``) and the secret values to redact; pass them
    as ``HttpClient(secrets=...)``. Raises :class:`MissingCredentialError` for an unset or
    empty variable.
    """

    def env(name: str, what: str) -> str:
        value = environ.get(name, "")
        if not value.strip():
            raise MissingCredentialError(
                name, f"export {name}=<{what}> in the shell or CI job that runs usm-config"
            )
        return value

    if isinstance(config, NoAuthConfig):
        return None, []
    if isinstance(config, BasicAuthConfig):
        username = env(config.username_env, "user name")
        password = env(config.password_env, "password or API token")
        userpass = base64.b64encode(f"{username}:{password}".encode()).decode()
        return httpx.BasicAuth(username, password), [password, userpass]
    if isinstance(config, BearerTokenConfig):
        token = env(config.token_env, "token")
        return BearerTokenAuth(token), [token]
    if isinstance(config, OAuthPasswordConfig):
        client_id = env(config.client_id_env, "OAuth client id")
        client_secret = env(config.client_secret_env, "OAuth client secret")
        username = env(config.username_env, "user name")
        password = env(config.password_env, "password")
        oauth = OAuthTokenAuth(
            grant_type="password",
            client_id=client_id,
            client_secret=client_secret,
            username=username,
            password=password,
            token_path=config.token_path,
        )
        return oauth, [client_secret, password]
    if isinstance(config, OAuthClientCredentialsConfig):
        client_id = env(config.client_id_env, "OAuth client id")
        client_secret = env(config.client_secret_env, "OAuth client secret")
        oauth = OAuthTokenAuth(
            grant_type="client_credentials",
            client_id=client_id,
            client_secret=client_secret,
            token_path=config.token_path,
        )
        return oauth, [client_secret]
    assert_never(config)
