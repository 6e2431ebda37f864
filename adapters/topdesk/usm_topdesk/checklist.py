"""The checklist artifact: everything TOPdesk's API cannot write, as a page to work through.

One HTML page and one Markdown file, grouped by the settings screen each item is done on, with
the exact values and details to enter. Every item carries its tick state from the plan it is
rendered with: *done* when the plan read it back as the blueprint wants it, *to do* when the
plan lists it as a manual step (missing, or with the values that differ), *check by hand* for
what TOPdesk's API cannot read at all. Pure: rendered from the blueprint and the plan's changes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import jinja2
from pydantic import JsonValue

from usm_config.blueprint.model import Blueprint
from usm_config.engine.plan import Action, Change
from usm_config.engine.records import Op, ref_target
from usm_config.render.jinja import template_environment
from usm_topdesk.kinds import KINDS, SCREENS, UNREADABLE
from usm_topdesk.mapping import build

INTRO = (
    "TOPdesk's REST API cannot write these settings. Enter them in TOPdesk exactly as listed, "
    "screen by screen, then run plan again: it reads what TOPdesk lets it read and ticks off "
    "every item it finds as listed."
)


class State(StrEnum):
    """Where a checklist item stands, as the plan it was rendered with saw it."""

    DONE = "done"
    TODO = "to do"
    BY_HAND = "check by hand"


@dataclass(frozen=True)
class Item:
    """One checklist item: what to enter on its screen, and its state."""

    label: str
    name: str
    state: State
    values: tuple[tuple[str, str], ...]
    details: tuple[tuple[str, str], ...]
    reason: str

    @property
    def done(self) -> bool:
        """True when the last plan found the item done."""
        return self.state == State.DONE


@dataclass(frozen=True)
class Screen:
    """The items of one settings screen, and how many are done."""

    path: str
    items: tuple[Item, ...]

    @property
    def done(self) -> int:
        """How many items of the screen are done."""
        return sum(item.done for item in self.items)


def _shown(value: JsonValue) -> str:
    target = ref_target(value)
    if target is not None:
        return " / ".join(target[1])
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(_shown(v) for v in value)
    return "" if value is None else str(value)


def screens(bp: Blueprint, changes: Sequence[Change]) -> list[Screen]:
    """The checklist of ``bp`` with the tick states of a plan's ``changes``."""
    out = build(bp)
    manual = {(c.kind, c.key): c for c in changes if c.action == Action.MANUAL}
    grouped: dict[str, list[Item]] = {}
    for record, _ in out.sink.items:
        spec = KINDS[record.kind]
        change = manual.pop((record.kind, record.key), None)
        if Op.CREATE in spec.operations and change is None:
            continue  # written through the API
        if record.kind in UNREADABLE:
            state = State.BY_HAND
        else:
            state = State.TODO if change is not None else State.DONE
        reason = change.reason if change is not None else ""
        if change is not None and change.diff and state == State.TODO:
            reason += ": " + "; ".join(
                f"{d.field} is {_shown(d.before)!r}, should be {_shown(d.after)!r}"
                for d in change.diff
                if d.before is not None
            )
        values = tuple(
            (name, _shown(value))
            for name, value in record.fields.items()
            if name not in spec.key_fields
        )
        grouped.setdefault(SCREENS[record.kind], []).append(
            Item(
                label=spec.label,
                name=" / ".join(record.key),
                state=state,
                values=values,
                details=tuple(out.details.get((record.kind, record.key), ())),
                reason=reason.rstrip(": "),
            )
        )
    for change in manual.values():  # manual steps of records the blueprint no longer holds
        spec = KINDS[change.kind]
        grouped.setdefault(SCREENS.get(change.kind, spec.label), []).append(
            Item(spec.label, " / ".join(change.key), State.TODO, (), (), change.reason)
        )
    order = list(dict.fromkeys(SCREENS.values()))
    return [
        Screen(path, tuple(grouped[path]))
        for path in sorted(grouped, key=lambda p: order.index(p) if p in order else len(order))
    ]


@functools.cache
def _environment() -> jinja2.Environment:
    filters = {"cell": lambda value: " ".join(str(value).split()).replace("|", "\\|")}
    return template_environment(
        "usm_topdesk", autoescape=jinja2.select_autoescape(["html.j2"]), filters=filters
    )


def render_checklist(bp: Blueprint, changes: Sequence[Change]) -> tuple[str, str]:
    """The checklist as an HTML page and as Markdown."""
    found = screens(bp, changes)
    context = {
        "title": f"TOPdesk checklist: {bp.organisation.name}",
        "intro": INTRO,
        "screens": found,
        "total": sum(len(s.items) for s in found),
        "done": sum(s.done for s in found),
    }
    env = _environment()
    return (
        env.get_template("checklist.html.j2").render(**context),
        env.get_template("checklist.md.j2").render(**context),
    )
