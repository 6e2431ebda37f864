"""The one HTTP layer shared by the ServiceNow, Jira Service Management and TOPdesk adapters.

=========================  ================================================================
module                     job
=========================  ================================================================
:mod:`.errors`             the exception tree (drawn in its docstring)
:mod:`.retry`              :class:`RetryPolicy`: back-off, ``Retry-After``,
                           ``X-RateLimit-Reset``, retryable statuses and refusals
:mod:`.auth`               auth sections of ``targets.yaml``, :func:`build_auth`, bearer/OAuth
:mod:`.client`             :class:`HttpClient`: requests, write safety, statistics, redaction,
                           logging
:mod:`.paging`             paging styles as data and one :func:`paginate`
:mod:`.filters`            a scoped read's filter values split over short request lines
:mod:`.tasks`              polling asynchronous server tasks
:mod:`.answers`            answers of another shape than the API documents, said as such
=========================  ================================================================

Every public name is importable from ``usm_config.http`` itself.
"""

from usm_config._redact import Redactor
from usm_config.http.answers import (
    SHAPE_ERRORS,
    answer_id,
    json_kind,
    read_shaped,
    shape_problem,
)
from usm_config.http.auth import (
    AuthConfig,
    BasicAuthConfig,
    BearerTokenAuth,
    BearerTokenConfig,
    NoAuthConfig,
    OAuthClientCredentialsConfig,
    OAuthPasswordConfig,
    OAuthTokenAuth,
    RedactorAware,
    build_auth,
)
from usm_config.http.client import HttpClient, RequestStats
from usm_config.http.errors import (
    AuthenticationError,
    HttpError,
    HttpStatusError,
    MissingCredentialError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    TaskError,
    TaskFailedError,
    TaskTimeoutError,
    TransientError,
    UncertainWriteError,
    UnexpectedAnswer,
)
from usm_config.http.filters import (
    SCOPE_QUERY_CHARS,
    SCOPE_REQUESTS,
    query_encoded,
    scope_runs,
)
from usm_config.http.paging import (
    DEFAULT_MAX_PAGES,
    PAGE_WINDOW,
    PAGES_IN_FLIGHT,
    READ_AHEAD_AFTER,
    OffsetPaging,
    Page,
    PageBeanPaging,
    PagedDtoPaging,
    PageStep,
    PagingStrategy,
    TokenPaging,
    TopdeskPaging,
    UnpagedList,
    collect_items,
    paginate,
    total_count_header,
)
from usm_config.http.retry import (
    DEFAULT_RETRY,
    IDEMPOTENT_METHODS,
    LOCK_CONFLICT_PHRASES,
    RetryPolicy,
    is_lock_conflict,
    status_body_contains,
)
from usm_config.http.tasks import (
    JIRA_TASKS,
    TaskOutcome,
    TaskPolling,
    request_and_wait,
    started_task_id,
    wait_for_task,
)

__all__ = [
    "DEFAULT_MAX_PAGES",
    "DEFAULT_RETRY",
    "IDEMPOTENT_METHODS",
    "JIRA_TASKS",
    "LOCK_CONFLICT_PHRASES",
    "PAGES_IN_FLIGHT",
    "PAGE_WINDOW",
    "READ_AHEAD_AFTER",
    "SCOPE_QUERY_CHARS",
    "SCOPE_REQUESTS",
    "SHAPE_ERRORS",
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
    "OffsetPaging",
    "Page",
    "PageBeanPaging",
    "PageStep",
    "PagedDtoPaging",
    "PaginationError",
    "PagingStrategy",
    "PermissionDeniedError",
    "Redactor",
    "RedactorAware",
    "RequestStats",
    "RetryPolicy",
    "TaskError",
    "TaskFailedError",
    "TaskOutcome",
    "TaskPolling",
    "TaskTimeoutError",
    "TokenPaging",
    "TopdeskPaging",
    "TransientError",
    "UncertainWriteError",
    "UnexpectedAnswer",
    "UnpagedList",
    "answer_id",
    "build_auth",
    "collect_items",
    "is_lock_conflict",
    "json_kind",
    "paginate",
    "query_encoded",
    "read_shaped",
    "request_and_wait",
    "scope_runs",
    "shape_problem",
    "started_task_id",
    "status_body_contains",
    "total_count_header",
    "wait_for_task",
]
