"""The one HTTP layer shared by the ServiceNow, Jira Service Management and TOPdesk adapters.

:class:`HttpClient` wraps :class:`httpx.AsyncClient` with retries (full-jitter exponential
back-off, ``Retry-After``), write safety for non-idempotent requests, request statistics, offset
pagination and secret redaction. :func:`build_auth` turns an auth section of ``targets.yaml``
plus the process environment into an :class:`httpx.Auth`.

Exception tree::

    HttpError                      anything the HTTP layer raises about a request
     ├── TransientError            retries exhausted (429/502/503/504 or transport errors)
     ├── UncertainWriteError       a non-idempotent request may or may not have been applied
     └── HttpStatusError           a non-retryable HTTP error status
          ├── AuthenticationError      401, or a 4xx from the OAuth token endpoint
          ├── PermissionDeniedError    403
          └── NotFoundError            404

    MissingCredentialError         a credential environment variable is unset or empty

Every message, ``str()`` and ``repr()`` of these exceptions is redacted. Transport exceptions
are kept on ``.cause`` but not chained as ``__cause__``, because their text is not redacted.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import random
import ssl
import time
import weakref
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Generator,
    Iterable,
    Mapping,
)
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, assert_never, runtime_checkable

import httpx
from pydantic import BaseModel, ConfigDict, Field

from usm_config import __version__
from usm_config._redact import SENSITIVE_HEADERS, Redactor

__all__ = [
    "DEFAULT_RETRY",
    "IDEMPOTENT_METHODS",
    "AuthConfig",
    "AuthenticationError",
    "BasicAuthConfig",
    "BearerTokenAuth",
    "BearerTokenConfig",
    "HttpClient",
    "HttpError",
    "HttpStatusError",
    "MissingCredentialError",
    "NoAuthConfig",
    "NotFoundError",
    "OAuthClientCredentialsConfig",
    "OAuthPasswordConfig",
    "OAuthTokenAuth",
    "PermissionDeniedError",
    "Redactor",
    "RedactorAware",
    "RequestStats",
    "RetryPolicy",
    "TransientError",
    "UncertainWriteError",
    "build_auth",
    "total_count_header",
]

BODY_EXCERPT_LIMIT = 500

#: Methods retried on any transport error or retryable status unless told otherwise.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"})

# Failures where the request provably never reached the server, so even a create may be resent.
_NEVER_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# Deterministic client-side failures: retrying cannot help.
_NOT_TRANSIENT: tuple[type[httpx.TransportError], ...] = (
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


# --------------------------------------------------------------------------- exceptions


class HttpError(Exception):
    """Base class of every error raised by the HTTP layer."""


class TransientError(HttpError):
    """Retries were exhausted.

    ``cause`` is the last failure: an :class:`HttpStatusError` (also reflected in ``status``)
    or an httpx transport exception.
    """

    def __init__(
        self,
        method: str,
        url: str,
        attempts: int,
        cause: BaseException,
        *,
        description: str | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.attempts = attempts
        self.cause = cause
        self.status: int | None = cause.status if isinstance(cause, HttpStatusError) else None
        super().__init__(
            f"{method} {url} still failing after {attempts} attempts: "
            f"{description or type(cause).__name__}"
        )


class UncertainWriteError(HttpError):
    """A non-idempotent request failed after it may have reached the server.

    The write may or may not have been applied: re-read by natural key before creating again.
    """

    def __init__(
        self,
        method: str,
        url: str,
        cause: BaseException,
        *,
        description: str | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.cause = cause
        super().__init__(
            f"{method} {url} may or may not have been applied "
            f"({description or type(cause).__name__}); re-read before retrying it"
        )


class HttpStatusError(HttpError):
    """An HTTP error status. ``url`` and ``body_excerpt`` are redacted by the caller."""

    def __init__(self, status: int, method: str, url: str, body_excerpt: str) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.body_excerpt = body_excerpt[:BODY_EXCERPT_LIMIT]
        message = f"{method} {url} returned HTTP {status}"
        summary = " ".join(self.body_excerpt.split())
        if summary:
            message += f": {summary[:200]}"
        super().__init__(message)


class AuthenticationError(HttpStatusError):
    """401, or the OAuth token endpoint refused the credentials."""


class PermissionDeniedError(HttpStatusError):
    """403: authenticated, but an ACL, role, business rule or data policy refused."""


class NotFoundError(HttpStatusError):
    """404. On ServiceNow this can also mean an ACL hides the record."""


_STATUS_ERRORS: dict[int, type[HttpStatusError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}


class MissingCredentialError(Exception):
    """A credential environment variable is unset or empty. The message never holds a value."""

    def __init__(self, env_name: str, hint: str) -> None:
        self.env_name = env_name
        self.hint = hint
        super().__init__(f"environment variable {env_name} is not set or is empty; {hint}")


# --------------------------------------------------------------------------- retry and stats


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    ``max_attempts`` counts the first attempt. Delays use full jitter:
    ``uniform(0, min(backoff_max, backoff_base * 2 ** (retry - 1)))``. A ``Retry-After`` header
    (seconds or HTTP-date) replaces the computed delay, capped at ``max_retry_after``.
    """

    max_attempts: int = 6
    backoff_base: float = 0.25
    backoff_max: float = 20.0
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.backoff_base, self.backoff_max, self.max_retry_after) < 0:
            raise ValueError("backoff_base, backoff_max and max_retry_after must not be negative")

    def backoff(
        self, retry_number: int, uniform: Callable[[float, float], float] | None = None
    ) -> float:
        """Jittered delay before retry number ``retry_number`` (1 for the first retry)."""
        exponent = min(max(retry_number - 1, 0), 64)
        ceiling = min(self.backoff_max, self.backoff_base * 2.0**exponent)
        return (uniform or random.uniform)(0.0, ceiling)


