"""A workflow scheme mapping whose issue type was replaced in Jira (deleted and made again)
moves to the new issue type with the workflow it has, and its id (which holds the issue type)
moves with it, against the emulator."""

from __future__ import annotations

import asyncio

import httpx
from jsm_platform_support import ADMIN, BASE, Api
from usm_jsm.adapter import JsmAdapter
from usm_jsm.sandbox import create_app

from usm_config.http import HttpClient
from usm_config.sandbox.embedded import EmbeddedTransport


def test_a_mapping_moves_to_the_issue_type_that_replaced_its_own() -> None:
    app = create_app()
    api = Api(app)
    old, new = "10000", "10001"
    scheme = api.ok(
        "POST",
        "workflowscheme",
        {"name": "Not in use", "defaultWorkflow": "jira", "issueTypeMappings": {old: "jira"}},
    )["id"]

    async def move() -> str | None:
        async with HttpClient(
            BASE, transport=EmbeddedTransport(app), auth=httpx.BasicAuth(*ADMIN)
        ) as client:
            stored = await JsmAdapter().update(
                client, "workflowscheme_mapping", f"{scheme}/{old}", {"issueType": new}
            )
            return stored.target_id

    assert asyncio.run(move()) == f"{scheme}/{new}"
    assert api.ok("GET", f"workflowscheme/{scheme}")["issueTypeMappings"] == {new: "jira"}
