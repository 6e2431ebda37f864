"""The emulator's lookup index (``Site.ids_by``) answers as a scan of the rows would, whatever
wrote to the store: the site's own inserts, replaces and deletes, or the store directly."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from usm_jsm.sandbox.site import USER, Site

from usm_config.sandbox.store import RecordStore, Row

NAMES = st.sampled_from(["Desk", "desk", "DESK", "Laptop", "laptop", "Phone"])
PROJECTS = st.sampled_from([1, 2])
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["insert", "replace", "delete", "store insert", "store update", "store delete", "ask"]
        ),
        st.integers(0, 6),
        PROJECTS,
        NAMES,
    ),
    max_size=30,
)


def _key(row: Row) -> tuple[Any, str]:
    return row["projectId"], str(row["name"]).casefold()


def _scanned(site: Site, project: int, name: str) -> set[str]:
    return {str(r["id"]) for r in site.rows("component") if _key(r) == (project, name.casefold())}


@given(OPERATIONS)
def test_the_index_answers_as_a_scan_of_the_rows(
    operations: list[tuple[str, int, int, str]],
) -> None:
    site = Site(RecordStore(tables=["component"]))
    for operation, pick, project, name in operations:
        ids = [str(r["id"]) for r in site.rows("component")]
        picked = ids[pick % len(ids)] if ids else None
        row = {"name": name, "projectId": project}
        if operation == "insert":
            site.insert("component", row)
        elif operation == "store insert":
            site.store.insert("component", row)
        elif picked is not None and operation == "replace":
            site.replace("component", {**row, "id": picked})
        elif picked is not None and operation == "store update":
            site.store.update("component", picked, {**row, "id": picked})
        elif picked is not None and operation == "delete":
            site.delete("component", picked)
        elif picked is not None and operation == "store delete":
            site.store.delete("component", picked)
        assert site.ids_by("component", _key, (project, name.casefold())) == _scanned(
            site, project, name
        )


def test_an_account_whose_address_changed_is_not_made_again() -> None:
    """The emulator makes its own login's account at every start. Once that account's address
    has changed in the state, the account id made from the address is still taken: no second
    account, and no failing start."""
    site = Site(RecordStore(tables=[USER]))
    site.ensure_users(["admin@example.com"])
    (account,) = site.rows(USER)
    site.replace(USER, {**account, "emailAddress": "someone@example.com"})
    site.ensure_users(["admin@example.com"])
    assert [row["emailAddress"] for row in site.rows(USER)] == ["someone@example.com"]
