"""Plan formats: coloured text for terminals, a summary per kind for logs, JSON for machines,
Markdown for pull requests.

Drift (a change that comes from the tool, not from the blueprint) is marked ``[drift]`` in text
and Markdown and counted in the summary line. A long text field (several lines, or longer than
:data:`LONG_TEXT`) that changes is shown as a unified line diff instead of two cut values.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from typing import TYPE_CHECKING, Any

import click

from usm_config.engine.plan import Action, Change, Plan
from usm_config.engine.records import ref_target

if TYPE_CHECKING:
    from jinja2 import Environment

SYMBOLS = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.DELETE: ("-", "red"),
    Action.ADOPT: ("=", "cyan"),
    Action.MANUAL: ("!", "magenta"),
    Action.OWNED: ("#", "blue"),
}
VALUE_WIDTH = 72
#: A string longer than this (or with a line break) that changes is shown as a line diff.
LONG_TEXT = 80
#: Unchanged lines shown around each changed part of a long text.
DIFF_CONTEXT = 2
NO_CHANGES = "No changes. The target matches the blueprint."
NO_CHANGES_BUT_DUPLICATES = "No changes to apply, but the target holds duplicates (see below)."
NO_DRIFT = "No drift. The target's managed records hold what was last applied."


def short(value: Any) -> str:
    """A value as one readable line, cut to a sensible width; references by their key."""
    target = ref_target(value)
    if target is not None:
        return f"→ {target[0]}[{'/'.join(target[1])}]"
    if isinstance(value, list) and value and all(ref_target(item) for item in value):
        text = ", ".join(short(item) for item in value)
        return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    text = text.replace("\\n", " ")
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def _references(value: Any) -> list[str] | None:
    """A list of references as one ``kind[key]`` line each (an empty list as none); ``None``
    for anything else."""
    if not isinstance(value, list):
        return None
    targets = [ref_target(item) for item in value]
    if any(target is None for target in targets):
        return None
    return [f"{kind}[{'/'.join(key)}]" for kind, key in filter(None, targets)]


def text_diff(before: Any, after: Any) -> list[str] | None:
    """A unified line diff of two values when either is a long text, or both are lists of
    references too long for one line (an order of options: one reference a line), as hunk
    headers and ``-``, ``+``, `` `` lines without file headers; ``None`` for anything else."""
    listed = [_references(before), _references(after)]
    if listed[0] is not None and listed[1] is not None:
        if max(len(short(before)), len(short(after))) < VALUE_WIDTH:
            return None
        old, new = listed[0], listed[1]
    else:
        texts = [value for value in (before, after) if isinstance(value, str)]
        if not texts or any(not isinstance(v, str | None) for v in (before, after)):
            return None
        if not any("\n" in text or len(text) > LONG_TEXT for text in texts):
            return None
        old = (before or "").splitlines()
        new = (after or "").splitlines()
    return list(difflib.unified_diff(old, new, lineterm="", n=DIFF_CONTEXT))[2:]


def _tag(change: Change) -> str:
    return " [drift]" if change.is_drift else ""


def _change_lines(change: Change, colour: bool) -> list[str]:
    symbol, fg = SYMBOLS[change.action]
    head = f"  {symbol} {change.address}  {change.action}{_tag(change)}: {change.reason}"
    lines = [click.style(head, fg=fg) if colour else head]
    if change.action == Action.MANUAL and change.instructions:
        lines.append(f"      to do: {change.instructions}")
    for item in change.diff:
        if change.action in (Action.CREATE, Action.MANUAL) and item.before is None:
            lines.append(f"      {item.field} = {short(item.after)}")
        elif change.action == Action.DELETE:
            continue
        elif (diff := text_diff(item.before, item.after)) is not None:
            lines.append(f"      {item.field}:")
            lines.extend(_diff_line(line, colour) for line in diff)
        else:
            lines.append(f"      {item.field}: {short(item.before)} → {short(item.after)}")
    return lines


def _diff_line(line: str, colour: bool) -> str:
    text = f"        {line}"
    if not colour or line[:1] not in "-+":
        return text
    return click.style(text, fg="red" if line.startswith("-") else "green")


def _duplicate_lines(plan: Plan, colour: bool) -> list[str]:
    """The duplicates block: shown in text and summary, above the summary line."""
    if not plan.duplicates:
        return []
    head = (
        f"  DUPLICATES: {len(plan.duplicates)} key(s) are shared by several live records "
        "(another apply ran at the same time, e.g. from another machine); keep the first id, "
        "the one this plan matches, and remove the others by hand:"
    )
    lines = ["", click.style(head, fg="red", bold=True) if colour else head]
    for duplicate in plan.duplicates:
        ids = ", ".join(duplicate.target_ids)
        text = f"    !! {duplicate.address}: {len(duplicate.target_ids)} records ({ids})"
        lines.append(click.style(text, fg="red") if colour else text)
    return lines


def _what(plan: Plan) -> str:
    return "Drift" if plan.drift_only else "Plan"


def _heading(plan: Plan) -> list[str]:
    """The first line (target, adapter, blueprint and the overlays laid over it), and what
    an empty plan means."""
    overlays = f" with overlay(s) {', '.join(plan.overlays)}" if plan.overlays else ""
    first = f"{_what(plan)} for target '{plan.target}' ({plan.adapter}) from {plan.blueprint}"
    lines = [first + overlays, ""]
    if not plan.changes and plan.drift_only:
        lines.append(NO_DRIFT if not plan.duplicates else NO_CHANGES_BUT_DUPLICATES)
    elif not plan.changes:
        lines.append(NO_CHANGES if not plan.duplicates else NO_CHANGES_BUT_DUPLICATES)
    return lines


def render_text(plan: Plan, *, colour: bool = False) -> str:
    """The Terraform-like plan for people."""
    lines = _heading(plan)
    for change in plan.changes:
        lines.extend(_change_lines(change, colour))
    for note in plan.notes:
        lines.append(f"  note: {note}")
    lines += _duplicate_lines(plan, colour)
    lines += ["", f"{_what(plan)}: {plan.summary()}."]
    return "\n".join(lines) + "\n"


#: Up to this many manual steps the summary names each one; beyond it, one line per kind.
MANUAL_LINES = 20
#: The width the grouped manual steps are cut to.
LINE_WIDTH = 100


def _manual_lines(manual: list[Change]) -> list[str]:
    """One line per manual step, or, for a long checklist (TOPdesk's), one per kind with its
    count and the first names."""
    if len(manual) <= MANUAL_LINES:
        return [f"    ! {change.address}" for change in manual]
    by_kind: dict[str, list[str]] = {}
    for change in manual:
        by_kind.setdefault(change.kind, []).append("/".join(change.key))
    width = max(len(kind) for kind in by_kind)
    lines = []
    for kind, names in by_kind.items():
        head = f"    ! {kind.ljust(width)}  {len(names):>3}  "
        shown = ", ".join(names)
        if len(head) + len(shown) > LINE_WIDTH:
            shown = shown[: LINE_WIDTH - len(head) - 2].rsplit(", ", 1)[0] + ", …"
        lines.append(head + shown)
    return lines


#: How many changes the summary names before it counts the rest.
FIRST_CHANGES = 5


def render_summary(plan: Plan, *, colour: bool = False) -> str:
    """One line per kind with its changes counted by action, the first few changes, then the
    manual steps by name: the plan of a whole blueprint on one screen (for logs and demos)."""
    lines = _heading(plan)
    counts: dict[str, dict[Action, int]] = {}
    for change in plan.changes:
        per_kind = counts.setdefault(change.kind, {})
        per_kind[change.action] = per_kind.get(change.action, 0) + 1
    width = max((len(kind) for kind in counts), default=0)
    for kind, per_action in counts.items():
        parts = [f"{SYMBOLS[a][0]}{n}" for a, n in sorted(per_action.items())]
        lines.append(f"  {kind.ljust(width)}  {' '.join(parts)}")
    steps = [c for c in plan.changes if c.action.is_step]
    if steps:
        lines += ["", "  first changes ('plan --output text' shows them all):"]
        for change in steps[:FIRST_CHANGES]:
            text = f"    {SYMBOLS[change.action][0]} {change.address}"
            lines.append(click.style(text, fg=SYMBOLS[change.action][1]) if colour else text)
        if len(steps) > FIRST_CHANGES:
            lines.append(f"    … and {len(steps) - FIRST_CHANGES} more")
    manual = [c for c in plan.changes if c.action == Action.MANUAL]
    if manual:
        lines += ["", "  manual steps ('plan --output text' shows what to do):"]
        for text in _manual_lines(manual):
            lines.append(click.style(text, fg=SYMBOLS[Action.MANUAL][1]) if colour else text)
    if plan.drift and not plan.drift_only:
        lines += ["", "  drift, changed in the tool since the last apply (see 'plan --drift'):"]
        for change in plan.drift:
            text = f"    {SYMBOLS[change.action][0]} {change.address}"
            lines.append(click.style(text, fg=SYMBOLS[change.action][1]) if colour else text)
    lines += _duplicate_lines(plan, colour)
    lines += ["", f"{_what(plan)}: {plan.summary()}."]
    return "\n".join(lines) + "\n"


def render_json(plan: Plan) -> str:
    """The versioned JSON form, also used for saved plans (``--out``)."""
    return plan.model_dump_json(indent=2) + "\n"


def _md_cell(value: Any) -> str:
    return short(value).replace("|", "\\|").replace("`", "'")


def _md_fence(lines: list[str]) -> str:
    """A fenced ``diff`` block holding ``lines``: the fence is longer than any run of
    backticks in them."""
    runs = [len(run) for line in lines for run in re.findall("`+", line)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return "\n".join([f"{fence}diff", *lines, fence])


@functools.cache
def _markdown_environment() -> Environment:
    """The templates of Markdown plans; jinja2 loads only for them."""
    from usm_config.render.jinja import template_environment  # noqa: PLC0415 (only when used)

    environment = template_environment(
        "usm_config.render",
        autoescape=False,
        sandboxed=True,
        filters={
            "cell": _md_cell,
            "code": lambda text: str(text).replace("`", "'").replace("|", "\\|"),
            "fence": _md_fence,
        },
    )
    environment.globals["text_diff"] = text_diff
    return environment


def render_markdown(plan: Plan) -> str:
    """A pull-request comment: summary table and collapsible details per action."""
    groups = {
        action: [c for c in plan.changes if c.action == action]
        for action in Action
        if any(c.action == action for c in plan.changes)
    }
    template = _markdown_environment().get_template("plan.md.j2")
    return template.render(plan=plan, groups=groups, symbols=SYMBOLS)
