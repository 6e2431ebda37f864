"""Site-wide platform reads: ``serverInfo``, ``myself``, ``user/search`` and async tasks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from usm_jsm.sandbox.errors import JiraApiError
from usm_jsm.sandbox.platform_common import V3, current_user, ok, rest_url, user_json
from usm_jsm.sandbox.site import USER, Endpoint, Site, public

__all__ = ["ENDPOINTS", "SERVER_VERSION"]

#: What a Cloud site reports as its version (Cloud sites all report 1001.0.0-SNAPSHOT).
SERVER_VERSION = {"version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0]}


async def server_info(request: Request, site: Site) -> Response:
    base = str(request.base_url).rstrip("/")
    return ok(
        {
            "baseUrl": base,
            "displayUrl": base,
            "displayUrlServicedeskHelpCenter": f"{base}/servicedesk/customer",
            **SERVER_VERSION,
            "deploymentType": "Cloud",
            "buildNumber": 100281,
            "buildDate": "2025-01-01T00:00:00.000+0000",
            "serverTime": site.timestamp(),
            "scmInfo": "0" * 40,
            "serverTitle": "Jira",
            "defaultLocale": {"locale": "en_US"},
            "serverTimeZone": "Etc/UTC",
        }
    )


async def myself(request: Request, site: Site) -> Response:
    user = current_user(request, site)
    body = user_json(request, user)
    body["groups"] = {"size": 0, "items": []}
    body["applicationRoles"] = {"size": 1, "items": []}
    body["expand"] = "groups,applicationRoles"
    return ok(body, headers={"X-AACCOUNTID": user["accountId"]})


async def user_search(request: Request, site: Site) -> Response:
    # Matches the start of the display name or e-mail address, like the user picker.
    query = (request.query_params.get("query") or "").casefold()
    account_id = request.query_params.get("accountId")
    if not query and not account_id:
        raise JiraApiError(400, ["The query parameter 'query' or 'accountId' is required."])
    users = [
        user
        for user in site.rows(USER)
        if (account_id is None or user["accountId"] == account_id)
        and (
            not query
            or any(
                word.startswith(query)
                for text in (user.get("displayName", ""), user.get("emailAddress", ""))
                for word in [str(text).casefold(), *str(text).casefold().split()]
            )
        )
    ]
    start = int(request.query_params.get("startAt") or 0)
    size = int(request.query_params.get("maxResults") or 50)
    return ok([user_json(request, user) for user in users[start : start + size]])


async def get_task(request: Request, site: Site) -> Response:
    task_id = request.path_params["taskId"]
    task = site.poll_task(task_id)
    if task is None:
        raise JiraApiError(404, [f"Task {task_id} not found."])
    return ok({"self": rest_url(request, f"task/{task_id}"), **public(task)})


ENDPOINTS = [
    Endpoint(f"{V3}/serverInfo", ("GET",), server_info),
    Endpoint(f"{V3}/myself", ("GET",), myself),
    Endpoint(f"{V3}/user/search", ("GET",), user_search),
    Endpoint(f"{V3}/task/{{taskId}}", ("GET",), get_task),
]
