"""The diff: desired records against live records, as an ordered list of changes. Pure.

Matching, in this order: the lock file (blueprint identity → tool id, so renames are updates),
then the natural key (an unmanaged record with the same key is *adopted*, never duplicated).
Only fields the desired record sets are compared. Deletes are planned only with ``prune`` and
only for records the lock file lists. Live records that share the key of a record the
blueprint or the lock manages are reported as :class:`~usm_config.engine.plan.Duplicate`.

A record another blueprint's lock file claims, or one the tool marks as another owner's (a
kind's :attr:`~usm_config.engine.records.KindSpec.marker`), is never adopted: it is planned as
:attr:`~usm_config.engine.plan.Action.OWNED` (nothing is written), or, with ``take_over``, as
an adoption naming the previous owner, which rewrites the marker where an update can. A
difference on a managed record whose blueprint fields are the ones last applied (the lock
entry's ``applied`` fingerprint) comes from the tool and is marked
:attr:`~usm_config.engine.plan.Origin.DRIFT`, as is a managed record gone from the tool.
"""

from __future__ import annotations

import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import JsonValue

from usm_config.engine.lock import Lock
from usm_config.engine.order import write_levels
from usm_config.engine.ownership import foreign_marker, inherited_marker
from usm_config.engine.plan import Action, Change, Duplicate, FieldChange, Origin, trusted
from usm_config.engine.records import (
    Address,
    KindSpec,
    Op,
    Record,
    casefold_key,
    fingerprint,
    folded_kinds,
    ref_target,
    sets_in_order,
)

#: Why a plan takes over a live record: one it did not create, or one an interrupted apply did.
ADOPTED_REASON = "an unmanaged record with the same key exists; taking it over"
RESUMED_REASON = "created by an interrupted apply; taking it over"
#: A record the lock file names that the read did not find. The apply looks it up by key
#: before it creates it: a listing can miss a row (an offset-paged list that shifted while it
#: was read, a search index behind its writes), and a blind create would make a second one.
GONE_REASON = "managed record is gone from the target; it is created again"
#: Why a plan takes over a live record whose key differs from the blueprint's only in case, in a
#: kind the tool names without regard to case (``KindSpec.keys_ignore_case``).
ADOPTED_IN_ANOTHER_CASE = (
    "an unmanaged record with the same key in another case exists; taking it over and renaming it"
)
#: The reasons of adoptions of records usm-config did not create: the lock file marks them.
NOT_CREATED = frozenset({ADOPTED_REASON, ADOPTED_IN_ANOTHER_CASE})
#: Added to the reason of every change to an adopted record, which usm-config did not create.
NOT_OURS = "an adopted record usm-config did not create"
#: Why a record whose fields are as the blueprint wants them is written: the record it is
#: placed after (``KindSpec.placed_by``) moves, which takes it out of its place.
PLACED_AGAIN = "placed again: the record before it moves"
#: Added to the reason of a manual step on a live record matched by key but not yet adopted.
UNMANAGED = "the tool's record of this key is one usm-config did not create"

# The diff makes its changes from records, whose values are already what the models declare.
_change = trusted(Change)
_field_change = trusted(FieldChange)


#: Whether a desired reference (or list of them) and a live one point at the same record (or
#: records; the last argument says whether in the same order).
_SameTarget = Callable[[JsonValue, JsonValue, bool], bool]


def _field_diff(
    desired: Record,
    live: Record | None,
    spec: KindSpec | None = None,
    same_target: _SameTarget | None = None,
) -> tuple[FieldChange, ...]:
    before = live.fields if live else {}
    references = spec.references if spec else {}
    sequences = spec.sequences if spec else ()
    changed = [
        name
        for name, value in desired.fields.items()
        if before.get(name) != value
        and not (
            same_target
            and name in references
            and same_target(value, before.get(name), name in sequences)
        )
    ]
    return tuple(
        _field_change(field=name, before=before.get(name), after=desired.fields[name])
        for name in sorted(changed)
    )


def _placed_again(
    record: Record,
    live: Record,
    field: str,
    diff: tuple[FieldChange, ...],
    placed: set[Address],
) -> tuple[FieldChange, ...]:
    """``diff`` with ``field`` (a :attr:`KindSpec.placed_by`) in it when the record it places
    ``record`` after is placed anew in this plan; ``record`` joins ``placed`` when it is."""
    if field not in record.fields:
        return diff
    if all(d.field != field for d in diff):
        target = ref_target(record.fields[field])
        if target is None or (record.kind, target[1]) not in placed:
            return diff
        before, after = live.fields.get(field), record.fields[field]
        again = _field_change(field=field, before=before, after=after)
        diff = tuple(sorted((*diff, again), key=lambda d: d.field))
    placed.add((record.kind, record.key))
    return diff


