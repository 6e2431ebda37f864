"""Compose YAML with libyaml (PyYAML's C parser): node graphs with marks, tags in YAML 1.2.

ruamel.yaml is pure Python and took most of the time of loading a large blueprint; libyaml
composes the same node graph (every node with the line and column it starts at) many times
faster. libyaml implements YAML 1.1, so its own tag resolution is replaced: plain scalars get
the tags YAML 1.2 gives them (:func:`usm_config.yaml12.resolve_plain`).

Only what libyaml reads exactly as ruamel.yaml does is composed here. :func:`compose` returns
None (and the caller uses ruamel.yaml, which also words every syntax error) when the C
extension is missing, when the text is malformed or nests deeper than the caller allows, or
when it holds what the two read differently: directives (``%YAML 1.1`` changes the rules),
document end markers ('...'), tabs (ruamel.yaml refuses some that libyaml takes), characters
that YAML 1.1 treats as line breaks and YAML 1.2 does not (NEL, LS, PS), a byte order mark
inside the text, the non-specific tag ``!`` (ruamel.yaml resolves it), an anchor or alias
name with other characters than letters, digits, '-' and '_' (YAML 1.2 allows more), a tag
before an anchor, or an empty value (the two place these nodes differently).
"""

from __future__ import annotations

import re
import string
from typing import Any

from usm_config.yaml12 import STR, resolve_plain

try:
    from yaml import CSafeLoader, YAMLError, events
    from yaml._yaml import CParser
    from yaml.nodes import ScalarNode, SequenceNode
except ImportError:  # PyYAML without its C extension, or no PyYAML at all
    AVAILABLE = False

    class YAMLError(Exception):  # type: ignore[no-redef]
        """Stands in for PyYAML's error class when PyYAML is not there."""

else:
    AVAILABLE = True

_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
#: Characters libyaml and ruamel.yaml read differently (see the module docs).
_NOT_FOR_LIBYAML = ("\t", "\x85", "\u2028", "\u2029", "\ufeff", "\n%", "\r%", "\n...", "\r...")
_TAG_BEFORE_ANCHOR = re.compile(r"!\S* +&")
#: What an anchor or alias name is made of for both readers (ASCII letters and digits, '_',
#: '-'), and what ends it for both (ASCII whitespace, a flow indicator, the end of the text).
_NAME = frozenset(string.ascii_letters + string.digits + "_-")
_NAME_END = frozenset(" \t\n\r\x0b\x0c,[]{}")


def _differs(text: str) -> bool:
    """Whether ``text`` holds something libyaml would not read as ruamel.yaml does."""
    if text.startswith(("%", "...")) or any(mark in text for mark in _NOT_FOR_LIBYAML):
        return True
    if "&" in text and _TAG_BEFORE_ANCHOR.search(text):
        return True
    return _odd_name(text, "&") or _odd_name(text, "*")


def _odd_name(text: str, mark: str) -> bool:
    """Whether a ``mark`` ('&' or '*') in ``text`` starts a name that another character ends:
    libyaml ends an anchor or alias name at ':' and other characters, YAML 1.2 does not.

    What ``[&*][\\w-]*[^\\w\\s,\\[\\]{}-]`` (ASCII) finds, looked up at each mark: tried at
    every character of a 3.5 MB blueprint, which holds a few dozen marks, that expression
    took about 35 ms of each load.
    """
    end = len(text)
    at = text.find(mark)
    while at >= 0:
        after = at + 1
        while after < end and text[after] in _NAME:
            after += 1
        if after < end and text[after] not in _NAME_END:
            return True
        at = text.find(mark, at + 1)
    return False


class _NotTheSame(Exception):
    """libyaml would not compose this as ruamel.yaml does."""


if AVAILABLE:

    class _Composer(CSafeLoader):
        """libyaml's composer with YAML 1.2 tags and a nesting limit.

        The C composer recurses on the C stack (a few ten thousand levels crash the
        process), so the depth is counted in the resolver hooks it calls for every node
        and composing stops once it passes the limit.
        """

        limit = 0
        depth = 0
        tags: dict[str, str]  # the tag of each plain scalar text met so far

        def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
            if kind is not ScalarNode:
                return _SEQ if kind is SequenceNode else _MAP
            if not implicit[0]:
                if implicit[1]:
                    return STR  # quoted
                raise _NotTheSame  # the non-specific tag '!', which ruamel.yaml resolves
            tag = self.tags.get(value)
            if tag is None:
                if not value:
                    raise _NotTheSame  # an empty value: ruamel.yaml places it elsewhere
                tag = self.tags[value] = resolve_plain(value)
            return tag

        def descend_resolver(self, parent: Any, index: Any) -> None:
            self.depth += 1
            if self.depth > self.limit:
                raise _NotTheSame

        def ascend_resolver(self) -> None:
            self.depth -= 1


def simple(text: str) -> bool:
    """Whether libyaml reads ``text`` as ruamel.yaml does, as far as the text alone tells
    (see the module docs); False without the C extension."""
    return AVAILABLE and not _differs(text)


def event_parser(text: str) -> Any:
    """libyaml's parser of ``text``, for its events (``get_event``; ``dispose`` when done)."""
    return CParser(text)


def compose(text: str, max_depth: int) -> list[Any] | None:
    """The documents of ``text`` as libyaml composes them, or None (see the module docs)."""
    if not AVAILABLE or _differs(text):
        return None
    composer = _Composer(text)
    composer.limit = max_depth
    composer.tags = {}
    try:
        documents = []
        while composer.check_node():
            documents.append(composer.get_node())
    except (YAMLError, _NotTheSame):
        return None
    finally:
        composer.dispose()
    return documents


__all__ = ["AVAILABLE", "YAMLError", "compose", "event_parser", "events", "simple"]
