"""Creates that share a request: Jira creates several statuses in one ``POST /statuses``,
several workflows in one ``POST /workflows/create`` and several options of one field context
in one ``POST …/option``. Each record's id is taken from the answer by its name, never by its
place; a record the answer does not name, and every record of a request refused as a whole,
is looked up by its key before it is sent again."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import respx
from click.testing import CliRunner
from jsm_platform_support import Api
from support import run_client
from usm_jsm.adapter import ADAPTER
from usm_jsm.mapping import compile_blueprint
from usm_jsm.sandbox import create_app

from usm_config.adapter import Write, WriteOutcome
from usm_config.blueprint.loader import load_blueprint
from usm_config.cli import cli
from usm_config.engine.records import ref
from usm_config.http import HttpClient
from usm_config.sandbox.serve import run_in_thread

BASE = "https://example.atlassian.test"
STATUSES = "/rest/api/3/statuses"
WORKFLOWS = "/rest/api/3/workflows/create"
ROOT = Path(__file__).resolve().parents[3]


def _status(name: str) -> Write:
    return Write("create", "status", {"name": name, "statusCategory": "TODO"})


def _batch(writes: list[Write]) -> Callable[[HttpClient], Awaitable[list[WriteOutcome]]]:
    async def send(client: HttpClient) -> list[WriteOutcome]:
        return await ADAPTER.write_batch(client, writes)

    return send


def test_statuses_go_in_one_request_and_their_ids_are_matched_by_name() -> None:
    writes = [_status("Aangemeld"), _status("In behandeling"), _status("Gereed")]
    # Jira's answer in another order, with the names in other case, and one status missing.
    answer = [{"id": "10031", "name": "GEREED"}, {"id": "10030", "name": "aangemeld"}]
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(STATUSES).mock(return_value=httpx.Response(200, json=answer))
        outcomes = run_client(BASE, _batch(writes))
    assert route.call_count == 1
    sent = json.loads(route.calls[0].request.content)
    assert sent == {
        "scope": {"type": "GLOBAL"},
        "statuses": [dict(w.fields) for w in writes],
    }
    assert [o.target_id for o in outcomes] == ["10030", None, "10031"]
    assert outcomes[1].uncertain and not outcomes[0].uncertain


def test_options_of_one_context_go_in_one_request() -> None:
    context = "customfield_10000/10006"
    writes = [
        Write("create", "field_option", {"context": context, "value": v, "disabled": False})
        for v in ("Hardware", "Software")
    ]
    answer = {
        "options": [
            {"id": "10101", "value": "Software", "disabled": False},
            {"id": "10100", "value": "Hardware", "disabled": False},
        ]
    }
    path = "/rest/api/3/field/customfield_10000/context/10006/option"
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.post(path).mock(return_value=httpx.Response(200, json=answer))
        outcomes = run_client(BASE, _batch(writes))
    assert json.loads(route.calls[0].request.content) == {
        "options": [
            {"value": "Hardware", "disabled": False},
            {"value": "Software", "disabled": False},
        ]
    }
    assert [o.target_id for o in outcomes] == [f"{context}/10100", f"{context}/10101"]


def test_a_refused_request_leaves_each_create_to_be_looked_up() -> None:
    """Jira does not say its bulk creates are all or nothing: after a refusal each record may
    exist, so none is reported failed or sent again blindly."""
    refusal = httpx.Response(400, json={"errorMessages": ["The name is too long"], "errors": {}})
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.post(STATUSES).mock(return_value=refusal)
        outcomes = run_client(BASE, _batch([_status("A"), _status("B")]))
    assert [(o.target_id, o.uncertain) for o in outcomes] == [(None, True)] * 2
    assert "The name is too long" in outcomes[0].error


#: The site's statuses the workflows of :func:`_flow` use.
FLOW_STATUSES = [
    {"id": "1", "name": "Open", "statusCategory": "TODO"},
    {"id": "2", "name": "Done", "statusCategory": "DONE"},
]


def _flow(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "statuses": [{"name": "Open"}, {"name": "Done"}],
        "transitions": [
            {"name": "Create", "type": "INITIAL", "to": "Open"},
            {"name": "Finish", "type": "DIRECTED", "to": "Done", "from": ["Open"]},
        ],
    }


def test_workflows_refused_by_validation_are_each_settled_alone() -> None:
    """Jira's validation refuses a request of several workflows for one of them: nothing is
    sent, and each workflow is then looked up and sent alone, for its own answer."""
    writes = [Write("create", "workflow", _flow(n)) for n in ("USM Agree", "USM Change")]
    errors = {"errors": [{"message": "The name is taken", "level": "ERROR"}]}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(f"{STATUSES}/search").mock(
            return_value=httpx.Response(200, json={"values": FLOW_STATUSES, "isLast": True})
        )
        validation = router.post(f"{WORKFLOWS}/validation").mock(
            return_value=httpx.Response(200, json=errors)
        )
        outcomes = run_client(BASE, _batch(writes))
    sent = json.loads(validation.calls[0].request.content)["payload"]
    assert [w["name"] for w in sent["workflows"]] == ["USM Agree", "USM Change"]
    assert [s["name"] for s in sent["statuses"]] == ["Done", "Open"]
    assert [(o.target_id, o.uncertain) for o in outcomes] == [(None, True)] * 2


def test_more_workflows_than_one_create_takes_go_in_several() -> None:
    """Jira's workflow create takes at most 20 workflows: 45 go in requests of 20, 20 and 5,
    each validated first."""
    writes = [Write("create", "workflow", _flow(f"USM flow {n}")) for n in range(45)]

    def created(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["workflows"]
        made = [{"id": f"id-{w['name']}", "name": w["name"]} for w in sent]
        return httpx.Response(200, json={"workflows": made})

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get(f"{STATUSES}/search").mock(
            return_value=httpx.Response(200, json={"values": FLOW_STATUSES, "isLast": True})
        )
        router.post(f"{WORKFLOWS}/validation").mock(
            return_value=httpx.Response(200, json={"errors": []})
        )
        create = router.post(WORKFLOWS).mock(side_effect=created)
        outcomes = run_client(BASE, _batch(writes))
    sizes = [len(json.loads(call.request.content)["workflows"]) for call in create.calls]
    assert sizes == [20, 20, 5]
    assert [o.target_id for o in outcomes] == [f"id-USM flow {n}" for n in range(45)]


def test_the_emulator_refuses_more_workflows_than_jira_takes(tmp_path: Path) -> None:
    api = Api(create_app(db_path=tmp_path / "jsm.sqlite3"))
    todo = next(s for s in api.ok("GET", "statuses/search")["values"] if s["name"] == "To Do")
    status = {
        "statusReference": todo["id"],
        "id": todo["id"],
        "name": todo["name"],
        "statusCategory": "TODO",
    }
    one = {
        "statuses": [{"statusReference": todo["id"], "properties": {}}],
        "transitions": [
            {"id": "1", "name": "Create", "type": "INITIAL", "toStatusReference": todo["id"]}
        ],
    }
    body = {
        "scope": {"type": "GLOBAL"},
        "statuses": [status],
        "workflows": [{**one, "name": f"Flow {n}"} for n in range(21)],
    }
    for path, payload in (
        ("workflows/create", body),
        ("workflows/create/validation", {"payload": body}),
    ):
        refused = api.call("POST", path, payload)
        assert refused.status_code == 400, refused.text
        assert "At most 20 workflows" in refused.text
    body["workflows"] = body["workflows"][:20]
    assert api.call("POST", "workflows/create", body).status_code == 200


def test_which_creates_share_a_request() -> None:
    context = ref("field_context", ("customfield_10000", "USM"))
    other = ref("field_context", ("customfield_10001", "USM"))
    option = ref("field_option", ("x", "Hardware"))

    def key(action: str, kind: str, fields: dict[str, Any]) -> object:
        return ADAPTER.batch_key(action, kind, fields)

    assert key("create", "status", {"name": "A"}) == key("create", "status", {"name": "B"})
    assert key("update", "status", {"name": "A"}) is None
    assert key("create", "workflow", {"name": "A"}) == key("create", "workflow", {"name": "B"})
    assert key("create", "workflow", {"name": "A"}) != key("create", "status", {"name": "A"})
    assert key("create", "field_option", {"context": context, "value": "a"}) == key(
        "create", "field_option", {"context": context, "value": "b"}
    )
    assert key("create", "field_option", {"context": context, "value": "a"}) != key(
        "create", "field_option", {"context": other, "value": "a"}
    )
    assert key("create", "field_child_option", {"parent": option, "value": "a"}) is not None
    assert key("create", "component", {"name": "A"}) is None
    assert key("delete", "field_option", {"context": context, "value": "a"}) is None


class _RefusesFirstStatusCreate:
    """The emulator, except that it answers its first ``POST /statuses`` with a 400 after
    carrying it out: a refusal that still made the statuses."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.refused = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and not self.refused
            and (scope["method"], scope["path"]) == ("POST", STATUSES)
        ):
            self.refused = True

            async def dropped(message: Any) -> None:
                del message

            await self.app(scope, receive, dropped)
            body = json.dumps({"errorMessages": ["Try again later"], "errors": {}}).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def test_a_new_site_gets_its_statuses_in_one_request_even_when_refused(tmp_path: Path) -> None:
    """The university's statuses go in one request. Answered with a refusal that still made
    them, each is found by its name and none is made twice; the apply converges. Its
    workflows go in one request too."""
    shutil.copy(ROOT / "blueprints" / "usm-reference.yaml", tmp_path / "usm-reference.yaml")
    text = (ROOT / "blueprints" / "examples" / "university.yaml").read_text("utf-8")
    blueprint = tmp_path / "university.yaml"
    blueprint.write_text(text.replace("../usm-reference.yaml", "usm-reference.yaml"), "utf-8")
    app = create_app(db_path=tmp_path / "jsm.sqlite3")
    targets = tmp_path / "targets.yaml"
    env = {"E": "admin@example.com", "T": "sandbox-token"}
    refusing = _RefusesFirstStatusCreate(app)
    with run_in_thread(refusing) as url:
        targets.write_text(
            f'targets:\n  jsm: {{adapter: jsm, url: "{url}", lock_dir: "{tmp_path}",'
            " auth: {type: basic, username_env: E, password_env: T}}\n",
            encoding="utf-8",
        )
        args = ["-t", "jsm", "--targets", str(targets), "-o", "summary"]
        applied = CliRunner().invoke(
            cli, ["apply", str(blueprint), *args, "--auto-approve"], env=env
        )
        assert applied.exit_code == 0, applied.output
        planned = CliRunner().invoke(cli, ["plan", str(blueprint), *args], env=env)
        assert planned.exit_code == 0, planned.output
    assert refusing.refused
    assert "0 to create, 0 to update, 0 to delete" in planned.output
    log = app.state.request_log.entries()
    creates = [e for e in log if (e.method, e.path) == ("POST", STATUSES)]
    wanted = Counter(r.kind for r in compile_blueprint(load_blueprint(blueprint).blueprint).records)
    assert len(creates) == 1
    assert len(creates[0].body["statuses"]) == wanted["status"] > 1
    # The workflows, of a later level, also go in one request, validated once.
    workflows = [e for e in log if e.method == "POST" and e.path.startswith(WORKFLOWS)]
    assert [e.path for e in workflows] == [f"{WORKFLOWS}/validation", WORKFLOWS]
    assert len(workflows[1].body["workflows"]) == wanted["workflow"] > 1
    # The scheme's mappings name those workflows, and the components their project, from
    # what the creates answered: neither is read back.
    assert wanted["workflowscheme_mapping"] > 0 and wanted["component"] > 0
    assert [e.path for e in log if (e.method, e.path) == ("POST", "/rest/api/3/workflows")] == []
    assert [e.path for e in log if re.fullmatch(r"/rest/api/3/project/\d+", e.path)] == []
    names = [s["name"] for s in Api(app).ok("GET", "statuses/search?maxResults=200")["values"]]
    assert len(names) == len(set(names))