DEFAULT_RETRY = RetryPolicy()


@dataclass
class RequestStats:
    """Counters over everything a client put on the wire.

    ``requests_sent`` and ``by_method`` count every request handed to the transport: each
    retry and each OAuth token request included. ``retries`` counts back-off sleeps.
    """

    requests_sent: int = 0
    retries: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    by_status: dict[int, int] = field(default_factory=dict)
    bytes_received: int = 0

    def snapshot(self) -> dict[str, object]:
        """A copy of the counters, safe to keep or serialise while the client goes on."""
        return {
            "requests_sent": self.requests_sent,
            "retries": self.retries,
            "by_method": dict(sorted(self.by_method.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "bytes_received": self.bytes_received,
        }


# --------------------------------------------------------------------------- auth


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
            if response.is_success:
                return self._accept(response, previous)
            # An expired or revoked refresh token is not fatal: fall back to a new grant.
        response = yield self._token_request(url, self._grant_form)
        if not response.is_success:
            self._token = None
            return None
        return self._accept(response, None)

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


# --------------------------------------------------------------------------- client


class _RedactHttpxRecords(logging.Filter):
    """Redacts httpx's own "HTTP Request: GET <url>" INFO lines with every live client's rules."""

    def __init__(self) -> None:
        super().__init__()
        self.redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()

    def filter(self, record: logging.LogRecord) -> bool:
        redactors = list(self.redactors)
        if redactors:
            message = record.getMessage()
            for redactor in redactors:
                message = redactor.redact(message)
            record.msg, record.args = message, None
        return True


_HTTPX_RECORDS = _RedactHttpxRecords()


def _tls_verify(verify: bool | str) -> bool | ssl.SSLContext:
    if not isinstance(verify, str):
        return verify
    # httpx 0.28 deprecates verify=<path>; build the context it would have built.
    path = Path(verify)
    if path.is_dir():
        return ssl.create_default_context(capath=verify)
    if not path.is_file():
        raise FileNotFoundError(f"CA bundle not found: {verify}")
    return ssl.create_default_context(cafile=verify)


def _server_now(response: httpx.Response) -> datetime:
    # Measure an HTTP-date Retry-After against the server's own clock to avoid clock skew.
    date = response.headers.get("Date")
    if date:
        try:
            parsed = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _retry_after(response: httpx.Response, cap: float) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - _server_now(response)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), cap)


@dataclass(frozen=True)
class _Retry:
    delay: float
    failure: BaseException
    description: str
    url: str


