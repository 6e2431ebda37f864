"""Reading a tool's texts back: blueprint ids from display names, and the sentences an adapter
wrote from a template ("Goods: {items}.") matched to get the values back. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from usm_config.compile.wording import FACILITY, Named

_SLUG = re.compile(r"[^a-z0-9]+")
MAX_ID = 63


@dataclass(frozen=True)
class ArticleStep:
    """A row of the steps table of a workflow article (rendered from
    :class:`usm_config.compile.article.StepRow`), as an adapter's reader gets it back:
    ``process`` as shown, its step ``number``, the step's name without the fork and resume
    notes, whether it is the fork, and the status it sets."""

    position: int
    process: str
    number: int
    name: str
    fork: bool
    status: str


def slug(name: str) -> str:
    """A blueprint id made from a display name: lower case, words joined by ``-``, at most
    63 characters (the longest id a blueprint takes)."""
    text = _SLUG.sub("-", name.lower()).strip("-")[:MAX_ID].strip("-")
    return text or "unnamed"


def template_pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching a wording template, one named group per placeholder:
    ``"{org} services"`` matches ``"Acme services"`` with ``org`` = ``"Acme"``."""
    parts = re.split(r"\{(\w+)\}", template)
    out = ""
    for i, part in enumerate(parts):
        out += re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
    return re.compile(f"^{out}$")


def strip_suffix(text: str, suffix: str) -> str:
    """``text`` without the sentence ``suffix`` an adapter appended (and the space before)."""
    text = text.strip()
    return text[: -len(suffix)].strip() if suffix and text.endswith(suffix) else text


def sentences(text: str) -> list[str]:
    """``text`` split after each full stop that a space follows."""
    return [s for s in re.split(r"(?<=\.) (?=\S)", text.strip()) if s]


def unique(ident: str, used: set[str]) -> str:
    """``ident``, or ``ident-2``, ``ident-3`` … when taken; the result is added to ``used``."""
    out, n = ident, 1
    while out in used:
        n += 1
        suffix = f"-{n}"
        out = ident[: MAX_ID - len(suffix)].strip("-") + suffix
    used.add(out)
    return out


def facility(description: str, locale: str) -> dict[str, Any]:
    """A service description an adapter wrote in ``locale`` with
    :func:`usm_config.compile.wording.service_description`, split back into ``description``
    and ``facility`` (``goods``, ``actions``)."""
    patterns = {
        part: template_pattern(FACILITY.phrase(part, locale).rstrip(".")) for part in FACILITY.words
    }
    out: dict[str, Any] = {}
    found: dict[str, list[str]] = {}
    rest = []
    for text in sentences(description):
        matched = next(
            ((part, m) for part, p in patterns.items() if (m := p.match(text.rstrip(".")))),
            None,
        )
        if matched is None:
            rest.append(text)
        else:
            found[matched[0]] = matched[1].group("items").split(", ")
    if rest:
        out["description"] = " ".join(rest)
    if found:
        out["facility"] = {part: found[part] for part in patterns if part in found}
    return out


def names_of(label: str, base: Named | None, locale: str) -> dict[str, str]:
    """``name`` and ``name_nl`` of a library element (a step, a category, a level) a tool
    shows as ``label`` in ``locale``: the label in its language, the reference element
    ``base`` it stands for (if any) in the other."""
    if locale == "nl":
        if base and not base.name_nl and label == base.name:
            return {"name": label}  # one name for both languages, as the reference has it
        return {"name": base.name if base else label, "name_nl": label}
    if base and base.name_nl:
        return {"name": label, "name_nl": base.name_nl}
    return {"name": label}
