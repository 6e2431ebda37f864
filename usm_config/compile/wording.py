"""The words an adapter shows around USM's names, in the blueprint's locale.

Every adapter keeps its own table of labels, ``key → (English, Dutch)``; :class:`Wording`
looks them up in the blueprint's locale (or another one, for a translation). The small text
helpers every adapter's mapping uses live here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from usm_config.blueprint.model import Blueprint, Locale, Service


def locale(bp: Blueprint) -> Locale:
    """The blueprint's locale."""
    return bp.organisation.locale


def text_in(lang: str, text: str, text_nl: str | None) -> str:
    """``text_nl`` in Dutch when there is one, else ``text``: a name or description of the
    USM library in ``lang``."""
    return text_nl if lang == "nl" and text_nl else text


def text_key(text: str, lang: str) -> str:
    """The key ``text`` (``name``, ``description``) in ``lang`` is written under:
    ``name_nl`` in Dutch."""
    return f"{text}_nl" if lang == "nl" else text


def localised(bp: Blueprint, name: str, name_nl: str | None, lang: Locale | None = None) -> str:
    """``name_nl`` in Dutch (``lang``, default the blueprint's locale) when there is one, else
    ``name``."""
    return text_in(lang or locale(bp), name, name_nl)


class Named(Protocol):
    """An element of the USM library with a name in English and, maybe, in Dutch."""

    @property
    def name(self) -> str: ...

    @property
    def name_nl(self) -> str | None: ...


def name_in(lang: str, element: Named) -> str:
    """``element``'s name in ``lang``: its ``name_nl`` in Dutch when it has one (see
    :func:`text_in`)."""
    return text_in(lang, element.name, element.name_nl)


def named(bp: Blueprint, element: Named, lang: Locale | None = None) -> str:
    """``element``'s name in ``lang`` (default the blueprint's locale)."""
    return name_in(lang or locale(bp), element)


class Described(Protocol):
    """An element of the USM library with a description in English and, maybe, in Dutch."""

    @property
    def description(self) -> str | None: ...

    @property
    def description_nl(self) -> str | None: ...


def description_in(lang: str, element: Described | None) -> str:
    """``element``'s description in ``lang``: its ``description_nl`` in Dutch when it has one
    (see :func:`text_in`); empty when it has none."""
    if element is None:
        return ""
    return text_in(lang, element.description or "", element.description_nl)


def described(bp: Blueprint, element: Described | None) -> str:
    """``element``'s description in the blueprint's locale (see :func:`description_in`)."""
    return description_in(locale(bp), element)


def sentence(text: str | None) -> str:
    """``text`` with a full stop at the end (empty stays empty)."""
    text = (text or "").strip()
    if not text:
        return ""
    return text if text[-1] in ".!?" else text + "."


def join_words(*parts: str) -> str:
    """Non-empty parts joined by a space."""
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Wording:
    """An adapter's labels, ``key → (English, Dutch)``, with ``{placeholders}``."""

    words: Mapping[str, tuple[str, str]]

    def word(self, bp: Blueprint, key: str, lang: Locale | None = None, **values: object) -> str:
        """The label ``key`` in ``lang`` (default: the blueprint's locale), ``values`` filled
        in."""
        return self.phrase(key, lang or locale(bp)).format(**values)

    def phrase(self, key: str, lang: str) -> str:
        """The label ``key`` in ``lang``, its ``{placeholders}`` left in (an export matches a
        tool's text against it)."""
        en, nl = self.words[key]
        return nl if lang == "nl" else en


#: The sentences a service's facility becomes in a tool's description (``{items}``: names).
FACILITY = Wording(
    {
        "goods": ("Goods: {items}.", "Middelen: {items}."),
        "actions": ("Actions: {items}.", "Handelingen: {items}."),
    }
)


def service_description(bp: Blueprint, service: Service) -> str:
    """``service``'s description, then its facility as sentences ("Goods: …. Actions: ….") in
    the blueprint's locale: how a tool's one description field carries both (read back by
    :func:`usm_config.export.text.facility`)."""
    parts = {"goods": service.facility.goods, "actions": service.facility.actions}
    return join_words(
        sentence(service.description),
        *(
            FACILITY.word(bp, part, items=", ".join(names))
            for part, names in parts.items()
            if names
        ),
    )
