"""Owner markers inside the tool: a kind's ``marker`` field says which blueprint owns a live
record, seen by every pipeline that reads the tool, whatever folder its lock file is in."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usm_config.engine.diff import ADOPTED_REASON, applied_fingerprint, compute_changes
from usm_config.engine.lock import Lock
from usm_config.engine.plan import Action, Change, FieldChange
from usm_config.engine.records import KindSpec, Record, ref

#: An article takes its marker on update too; a department on create only (TOPdesk's shapes).
KINDS = {
    "article": KindSpec("article", "article", ("title",), ("title", "body"), marker="owner"),
    "department": KindSpec(
        "department", "department", ("name",), ("name",), marker="owner", marker_updatable=False
    ),
    "plain": KindSpec("plain", "plain", ("name",), ("name",)),
}
ME, THEM = "municipality", "reference"


def desired(kind: str = "article") -> Record:
    name = "title" if kind == "article" else "name"
    fields = {name: "Welcome", **({"body": "Hello"} if kind == "article" else {})}
    return Record(kind=kind, key=("Welcome",), fields=fields, uid=f"{kind}:welcome")


def live(kind: str = "article", owner: str | None = None, body: str = "Hello") -> Record:
    record = desired(kind)
    fields = dict(record.fields)
    if kind == "article":
        fields["body"] = body
    if owner is not None:
        fields["owner"] = owner
    return Record(kind=kind, key=record.key, fields=fields, target_id="7")


def plan(
    tmp_path: Path, record: Record, found: Record | None, *, ours: bool = False, **options: object
) -> tuple[Change, ...]:
    lock = Lock(tmp_path / "me.t.lock.json", "t", "memory")
    if ours and found is not None:
        lock.set(record.uid or "", record.kind, found.target_id or "", record.key)
    result = compute_changes(
        [record],
        [found] if found else [],
        KINDS,
        lock,
        owner_marker=ME,
        **options,  # type: ignore[arg-type]
    )
    return result.changes


def test_a_created_record_carries_the_marker_without_showing_it_as_a_change(
    tmp_path: Path,
) -> None:
    (change,) = plan(tmp_path, desired(), None)
    assert change.action == Action.CREATE
    assert change.fields == {"title": "Welcome", "body": "Hello", "owner": ME}
    assert [d.field for d in change.diff] == ["body", "title"]
    assert change.applied == applied_fingerprint(desired()), "the marker is not the blueprint's"
    (plain,) = plan(tmp_path, desired("plain"), None)
    assert "owner" not in plain.fields, "a kind without a marker gets none"


@pytest.mark.parametrize("kind", ["article", "department"])
def test_a_record_another_owner_marked_is_owned_not_adopted(tmp_path: Path, kind: str) -> None:
    (change,) = plan(tmp_path, desired(kind), live(kind, THEM))
    assert change.action == Action.OWNED and not change.writes
    assert change.owner == THEM
    assert change.reason == (
        f"owned by {THEM} (marked in the tool); left alone (--take-over adopts it)"
    )


def test_taking_over_rewrites_the_marker_where_an_update_can(tmp_path: Path) -> None:
    (article,) = plan(tmp_path, desired(), live("article", THEM, body="Hi"), take_over=True)
    assert article.action == Action.ADOPT and article.owner == THEM
    assert article.reason == f"owned by {THEM} (marked in the tool); taking it over"
    assert article.diff == (
        FieldChange(field="body", before="Hi", after="Hello"),
        FieldChange(field="owner", before=THEM, after=ME),
    )
    assert article.fields == {"body": "Hello", "owner": ME}
    (department,) = plan(tmp_path, desired("department"), live("department", THEM), take_over=True)
    assert department.action == Action.ADOPT and department.owner == THEM
    assert department.diff == () and not department.writes, "TOPdesk takes it on create only"


@pytest.mark.parametrize("owner", [ME, None])
def test_a_record_marked_as_ours_or_unmarked_is_adopted_as_before(
    tmp_path: Path, owner: str | None
) -> None:
    (change,) = plan(tmp_path, desired(), live("article", owner))
    assert change.action == Action.ADOPT and change.reason == ADOPTED_REASON
    assert change.owner is None and change.diff == ()


def test_a_managed_record_another_owner_took_over_is_left_to_it(tmp_path: Path) -> None:
    """The other pipeline's take-over cannot edit this lock file: the marker tells."""
    (change,) = plan(tmp_path, desired(), live("article", THEM), ours=True)
    assert change.action == Action.OWNED and change.owner == THEM
    (back,) = plan(tmp_path, desired(), live("article", THEM), ours=True, take_over=True)
    assert back.action == Action.ADOPT
    assert back.diff == (FieldChange(field="owner", before=THEM, after=ME),)