def _failed_request(exc: httpx.RequestError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:
        return None


def total_count_header(name: str = "X-Total-Count") -> Callable[[httpx.Response], int | None]:
    """A ``total`` callable for :meth:`HttpClient.paginate_offset` reading an integer header."""

    def total(response: httpx.Response) -> int | None:
        try:
            return int(response.headers[name])
        except (KeyError, ValueError):
            return None

    return total


class HttpClient:
    """Async HTTP client for one target: retries, write safety, redaction and statistics.

    Use as ``async with HttpClient(base_url, ...) as client``. ``secrets`` are masked in every
    log record and exception the client produces, as are credential headers it sends and tokens
    an :class:`OAuthTokenAuth` fetches. TLS is verified unless ``verify=False`` is passed;
    ``verify`` may also be a CA bundle file or directory. ``sleep`` is awaited for back-off
    delays (tests inject a fake).
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool | str = True,
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        secrets: Iterable[str] = (),
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        logger: logging.Logger | None = None,
    ) -> None:
        self.redactor = Redactor(secrets)
        self.stats = RequestStats()
        self.retry = retry
        self._sleep = sleep
        self._log = logger or logging.getLogger(__name__)
        password = httpx.URL(base_url).password
        if password:
            self.redactor.add(password)
        default_headers = {"Accept": "application/json", "User-Agent": f"usm-config/{__version__}"}
        default_headers.update(headers or {})
        for name, value in default_headers.items():
            self.redactor.add_header(name, value)
        if isinstance(auth, RedactorAware):
            auth.bind_redactor(self.redactor)
        self.base_url = self.redact(base_url)
        if verify is False:
            self._log.warning("TLS certificate verification is disabled for %s", self.base_url)
        httpx_logger = logging.getLogger("httpx")
        if _HTTPX_RECORDS not in httpx_logger.filters:
            httpx_logger.addFilter(_HTTPX_RECORDS)
        _HTTPX_RECORDS.redactors.add(self.redactor)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            transport=transport,
            verify=_tls_verify(verify),
            timeout=timeout,
            headers=default_headers,
            event_hooks={"request": [self._count_request], "response": [self._count_response]},
        )

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
        _HTTPX_RECORDS.redactors.discard(self.redactor)

    def __repr__(self) -> str:
        return f"<HttpClient {self.base_url}>"

    def redact(self, text: str) -> str:
        """``text`` with every secret this client knows about masked as ``***``."""
        return self.redactor.redact(text)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        expected: Collection[int] = (),
    ) -> httpx.Response:
        """Send a request, retrying what is safe to retry; return a 2xx or ``expected`` response.

        ``idempotent`` defaults to ``method in IDEMPOTENT_METHODS``. Idempotent requests are
        retried on transport errors and on ``retry.retry_statuses``. Non-idempotent ones are
        retried only when the server cannot have processed them (429, connect failures, an
        OAuth token request that failed before the write was sent); otherwise they raise
        :class:`UncertainWriteError`. Exhausted retries raise :class:`TransientError`; other
        error statuses raise :class:`HttpStatusError` or a subclass. A status in ``expected``
        is returned as is, even one that would otherwise be retried.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        for name, value in (headers or {}).items():
            self.redactor.add_header(name, value)
        attempts = self.retry.max_attempts
        for attempt in range(1, attempts + 1):
            request = self._client.build_request(
                method, path, params=params, json=json, data=data, headers=headers
            )
            started = time.perf_counter()
            try:
                response = await self._client.send(request)
            except httpx.RequestError as exc:
                retry = self._after_request_error(
                    exc, request, idempotent=idempotent, attempt=attempt, started=started
                )
            else:
                outcome = self._after_response(
                    response,
                    request,
                    idempotent=idempotent,
                    expected=expected,
                    attempt=attempt,
                    started=started,
                )
                if isinstance(outcome, httpx.Response):
                    return outcome
                retry = outcome
            if attempt == attempts:
                raise TransientError(
                    method, retry.url, attempts, retry.failure, description=retry.description
                ) from None
            self.stats.retries += 1
            await self._sleep(retry.delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """``GET path`` and return the decoded JSON body."""
        return self._json(await self.request("GET", path, params=params))

    async def paginate_offset(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        *,
        limit_param: str,
        offset_param: str,
        page_size: int,
        items: Callable[[Any], list[Any]],
        total: Callable[[httpx.Response], int | None],
    ) -> AsyncIterator[list[Any]]:
        """Yield the non-empty pages of an offset-paged collection.

        ``items`` extracts the rows from a decoded page; ``total`` reads the total row count
        from the response (``None`` when unknown, see :func:`total_count_header`).

        The offset advances by ``page_size``, not by the rows received, and a short or even
        empty page does not end the loop while ``offset < total``: ServiceNow applies the limit
        before ACL filtering, so hidden rows shorten pages, and stopping early would make a
        plan create records that already exist. Without a total, a page shorter than
        ``page_size`` is the last one. ``page_size`` must not exceed the server's own cap
        (Jira silently lowers ``maxResults``), or rows between the cap and ``page_size`` are
        skipped.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        offset = 0
        while True:
            query = {**(params or {}), limit_param: page_size, offset_param: offset}
            response = await self.request("GET", path, params=query)
            page = items(self._json(response))
            known_total = total(response)
            if page:
                yield page
            # A server that ignores the limit and sends more has served those rows too.
            offset += max(page_size, len(page))
            if known_total is not None:
                if offset >= known_total:
                    return
            elif len(page) < page_size:
                return

    # ------------------------------------------------------------------ internals

    async def _count_request(self, request: httpx.Request) -> None:
        self.stats.requests_sent += 1
        self.stats.by_method[request.method] = self.stats.by_method.get(request.method, 0) + 1

    async def _count_response(self, response: httpx.Response) -> None:
        status = response.status_code
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1

    def _learn_credentials(self, request: httpx.Request) -> None:
        # Covers auths that did not come from build_auth, e.g. a caller's own httpx.BasicAuth.
        for name in SENSITIVE_HEADERS:
            for value in request.headers.get_list(name):
                self.redactor.add_header(name, value)

    def _after_request_error(
        self,
        exc: httpx.RequestError,
        request: httpx.Request,
        *,
        idempotent: bool,
        attempt: int,
        started: float,
    ) -> _Retry:
        """Classify a failed attempt: return how to retry it, or raise."""
        failed = _failed_request(exc) or request
        self._learn_credentials(failed)
        method = request.method
        url = self.redact(str(failed.url))
        name = type(exc).__name__
        detail = self.redact(str(exc))
        description = f"{name}: {detail}" if detail else name
        if not isinstance(exc, httpx.TransportError) or isinstance(exc, _NOT_TRANSIENT):
            self._log_attempt(method, url, name, started=started, attempt=attempt)
            raise HttpError(f"{method} {url} failed: {description}") from None
        # A failure on an auth sub-request (the token fetch) means the write itself was not sent.
        if not idempotent and failed is request and not isinstance(exc, _NEVER_SENT):
            self._log_attempt(
                method, url, name, started=started, attempt=attempt, note=" (uncertain write)"
            )
            raise UncertainWriteError(method, url, exc, description=description) from None
        delay = self.retry.backoff(attempt)
        note = self._retry_note(attempt, delay)
        self._log_attempt(method, url, name, started=started, attempt=attempt, note=note)
        return _Retry(delay, exc, description, url)

    def _after_response(
        self,
        response: httpx.Response,
        request: httpx.Request,
        *,
        idempotent: bool,
        expected: Collection[int],
        attempt: int,
        started: float,
    ) -> httpx.Response | _Retry:
        """Classify a response: return it, return how to retry it, or raise."""
        for sent in (*response.history, response):
            self._learn_credentials(sent.request)
            self.stats.bytes_received += len(sent.content)
        method = request.method
        status = response.status_code
        url = self.redact(str(response.request.url))
        # A response to another request is an OAuth token endpoint failure (see OAuthTokenAuth).
        ours = response.request is request
        if ours and (response.is_success or status in expected):
            self._log_attempt(method, url, status, started=started, attempt=attempt)
            return response
        error = self._status_error(response, auth_request=not ours)
        if status in self.retry.retry_statuses and (idempotent or status == 429 or not ours):
            wait = _retry_after(response, self.retry.max_retry_after)
            delay = self.retry.backoff(attempt) if wait is None else wait
            note = self._retry_note(attempt, delay)
            self._log_attempt(method, url, status, started=started, attempt=attempt, note=note)
            return _Retry(delay, error, str(error), url)
        if ours and not idempotent and status >= 500:
            self._log_attempt(
                method, url, status, started=started, attempt=attempt, note=" (uncertain write)"
            )
            raise UncertainWriteError(method, url, error, description=str(error)) from None
        self._log_attempt(method, url, status, started=started, attempt=attempt)
        raise error

    def _status_error(self, response: httpx.Response, *, auth_request: bool) -> HttpStatusError:
        status = response.status_code
        if auth_request and 400 <= status < 500 and status != 429:
            cls: type[HttpStatusError] = AuthenticationError
        else:
            cls = _STATUS_ERRORS.get(status, HttpStatusError)
        return cls(
            status,
            response.request.method,
            self.redact(str(response.request.url)),
            self._excerpt(response),
        )

    def _excerpt(self, response: httpx.Response) -> str:
        # Redact before truncating so a secret cut at the limit cannot leak its prefix.
        text = response.text[: 100 * BODY_EXCERPT_LIMIT]
        return self.redact(text).strip()[:BODY_EXCERPT_LIMIT]

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            content_type = response.headers.get("Content-Type", "no content type")
            raise HttpError(
                f"{response.request.method} {self.redact(str(response.request.url))} returned"
                f" HTTP {response.status_code} with a non-JSON body ({content_type}):"
                f" {' '.join(self._excerpt(response).split())[:200]}"
            ) from None

    def _retry_note(self, attempt: int, delay: float) -> str:
        if attempt >= self.retry.max_attempts:
            return " (giving up)"
        return f" (retry in {delay:.2f} s)"

    def _log_attempt(
        self,
        method: str,
        url: str,
        outcome: int | str,
        *,
        started: float,
        attempt: int,
        note: str = "",
    ) -> None:
        self._log.debug(
            "%s %s -> %s in %.0f ms (attempt %d/%d)%s",
            method,
            url,
            outcome,
            (time.perf_counter() - started) * 1000,
            attempt,
            self.retry.max_attempts,
            note,
        )