#: (field, type of the value, value): ``True`` and ``1`` are one key of a dict.
_Shared = dict[tuple[str, type, object], FieldChange]


def _new_fields(desired: Record, shared: _Shared) -> tuple[FieldChange, ...]:
    """``_field_diff(desired, None)``, with one :class:`FieldChange` for each field and scalar
    value the records share (frozen, so they can be): 40,000 SLA definitions set the same
    schedule and durations, and a plan of 50,000 creates otherwise held 585,000 of them.
    Lists and dicts cannot be keys; ``0.0`` and ``-0.0`` are one key but two JSON texts."""
    fields = desired.fields
    diff = []
    for name in sorted(fields):
        value = fields[name]
        kind = type(value)
        if kind is str or kind is bool or kind is int:
            key = (name, kind, value)
            change = shared.get(key)
            if change is None:
                change = shared[key] = _field_change(field=name, before=None, after=value)
            diff.append(change)
        elif value is not None:
            diff.append(_field_change(field=name, before=None, after=value))
    return tuple(diff)


def _with_sets_in_order(record: Record, spec: KindSpec) -> Record:
    """``record`` as the live side holds it: lists of references in the engine's order."""
    if not any(isinstance(record.fields.get(name), list) for name in spec.references):
        return record
    return replace(record, fields=sets_in_order(spec, record.fields))


def applied_fingerprint(record: Record) -> str:
    """Fingerprint of a desired record's fields, as the lock file keeps what was applied."""
    return fingerprint(record.fields)


#: The desired records diffed last, the kinds they were diffed with, and their ``applied``
#: fingerprints in plan order: an apply diffs the same compiled records again to prove
#: convergence.
_LAST_APPLIED: list[tuple[list[Record], Mapping[str, KindSpec], list[str]]] = []


def _applied_fingerprints(
    desired: list[Record], in_order: list[Record], kinds: Mapping[str, KindSpec]
) -> list[str]:
    """:func:`applied_fingerprint` of each of ``in_order`` (``desired`` as the diff compares
    them, in plan order); not worked out again when ``desired`` are the very records (not
    equal ones: the same objects) diffed last, which never change once made (see Record)."""
    if _LAST_APPLIED:
        last, last_kinds, fingerprints = _LAST_APPLIED[0]
        if (
            last_kinds is kinds
            and len(last) == len(desired)
            and all(map(operator.is_, last, desired))
        ):
            return fingerprints
    fingerprints = [applied_fingerprint(record) for record in in_order]
    _LAST_APPLIED[:] = [(desired, kinds, fingerprints)]
    return fingerprints


@dataclass(frozen=True)
class DiffResult:
    """The ordered changes, notes about what was left alone, managed keys held by several
    live records, and the ``applied`` fingerprints of managed records that already match the
    blueprint but whose lock entry does not say so yet (uid → fingerprint)."""

    changes: tuple[Change, ...]
    notes: tuple[str, ...]
    duplicates: tuple[Duplicate, ...] = ()
    in_line: Mapping[str, str] = field(default_factory=dict)


