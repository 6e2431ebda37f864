"""A real ServiceNow client (pysnc) talks to the emulator served on 127.0.0.1 over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from pysnc import ServiceNowClient
from pysnc.exceptions import AuthenticationException
from usm_servicenow.sandbox import create_app

from usm_config.adapter import load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.sandbox.serve import run_in_thread
from usm_config.testing.harness import Harness

UNIVERSITY = Path(__file__).resolve().parents[3] / "blueprints" / "examples" / "university.yaml"


def _serve_https(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: Path) -> Any:
    """Serve the emulator holding ``state`` on https://127.0.0.1:<free port>; yields the URL
    and the CA file that trusts it."""
    # requests lets these variables override an explicit CA file; the test CA must win.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert, key, ca = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(str(cert))
    certificate.private_key_pem.write_to_path(str(key))
    authority.cert_pem.write_to_path(str(ca))
    app = create_app(db_path=state, extra_tables=["sys_user_group"])
    with run_in_thread(app, certfile=str(cert), keyfile=str(key)) as url:
        yield url, str(ca)


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A fresh emulator on https://127.0.0.1:<free port>, and the CA file that trusts it."""
    yield from _serve_https(tmp_path, monkeypatch, tmp_path / "state.sqlite3")


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """The university example applied to a sandbox, then that sandbox served over HTTPS."""
    loaded = load_blueprint(UNIVERSITY)
    assert loaded.blueprint is not None
    harness = Harness(load_adapter("servicenow"), loaded.blueprint, UNIVERSITY, tmp_path)
    harness.converge()
    yield from _serve_https(tmp_path, monkeypatch, harness.context().sandbox_state)


def test_pysnc_inserts_queries_updates_and_deletes(
    served: tuple[str, str], request: pytest.FixtureRequest
) -> None:
    """pysnc's GlideRecord round trip works against the emulator with its default login."""
    url, ca = served
    client = ServiceNowClient(url, ("admin", "admin"), verify=ca)
    request.addfinalizer(client.session.close)  # keep-alive would hold the server's shutdown

    record = client.GlideRecord("sys_user_group")
    record.initialize()
    record.name = "Service desk"
    record.description = "First line & more"
    sys_id = record.insert()
    assert sys_id and len(str(sys_id)) == 32

    query = client.GlideRecord("sys_user_group")
    query.add_query("name", "Service desk")
    query.query()
    assert [(str(r.sys_id), r.description) for r in query] == [(str(sys_id), "First line & more")]

    existing = client.GlideRecord("sys_user_group")
    assert existing.get(sys_id)
    existing.description = "Updated"
    existing.update()
    again = client.GlideRecord("sys_user_group")
    assert again.get(sys_id)
    assert again.description == "Updated"

    assert again.delete()
    gone = client.GlideRecord("sys_user_group")
    gone.add_query("name", "Service desk")
    gone.query()
    assert len(gone) == 0


def test_pysnc_is_refused_with_wrong_credentials(
    served: tuple[str, str], request: pytest.FixtureRequest
) -> None:
    """The emulator answers 401 like an instance does; pysnc raises its auth error."""
    url, ca = served
    client = ServiceNowClient(url, ("admin", "wrong"), verify=ca)
    request.addfinalizer(client.session.close)
    record = client.GlideRecord("sys_user_group")
    with pytest.raises(AuthenticationException, match="User Not Authenticated"):
        record.query()


def test_pysnc_reading_parent_tables_sees_what_apply_wrote(
    applied: tuple[str, str], request: pytest.FixtureRequest
) -> None:
    """cmdb_ci and cmdb_ci_service return the services and offerings apply wrote, and task
    returns an incident, each with its own sys_class_name, as an instance does."""
    url, ca = applied
    client = ServiceNowClient(url, ("admin", "admin"), verify=ca)
    request.addfinalizer(client.session.close)

    business = client.GlideRecord("cmdb_ci_service_business")
    business.query()
    written = {str(r.name) for r in business}
    assert len(written) > 1

    for parent in ("cmdb_ci_service", "cmdb_ci"):
        record = client.GlideRecord(parent)
        record.query()
        classes: dict[str, set[str]] = {}
        for row in record:
            classes.setdefault(str(row.sys_class_name), set()).add(str(row.name))
        assert classes["cmdb_ci_service_business"] >= written - {"IT Services"}
        assert classes["service_offering"]  # offerings extend cmdb_ci_service too

    incident = client.GlideRecord("incident")
    incident.initialize()
    incident.short_description = "Projector in lecture hall 2 is dark"
    sys_id = incident.insert()
    task = client.GlideRecord("task")
    task.add_query("sys_class_name", "incident")
    task.query()
    assert [(str(t.sys_id), str(t.short_description)) for t in task] == [
        (str(sys_id), "Projector in lecture hall 2 is dark")
    ]
