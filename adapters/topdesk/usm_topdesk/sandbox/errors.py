"""TOPdesk's error envelopes, as exceptions the route handlers raise (topdesk.md §2.5, §8).

TOPdesk has no single error shape; which one an endpoint answers is part of its contract:

* :class:`LegacyError`: a JSON array of ``{"message": ...}``; most supporting-files and
  incident errors (``[{"message": "Mandatory field 'groupName' is missing."}]``);
* :class:`CodedError`: ``{"errors": [{"errorCode", "appliesTo", "errorMessage"}]}``; searchlist
  lookups, the knowledge base (where ``appliesTo`` is a string, not a list) and assets;
* :class:`BareError`: one bare ``{"errorCode", "appliesTo"}`` object; department archive and
  drop-down, budget-holder and extra-field creation (§8.2);
* :class:`EmptyError`: a status without a body (406, 415, the services API's 400 and 404).

The app turns any of them into its response; a handler that raised has written nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import JSONResponse, Response

from usm_config.sandbox.errors import EmulatorError

__all__ = [
    "BareError",
    "CodedError",
    "EmptyError",
    "LegacyError",
    "Problem",
    "TopdeskError",
    "too_long",
    "unknown_field",
    "unparsable",
]


class TopdeskError(EmulatorError):
    """Any TOPdesk error; :meth:`response` may carry a JSON array, so it is overridden."""

    def payload(self) -> Any:
        """The JSON body of this error."""
        raise NotImplementedError

    def body(self) -> dict[str, Any]:
        """The payload where it is an object; a legacy list (or no body) under ``items``.
        Only :meth:`EmulatorError.body`'s contract needs this: responses use :meth:`payload`."""
        payload = self.payload()
        return payload if isinstance(payload, dict) else {"items": payload}

    def response(self) -> JSONResponse:
        return JSONResponse(self.payload(), status_code=self.status, headers=self.headers)


class LegacyError(TopdeskError):
    """``status`` with the legacy ``[{"message": ...}, ...]`` body."""

    def __init__(
        self, status: int, *messages: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status, "; ".join(messages), headers=headers)
        self.messages = messages

    def payload(self) -> list[dict[str, str]]:
        return [{"message": message} for message in self.messages]


def unknown_field(field: str) -> LegacyError:
    """The 400 for a field a card's write schema does not have (``field`` as a dotted path
    where it is inside an object)."""
    return LegacyError(400, f'The field "{field}" does not exist.')


def unparsable(field: str) -> LegacyError:
    """The 400 for a field whose value has the wrong type or form."""
    return LegacyError(400, f'The value for the field "{field}" cannot be parsed.')


def too_long(field: str, limit: int) -> LegacyError:
    """The 400 for a text longer than the ``limit`` its schema sets."""
    return LegacyError(
        400, f'The value for the field "{field}" can only be {limit} characters long.'
    )


class Problem:
    """One entry of a :class:`CodedError`: code, the field(s) it applies to, a message."""

    __slots__ = ("applies_to", "code", "message")

    def __init__(self, code: str, applies_to: str | None = None, message: str = "") -> None:
        self.code = code
        self.applies_to = applies_to
        self.message = message


class CodedError(TopdeskError):
    """``{"errors": [...]}``; ``applies_to_list`` renders ``appliesTo`` as a list (supporting
    files) rather than a string (knowledge base)."""

    def __init__(
        self,
        status: int,
        problems: Sequence[Problem],
        *,
        applies_to_list: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, "; ".join(p.message or p.code for p in problems), headers=headers)
        self.problems = tuple(problems)
        self.applies_to_list = applies_to_list

    def payload(self) -> dict[str, Any]:
        errors = []
        for problem in self.problems:
            entry: dict[str, Any] = {"errorCode": problem.code}
            if problem.applies_to is not None:
                entry["appliesTo"] = (
                    [problem.applies_to] if self.applies_to_list else problem.applies_to
                )
            if problem.message:
                entry["errorMessage"] = problem.message
            errors.append(entry)
        return {"errors": errors}


class BareError(TopdeskError):
    """One bare ``{"errorCode", "appliesTo"}`` object."""

    def __init__(self, status: int, code: str, applies_to: str | None = None) -> None:
        super().__init__(status, code)
        self.code = code
        self.applies_to = applies_to

    def payload(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"errorCode": self.code}
        if self.applies_to is not None:
            entry["appliesTo"] = [self.applies_to]
        return entry


class EmptyError(TopdeskError):
    """``status`` without a body; ``reason`` is only for logs and exceptions."""

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(status, reason or str(status))

    def payload(self) -> None:
        return None

    def response(self) -> Response:  # type: ignore[override]  # no JSON at all
        return Response(status_code=self.status)
