"""Creates that TOPdesk writes in two steps lose the answer to their first.

An operator group gets its task flags after its create (TOPdesk refuses them on create,
topdesk.md §8.10), and a knowledge item its second translation after the item. When the
answer to the create is lost after TOPdesk committed it, the engine looks the record up by
its name (one query, not the whole list), counts it as recovered, and writes the step the
create did not reach: the group gets its flags and the item its translation (even when the
answer to that translation is lost as well), and nothing is made twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from support import MUNICIPALITY, RecordedSandbox

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.sandbox.faults import send_held
from usm_config.sandbox.held import held_response
from usm_config.testing import Harness, with_emulator

GROUPS = "/tas/api/operatorgroups"
ITEMS = "/services/knowledge-base-v1/knowledgeItems"


class LoseFirstAnswers:
    """Runs every request, and loses the answer to the first POST to each of ``paths`` after
    the emulator committed it (the embedded transport turns the mark into a dropped
    connection). With ``and_translation``, the first translation added to the knowledge item
    whose create answer was lost loses its answer too."""

    def __init__(self, app: ASGIApp, paths: set[str], *, and_translation: bool = False) -> None:
        self.app = app
        self.state = getattr(app, "state", None)
        self.left = set(paths)
        self.and_translation = and_translation
        self.lost: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope.get("method") != "POST" or path not in self.left:
            await self.app(scope, receive, send)
            return
        self.left.discard(path)
        self.lost.append(path)
        start, body = await held_response(self.app, scope, receive)
        await send_held(send, start, body, dropped=True)
        if path == ITEMS and self.and_translation:
            item = json.loads(body)["id"]
            self.left |= {f"{ITEMS}/{item}/translations/{language}" for language in ("en", "nl")}


def test_a_lost_create_answer_is_recovered_and_its_later_step_written(tmp_path: Path) -> None:
    recorded = RecordedSandbox(load_adapter("topdesk"))
    losing: list[LoseFirstAnswers] = []

    def wrap(app: Any) -> Any:
        losing.append(LoseFirstAnswers(app, {GROUPS, ITEMS}, and_translation=True))
        return losing[-1]

    loaded = load_blueprint(MUNICIPALITY)
    assert loaded.blueprint is not None
    harness = Harness(
        with_emulator(recorded.adapter, wrap), loaded.blueprint, MUNICIPALITY, tmp_path
    )
    outcome = harness.converge()

    # The first emulator (the apply's) lost both creates' answers, and the answer to the
    # translation the recovered item was then given; the re-plan's lost nothing.
    named = {GROUPS: "group", ITEMS: "item"}
    lost = [sorted(named.get(path, "translation") for path in d.lost) for d in losing]
    assert lost == [["group", "item", "translation"]] + [[]] * (len(losing) - 1)
    assert outcome.result.recovered_creates == 2
    logged = [entry for app in recorded.apps for entry in app.state.request_log]
    group = next(e for e in logged if (e.method, e.path) == ("POST", GROUPS)).body
    reads = [e.query for e in logged if (e.method, e.path) == ("GET", GROUPS)]
    assert {
        "query": f'groupName=="{group["groupName"]}"',
        "start": "0",
        "page_size": "100",
    } in reads
    # Besides the reach probe (one row), operator groups are never read whole.
    assert [q for q in reads if "query" not in q] == [{"start": "0", "page_size": "1"}]
    harness.assert_no_duplicates()
    live = harness.live()
    groups = [r for r in live if r.kind == "operator_group"]
    desired = {r.key: r.fields for r in harness.desired() if r.kind == "operator_group"}
    for group in groups:
        flags = {k: v for k, v in desired[group.key].items() if isinstance(v, bool)}
        assert flags and {k: group.fields.get(k) for k in flags} == flags, group.key
    items = [r for r in live if r.kind == "knowledge_item"]
    assert items and all(r.fields.get("translation") for r in items)
