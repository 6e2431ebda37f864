"""The HTTP client of one target: :class:`HttpClient`.

It wraps :class:`httpx.AsyncClient` with retries (see :mod:`usm_config.http.retry`), write
safety for non-idempotent requests, request statistics, secret redaction and a debug line per
attempt on the ``usm_config.http`` logger.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
import weakref
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import httpx

from usm_config import __version__
from usm_config._redact import SENSITIVE_HEADERS, Redactor
from usm_config.http.auth import RedactorAware
from usm_config.http.errors import (
    BODY_EXCERPT_LIMIT,
    STATUS_ERRORS,
    AuthenticationError,
    HttpError,
    HttpStatusError,
    TransientError,
    UncertainWriteError,
)
from usm_config.http.retry import DEFAULT_RETRY, IDEMPOTENT_METHODS, RetryPolicy
from usm_config.http.transport import Transport, proxy_applies

__all__ = ["LOGGER_NAME", "HttpClient", "RequestStats"]

#: The logger every :class:`HttpClient` writes its per-attempt lines to by default.
LOGGER_NAME = "usm_config.http"

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
#: :data:`SENSITIVE_HEADERS` as the raw, lower-case names httpx keeps.
_SENSITIVE_RAW = frozenset(name.encode("ascii") for name in SENSITIVE_HEADERS)
# A path or query httpx takes as it is: unreserved and sub-delimiter characters, ':', '@', '/',
# '?' and valid percent escapes (RFC 3986 §2-3; httpx's _urlparse.quote leaves them alone).
_AS_IS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")
# A path with a query, a fragment, a host or a scheme of its own is merged by httpx itself.
# A first segment with a ':' (RFC 3986 §4.2) is one httpx may take for a scheme.
_NOT_A_PLAIN_PATH = re.compile(r"[?#]|^//|^[^/]*:")
#: The phase of a request each httpx timeout belongs to, as ``httpx.Timeout`` names it.
_TIMEOUT_PHASES: dict[type[Exception], str] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}


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


@dataclass(frozen=True)
class _Retry:
    delay: float
    failure: BaseException
    description: str
    url: str


@dataclass(frozen=True)
class _Attempt:
    number: int
    policy: RetryPolicy
    started: float

    def retry_note(self, delay: float) -> str:
        if self.number >= self.policy.max_attempts:
            return " (giving up)"
        return f" (retry in {delay:.2f} s)"


def _failed_request(exc: httpx.RequestError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:
        return None


def _unbound(response: httpx.Response) -> httpx.Response:
    """``response`` (read and closed) without the cycle httpx makes between a response and its
    stream (https://github.com/encode/httpx/pull/3733): refcounting frees its body as soon as
    the caller drops it, not the cyclic collector, which a large read pauses."""
    response.stream = httpx.ByteStream(response.content)
    return response


class _Cookies(httpx.Cookies):
    """A cookie jar that looks only at answers that set a cookie: httpx wraps every answer
    for :mod:`http.cookiejar` to look for ``Set-Cookie`` (about 0.1 ms of CPU an answer),
    where most answers set none."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class _AsyncClient(httpx.AsyncClient):
    """httpx's client with :class:`_Cookies` as its jar. Cookies are kept: ServiceNow ties a
    session to its cookie, and a client that drops it opens a new session on every request."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = kwargs.get("cookies")

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(
        self, cookies: httpx.Cookies | CookieJar | dict[str, str] | list[tuple[str, str]] | None
    ) -> None:
        self._jar = _Cookies(cookies)


class HttpClient:
    """Async HTTP client for one target: retries, write safety, redaction and statistics.

    Use as ``async with HttpClient(base_url, ...) as client``. ``secrets`` are masked in every
    log record and exception the client produces, as are credential headers it sends and tokens
    an :class:`OAuthTokenAuth` fetches. TLS is verified unless ``verify=False`` is passed;
    ``verify`` may also be a CA bundle file or directory. ``sleep`` is awaited for every
    back-off delay and between the polls of :mod:`usm_config.http.tasks` (tests inject a
    fake).

    Redirects are never followed: a ``303 See Other`` that starts an asynchronous task (Jira)
    must reach the caller, see :mod:`usm_config.http.tasks`, and following a redirect to another
    host would send it the credentials.
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
        parallelism: int = 4,
    ) -> None:
        #: Requests a caller keeps in flight at once (the target's ``parallelism``): writes
        #: within a level, and reads made one per record. Paged reads keep their own few.
        self.parallelism = parallelism
        self.redactor = Redactor(secrets)
        self._learned: set[tuple[bytes, bytes]] = set()
        self.stats = RequestStats()
        self.retry = retry
        self.sleep = sleep
        self._log = logger or logging.getLogger(LOGGER_NAME)
        target = httpx.URL(base_url)
        password = target.password
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
        tls = _tls_verify(verify)
        if transport is None and not proxy_applies(target):
            transport = Transport(tls)
        self._client = _AsyncClient(
            base_url=base_url,
            auth=auth,
            transport=transport,
            verify=tls,
            timeout=timeout,
            headers=default_headers,
            follow_redirects=False,
            event_hooks={"request": [self._count_request], "response": [self._count_response]},
        )
        base = self._client.base_url
        # httpx writes a bare origin without its "/"; a base URL with a query of its own is
        # merged by httpx itself.
        self._base = None if base.query or base.fragment else str(base).rstrip("/") + "/"
        # httpx's own parse of the base URL (a private attribute: without it, URLs as strings).
        parts = getattr(base, "_uri_reference", None)
        self._parts = None
        if self._base and parts is not None and (parts.path or "/").endswith("/"):
            self._parts = parts._replace(path=parts.path or "/")

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
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        expected: Collection[int] = (),
        retry: RetryPolicy | None = None,
    ) -> httpx.Response:
        """Send a request, retrying what is safe to retry; return a 2xx or ``expected`` response.

        The body is ``json`` (encoded by httpx), ``data`` (a form) or ``content``, bytes encoded
        already (with their ``Content-Type`` among ``headers``).

        ``idempotent`` defaults to ``method in IDEMPOTENT_METHODS``. Idempotent requests are
        retried on transport errors and on ``retry.retry_statuses``. Non-idempotent ones are
        retried only when the server cannot have processed them (429, connect failures, an
        OAuth token request that failed before the write was sent, a response matched by
        ``retry.retry_when``); otherwise they raise :class:`UncertainWriteError`. Exhausted
        retries raise :class:`TransientError`; other error statuses raise
        :class:`HttpStatusError` or a subclass. A status in ``expected`` is returned as is, even
        one that would otherwise be retried. ``retry`` replaces the client's policy for this
        request only, e.g. ``dataclasses.replace(client.retry, retry_when=is_lock_conflict)``.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        policy = retry or self.retry
        for name, value in (headers or {}).items():
            self.redactor.add_header(name, value)
        attempts = policy.max_attempts
        url, query = self._target(path, params)
        for attempt in range(1, attempts + 1):
            request = self._client.build_request(
                method,
                url,
                params=query,
                json=json,
                data=data,
                content=content,
                headers=headers,
            )
            tried = _Attempt(attempt, policy, time.perf_counter())
            try:
                response = _unbound(await self._client.send(request))
            except httpx.RequestError as exc:
                again = self._after_request_error(exc, request, idempotent=idempotent, tried=tried)
            else:
                outcome = self._after_response(
                    response, request, idempotent=idempotent, expected=expected, tried=tried
                )
                if isinstance(outcome, httpx.Response):
                    return outcome
                again = outcome
            if attempt == attempts:
                raise TransientError(
                    method, again.url, attempts, again.failure, description=again.description
                ) from None
            self.stats.retries += 1
            await self.sleep(again.delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> Any:
        """``GET path`` and return the decoded JSON body."""
        return self.json_body(await self.request("GET", path, params=params, retry=retry))

    def json_body(self, response: httpx.Response) -> Any:
        """The decoded JSON body of ``response``; a redacted :class:`HttpError` if not JSON."""
        try:
            return response.json()
        except ValueError:
            content_type = response.headers.get("Content-Type", "no content type")
            raise HttpError(
                f"{response.request.method} {self.redact(str(response.request.url))} returned"
                f" HTTP {response.status_code} with a non-JSON body ({content_type}):"
                f" {' '.join(self._excerpt(response).split())[:200]}"
            ) from None

    def write_answer(self, response: httpx.Response) -> Any:
        """The decoded JSON answer to a write.

        An answer that is not JSON (a proxy's error page, a login page, a body cut short)
        cannot say whether a ``POST`` happened: :class:`UncertainWriteError`, so the engine
        looks the record up before writing it again instead of creating a second one. To an
        idempotent method the plain :class:`HttpError` of :meth:`json_body`.
        """
        try:
            return self.json_body(response)
        except HttpError as exc:
            if response.request.method in IDEMPOTENT_METHODS:
                raise
            raise self.uncertain_write(response, exc) from None

    def uncertain_write(self, response: httpx.Response, cause: Exception) -> UncertainWriteError:
        """The error for a write whose ``response`` cannot say whether it happened (``cause``
        says why), its URL redacted."""
        request = response.request
        url = self.redact(str(request.url))
        return UncertainWriteError(request.method, url, cause, description=str(cause))

    # ------------------------------------------------------------------ internals

    def _target(
        self, path: str, params: Mapping[str, Any] | None
    ) -> tuple[httpx.URL | str, Mapping[str, Any] | None]:
        """The URL and query parameters to build a request with: for a plain path, the whole
        URL, as one string that httpx parses once where it parses a path and its parameters
        three times, or built from the base URL's parts when httpx would take the path and
        query as they are (most requests: parsing costs about a tenth of one); anything else
        as given. Either way the URL httpx would build (``test_client_urls``)."""
        if self._base and not _NOT_A_PLAIN_PATH.search(path):
            query = str(httpx.QueryParams(params)) if params else ""
            path = path.lstrip("/")
            if self._parts and _AS_IS.fullmatch(path) and _AS_IS.fullmatch(query):
                full = self._parts.path + path
                if "/." not in full:
                    url = httpx.URL.__new__(httpx.URL)
                    url._uri_reference = self._parts._replace(path=full, query=query or None)
                    return url, None
            return self._base + path + ("?" + query if query else ""), None
        return path, params

    async def _count_request(self, request: httpx.Request) -> None:
        self.stats.requests_sent += 1
        self.stats.by_method[request.method] = self.stats.by_method.get(request.method, 0) + 1

    async def _count_response(self, response: httpx.Response) -> None:
        status = response.status_code
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1

    def _learn_credentials(self, request: httpx.Request) -> None:
        # Covers auths that did not come from build_auth, e.g. a caller's own httpx.BasicAuth.
        # Most requests carry the credentials of the one before: each is registered once.
        headers = request.headers
        for name, value in headers.raw:
            if name.lower() in _SENSITIVE_RAW and (name, value) not in self._learned:
                self._learned.add((name, value))
                self.redactor.add_header(
                    name.decode(headers.encoding), value.decode(headers.encoding)
                )

    def _after_request_error(
        self,
        exc: httpx.RequestError,
        request: httpx.Request,
        *,
        idempotent: bool,
        tried: _Attempt,
    ) -> _Retry:
        """Classify a failed attempt: return how to retry it, or raise."""
        failed = _failed_request(exc) or request
        self._learn_credentials(failed)
        method = request.method
        url = self.redact(str(failed.url))
        name = type(exc).__name__
        detail = self.redact(str(exc)) or self._timeout_said(exc)
        description = f"{name}: {detail}" if detail else name
        if not isinstance(exc, httpx.TransportError) or isinstance(exc, _NOT_TRANSIENT):
            self._log_attempt(method, url, name, tried)
            raise HttpError(f"{method} {url} failed: {description}") from None
        # A failure on an auth sub-request (the token fetch) means the write itself was not sent.
        if not idempotent and failed is request and not isinstance(exc, _NEVER_SENT):
            self._log_attempt(method, url, name, tried, note=" (uncertain write)")
            raise UncertainWriteError(method, url, exc, description=description) from None
        delay = tried.policy.backoff(tried.number)
        self._log_attempt(method, url, name, tried, note=tried.retry_note(delay))
        return _Retry(delay, exc, description, url)

    def _after_response(
        self,
        response: httpx.Response,
        request: httpx.Request,
        *,
        idempotent: bool,
        expected: Collection[int],
        tried: _Attempt,
    ) -> httpx.Response | _Retry:
        """Classify a response: return it, return how to retry it, or raise."""
        for sent in (*response.history, response):
            self._learn_credentials(sent.request)
            self.stats.bytes_received += len(sent.content)
        method = request.method
        status = response.status_code
        # A response to another request is an OAuth token endpoint failure (see OAuthTokenAuth).
        ours = response.request is request
        if ours and (response.is_success or status in expected):
            if self._log.isEnabledFor(logging.DEBUG):
                self._log_attempt(method, self.redact(str(request.url)), status, tried)
            return response
        url = self.redact(str(response.request.url))
        error = self._status_error(response, auth_request=not ours)
        policy = tried.policy
        retryable = status in policy.retry_statuses and (idempotent or status == 429 or not ours)
        if retryable or (ours and policy.is_unsent_refusal(response)):
            wait = policy.server_delay(response)
            delay = policy.backoff(tried.number) if wait is None else wait
            self._log_attempt(method, url, status, tried, note=tried.retry_note(delay))
            return _Retry(delay, error, str(error), url)
        if ours and not idempotent and status >= 500:
            self._log_attempt(method, url, status, tried, note=" (uncertain write)")
            raise UncertainWriteError(method, url, error, description=str(error)) from None
        self._log_attempt(method, url, status, tried)
        raise error

    def _status_error(self, response: httpx.Response, *, auth_request: bool) -> HttpStatusError:
        status = response.status_code
        if auth_request and 400 <= status < 500 and status != 429:
            cls: type[HttpStatusError] = AuthenticationError
        else:
            cls = STATUS_ERRORS.get(status, HttpStatusError)
        return cls(
            status,
            response.request.method,
            self.redact(str(response.request.url)),
            self._redirect(response) or self._excerpt(response),
        )

    def _timeout_said(self, exc: Exception) -> str:
        """How long a timeout that says nothing itself waited, and which setting sets it."""
        phase = _TIMEOUT_PHASES.get(type(exc))
        seconds = getattr(self._client.timeout, phase) if phase else None
        if seconds is None:
            return ""
        return f"no answer within {seconds:g} s (the target's 'timeout')"

    def _redirect(self, response: httpx.Response) -> str:
        """What a redirect says, where the server sent it: redirects are not followed, so
        credentials never go to a host the server names."""
        location = response.headers.get("Location") if response.is_redirect else None
        if not location:
            return ""
        try:
            to = response.request.url.join(location).copy_with(query=None, fragment=None)
        except (httpx.InvalidURL, ValueError):
            return ""
        return (
            f"redirected to {self.redact(str(to))} (not followed): check the target's url "
            "(the tool's own address, https://) and that the API needs no sign-in in a browser"
        )

    def _excerpt(self, response: httpx.Response) -> str:
        # Redact before truncating so a secret cut at the limit cannot leak its prefix.
        text = response.text[: 100 * BODY_EXCERPT_LIMIT]
        return self.redact(text).strip()[:BODY_EXCERPT_LIMIT]

    def _log_attempt(
        self, method: str, url: str, outcome: int | str, tried: _Attempt, *, note: str = ""
    ) -> None:
        self._log.debug(
            "%s %s -> %s in %.0f ms (attempt %d/%d)%s",
            method,
            url,
            outcome,
            (time.perf_counter() - tried.started) * 1000,
            tried.number,
            tried.policy.max_attempts,
            note,
        )
