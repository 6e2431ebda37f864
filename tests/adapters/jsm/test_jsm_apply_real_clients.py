"""What ``usm-config apply`` writes to JSM, read back by real Jira clients over loopback.

The emulator is served on 127.0.0.1 (as ``usm-config sandbox serve jsm`` does) and the
university example is applied to it through the command line, over real HTTP with basic auth
from the environment. ``jira`` and ``atlassian-python-api`` then read the site as an
administrator's script would, and must find every kind of object the adapter wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from atlassian import Jira, ServiceDesk
from click.testing import CliRunner
from jira import JIRA
from usm_jsm.sandbox import create_app

from usm_config.blueprint.loader import load_blueprint
from usm_config.cli import cli
from usm_config.sandbox.serve import run_in_thread

ROOT = Path(__file__).resolve().parents[3]
UNIVERSITY = ROOT / "blueprints" / "examples" / "university.yaml"
EMAIL, TOKEN = "admin@example.com", "sandbox-token"
KEY = "NCS"
#: The priorities of every new Jira site.
JIRA_PRIORITIES = {"Highest", "High", "Medium", "Low", "Lowest"}


@pytest.fixture(scope="module")
def applied_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The served emulator after ``usm-config apply`` of the university example."""
    folder = tmp_path_factory.mktemp("jsm-apply")
    app = create_app(db_path=folder / "jsm.sqlite3")
    with run_in_thread(app) as url:
        targets = folder / "targets.yaml"
        targets.write_text(
            "targets:\n"
            "  site:\n"
            "    adapter: jsm\n"
            f"    url: {url}\n"
            "    auth: {type: basic, username_env: JIRA_EMAIL, password_env: JIRA_API_TOKEN}\n"
            f"    lock_dir: {folder}\n",
            encoding="utf-8",
        )
        command = ["apply", str(UNIVERSITY), "--target", "site", "--targets", str(targets)]
        result = CliRunner().invoke(
            cli,
            [*command, "--auto-approve"],
            env={"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN},
        )
        assert result.exit_code == 0, result.output
        assert "Converged" in result.output
        yield url


def test_jira_reads_what_apply_wrote(applied_site: str) -> None:
    bp = load_blueprint(UNIVERSITY).blueprint
    assert bp is not None
    client = JIRA(applied_site, basic_auth=(EMAIL, TOKEN), max_retries=0)
    try:
        project = client.project(KEY)
        assert project.name == bp.organisation.name
        assert {ct.name for ct in bp.call_types} <= {t.name for t in client.issue_types()}
        statuses = {s.name for s in client.statuses()}
        assert {"Log the incident", "Triage", "Waiting for Change"} <= statuses
        priorities = [p.name for p in client.priorities()]
        ranked = sorted(bp.classification.priority.levels, key=lambda lvl: lvl.rank)  # type: ignore[union-attr]
        levels = [lvl.name for lvl in ranked]
        # The site's own High and Low are the levels of those names: adopted, not made twice.
        assert set(levels) & JIRA_PRIORITIES == {"High", "Low"}
        assert sorted(priorities) == sorted(JIRA_PRIORITIES | set(levels))
        # Issues sort by the priorities' order: the levels in rank order, the site's own
        # priorities in theirs (other projects sort by them too).
        assert [p for p in priorities if p in levels] == levels
        own = ["Highest", "High", "Medium", "Low", "Lowest"]
        assert [p for p in priorities if p in JIRA_PRIORITIES] == own
        assert {c.name for c in client.project_components(KEY)} == {s.name for s in bp.services}
        assert {t.name for t in bp.teams} <= set(client.groups(maxResults=100))
        fields = {f["name"] for f in client.fields()}
        assert {"USM category", "Impact", "Urgency", "Risk level"} <= fields
        desk = next(d for d in client.service_desks() if d.projectKey == KEY)
        request_types = {t.name for t in client.request_types(desk)}
        assert {item.name for s in bp.services for item in s.requests} <= request_types
    finally:
        client.close()


def test_atlassian_python_api_reads_what_apply_wrote(applied_site: str) -> None:
    bp = load_blueprint(UNIVERSITY).blueprint
    assert bp is not None
    jira = Jira(url=applied_site, username=EMAIL, password=TOKEN, cloud=True)
    desk = ServiceDesk(url=applied_site, username=EMAIL, password=TOKEN, cloud=True)

    workflows = {w["name"]: w for w in jira.get("rest/api/3/workflows/search")["values"]}
    assert {"USM Recover", "USM Change", "USM Operate", "USM Agree", "USM Improve"} <= set(
        workflows
    )
    schemes = jira.get("rest/api/3/workflowscheme")["values"]
    usm = next(s for s in schemes if s["name"] == f"USM: {bp.organisation.name}")
    issue_types = {t["id"]: t["name"] for t in jira.get("rest/api/3/issuetype")}
    mapped = {issue_types[i]: w for i, w in usm["issueTypeMappings"].items()}
    assert mapped["Incident"] == "USM Recover"
    assert mapped["Request for change"] == "USM Change"

    field = next(f for f in jira.get("rest/api/3/field") if f["name"] == "USM category")
    contexts = jira.get(f"rest/api/3/field/{field['id']}/context")["values"]
    # Jira gives every new custom field a global default context; the adapter adds one per
    # call type, scoped to the project and that call type's issue type.
    assert {c["name"] for c in contexts} >= {
        ct.name
        for ct in bp.call_types
        if ct.id in bp.classification.categories  # type: ignore[union-attr]
    }

    # A select field lists its options in the blueprint's order of the scale.
    impact = next(f for f in jira.get("rest/api/3/field") if f["name"] == "Impact")
    scoped = [
        c
        for c in jira.get(f"rest/api/3/field/{impact['id']}/context")["values"]
        if not c["isGlobalContext"]
    ]
    options = jira.get(f"rest/api/3/field/{impact['id']}/context/{scoped[0]['id']}/option")
    rows = bp.classification.priority.rows  # type: ignore[union-attr]
    assert [o["value"] for o in options["values"]] == [lvl.name for lvl in rows]

    organizations = {o["name"] for o in desk.get_organisations()["values"]}
    assert {c.name for c in bp.customers} <= organizations
    desk_id = next(d["id"] for d in desk.get_service_desks() if d["projectKey"] == KEY)
    names = {t["name"] for t in desk.get_request_types(desk_id)["values"]}
    assert {item.name for s in bp.services for item in s.requests} <= names