def compute_changes(
    desired: Iterable[Record],
    live: Iterable[Record],
    kinds: Mapping[str, KindSpec],
    lock: Lock,
    *,
    prune: bool = False,
    resumed: Iterable[str] = (),
    claims: Mapping[tuple[str, str], Path] | None = None,
    take_over: bool = False,
    owner_marker: str | None = None,
) -> DiffResult:
    """Plan the changes that turn ``live`` into ``desired``. Pure; ``lock`` is only read.

    ``claims`` maps (kind, target id) to the lock file of another blueprint that manages the
    record (:func:`~usm_config.engine.ownership.other_claims`); ``take_over`` adopts those too.
    ``owner_marker`` is this blueprint's owner marker: records created carry it, and a live record
    marked by another owner is treated like a claimed one. Without it markers are ignored.
    """
    claims = claims or {}
    live_list = list(live)
    folded = folded_kinds(kinds)

    def address(kind: str, key: tuple[str, ...]) -> Address:
        """How records are matched: by kind and key, case-folded where the tool ignores case."""
        return (kind, casefold_key(key) if kind in folded else key)

    # When several live records share a key, the one with the smallest id is matched, so
    # repeated plans agree on which one that is; the others are reported.
    by_key: dict[Address, Record] = {}
    sharing: dict[Address, list[str]] = {}  # keys of several, their ids
    for r in sorted(live_list, key=lambda r: r.target_id or ""):
        at = address(r.kind, r.key)
        first = by_key.setdefault(at, r)
        if first is not r:
            ids = sharing.setdefault(at, [first.target_id or ""])
            ids.append(r.target_id or "")
    desired_list = list(desired)
    # Ids are unique within a kind only (Jira numbers each object type from 10000).
    by_id = {(r.kind, r.target_id): r for r in live_list if r.target_id}
    managed = lock.managed_ids()
    resumed_uids = set(resumed)
    matched: set[tuple[str, str]] = set()
    changes: list[Change] = []
    notes: list[str] = []
    in_line: dict[str, str] = {}
    shared: defaultdict[Path, list[str]] = defaultdict(list)
    # (kind, key) → the other owner a record is marked with, itself or through its parent
    marked_foreign: dict[Address, str] = {}

    # (kind, key) of a desired record → the id of the live record it matched. References
    # point at lower levels, which are matched first.
    matched_ids: dict[Address, str] = {}

    def target_id(value: JsonValue, *, desired_side: bool) -> str | None:
        target = ref_target(value)
        if target is None:
            return None
        if desired_side and target in matched_ids:
            return matched_ids[target]
        # A live reference, or a desired one to a record the blueprint does not hold (a
        # tool's own issue type), which apply writes as the id of the live record of its key.
        found = by_key.get(address(*target))
        return found.target_id if found is not None else None

    def same_target(desired_value: JsonValue, live_value: JsonValue, in_order: bool) -> bool:
        """A reference to a record renamed in the tool (or in the blueprint) is by key a
        different one, but it points at the same record: the referrer does not change."""
        if isinstance(desired_value, list) and isinstance(live_value, list):
            ours = [target_id(v, desired_side=True) or "" for v in desired_value]
            theirs = [target_id(v, desired_side=False) or "" for v in live_value]
            if not in_order:
                ours, theirs = sorted(ours), sorted(theirs)
            return "" not in ours and "" not in theirs and ours == theirs
        ours_one = target_id(desired_value, desired_side=True)
        return ours_one is not None and ours_one == target_id(live_value, desired_side=False)

    def named_only(desired: Record, live: Record) -> Record:
        """``live`` with each of its kind's ``sequences`` holding only the records the desired
        list names (by the record each points at), in the tool's order: what a sequence says
        is the order of those; the tool's other records may stand anywhere."""
        fields = dict(live.fields)
        for name in kinds[live.kind].sequences:
            ours, theirs = desired.fields.get(name), live.fields.get(name)
            if isinstance(ours, list) and isinstance(theirs, list):
                ids = {target_id(v, desired_side=True) for v in ours} - {None}
                fields[name] = [v for v in theirs if target_id(v, desired_side=False) in ids]
        return replace(live, fields=fields)

    new_fields: _Shared = {}
    # Records written to a new place in their tool's order (``KindSpec.placed_by``): the record
    # placed after one of them is placed again, as moving the one before it displaced it.
    placed: set[Address] = set()
    levels = write_levels(kinds, desired_list)
    ordered = sorted(desired_list, key=lambda r: (levels.of(r.kind, r.key), r.kind, r.key))
    in_order = [_with_sets_in_order(r, kinds[r.kind]) for r in ordered]
    fingerprints = _applied_fingerprints(desired_list, in_order, kinds)
    for n, record in enumerate(in_order):
        spec = kinds[record.kind]
        level = levels.of(record.kind, record.key)
        entry = lock.entries.get(record.uid) if record.uid else None
        current = (
            by_id.get((record.kind, entry.target_id))
            if entry and entry.kind == record.kind
            else None
        )
        adopted = False
        through_lock = current is not None
        if current is None:
            current = by_key.get(address(record.kind, record.key))
            adopted = current is not None and (current.kind, current.target_id) not in managed
        if current is not None and current.target_id:
            matched.add((current.kind, current.target_id))
            matched_ids[(record.kind, record.key)] = current.target_id
        claimed_by = claims.get((current.kind, current.target_id or "")) if current else None
        foreign = foreign_marker(current, spec, owner_marker, through_lock=through_lock)
        marked_on = "marked in the tool"
        parent = inherited_marker(record, spec, marked_foreign) if current else None
        if foreign is None and parent is not None:
            foreign, marked_on = parent[0], f"marked in the tool on {parent[1]}"
        if foreign is not None:
            marked_foreign[(record.kind, record.key)] = foreign
        if foreign is not None and through_lock:
            adopted = True  # another blueprint took it over since (and marked it) in the tool
        if claimed_by is not None and through_lock:
            shared[claimed_by].append(record.address)  # both lock files list it; this one wins here
        applied = fingerprints[n]
        common = {
            "kind": record.kind,
            "key": record.key,
            "uid": record.uid,
            "source": record.source,
            "level": level,
            "applied": applied,
        }
        if current is None:
            if Op.CREATE not in spec.operations:
                changes.append(
                    _change(
                        action=Action.MANUAL,
                        reason=f"the API cannot create {spec.label} records",
                        instructions=spec.manual_hint,
                        fields=record.fields,
                        diff=_new_fields(record, new_fields),
                        **common,
                    )
                )
                continue
            reason = "not present in the target"
            origin = Origin.BLUEPRINT
            if entry is not None:
                reason = GONE_REASON
                origin = Origin.DRIFT
            marked = {spec.marker: owner_marker} if spec.marker and owner_marker else {}
            if spec.placed_by:
                placed.add((record.kind, record.key))
            changes.append(
                _change(
                    action=Action.CREATE,
                    reason=reason,
                    fields={**record.fields, **marked},
                    diff=_new_fields(record, new_fields),
                    origin=origin,
                    **common,
                )
            )
            continue
        if spec.sequences:
            current = named_only(record, current)
        diff = _field_diff(record, current, spec, same_target)
        moved_along = False
        if spec.placed_by:
            moved_along = not diff
            diff = _placed_again(record, current, spec.placed_by, diff, placed)
            moved_along = moved_along and bool(diff)
        renamed = any(d.field in spec.key_fields for d in diff)
        # What an update can write: not a new name where the API cannot rename.
        updatable = Op.UPDATE in spec.operations and (not renamed or Op.RENAME in spec.operations)
        if adopted and claimed_by is not None and spec.operations and not take_over:
            changes.append(
                _change(
                    action=Action.OWNED,
                    reason=(
                        f"managed by another blueprint's lock file {claimed_by}; left alone "
                        "(--take-over adopts it)"
                    ),
                    target_id=current.target_id,
                    diff=diff,
                    owner=str(claimed_by),
                    **common,
                )
            )
            continue
        if adopted and foreign is not None and spec.operations and not take_over:
            changes.append(
                _change(
                    action=Action.OWNED,
                    reason=f"owned by {foreign} ({marked_on}); left alone (--take-over adopts it)",
                    target_id=current.target_id,
                    diff=diff,
                    owner=foreign,
                    **common,
                )
            )
            continue
        if adopted:
            if spec.operations and (not diff or updatable):
                marked_by = foreign_marker(current, spec, owner_marker, through_lock=False)
                writable = spec.marker_updatable and Op.UPDATE in spec.operations
                if marked_by is not None and owner_marker and writable:
                    # taken over: the tool's marker names this blueprint from now on
                    mark = _field_change(field=spec.marker, before=marked_by, after=owner_marker)
                    diff = (*diff, mark)
                if claimed_by is not None:
                    reason = (
                        f"managed by another blueprint's lock file {claimed_by}; taking it over"
                    )
                elif foreign is not None:
                    reason = f"owned by {foreign} ({marked_on}); taking it over"
                elif record.uid in resumed_uids:
                    reason = RESUMED_REASON
                elif current.key != record.key:
                    reason = ADOPTED_IN_ANOTHER_CASE
                else:
                    reason = ADOPTED_REASON
                changes.append(
                    _change(
                        action=Action.ADOPT,
                        reason=reason,
                        target_id=current.target_id,
                        fields={d.field: d.after for d in diff},
                        diff=diff,
                        owner=str(claimed_by) if claimed_by is not None else foreign,
                        **common,
                    )
                )
                continue
            if not spec.operations:
                continue  # read-only kind: present is all a manual step needs
        drift = through_lock and entry is not None and entry.applied == applied
        if not diff:
            if through_lock and record.uid and entry is not None and entry.applied != applied:
                in_line[record.uid] = applied
            continue
        origin = Origin.DRIFT if drift else Origin.BLUEPRINT
        if not updatable:
            verb = "update" if Op.UPDATE not in spec.operations else "rename"
            cannot = f"the API cannot {verb} {spec.label} records"
            if adopted:
                cannot += f"; {UNMANAGED}"
            changes.append(
                _change(
                    action=Action.MANUAL,
                    reason=f"changed in the tool since the last apply; {cannot}"
                    if drift
                    else cannot,
                    instructions=spec.manual_hint,
                    target_id=current.target_id,
                    diff=diff,
                    origin=origin,
                    **common,
                )
            )
            continue
        if drift:
            reason = "changed in the tool since the last apply; the blueprint's values go back"
        else:
            reason = (
                "renamed in the blueprint"
                if renamed
                else PLACED_AGAIN
                if moved_along
                else "fields differ"
            )
        if entry is not None and entry.adopted:
            reason += f"; {NOT_OURS}"
        changes.append(
            _change(
                action=Action.UPDATE,
                reason=reason,
                target_id=current.target_id,
                fields={d.field: d.after for d in diff},
                diff=diff,
                origin=origin,
                **common,
            )
        )

    orphans = [
        r
        for r in live_list
        if (r.kind, r.target_id) in managed and (r.kind, r.target_id) not in matched
    ]
    deletes = []
    for record in orphans if prune else []:
        owner = kinds.get(record.kind)
        if owner is None:
            continue
        action = Action.DELETE if Op.DELETE in owner.operations else Action.MANUAL
        uid = managed[(record.kind, record.target_id or "")]
        reason = "managed, no longer in the blueprint"
        if lock.entries[uid].adopted:
            reason += f"; {NOT_OURS}"
        deletes.append(
            _change(
                action=action,
                kind=record.kind,
                key=record.key,
                uid=uid,
                target_id=record.target_id,
                reason=reason,
                instructions="" if action == Action.DELETE else owner.manual_hint,
                diff=tuple(
                    _field_change(field=k, before=v, after=None)
                    for k, v in sorted(record.fields.items())
                ),
                level=levels.kinds[record.kind],
            )
        )
    if orphans and not prune:
        notes.append(
            f"{len(orphans)} managed record(s) are no longer in the blueprint and are left in "
            "place; run with --prune to delete them"
        )
    wanted = (
        {address(r.kind, r.key) for r in desired_list}
        | {address(e.kind, e.key) for e in lock.entries.values()}
        if sharing
        else set()
    )
    duplicates = []
    for at, ids in sorted(sharing.items()):
        kind, key = at[0], by_key[at].key
        if at in wanted or any((kind, i) in managed for i in ids):
            # The id this plan matches comes first: the lock's, else the smallest (as by_key).
            ids.sort(key=lambda i: (kind, i) not in managed)
            duplicates.append(Duplicate(kind=kind, key=key, target_ids=tuple(ids)))
        else:
            notes.append(
                f"{len(ids)} {kind} records share the key {'/'.join(key)}; only {ids[0]} is "
                "matched, remove the others by hand"
            )
    for path, addresses in sorted(shared.items()):
        notes.append(
            f"{len(addresses)} record(s) this lock file manages are also in {path} (first: "
            f"{addresses[0]}): two blueprints write them; remove them from one of the blueprints"
        )
    deletes.sort(key=lambda c: (-c.level, c.kind, c.key))
    return DiffResult(tuple(changes + deletes), tuple(notes), tuple(duplicates), in_line)


@dataclass(frozen=True)
class GuardViolation:
    """A kind whose share of deleted or rewritten records exceeds the limit."""

    kind: str
    changed: int
    existing: int

    def __str__(self) -> str:
        share = self.changed / self.existing
        return (
            f"{self.kind}: {self.changed} of {self.existing} existing records would be deleted "
            f"or rewritten ({share:.0%})"
        )


def mass_change_violations(
    changes: Iterable[Change], live: Iterable[Record], limit: float, minimum: int = 5
) -> list[GuardViolation]:
    """Kinds where deletes plus updates exceed ``limit`` (a share, 0–1) of the live records.

    Kinds with fewer than ``minimum`` live records are not guarded: a share of a handful of
    records says little.
    """
    existing = Counter(r.kind for r in live)
    touched: dict[str, int] = defaultdict(int)
    for change in changes:
        if change.action == Action.DELETE or change.rewrites:
            touched[change.kind] += 1
    return [
        GuardViolation(kind, count, existing[kind])
        for kind, count in sorted(touched.items())
        if existing[kind] >= minimum and count / existing[kind] > limit
    ]


__all__ = [
    "DiffResult",
    "GuardViolation",
    "applied_fingerprint",
    "compute_changes",
    "mass_change_violations",
]
