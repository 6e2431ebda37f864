"""Properties of reading a targets file: whatever a URL, a path or a time zone holds, the
reader answers with located diagnostics or accepts it, never with another exception; and a
URL it accepts is one the HTTP client can send requests to."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from usm_config.blueprint.model import Organisation
from usm_config.diagnostics import DiagnosticError
from usm_config.targets import load_targets

#: Characters that mean something in a URL or a path, some it refuses, and some outside ASCII.
URL_TEXT = st.text(
    alphabet=st.sampled_from(list(":/?#[]@!$&'()*+,;=%-._~ \t\x00\x7fazAZ09éΩ☃\u200d😀")),
    max_size=30,
)
URLS = st.one_of(
    st.builds("https://{}{}".format, URL_TEXT, st.sampled_from(["", "/", "/api", ":8443"])),
    st.builds("https://itsm.example.org{}".format, URL_TEXT),
    URL_TEXT,
)
SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _load(**target: str) -> bool:
    """Load a targets file with one target ``prod``; whether it was accepted."""
    body = {"adapter": "servicenow", **target}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "targets.yaml"
        lines = "".join(
            f"    {key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in body.items()
        )
        path.write_text(f"targets:\n  prod:\n{lines}", encoding="utf-8")
        try:
            load_targets(path)
        except DiagnosticError as exc:
            assert exc.diagnostics, "a refusal says why"
            assert all(d.location.line for d in exc.diagnostics), "and where"
            return False
    return True


@SETTINGS
@given(URLS)
@example("https://[2001:db8::1")
@example("https://[itsm.example.org]")
@example("https://xn--.example.org")
@example("https://itsm.example.org:0")
@example("https://example.service-now.com/nav_to.do?uri=incident_list.do")
def test_a_url_is_refused_located_or_usable(url: str) -> None:
    if not _load(url=url):
        return
    assert url == "sandbox:" or url.startswith(("https://", "http://"))
    if url == "sandbox:":
        return
    client = httpx.AsyncClient(base_url=url)
    request = client.build_request("GET", "/api/now/table/sys_user")
    assert request.url.host, "the request goes to a host"
    assert not request.url.fragment
    assert request.url.query == b""


@SETTINGS
@given(URL_TEXT)
@example("state\x00")
def test_a_lock_dir_or_ca_bundle_is_refused_located_or_accepted(path: str) -> None:
    _load(url="https://itsm.example.org", lock_dir=path)
    _load(url="https://itsm.example.org", ca_bundle=path)


@SETTINGS
@given(st.one_of(URL_TEXT, st.sampled_from(["Europe", "Europe/", "x" * 300, "zone.tab"])))
def test_a_time_zone_is_known_or_refused_as_unknown(zone: str) -> None:
    try:
        Organisation(id="example", name="Example", timezone=zone)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        assert "unknown time zone" in str(exc) or "timezone" in str(exc)


@pytest.mark.parametrize("url", ["https://itsm.example.org", "https://itsm.example.org/sn/"])
def test_plain_addresses_are_accepted(url: str) -> None:
    assert _load(url=url)
