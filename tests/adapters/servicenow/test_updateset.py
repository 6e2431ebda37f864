"""Update-set XML: well-formed, escaped at both levels, deterministic, importable shape.

The golden file ``golden/update-set.xml`` pins the exact bytes; ``UPDATE_GOLDEN=1`` rewrites it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import assert_golden as compare_golden
from usm_servicenow.updateset import (
    UpdateSetChange,
    java_string_hash,
    record_sys_id,
    render_record_update,
    render_update_set,
    update_set_sys_id,
)

GOLDEN = Path(__file__).parent / "golden"
CREATED = "2026-11-23 12:00:00"
NASTY = "R&D <team> ]]> \"quoted\" 'single' – café ✓ 日本"

GROUP_ID = record_sys_id("sys_user_group", (NASTY,))
SCHEDULE_ID = record_sys_id("cmn_schedule", ("Office hours",))
CHANGES = (
    UpdateSetChange(
        "sys_user_group",
        "INSERT_OR_UPDATE",
        GROUP_ID,
        {"name": NASTY, "description": "Line one\r\nLine two\n\ttabbed", "active": "true"},
        NASTY,
    ),
    UpdateSetChange(
        "contract_sla",
        "INSERT_OR_UPDATE",
        record_sys_id("contract_sla", ("sa-workplace Critical resolution",)),
        {
            "name": "sa-workplace Critical resolution",
            "duration": "1970-01-02 04:00:00",
            "start_condition": "priority=1^service_offering.name=Workplace – R&D <team>^EQ",
            "schedule": SCHEDULE_ID,
            "active": "true",
        },
        "sa-workplace Critical resolution",
        {"schedule": 'Office "hours"\n& more'},
    ),
    UpdateSetChange(
        "sys_choice",
        "DELETE",
        "0123456789abcdef0123456789abcdef",
        {},
        "incident.category = old",
    ),
)


def assert_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with golden file ``name`` of this folder."""
    compare_golden(GOLDEN / name, actual, shown=f"golden/{name}")


def _render() -> bytes:
    return render_update_set(CHANGES, "usm-config: Acme & <Co> ✓", CREATED)


def _payloads(xml: bytes) -> list[ET.Element]:
    root = ET.fromstring(xml)
    out = []
    for update in root.findall("sys_update_xml"):
        payload = update.findtext("payload")
        assert payload is not None
        out.append(ET.fromstring(payload.encode("utf-8")))
    return out


def test_golden_update_set() -> None:
    assert_golden("update-set.xml", _render().decode("utf-8"))


def test_outer_document_is_well_formed_and_complete() -> None:
    root = ET.fromstring(_render())
    assert root.tag == "unload"
    assert root.get("unload_date") == CREATED
    sets = root.findall("sys_remote_update_set")
    assert len(sets) == 1
    remote = sets[0]
    set_id = update_set_sys_id("usm-config: Acme & <Co> ✓")
    assert remote.findtext("name") == "usm-config: Acme & <Co> ✓"
    assert remote.findtext("sys_id") == set_id
    assert remote.findtext("state") == "loaded"
    updates = root.findall("sys_update_xml")
    assert len(updates) == len(CHANGES)
    for update, change in zip(updates, CHANGES, strict=True):
        assert update.findtext("action") == change.action
        assert update.findtext("name") == f"{change.table}_{change.sys_id}"
        assert update.findtext("target_name") == change.display_name
        linked = update.find("remote_update_set")
        assert linked is not None and linked.text == set_id
        assert linked.get("display_value") == "usm-config: Acme & <Co> ✓"
        payload = update.findtext("payload") or ""
        assert update.findtext("payload_hash") == str(java_string_hash(payload))
    assert len({u.findtext("sys_id") for u in updates}) == len(CHANGES)


def test_payloads_round_trip_every_value() -> None:
    for document, change in zip(_payloads(_render()), CHANGES, strict=True):
        assert document.tag == "record_update"
        assert document.get("table") == change.table
        record = document.find(change.table)
        assert record is not None
        assert record.get("action") == change.action
        values = {child.tag: child.text or "" for child in record}
        assert values.pop("sys_id") == change.sys_id
        assert values.pop("sys_class_name") == change.table
        assert values.pop("sys_update_name") == f"{change.table}_{change.sys_id}"
        assert values == dict(change.fields)
        for name, display in change.display_values.items():
            element = record.find(name)
            assert element is not None and element.get("display_value") == display


def test_columns_are_sorted_and_references_carry_the_sys_id() -> None:
    sla = _payloads(_render())[1].find("contract_sla")
    assert sla is not None
    tags = [child.tag for child in sla]
    assert tags == sorted(tags)
    schedule = sla.find("schedule")
    assert schedule is not None and schedule.text == SCHEDULE_ID


def test_text_is_escaped_not_wrapped_or_injected() -> None:
    text = _render().decode("utf-8")
    assert "<![CDATA[" not in text
    assert "<team>" not in text and "]]>" not in text
    assert "café ✓ 日本" in text  # non-ASCII stays readable UTF-8
    inner = render_record_update(CHANGES[0])
    assert "R&amp;D &lt;team&gt; ]]&gt; &#34;quoted&#34; &#39;single&#39;" in inner
    assert "Line one&#13;\nLine two" in inner
    # The payload is escaped once more as text of the outer document.
    assert "R&amp;amp;D &amp;lt;team&amp;gt;" in text


def test_output_is_deterministic() -> None:
    assert _render() == _render()
    assert record_sys_id("sys_user_group", (NASTY,)) == GROUP_ID
    assert len(GROUP_ID) == 32 and int(GROUP_ID, 16) >= 0
    other = render_update_set(CHANGES, "another name", CREATED)
    assert update_set_sys_id("another name") in other.decode("utf-8")
    assert update_set_sys_id("another name") != update_set_sys_id("usm-config: Acme & <Co> ✓")


def test_empty_update_set_is_valid() -> None:
    root = ET.fromstring(render_update_set([], "empty", CREATED))
    assert root.findall("sys_update_xml") == []
    assert len(root.findall("sys_remote_update_set")) == 1


def test_java_string_hash_matches_java() -> None:
    assert java_string_hash("") == 0
    assert java_string_hash("a") == 97
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("polygenelubricants") == -2147483648  # Integer.MIN_VALUE


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (UpdateSetChange("bad table", "DELETE", "0" * 32, {}, "x"), "not a ServiceNow table"),
        (UpdateSetChange("incident", "DELETE", "xyz", {}, "x"), "not a sys_id"),
        (
            UpdateSetChange("incident", "INSERT_OR_UPDATE", "0" * 32, {"a b": "1"}, "x"),
            "not a column name",
        ),
        (
            UpdateSetChange("incident", "INSERT_OR_UPDATE", "0" * 32, {"sys_id": "1"}, "x"),
            "written by the update set",
        ),
        (
            UpdateSetChange("incident", "INSERT_OR_UPDATE", "0" * 32, {"name": "a\x00b"}, "x"),
            "U\\+0000",
        ),
        (
            UpdateSetChange("incident", "INSERT_OR_UPDATE", "0" * 32, {}, "x", {"caller": "y"}),
            "has no value",
        ),
    ],
)
def test_invalid_changes_are_refused(change: UpdateSetChange, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_update_set([change], "set", CREATED)


def test_invalid_set_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="created_on"):
        render_update_set([], "set", "2026-11-23T12:00:00Z")
    with pytest.raises(ValueError, match="needs a name"):
        render_update_set([], "  ", CREATED)
