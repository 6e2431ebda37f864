"""The plan: ordered changes with reasons, and what it was computed from.

A plan is data. It is computed once by :func:`usm_config.engine.diff.compute_changes`, rendered
by :mod:`usm_config.render.plan`, saved with ``plan --out``, and executed as it is by
:mod:`usm_config.engine.apply`. Its fingerprints let a saved plan refuse to apply when the
blueprint, the target or the live records it was computed from have changed since, and its
``plan_fingerprint`` (over everything else in the plan) when the saved file itself was edited.

Each change says where its difference comes from (:class:`Origin`): the blueprint (someone
edited the YAML) or drift (someone edited the record in the tool since the last apply, which
the lock file's fingerprint of what was applied tells apart). Records another blueprint's lock
file manages, or the tool marks as another owner's, are never written without ``--take-over``;
the plan lists them as :attr:`Action.OWNED` with the owner's lock file or marker.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from usm_config.blueprint.validation_errors import translate_errors
from usm_config.diagnostics import Diagnostic, DiagnosticError, Severity, display_path
from usm_config.engine.records import streamed_fingerprint
from usm_config.file_kinds import FileKind, kind_of_document
from usm_config.jsonsource import json_index, load_json, located, read_text

#: 2: changes carry ``origin``, ``applied`` and ``owner``.
PLAN_FORMAT = 2
#: What to do about a saved plan that cannot be applied.
PLAN_FIX = "make the plan again with 'usm-config plan --out FILE' and apply that"


_P = ParamSpec("_P")
_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__


def trusted(model: Callable[_P, _M]) -> Callable[_P, _M]:
    """``model``'s constructor (the same signature, for type checkers), for values the engine
    made itself: nothing is validated again.

    A plan holds tens of thousands of changes and hundreds of thousands of field changes, whose
    values are already of their declared types (a :class:`~usm_config.engine.records.Record`
    holds JSON values); validating each again (pydantic checks every ``JsonValue`` through a
    Python callable) was most of the CPU of a plan. Defaults are filled in as the constructor
    does; an unknown or missing field is a :class:`TypeError`. Anything read from a file is
    validated (:func:`read_plan`).
    """
    cls = cast(type[BaseModel], model)
    fields = cls.model_fields
    required = frozenset(name for name, info in fields.items() if info.is_required())
    made = [(name, info) for name, info in fields.items() if info.default_factory is not None]
    # Every field in the order the model declares them, as the constructor orders __dict__.
    template = {name: None if name in required else info.default for name, info in fields.items()}
    # Every field counts as set: the engine chose each value, defaults included. One set for
    # all: a set per instance is an object the cyclic garbage collector tracks, hundreds of
    # thousands of them per plan. pydantic copies it before changing it (model_copy).
    every_field = set(fields)

    def make(*args: _P.args, **values: _P.kwargs) -> _M:
        data = {**template, **values}
        if args or len(data) != len(template) or not values.keys() >= required:
            wrong = sorted({*values.keys() - template.keys(), *required - values.keys()})
            raise TypeError(f"{cls.__name__}: keyword arguments only; wrong or missing: {wrong}")
        for name, info in made:
            if name not in values:
                data[name] = info.get_default(call_default_factory=True, validated_data=data)
        instance = cls.__new__(cls)
        # What BaseModel.model_construct sets, without its per-field alias lookups.
        _set(instance, "__dict__", data)
        _set(instance, "__pydantic_fields_set__", every_field)
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return cast(_M, instance)

    return make


class Action(StrEnum):
    """What a change does to the target."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ADOPT = "adopt"
    MANUAL = "manual"
    OWNED = "owned"

    @property
    def is_step(self) -> bool:
        """True for what apply carries out: not manual steps, not records of other blueprints."""
        return self not in (Action.MANUAL, Action.OWNED)


class Origin(StrEnum):
    """Where a change's difference comes from."""

    BLUEPRINT = "blueprint"
    DRIFT = "drift"


class FieldChange(BaseModel):
    """One field's value before and after."""

    model_config = ConfigDict(frozen=True)

    field: str
    before: JsonValue = None
    after: JsonValue = None


