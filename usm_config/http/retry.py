"""When and how long to retry: :class:`RetryPolicy`, back-off and server-requested delays.

A server asks for a delay with ``Retry-After`` (whole seconds or an HTTP-date, on 429 and 503)
or, on Jira Cloud, with ``X-RateLimit-Reset`` (an ISO-8601 instant such as
``2026-11-27T10:15Z``) on a 429 without ``Retry-After``; see
https://developer.atlassian.com/cloud/jira/platform/rate-limiting/.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

__all__ = [
    "DEFAULT_RETRY",
    "IDEMPOTENT_METHODS",
    "LOCK_CONFLICT_PHRASES",
    "RetryPolicy",
    "is_lock_conflict",
    "rate_limit_reset_delay",
    "retry_after_delay",
    "status_body_contains",
]

#: Methods retried on any transport error or retryable status unless told otherwise.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"})

#: Lower-case phrases of a 409 that refused a write because a lock or another task held the
#: object. Jira answers workflow, status and scheme writes during another configuration job
#: with "Failed to acquire lock" or "another workflow configuration update task is ongoing"
#: (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-workflows/).
LOCK_CONFLICT_PHRASES = (
    "acquire lock",
    "lock could not be acquired",
    "task is ongoing",
    "task is already running",
    "task already running",
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry, and which responses may be retried.

    ``max_attempts`` counts the first attempt. Delays use full jitter:
    ``uniform(0, min(backoff_max, backoff_base * 2 ** (retry - 1)))``. A delay the server asks
    for (see :meth:`server_delay`) replaces the computed one, capped at ``max_retry_after``.

    ``retry_statuses`` are retried for idempotent requests (and 429 for every request).
    ``retry_when`` marks further error responses as retryable for *every* method, writes
    included: it must match only answers that prove the server did not carry out the request,
    such as :func:`is_lock_conflict`. A lost response to a write is never retried.
    """

    max_attempts: int = 6
    backoff_base: float = 0.25
    backoff_max: float = 20.0
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    max_retry_after: float = 120.0
    retry_when: Callable[[httpx.Response], bool] | None = None

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

    def server_delay(self, response: httpx.Response) -> float | None:
        """The delay ``response`` asks for, capped at ``max_retry_after``; ``None`` if none.

        ``Retry-After`` wins; a 429 without it may carry ``X-RateLimit-Reset`` instead.
        """
        delay = retry_after_delay(response)
        if delay is None and response.status_code == 429:
            delay = rate_limit_reset_delay(response)
        return None if delay is None else min(delay, self.max_retry_after)

    def is_unsent_refusal(self, response: httpx.Response) -> bool:
        """Whether ``retry_when`` says the server refused ``response``'s request undone."""
        return self.retry_when is not None and self.retry_when(response)


DEFAULT_RETRY = RetryPolicy()


def status_body_contains(status: int, phrases: Iterable[str]) -> Callable[[httpx.Response], bool]:
    """A ``retry_when`` predicate: ``status`` with a body containing any of ``phrases``.

    Matching ignores case.
    """
    wanted = tuple(phrase.lower() for phrase in phrases)

    def matches(response: httpx.Response) -> bool:
        if response.status_code != status:
            return False
        body = response.text.lower()
        return any(phrase in body for phrase in wanted)

    return matches


_LOCK_CONFLICT = status_body_contains(409, LOCK_CONFLICT_PHRASES)


def is_lock_conflict(response: httpx.Response) -> bool:
    """A 409 refusing a write because a lock or a running task holds the object.

    The server did not carry out the write, so it is safe to send again after a back-off. Other
    409s (a name that already exists, a stale version) do not match.
    """
    return _LOCK_CONFLICT(response)


def retry_after_delay(response: httpx.Response) -> float | None:
    """Seconds (at least 0) from a ``Retry-After`` header in seconds or as an HTTP-date."""
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
    return max(seconds, 0.0)


def rate_limit_reset_delay(response: httpx.Response) -> float | None:
    """Seconds until an ISO-8601 ``X-RateLimit-Reset`` instant, or ``None``.

    The header has minute precision, so an instant that has already passed gives ``None``
    (use the computed back-off) rather than an immediate retry.
    """
    value = response.headers.get("X-RateLimit-Reset", "").strip()
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - _server_now(response)).total_seconds()
    return seconds if seconds > 0 else None


def _server_now(response: httpx.Response) -> datetime:
    # Measure a server-given instant against the server's own clock to avoid clock skew.
    date = response.headers.get("Date")
    if date:
        try:
            parsed = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)
