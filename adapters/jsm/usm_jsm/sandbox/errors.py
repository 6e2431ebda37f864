"""The two error envelopes of Jira Cloud, as exceptions the route handlers raise.

* the platform (``/rest/api/3``) answers an ``ErrorCollection``:
  ``{"errorMessages": [...], "errors": {field: message}}`` (jira.md §2 "Errors");
* the service desk API (``/rest/servicedeskapi``) answers
  ``{"errorMessage": ..., "i18nErrorMessage": {"i18nKey": ..., "parameters": []}}``.

The app turns either exception into its response; nothing is written by a handler that
raised before its write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from usm_config.sandbox.errors import EmulatorError

__all__ = ["JiraApiError", "JsmApiError", "error_collection"]


def error_collection(
    error_messages: Sequence[str] = (), errors: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The platform ``ErrorCollection`` body."""
    return {"errorMessages": list(error_messages), "errors": dict(errors or {})}


class JiraApiError(EmulatorError):
    """A platform API error: ``status`` with an ``ErrorCollection`` body."""

    def __init__(
        self,
        status: int,
        error_messages: Sequence[str] = (),
        errors: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        message = "; ".join([*error_messages, *(errors or {}).values()])
        super().__init__(status, message, headers=headers)
        self.error_messages = tuple(error_messages)
        self.errors = dict(errors or {})

    def body(self) -> dict[str, Any]:
        """The ``ErrorCollection`` of this error."""
        return error_collection(self.error_messages, self.errors)


class JsmApiError(EmulatorError):
    """A service desk API error: ``status`` with the JSM ``errorMessage`` envelope."""

    def __init__(
        self, status: int, message: str, i18n_key: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status, message, headers=headers)
        self.i18n_key = i18n_key

    def body(self) -> dict[str, Any]:
        """The JSM error body of this error."""
        return {
            "errorMessage": self.message,
            "i18nErrorMessage": {"i18nKey": self.i18n_key, "parameters": []},
        }