class Change(BaseModel):
    """One step of a plan.

    ``origin`` is :attr:`Origin.DRIFT` when the blueprint is what was last applied to the
    record and the tool changed it since (or a managed record is gone from the tool).
    ``applied`` is the fingerprint of the desired record's fields: apply stores it in the lock
    file, where the next plan compares against it. ``owner`` is the lock file of the blueprint
    that manages the record, or the owner marker the tool holds on it
    (:mod:`usm_config.engine.ownership`): for :attr:`Action.OWNED`, and for an adoption that
    takes it over.
    """

    model_config = ConfigDict(frozen=True)

    action: Action
    kind: str
    key: tuple[str, ...]
    reason: str
    uid: str | None = None
    target_id: str | None = None
    fields: dict[str, JsonValue] = Field(default_factory=dict)
    diff: tuple[FieldChange, ...] = ()
    source: str | None = None
    level: int = 0
    instructions: str = ""
    origin: Origin = Origin.BLUEPRINT
    applied: str | None = None
    owner: str | None = None

    def json_data(self) -> dict[str, Any]:
        """``model_dump(mode="json")``, made by hand (see :meth:`Plan.json_data`)."""
        return {
            "action": self.action.value,
            "kind": self.kind,
            "key": list(self.key),
            "reason": self.reason,
            "uid": self.uid,
            "target_id": self.target_id,
            "fields": self.fields,
            "diff": [{"field": d.field, "before": d.before, "after": d.after} for d in self.diff],
            "source": self.source,
            "level": self.level,
            "instructions": self.instructions,
            "origin": self.origin.value,
            "applied": self.applied,
            "owner": self.owner,
        }

    @property
    def address(self) -> str:
        """``kind[key]`` as shown to people."""
        return f"{self.kind}[{'/'.join(self.key)}]"

    @property
    def writes(self) -> bool:
        """True when applying the change sends a request."""
        return self.action in (Action.CREATE, Action.UPDATE, Action.DELETE) or (
            self.action == Action.ADOPT and bool(self.diff)
        )

    @property
    def rewrites(self) -> bool:
        """True when applying the change rewrites fields of an existing record: an update, or
        an adoption that changes fields (counted as an update)."""
        return self.action == Action.UPDATE or (self.action == Action.ADOPT and bool(self.diff))

    @property
    def is_drift(self) -> bool:
        """True when the difference comes from the tool, not from the blueprint."""
        return self.origin == Origin.DRIFT


class Duplicate(BaseModel):
    """Several live records of a kind the plan manages that share one natural key.

    Two applies at once (from two machines, which one apply lock cannot see) create each new
    record twice. ``target_ids[0]`` is the one the plan matches (the lock file's, else the
    smallest id); the others need removing by hand.
    """

    model_config = ConfigDict(frozen=True)

    kind: str
    key: tuple[str, ...]
    target_ids: tuple[str, ...]

    def json_data(self) -> dict[str, Any]:
        """``model_dump(mode="json")``, made by hand (see :meth:`Plan.json_data`)."""
        return {"kind": self.kind, "key": list(self.key), "target_ids": list(self.target_ids)}

    @property
    def address(self) -> str:
        """``kind[key]`` as shown to people."""
        return f"{self.kind}[{'/'.join(self.key)}]"


