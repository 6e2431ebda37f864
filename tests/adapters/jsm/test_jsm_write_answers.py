"""What a JSM write answered by something other than Jira (a proxy's or a login page) raises:
uncertain for a create, which the engine looks up before it sends it again; a plain error for
an update, which can be sent again as it is."""

from __future__ import annotations

import httpx
import pytest
import respx
from support import run_client
from usm_jsm import client as api

from usm_config.http import HttpClient, HttpError, UncertainWriteError

BASE = "https://example.atlassian.test"
PAGE = httpx.Response(
    200, text="<html><title>Log in with Atlassian account</title></html>",
    headers={"Content-Type": "text/html"},
)  # fmt: skip


def test_a_create_answered_by_a_page_may_have_happened() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(api.PLAIN["group"].create).mock(return_value=PAGE)

        async def create(client: HttpClient) -> object:
            return await api.create_plain(client, "group", {"name": "ICT-servicedesk"})

        with pytest.raises(UncertainWriteError, match=r"may or may not.*\(text/html\)"):
            run_client(BASE, create)


def test_an_update_answered_by_a_page_is_an_error() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.put(api.PLAIN["issuetype"].item.format(id="10001")).mock(return_value=PAGE)

        async def update(client: HttpClient) -> object:
            return await api.update_plain(client, "issuetype", "10001", {"name": "Wens"})

        with pytest.raises(HttpError, match="HTTP 200 with a non-JSON body") as raised:
            run_client(BASE, update)
        assert not isinstance(raised.value, UncertainWriteError)