def test_converged_plans_stay_empty_whatever_the_marker_says(tmp_path: Path) -> None:
    assert plan(tmp_path, desired(), live("article", ME), ours=True) == ()
    assert plan(tmp_path, desired(), live("article"), ours=True) == (), "marked before markers"
    # a create-only marker cannot follow a take-over: it may name the previous owner
    assert plan(tmp_path, desired("department"), live("department", THEM), ours=True) == ()


def test_a_read_only_kind_is_checked_off_whoever_marked_it(tmp_path: Path) -> None:
    """A manual step's record is only verified present: nothing is adopted or owned."""
    spec = KindSpec("article", "article", ("title",), ("title",), operations=frozenset(),
                    marker="owner")  # fmt: skip
    lock = Lock(tmp_path / "me.t.lock.json", "t", "memory")
    found = Record(kind="article", key=("W",), fields={"title": "W", "owner": THEM}, target_id="1")
    wanted = Record(kind="article", key=("W",), fields={"title": "W"}, uid="a:w")
    assert (
        compute_changes([wanted], [found], {"article": spec}, lock, owner_marker=ME).changes == ()
    )


def test_a_record_keyed_under_a_marked_record_belongs_to_its_owner(tmp_path: Path) -> None:
    """A project's component carries no marker of its own: it is its project owner's."""
    kinds = {
        **KINDS,
        "part": KindSpec("part", "part", ("article", "name"), ("article", "name"),
                         {"article": "article"}),
    }  # fmt: skip
    parent = ref("article", ("Welcome",))
    part = Record(kind="part", key=("Welcome", "intro"), uid="part:intro",
                  fields={"article": parent, "name": "intro"})  # fmt: skip
    found = Record(kind="part", key=part.key, target_id="9",
                   fields={"article": parent, "name": "intro"})  # fmt: skip
    lock = Lock(tmp_path / "me.t.lock.json", "t", "memory")

    def changes(**options: object) -> tuple[Change, ...]:
        return compute_changes(
            [desired(), part], [live("article", THEM), found], kinds, lock, owner_marker=ME,
            **options,  # type: ignore[arg-type]
        ).changes  # fmt: skip

    article, inside = changes()
    assert (article.action, inside.action) == (Action.OWNED, Action.OWNED)
    assert inside.owner == THEM
    assert inside.reason == (
        f"owned by {THEM} (marked in the tool on article[Welcome]); left alone "
        "(--take-over adopts it)"
    )
    article, inside = changes(take_over=True)
    assert (article.action, inside.action) == (Action.ADOPT, Action.ADOPT)
    assert (
        inside.reason == f"owned by {THEM} (marked in the tool on article[Welcome]); taking it over"
    )
    assert inside.diff == (), "the part has no marker to rewrite"
    unmarked = compute_changes([desired(), part], [live("article"), found], kinds, lock).changes
    assert [c.reason for c in unmarked] == [ADOPTED_REASON, ADOPTED_REASON]


def test_without_an_owner_markers_mean_nothing(tmp_path: Path) -> None:
    """What compares without planning (the export's fidelity check) passes no owner."""
    lock = Lock(tmp_path / "me.t.lock.json", "t", "memory")
    (change,) = compute_changes([desired()], [live("article", THEM)], KINDS, lock).changes
    assert change.action == Action.ADOPT and change.reason == ADOPTED_REASON
    (create,) = compute_changes([desired()], [], KINDS, lock).changes
    assert "owner" not in create.fields


@given(
    marker=st.sampled_from([None, ME, THEM, "facilities"]),
    kind=st.sampled_from(["article", "department"]),
    ours=st.booleans(),
    edited=st.booleans(),
)
def test_without_take_over_a_marker_only_ever_leaves_a_record_alone(
    marker: str | None, kind: str, ours: bool, edited: bool
) -> None:
    """A foreign marker that counts turns the plan into "owned" and writes nothing; any other
    marker plans exactly what the record without it would; no plan writes a marker."""
    body = "Edited" if edited else "Hello"
    with tempfile.TemporaryDirectory() as folder:
        marked = plan(Path(folder), desired(kind), live(kind, marker, body=body), ours=ours)
        bare = plan(Path(folder), desired(kind), live(kind, None, body=body), ours=ours)
    counts = marker not in (None, ME) and (not ours or KINDS[kind].marker_updatable)
    if counts:
        assert [c.action for c in marked] == [Action.OWNED]
        assert marked[0].owner == marker and not marked[0].writes
    else:
        assert marked == bare
    assert not any(d.field == "owner" for c in marked for d in c.diff)