class Plan(BaseModel):
    """A complete, saveable plan for one blueprint and one target."""

    model_config = ConfigDict(frozen=True)

    format_version: int = PLAN_FORMAT
    tool_version: str
    target: str
    adapter: str
    blueprint: str
    #: The target's overlays laid over ``blueprint``, in order (``overlays`` in targets.yaml).
    overlays: tuple[str, ...] = ()
    blueprint_fingerprint: str
    target_fingerprint: str
    live_fingerprint: str
    changes: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    drift_only: bool = False
    plan_fingerprint: str = ""

    def json_data(self) -> dict[str, Any]:
        """The plan as plain JSON data: what ``model_dump(mode="json")`` returns, in the same
        order, made by hand. pydantic's serializer checks every ``JsonValue`` through a Python
        callable, seconds of CPU for a plan of 50,000 changes; the values here are JSON values
        already (lists, not tuples), and are shared with the plan: do not change them.
        """
        return {
            "format_version": self.format_version,
            "tool_version": self.tool_version,
            "target": self.target,
            "adapter": self.adapter,
            "blueprint": self.blueprint,
            "overlays": list(self.overlays),
            "blueprint_fingerprint": self.blueprint_fingerprint,
            "target_fingerprint": self.target_fingerprint,
            "live_fingerprint": self.live_fingerprint,
            "changes": [change.json_data() for change in self.changes],
            "notes": list(self.notes),
            "duplicates": [duplicate.json_data() for duplicate in self.duplicates],
            "drift_only": self.drift_only,
            "plan_fingerprint": self.plan_fingerprint,
        }

    def content_fingerprint(self) -> str:
        """SHA-256 over everything in the plan but ``plan_fingerprint``: the changes, the
        format version, the adapter, the target and the other fingerprints."""
        data = self.json_data()
        del data["plan_fingerprint"]
        return streamed_fingerprint(data)

    def sealed(self) -> Plan:
        """This plan with ``plan_fingerprint`` set, as it is saved."""
        return self.model_copy(update={"plan_fingerprint": self.content_fingerprint()})

    @property
    def intact(self) -> bool:
        """True when ``plan_fingerprint`` still matches the plan's content."""
        return bool(self.plan_fingerprint) and self.plan_fingerprint == self.content_fingerprint()

    def counts(self) -> Counter[Action]:
        """Number of changes per action."""
        return Counter(change.action for change in self.changes)

    @property
    def has_changes(self) -> bool:
        """True when applying would write something, a manual step is pending, a record another
        blueprint owns differs from this blueprint, or live records share a key
        (:class:`Duplicate`): all of them are something someone has to act on."""
        return bool(self.duplicates) or any(
            c.action != Action.OWNED or c.diff for c in self.changes
        )

    @property
    def drift(self) -> tuple[Change, ...]:
        """The changes that come from the tool rather than from the blueprint."""
        return tuple(c for c in self.changes if c.is_drift)

    @property
    def has_drift(self) -> bool:
        """True when the tool changed since the last apply: drift changes or duplicates."""
        return bool(self.drift or self.duplicates)

    def only_drift(self) -> Plan:
        """This plan with only its drift (changes from the tool, and duplicates), sealed."""
        update = {"changes": self.drift, "notes": (), "drift_only": True}
        return self.model_copy(update=update).sealed()

    def summary(self) -> str:
        """Terraform-like summary line. An adoption that changes fields counts as an update
        too, since it rewrites a record that exists."""
        c = self.counts()
        adoptions_with_updates = sum(
            1 for change in self.changes if change.action == Action.ADOPT and change.rewrites
        )
        updates = c[Action.UPDATE] + adoptions_with_updates
        text = (
            f"{c[Action.CREATE]} to create, {updates} to update, "
            f"{c[Action.DELETE]} to delete, {c[Action.MANUAL]} manual"
        )
        if c[Action.ADOPT]:
            text += f", {c[Action.ADOPT]} to adopt"
            if adoptions_with_updates:
                text += f" ({adoptions_with_updates} of them updated)"
        if c[Action.OWNED]:
            text += f", {c[Action.OWNED]} owned by another blueprint"
        if self.duplicates:
            text += f", {len(self.duplicates)} duplicated"
        drift = len(self.drift) + len(self.duplicates)
        if drift:
            text += f"; {drift} of them drift"
        return text


#: How to use each other kind of file given where a saved plan goes.
_USE_INSTEAD = {
    FileKind.BLUEPRINT: "give the blueprint as the command's PATH argument; --plan takes the "
    "file 'plan --out' wrote",
    FileKind.TARGETS: "give the targets file with --targets FILE; --plan takes the file "
    "'plan --out' wrote",
    FileKind.LOCK: "--plan takes the file 'plan --out' wrote; usm-config finds the lock file "
    "through the target's 'lock_dir'",
}


def read_plan(path: Path) -> tuple[Plan, str]:
    """Read a saved plan (``plan --out``); return it and its text, for locating problems.

    Raises :class:`~usm_config.diagnostics.DiagnosticError`, located in the file, when it is
    not a saved plan of this format. What fits the target is :func:`usm_config.runner.
    check_saved_plan`'s to say.
    """
    text = read_text(path, "saved plan", PLAN_FIX)
    data = load_json(path, text, "saved plan", PLAN_FIX)
    kind = kind_of_document(data) if isinstance(data, dict) else None
    if kind is not None and kind is not FileKind.SAVED_PLAN:
        raise located(
            path, text, (), "PLAN006", f"this is {kind}, not a saved plan", _USE_INSTEAD[kind]
        )
    if isinstance(data, dict) and data.get("format_version", PLAN_FORMAT) != PLAN_FORMAT:
        raise located(
            path,
            text,
            ("format_version",),
            "PLAN002",
            f"the plan is in format version {json.dumps(data['format_version'])}; this "
            f"usm-config applies format version {PLAN_FORMAT} only",
            PLAN_FIX,
        )
    try:
        return Plan.model_validate(data), text
    except ValidationError as exc:
        index = json_index(text, display_path(path))
        raise DiagnosticError(
            [
                Diagnostic(
                    Severity.ERROR,
                    "PLAN001",
                    f"not what a saved plan holds: {d.message}",
                    d.location,
                    d.path,
                    PLAN_FIX,
                )
                for d in translate_errors(exc, index, Plan)[:5]
            ]
        ) from None
