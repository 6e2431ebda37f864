"""Reading a tool's texts back: blueprint ids from display names, and the sentences an adapter
wrote from a template ("Goods: {items}.") matched to get the values back. Pure."""

from __future__ import annotations

import re

_SLUG = re.compile(r"[^a-z0-9]+")
MAX_ID = 63


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
