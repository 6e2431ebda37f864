"""The plan: ordered changes with reasons, and what it was computed from.

A plan is data. It is computed once by :func:`usm_config.engine.diff.compute_changes`, rendered
by :mod:`usm_config.render.plan`, saved with ``plan --out``, and executed as it is by
:mod:`usm_config.engine.apply`. Its fingerprints let a saved plan refuse to apply when the
blueprint, the target or the live records it was computed from have changed since, and its
``plan_fingerprint`` (over everything else in the plan) when the saved file itself was edited.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from usm_config.engine.records import fingerprint

PLAN_FORMAT = 1


class Action(StrEnum):
    """What a change does to the target."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ADOPT = "adopt"
    MANUAL = "manual"


class FieldChange(BaseModel):
    """One field's value before and after."""

    model_config = ConfigDict(frozen=True)

    field: str
    before: JsonValue = None
    after: JsonValue = None


class Change(BaseModel):
    """One step of a plan."""

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
    plan_fingerprint: str = ""

    def content_fingerprint(self) -> str:
        """SHA-256 over everything in the plan but ``plan_fingerprint``: the changes, the
        format version, the adapter, the target and the other fingerprints."""
        return fingerprint(self.model_dump(mode="json", exclude={"plan_fingerprint"}))

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
        """True when applying would write something, a manual step is pending, or live records
        share a key (:class:`Duplicate`): all of them are drift someone has to act on."""
        return bool(self.changes or self.duplicates)

    def summary(self) -> str:
        """Terraform-like summary line."""
        c = self.counts()
        text = (
            f"{c[Action.CREATE]} to create, {c[Action.UPDATE]} to update, "
            f"{c[Action.DELETE]} to delete, {c[Action.MANUAL]} manual"
        )
        if c[Action.ADOPT]:
            text += f", {c[Action.ADOPT]} to adopt"
        if self.duplicates:
            text += f", {len(self.duplicates)} duplicated"
        return text
