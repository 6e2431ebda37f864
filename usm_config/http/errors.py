"""The exceptions of the HTTP layer.

Exception tree::

    HttpError                      anything the HTTP layer raises about a request
     ├── TransientError            retries exhausted (429/502/503/504 or transport errors)
     ├── UncertainWriteError       a non-idempotent request may or may not have been applied
     ├── PaginationError           a paged collection that does not advance or never ends
     ├── UnexpectedAnswer          JSON that is not shaped as the tool's API documents
     ├── TaskError                 an asynchronous server task did not complete
     │    ├── TaskFailedError          it ended FAILED, CANCELLED or DEAD
     │    └── TaskTimeoutError         it was still running after the last poll
     └── HttpStatusError           a non-retryable HTTP error status
          ├── AuthenticationError      401, or a 4xx from the OAuth token endpoint
          ├── PermissionDeniedError    403
          └── NotFoundError            404

    MissingCredentialError         a credential environment variable is unset or empty

Every message, ``str()`` and ``repr()`` of these exceptions is redacted. Transport exceptions
are kept on ``.cause`` but not chained as ``__cause__``, because their text is not redacted.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BODY_EXCERPT_LIMIT",
    "STATUS_ERRORS",
    "AuthenticationError",
    "HttpError",
    "HttpStatusError",
    "MissingCredentialError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "TaskError",
    "TaskFailedError",
    "TaskTimeoutError",
    "TransientError",
    "UncertainWriteError",
    "UnexpectedAnswer",
]

#: Characters of a response body kept on :attr:`HttpStatusError.body_excerpt`.
BODY_EXCERPT_LIMIT = 500


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


class PaginationError(HttpError):
    """A paged collection did not advance, or went on past the allowed number of pages.

    ``url`` is redacted; ``pages`` is how many pages had been read when the loop was stopped.
    """

    def __init__(self, url: str, pages: int, reason: str) -> None:
        self.url = url
        self.pages = pages
        super().__init__(f"paging {url} stopped after {pages} pages: {reason}")


class UnexpectedAnswer(HttpError):
    """The tool answered a read with JSON that is not shaped as its API documents."""


class TaskError(HttpError):
    """An asynchronous server task did not complete.

    ``task`` is the last task body read (``{}`` when none could be read), ``status`` its status.
    """

    def __init__(self, url: str, task: dict[str, Any], message: str) -> None:
        self.url = url
        self.task = task
        status = task.get("status")
        self.status: str | None = status if isinstance(status, str) else None
        super().__init__(message)


class TaskFailedError(TaskError):
    """The task reached a final status other than success (e.g. FAILED, CANCELLED, DEAD)."""


class TaskTimeoutError(TaskError):
    """The task had not reached a final status after the last allowed poll."""


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


#: The :class:`HttpStatusError` subclass raised for a status, where there is one.
STATUS_ERRORS: dict[int, type[HttpStatusError]] = {
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
