"""Request and response helpers shared by the platform (``/rest/api/3``) route modules."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from usm_jsm.sandbox.errors import JiraApiError
from usm_jsm.sandbox.site import PROJECT, USER, Row, Site

__all__ = [
    "V3",
    "as_list",
    "current_user",
    "ids_in",
    "json_object",
    "no_content",
    "ok",
    "query_list",
    "rest_url",
    "string_field",
    "user_json",
]

#: The platform REST API root every platform route lives under.
V3 = "/rest/api/3"


def ok(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response."""
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def no_content() -> Response:
    """204 without a body."""
    return Response(status_code=204)


def rest_url(request: Request, tail: str) -> str:
    """An absolute ``self`` link under the API version the request used (2 or 3)."""
    version = "2" if request.url.path.startswith("/rest/api/2/") else "3"
    return f"{str(request.base_url).rstrip('/')}/rest/api/{version}/{tail.lstrip('/')}"


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or 400 like Jira's JSON parser answers."""
    raw = await request.body()
    if not raw.strip():
        raise JiraApiError(400, ["No content to map due to end-of-input"])
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise JiraApiError(400, ["Unexpected character in the request body."]) from None
    if not isinstance(body, dict):
        raise JiraApiError(400, ["Cannot deserialize the request body: expected a JSON object."])
    return body


def as_list(body: Mapping[str, Any], key: str, *, required: bool = False) -> list[Any]:
    """``body[key]`` as a list; 400 when it is not one (or is missing but required)."""
    value = body.get(key)
    if value is None:
        if required:
            raise JiraApiError(400, [], {key: f"'{key}' is required."})
        return []
    if not isinstance(value, list):
        raise JiraApiError(400, [], {key: f"'{key}' must be a list."})
    return value


def string_field(
    body: Mapping[str, Any], key: str, *, required: bool = False, max_length: int | None = None
) -> str | None:
    """``body[key]`` as a non-blank string; 400 in the ``errors`` map when it is not."""
    value = body.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise JiraApiError(400, [], {key: f"You must specify a {key}."})
        return None
    if not isinstance(value, str):
        raise JiraApiError(400, [], {key: f"The {key} must be a string."})
    if max_length is not None and len(value) > max_length:
        raise JiraApiError(
            400, [], {key: f"The {key} must not be longer than {max_length} characters."}
        )
    return value


def query_list(request: Request, name: str) -> list[str]:
    """A query parameter that may repeat (``id=1&id=2``) or hold commas (``id=1,2``)."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def projects_by_scheme(
    request: Request, site: Site, scheme_of: Callable[[Site, Row], Row]
) -> list[tuple[Row, list[str]]]:
    """The projects of the repeated ``projectId`` parameter grouped by the scheme ``scheme_of``
    gives each (unknown projects left out), as the scheme association reads answer; 400
    without a ``projectId``."""
    project_ids = query_list(request, "projectId")
    if not project_ids:
        raise JiraApiError(400, [], {"projectId": "The projectId parameter is required."})
    groups: dict[str, tuple[Row, list[str]]] = {}
    for project_id in project_ids:
        project = site.get(PROJECT, project_id)
        if project is not None:
            scheme = scheme_of(site, project)
            groups.setdefault(scheme["id"], (scheme, []))[1].append(project_id)
    return list(groups.values())


def current_user(request: Request, site: Site) -> Row:
    """The user the request acts as (the kit's auth puts the login in ``scope["user"]``)."""
    login = request.scope.get("user")
    if isinstance(login, str):
        user = site.user_by_email(login) or site.user(login)
        if user is not None:
            return user
    users = site.rows(USER)
    if not users:
        raise JiraApiError(401, ["You are not authenticated."])
    return users[0]


def user_json(request: Request, user: Row) -> dict[str, Any]:
    """A ``User`` as Jira Cloud renders one (the e-mail is visible to administrators)."""
    account_id = user["accountId"]
    avatar = f"https://avatar-management.example/{account_id}"
    return {
        "self": rest_url(request, f"user?accountId={account_id}"),
        "accountId": account_id,
        "accountType": user.get("accountType", "atlassian"),
        "emailAddress": user.get("emailAddress"),
        "avatarUrls": {size: f"{avatar}/{size}" for size in ("48x48", "24x24", "16x16", "32x32")},
        "displayName": user.get("displayName", ""),
        "active": user.get("active", True),
        "timeZone": user.get("timeZone", "Etc/UTC"),
        "locale": user.get("locale", "en_US"),
    }


def ids_in(values: Iterable[Any]) -> list[str]:
    """Every value as a string id."""
    return [str(value) for value in values]


def placement(body: Mapping[str, Any]) -> tuple[Any, Any]:
    """The ``after`` and ``position`` of a ``…/move`` body: one of them, the position First or
    Last."""
    after, position = body.get("after"), body.get("position")
    if (after is None) == (position is None):
        raise JiraApiError(400, ["Provide either after or position."])
    if position is not None and position not in ("First", "Last"):
        raise JiraApiError(400, [], {"position": "The position must be First or Last."})
    return after, position


def moved(
    order: Sequence[str], ids: Sequence[str], after: str | None, position: str | None
) -> list[str]:
    """``order`` with ``ids`` taken out and put back, in their order, right after ``after`` or
    at ``position`` (``First`` or ``Last``): what Jira's ``…/move`` operations do."""
    rest = [i for i in order if i not in ids]
    at = rest.index(after) + 1 if after is not None else (0 if position == "First" else len(rest))
    return [*rest[:at], *ids, *rest[at:]]
