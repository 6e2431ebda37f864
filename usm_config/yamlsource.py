"""Read YAML into a tree that remembers where every key and value came from.

The tree is built from ruamel.yaml's *composed* node graph rather than from constructed Python
objects, which lets us report every duplicate key (not just the first), refuse unknown tags
before anything is constructed, and bound alias expansion and nesting so that a "billion laughs"
or a deeply nested document fails fast with a located message instead of exhausting memory or
the interpreter's stack.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from usm_config import libyaml, yaml12
from usm_config.collector import paused_gc
from usm_config.diagnostics import Diagnostic, Location, Severity, display_path, half_character

if TYPE_CHECKING:
    from ruamel.yaml.error import StreamMark

# ruamel.yaml is imported where it reads: with libyaml there, a file without problems never
# needs it, and importing it took a twentieth of the command line's start-up.

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NODES = 500_000
MAX_DEPTH = 100
#: A node of ruamel.yaml or of PyYAML: both have ``id``, ``tag``, ``value`` and ``start_mark``.
_Node = Any
#: The reader :func:`parse_text` uses: libyaml when PyYAML's C extension is there.
READER = "libyaml" if libyaml.AVAILABLE else "ruamel"

_YAML_TAG_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_SCALAR_TAGS = {_NULL_TAG, _BOOL_TAG, _INT_TAG, _FLOAT_TAG, _TIMESTAMP_TAG, _STR_TAG}
_KNOWN_TAGS = {*_SCALAR_TAGS, _MAP_TAG, _SEQ_TAG}
_KIND_NAMES = {"MappingNode": "a mapping", "SequenceNode": "a list", "ScalarNode": "a value"}

#: Python refuses to convert longer decimal text to an int (CVE-2020-10735); so do we.
MAX_INT_DIGITS = 4300

#: What YAML 1.2 allows in a stream: everything printable, tab, line breaks (YAML 1.2 §5.1).
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NULL_TEXT = re.compile("^(?:~|null|Null|NULL|)$")
_TIMESTAMP_TEXT = re.compile(
    r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
    (?:[Tt]|[\ \t]+)[0-9][0-9]?
    :[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
    (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
    re.X,
)
_EXAMPLES = {
    _NULL_TAG: "null, ~ or nothing",
    _BOOL_TAG: "true or false",
    _INT_TAG: "a whole number such as 42",
    _FLOAT_TAG: "a number such as 1.5",
    _TIMESTAMP_TAG: "a date such as 2026-01-31",
}
_NOWHERE = Location("", 0, 0)
#: The header line of a literal or folded block scalar (YAML 1.2 §8.1.1).
_BLOCK_HEADER = re.compile(r"[|>](?:[1-9][-+]?|[-+][1-9]?)?(?: +(?:#.*)?)?$")
#: A tag, then a line break (and maybe blank or comment lines), then an anchor: ruamel.yaml
#: places such a node at its anchor, libyaml at its tag. Every YAML line break counts, so the
#: test errs towards the slower reader.
_ANCHOR_BELOW_TAG = re.compile(
    r"!\S*[ \t]*(?:#[^\n\r\x85\u2028\u2029]*)?[\n\r\x85\u2028\u2029][\s]*"
    r"(?:#[^\n\r\x85\u2028\u2029]*[\s]*)*&"
)
#: What may come before an anchor's '&' besides whitespace (see :func:`_may_hold_anchor`).
_BEFORE_ANCHOR = frozenset("[{,:")
#: What cannot come after it besides whitespace.
_NOT_AFTER_ANCHOR = frozenset(",[]{}")


def shown_tag(tag: str) -> str:
    """A tag as it is written: ``!!int`` for the YAML ones."""
    return "!!" + tag.removeprefix(_YAML_TAG_PREFIX) if tag.startswith(_YAML_TAG_PREFIX) else tag


def _wrong_value(tag: str, text: str) -> Diagnostic:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return Diagnostic(
        Severity.ERROR,
        "YAML012",
        f"'{shown}' is not a valid {shown_tag(tag)} value",
        _NOWHERE,
        "",
        f"write {_EXAMPLES[tag]}, or remove the tag '{shown_tag(tag)}'",
    )


def scalar_problem(tag: str, text: str) -> Diagnostic | None:
    """What is wrong with ``text`` as a value of the scalar ``tag`` that Python would not
    catch itself (the location is filled in by the caller)."""
    if tag == _NULL_TAG and not _NULL_TEXT.match(text):
        return _wrong_value(tag, text)
    if tag == _TIMESTAMP_TAG and not _TIMESTAMP_TEXT.match(text):
        return _wrong_value(tag, text)
    if tag == _INT_TAG:
        digits = len(text.lstrip("+-").replace("_", ""))
        if digits > MAX_INT_DIGITS:
            return Diagnostic(
                Severity.ERROR,
                "YAML013",
                f"the number has {digits:,} digits; at most {MAX_INT_DIGITS:,} are allowed",
                _NOWHERE,
                "",
                "quote it if it is an identifier ('\"123...\"'), or write a smaller number",
            )
    return None


@dataclass(slots=True)
class Located:
    """A YAML value with the location of its first character."""

    location: Location


@dataclass(slots=True)
class LScalar(Located):
    """A scalar value: str, int, float, bool or None; or a list or mapping as plain data, at
    the deepest level a caller asked to have located (see :func:`parse_text`)."""

    value: Any = None


@dataclass(slots=True)
class LSeq(Located):
    """A sequence of located values."""

    items: list[LNode] = field(default_factory=list)


@dataclass(slots=True)
class LMap(Located):
    """A mapping of text keys to located values; ``keys`` holds where each key was written."""

    values: dict[str, LNode] = field(default_factory=dict)
    keys: dict[str, Location] = field(default_factory=dict)


LNode = LScalar | LSeq | LMap


def to_plain(node: LNode) -> Any:
    """Strip locations: return plain Python data."""
    if isinstance(node, LMap):
        return {key: to_plain(value) for key, value in node.values.items()}
    if isinstance(node, LSeq):
        return [to_plain(item) for item in node.items]
    return node.value


def walk(
    node: LNode, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Location]]:
    """Yield ``(path, location)`` for every node, depth first; a mapping entry is located at
    its key."""
    # An explicit stack: nested generators cost a step per level for every value yielded.
    stack: list[tuple[tuple[str | int, ...], LNode, Location]] = [(path, node, node.location)]
    while stack:
        path, node, location = stack.pop()
        yield path, location
        if isinstance(node, LMap):
            keys = node.keys
            stack.extend(
                [((*path, key), value, keys[key]) for key, value in node.values.items()][::-1]
            )
        elif isinstance(node, LSeq):
            stack.extend(
                [((*path, index), item, item.location) for index, item in enumerate(node.items)][
                    ::-1
                ]
            )


class _Builder:
    """Turn a composed node graph into an ``LNode`` tree, collecting diagnostics.

    The graph comes from libyaml (PyYAML's C composer, tags resolved by :mod:`yaml12`) or from
    ruamel.yaml; both have nodes with ``id``, ``tag``, ``value`` and ``start_mark``. Subclasses
    say how a tag is read and a scalar constructed.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self.budget = MAX_NODES
        self.active: set[int] = set()

    def tag(self, node: Any) -> str:
        """The node's resolved tag as text."""
        raise NotImplementedError

    def construct(self, node: Any, tag: str) -> Any:
        """The value of a null, bool, int or float scalar; raises ValueError when it does not
        fit the tag."""
        raise NotImplementedError

    def loc(self, node: _Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def error(self, node: _Node, code: str, message: str, hint: str) -> None:
        self.diagnostics.append(Diagnostic(Severity.ERROR, code, message, self.loc(node), "", hint))

    def supported_tag(self, node: _Node, allowed: set[str]) -> bool:
        """Report a tag other than the plain ones (e.g. '!!python/object') on any node."""
        tag = self.tag(node)
        if tag in allowed:
            return True
        if tag in _KNOWN_TAGS:
            self.error(
                node,
                "YAML012",
                f"the tag '{shown_tag(tag)}' does not fit {_KIND_NAMES[type(node).__name__]}",
                "remove the tag",
            )
        else:
            self.error(
                node,
                "YAML004",
                f"unsupported YAML tag '{shown_tag(tag)}'",
                "remove the tag; blueprints hold plain text, numbers, booleans, lists and maps",
            )
        return False

    def build(self, node: _Node) -> LNode | None:
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge(self.loc(node))
        if id(node) in self.active:
            self.error(
                node,
                "YAML005",
                "a YAML alias refers to the node that contains it",
                "remove the recursive alias; write the value out instead",
            )
            return None
        self.active.add(id(node))
        try:
            if node.id == "mapping":
                return self.mapping(node) if self.supported_tag(node, {_MAP_TAG}) else None
            if node.id == "sequence":
                if not self.supported_tag(node, {_SEQ_TAG}):
                    return None
                items = [self.build(item) for item in node.value]
                return LSeq(self.loc(node), [item for item in items if item is not None])
            return self.scalar(node)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: _Node) -> LScalar | None:
        if not self.supported_tag(node, _SCALAR_TAGS):
            return None
        tag = self.tag(node)
        if tag == _STR_TAG:
            text = str(node.value)
            if (half := half_character(text)) is not None:
                self.error(
                    node,
                    "YAML015",
                    f"the escape '\\u{ord(half):04x}' is half of a character (a UTF-16 surrogate)",
                    "write the character itself, or escape it whole with '\\U' and eight "
                    "digits, e.g. '\\U0001F600' for 😀",
                )
                return None
            return LScalar(self.loc(node), text)
        problem = scalar_problem(tag, node.value)
        if problem is None and tag != _TIMESTAMP_TAG:
            try:
                return LScalar(self.loc(node), self.construct(node, tag))
            except (ValueError, KeyError, IndexError):
                problem = _wrong_value(tag, node.value)
        if problem is not None:
            self.diagnostics.append(replace(problem, location=self.loc(node)))
            return None
        return LScalar(self.loc(node), str(node.value))

    def key_text(self, key_node: _Node) -> str | None:
        if key_node.id != "scalar":
            self.error(
                key_node,
                "YAML006",
                "a mapping key must be plain text, not a list or a mapping",
                "use a simple name as the key",
            )
            return None
        if self.scalar(key_node) is None:  # a key keeps its text, but must fit its tag
            return None
        return str(key_node.value)

    def mapping(self, node: Any) -> LMap:
        result = LMap(self.loc(node))
        merged: list[LMap] = []
        for key_node, value_node in node.value:
            if self.tag(key_node) == _MERGE_TAG:
                merged.extend(self.merge_sources(value_node))
                continue
            key = self.key_text(key_node)
            if key is None:
                continue
            if key in result.keys:
                first = result.keys[key]
                self.diagnostics.append(
                    Diagnostic(
                        Severity.ERROR,
                        "YAML003",
                        f"duplicate key '{key}' (first written at line {first.line})",
                        self.loc(key_node),
                        "",
                        "keep one of the two entries; YAML would silently drop the other",
                        (first,),
                    )
                )
                continue
            value = self.build(value_node)
            if value is None:
                value = LScalar(self.loc(value_node), None)
            result.keys[key] = self.loc(key_node)
            result.values[key] = value
        for source in merged:
            for key, value in source.values.items():
                if key not in result.values:
                    result.values[key] = value
                    result.keys[key] = source.keys[key]
        return result

    def merge_sources(self, node: _Node) -> list[LMap]:
        built = self.build(node)
        sources = built.items if isinstance(built, LSeq) else [built]
        maps = [source for source in sources if isinstance(source, LMap)]
        if len(maps) != len(sources):
            self.error(
                node,
                "YAML007",
                "a merge key '<<' needs a mapping or a list of mappings",
                "point '<<' at an anchored mapping, e.g. '<<: *defaults'",
            )
        return maps


class _RuamelBuilder(_Builder):
    """Nodes composed by ruamel.yaml, scalars constructed by its safe constructor."""

    def __init__(self, file: str) -> None:
        from ruamel.yaml import YAML  # noqa: PLC0415 (see the top)
        from ruamel.yaml.error import YAMLError  # noqa: PLC0415 (see the top)

        super().__init__(file)
        self.constructor = YAML(typ="safe", pure=True).constructor
        self.failure = YAMLError

    def tag(self, node: Any) -> str:
        return str(getattr(node.tag, "value", node.tag))

    def construct(self, node: Any, tag: str) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except self.failure as exc:
            raise ValueError(str(exc)) from None


class _LibyamlBuilder(_Builder):
    """Nodes composed by libyaml, whose tags :class:`_Composer` resolved already."""

    def __init__(self, file: str, text: str) -> None:
        super().__init__(file)
        self.text = text

    def tag(self, node: _Node) -> str:
        return str(node.tag)

    def construct(self, node: _Node, tag: str) -> Any:
        return yaml12.construct(tag, node.value)

    def loc(self, node: _Node) -> Location:
        if _ANCHOR_BELOW_TAG.match(self.text, node.start_mark.index):
            raise _NotTheSame  # ruamel.yaml places the node at its anchor
        return super().loc(node)

    def scalar(self, node: _Node) -> LScalar | None:
        if node.value == "" and not node.style:
            raise _NotTheSame  # an empty value: ruamel.yaml places it elsewhere
        if node.style in ("|", ">") and not _block_agrees(self.text, node.start_mark, node.value):
            raise _NotTheSame
        return super().scalar(node)


class _NotTheSame(Exception):
    """The libyaml reader would not give what the ruamel.yaml reader gives."""


def _block_agrees(text: str, mark: Any, value: str) -> bool:
    """Whether ruamel.yaml reads a literal or folded block scalar as libyaml did: its header
    is one ruamel.yaml takes too (libyaml takes headers such as '|#'), and libyaml found
    content. A document's top-level block scalar may hold lines at column 0 (YAML 1.2 §8.1.1.1:
    its parent's indentation is -1); libyaml ends it there instead, so "|" then "#" is an empty
    text followed by a comment to libyaml and the text "#" to ruamel.yaml."""
    if value == "":
        return False
    start = mark.index
    end = text.find("\n", start)
    if _BLOCK_HEADER.match(text, start, len(text) if end < 0 else end) is None:
        return False
    return end < 0 or not _blank_lines_widen(text, end + 1)


def _blank_lines_widen(text: str, at: int) -> bool:
    """Whether the blank lines at the start of a block scalar's content (from ``at``) begin
    with one holding spaces and go on with more spaces, up to the first text: ruamel.yaml then
    refuses the scalar ("more indented follow up line than first"), libyaml reads it (YAML 1.2
    §8.1.1.1 refuses only blank lines wider than the first text line)."""
    first, widest, column = -1, 0, 0
    while at < len(text) and text[at] in " \r\n\x85\u2028\u2029":
        if text[at] == " ":
            column += 1
            widest = max(widest, column)
            at += 1
            continue
        if first < 0:
            first = column
        at += 2 if text.startswith("\r\n", at) else 1
        column = 0
    return first > 0 and widest > first


def _event_tree(text: str, file: str, located: int | None = None) -> LNode:
    """The tree of a text without anchors, aliases and merge keys, built from libyaml's
    events in one tight pass: each event is dropped as soon as it is read, so no node graph
    (forty times the text, every node with two marks) is ever held.

    With ``located``, a list or mapping at that level is an :class:`LScalar` (located) holding
    plain data: nothing below it is located (a 5,000-service blueprint is read in about a
    quarter less time).

    The common case only: anything unusual (a duplicate key, a tag, a value that does not fit
    its tag, an empty value, a key that is not text, too many values or levels, other than
    one document) raises :class:`_NotTheSame`, and ruamel.yaml reads the text and says what is
    wrong.
    """
    parser = libyaml.event_parser(text)
    ev = libyaml.events
    get: Callable[[], Any] = parser.get_event
    budget = MAX_NODES
    limit = MAX_DEPTH
    scalar_tags = _SCALAR_TAGS
    construct = yaml12.construct
    resolve_plain = yaml12.resolve_plain
    tags: dict[str, str] = {}

    def scalar(event: Any) -> Any:
        tag = event.tag
        value = event.value
        if tag is None or tag == "!":
            plain, quoted = event.implicit
            if plain:
                tag = tags.get(value)
                if tag is None:
                    tag = tags[value] = resolve_plain(value)
            elif quoted:
                tag = _STR_TAG
            else:
                raise _NotTheSame  # the non-specific tag '!', which ruamel.yaml resolves
        if tag == _STR_TAG:
            return value
        if tag not in scalar_tags or tag == _TIMESTAMP_TAG or scalar_problem(tag, value):
            raise _NotTheSame
        try:
            return construct(tag, value)
        except (ValueError, KeyError, IndexError):
            raise _NotTheSame from None

    scalar_event, sequence_start, sequence_end = (
        ev.ScalarEvent,
        ev.SequenceStartEvent,
        ev.SequenceEndEvent,
    )
    mapping_start, mapping_end = ev.MappingStartEvent, ev.MappingEndEvent
    collection_tags = {sequence_start: _SEQ_TAG, mapping_start: _MAP_TAG}

    def checked_scalar(event: Any) -> Any:
        style = event.style
        if not style:
            if event.value == "":
                raise _NotTheSame  # an empty value: ruamel.yaml places it elsewhere
        elif style in "|>" and not _block_agrees(text, event.start_mark, event.value):
            raise _NotTheSame
        elif style == '"' and half_character(event.value) is not None:
            raise _NotTheSame  # an escaped half of a character, which ruamel.yaml reports
        return scalar(event)

    def key_of(key_event: Any, depth: int) -> str:
        if (
            depth > limit
            or type(key_event) is not scalar_event
            or key_event.anchor is not None
            or (not key_event.style and key_event.value == "")
        ):
            raise _NotTheSame
        scalar(key_event)
        return str(key_event.value)

    def plain(event: Any, depth: int) -> Any:
        """What :func:`build` builds, without locations (what :func:`to_plain` gives)."""
        nonlocal budget
        budget -= 1
        if depth > limit or event.anchor is not None:
            raise _NotTheSame
        kind = type(event)
        if kind is scalar_event:
            return checked_scalar(event)
        if event.tag not in (None, "!", collection_tags.get(kind)):
            raise _NotTheSame
        if kind is sequence_start:
            items = []
            while type(item := get()) is not sequence_end:
                items.append(plain(item, depth + 1))
            return items
        if kind is not mapping_start or budget < 0:
            raise _NotTheSame  # an alias
        values: dict[str, Any] = {}
        while type(key_event := get()) is not mapping_end:
            key = key_of(key_event, depth + 1)
            if key in values:
                raise _NotTheSame
            values[key] = plain(get(), depth + 1)
        if budget < 0:
            raise _NotTheSame
        return values

    def build(event: Any, depth: int) -> LNode:
        nonlocal budget
        mark = event.start_mark
        where = Location(file, mark.line + 1, mark.column + 1)
        kind = type(event)
        if depth == located and kind is not scalar_event:
            return LScalar(where, plain(event, depth))
        budget -= 1
        if depth > limit or event.anchor is not None:
            raise _NotTheSame
        if kind is scalar_event:
            return LScalar(where, checked_scalar(event))
        # A collection may be tagged explicitly with its own tag, as libyaml's composer takes.
        if event.tag not in (None, "!", collection_tags.get(kind)):
            raise _NotTheSame
        if kind is sequence_start:
            items = []
            while type(item := get()) is not sequence_end:
                items.append(build(item, depth + 1))
            return LSeq(where, items)
        if kind is not mapping_start or budget < 0:
            raise _NotTheSame  # an alias
        values: dict[str, LNode] = {}
        keys: dict[str, Location] = {}
        while type(key_event := get()) is not mapping_end:
            key = key_of(key_event, depth + 1)
            if key in keys:
                raise _NotTheSame
            at: Any = key_event.start_mark
            keys[key] = Location(file, at.line + 1, at.column + 1)
            values[key] = build(get(), depth + 1)
        if budget < 0:
            raise _NotTheSame
        return LMap(where, values, keys)

    try:
        get()  # the stream's start
        if type(get()) is not ev.DocumentStartEvent:
            raise _NotTheSame  # no document
        tree = build(get(), 1)
        get()  # the document's end
        if type(get()) is not ev.StreamEndEvent:
            raise _NotTheSame  # another document
    except libyaml.YAMLError:
        raise _NotTheSame from None
    finally:
        parser.dispose()
    return tree


class _TooLarge(Exception):
    def __init__(self, location: Location) -> None:
        self.location = location


def _children(node: _Node) -> list[_Node]:
    if node.id == "mapping":
        return [value for _, value in node.value]
    if node.id == "sequence":
        return list(node.value)
    return []


class _TooDeep(Exception):
    def __init__(self, node: _Node) -> None:
        self.node = node


class _Extent:
    """Size (values after alias expansion) and height of every node, without expanding aliases.

    Shared nodes are measured once, so a "billion laughs" document is measured in time linear
    in its text. A recursive alias counts as a single value; the builder reports it. Measuring
    stops with :class:`_TooDeep` at the first node below MAX_DEPTH levels, so it never recurses
    deeper than that itself.
    """

    def __init__(self) -> None:
        self.known: dict[int, tuple[int, int]] = {}
        self.active: set[int] = set()

    def __call__(self, node: _Node, level: int = 1) -> tuple[int, int]:
        key = id(node)
        if key in self.known:
            size, height = self.known[key]
            if level + height - 1 > MAX_DEPTH:
                raise _TooDeep(self.deepest(node, MAX_DEPTH + 1 - level))
            return size, height
        if key in self.active:
            return 1, 1
        if level > MAX_DEPTH:
            raise _TooDeep(node)
        self.active.add(key)
        try:
            size, height = 1, 0
            for child in _children(node):
                child_size, child_height = self(child, level + 1)
                size += child_size
                height = max(height, child_height)
        finally:
            self.active.discard(key)
        self.known[key] = (size, height + 1)
        return size, height + 1

    def deepest(self, node: _Node, steps: int) -> _Node:
        """Follow the tallest children of a measured node ``steps`` levels down."""
        for _ in range(steps):
            node = max(_children(node), key=lambda child: self.known.get(id(child), (1, 1))[1])
        return node


def _excess(root: _Node) -> tuple[str, _Node] | None:
    """Find where the document nests deeper than MAX_DEPTH or expands beyond MAX_NODES."""
    extent = _Extent()
    try:
        size, _ = extent(root)
    except _TooDeep as exc:
        return "depth", exc.node
    if size > MAX_NODES:
        node = root
        while (
            bigger := next((c for c in _children(node) if extent(c)[0] > MAX_NODES), None)
        ) is not None:
            node = bigger
        return "size", node
    return None


def _too_deep(location: Location) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        "YAML011",
        f"the document is nested more than {MAX_DEPTH} levels deep",
        location,
        "",
        "flatten the structure; a blueprint needs only a few levels of nesting",
    )


def _too_large(location: Location) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        "YAML009",
        f"the document expands to more than {MAX_NODES:,} values (alias expansion?)",
        location,
        "",
        "write the repeated parts out or use fewer nested aliases",
    )


def _deep_mark(text: str) -> StreamMark | None:
    """Where the text first nests deeper than MAX_DEPTH, found without recursion."""
    from ruamel.yaml import YAML  # noqa: PLC0415 (see the top)
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent  # noqa: PLC0415 (see the top)

    depth = 0
    for event in YAML(typ="safe", pure=True).parse(text):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark: StreamMark = event.start_mark
                return mark
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
    return None


def _decode(data: bytes, file: str) -> tuple[str | None, list[Diagnostic]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, [
            Diagnostic(
                Severity.ERROR,
                "YAML002",
                f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                Location(file, line, column),
                "",
                "save the file as UTF-8 (most editors: 'Save with encoding')",
            )
        ]


def _control_character(text: str, file: str) -> Diagnostic | None:
    """A character YAML does not allow, located where it is (lines as the parser counts)."""
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return None
    at = found.start()
    start = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
    line = text.count("\n", 0, at) + text.count("\r", 0, at) - text.count("\r\n", 0, at) + 1
    column = at - start - text.count("\ufeff", start, at) + 1
    more = len(_NOT_PRINTABLE.findall(text, at + 1))
    return Diagnostic(
        Severity.ERROR,
        "YAML014",
        f"the control character U+{ord(found.group()):04X} is not allowed in YAML"
        + (f" (and {more:,} more in this file)" if more else ""),
        Location(file, line, column),
        "",
        "delete it; inside double quotes it can be written as an escape such as "
        f"'\\x{ord(found.group()):02x}'",
    )


def _compose_with_ruamel(text: str, file: str) -> list[_Node] | Diagnostic:
    """The documents of ``text`` as ruamel.yaml composes them, or what is wrong with it."""
    from ruamel.yaml import YAML  # noqa: PLC0415 (see the top)
    from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError  # noqa: PLC0415 (see the top)

    yaml = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():
            # YAML 1.2 allows an anchor name to be defined again; the latest one counts.
            warnings.simplefilter("ignore", ReusedAnchorWarning)
            return list(yaml.compose_all(text))
    except RecursionError:
        mark = _deep_mark(text)
        location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        return _too_deep(location)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = exc.problem or exc.context or "malformed YAML"
        opened = exc.context_mark
        if exc.problem and exc.context and opened and opened is not mark:
            # e.g. an unclosed quote is found at the end of the file: say where it was opened
            problem += f" ({exc.context} that starts at line {opened.line + 1}, column "
            problem += f"{opened.column + 1})"
        return Diagnostic(
            Severity.ERROR,
            "YAML001",
            f"malformed YAML: {problem}",
            location,
            "",
            "check indentation and quoting around this position; quote text that holds ':' or '#'",
        )
    except YAMLError as exc:
        return Diagnostic(
            Severity.ERROR,
            "YAML001",
            f"malformed YAML: {exc}",
            Location(file, 1, 1),
            "",
            "check the file's syntax",
        )


def parse_text(
    text: str, file: str, *, reader: str | None = None, located: int | None = None
) -> tuple[LNode | None, list[Diagnostic]]:
    """Parse YAML text; return the located tree (None on failure) and diagnostics.

    ``reader`` is ``"libyaml"`` (fast; ruamel.yaml reads again whatever libyaml does not read
    exactly as ruamel.yaml would, and every text with a problem, so that each diagnostic is
    the same) or ``"ruamel"``; the default is :data:`READER`.

    ``located`` is for a caller that needs no locations below that level (the document is
    level 1): a list or mapping there may come as an :class:`LScalar` holding plain data.
    :func:`to_plain` gives the same either way.
    """
    control = _control_character(text, file)
    if control is not None:
        return None, [control]
    if (reader or READER) == "libyaml" and libyaml.simple(text):
        with paused_gc(), suppress(_NotTheSame):
            if "<<" not in text and not _may_hold_anchor(text):
                return _event_tree(text, file, located), []
            # Anchors, aliases and merge keys: libyaml's node graph, which shares aliased nodes.
            documents = libyaml.compose(text, MAX_DEPTH)
            if documents is not None:
                tree, diagnostics = _build(_LibyamlBuilder(file, text), documents)
                if not diagnostics:
                    return tree, diagnostics
        # Every problem is reported as ruamel.yaml reads it, in the same words.
    composed = _compose_with_ruamel(text, file)
    if isinstance(composed, Diagnostic):
        return None, [composed]
    return _build(_RuamelBuilder(file), composed)


def _may_hold_anchor(text: str) -> bool:
    """Whether ``text`` may hold an anchor: an '&' at the start of a node (at the start of the
    text, after whitespace, a flow indicator or a JSON-like key's ':') followed by a name.

    Text such as "Review & close" is no anchor; an '&' in a comment or a quoted scalar that
    looks like one only costs the general builder. What ``(?:^|[\\s\\[{,:])&[^\\s,\\[\\]{}]``
    finds, looked up at each '&': tried at every character of a 3.5 MB blueprint, that
    expression took a tenth of a second of each load.
    """
    at = text.find("&")
    while at >= 0:
        before = text[at - 1] if at else " "
        after = text[at + 1 : at + 2]
        if (
            (before.isspace() or before in _BEFORE_ANCHOR)
            and after
            and not after.isspace()
            and after not in _NOT_AFTER_ANCHOR
        ):
            return True
        at = text.find("&", at + 1)
    return False


def _build(builder: _Builder, documents: list[_Node]) -> tuple[LNode | None, list[Diagnostic]]:
    file = builder.file
    documents = [doc for doc in documents if doc is not None]
    if not documents:
        return None, []
    if len(documents) > 1:
        second = documents[1].start_mark
        return None, [
            Diagnostic(
                Severity.ERROR,
                "YAML008",
                "the file holds more than one YAML document ('---')",
                Location(file, second.line + 1, second.column + 1),
                "",
                "put each document in a file of its own inside a blueprint directory",
            )
        ]
    excess = _excess(documents[0])
    if excess is not None:
        kind, node = excess
        location = builder.loc(node)
        return None, [_too_deep(location) if kind == "depth" else _too_large(location)]
    try:
        tree = builder.build(documents[0])
    except _TooLarge as exc:
        return None, [_too_large(exc.location)]
    return tree, builder.diagnostics


def _unreadable(file: str, why: str) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        "FILE001",
        f"cannot read the file: {why}",
        Location(file),
        "",
        "check the path and its permissions; a blueprint is a regular .yaml file",
    )


def _too_big(file: str, size: int) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        "YAML010",
        f"the file is too large ({size / 1_048_576:.1f} MiB; the limit is "
        f"{MAX_FILE_BYTES // 1_048_576} MiB)",
        Location(file),
        "",
        "split the blueprint into several files inside one directory",
    )


def _read(path: Path, file: str) -> bytes | Diagnostic:
    """The bytes of a regular file, or why they cannot be had.

    The file is opened without blocking and checked once open, so a FIFO or a device found
    where a blueprint file was expected is refused instead of waited on or read forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return _unreadable(file, exc.strerror or str(exc))
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return _unreadable(file, "it is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            return _too_big(file, info.st_size)
        try:
            data = stream.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            return _unreadable(file, exc.strerror or str(exc))
    return data if len(data) <= MAX_FILE_BYTES else _too_big(file, len(data))


def read_yaml_text(path: Path) -> str | list[Diagnostic]:
    """The text of one YAML file, read with type, size and encoding checks, or why it
    cannot be had."""
    file = display_path(path)
    data = _read(path, file)
    if isinstance(data, Diagnostic):
        return [data]
    text, diagnostics = _decode(data, file)
    return diagnostics if text is None else text


def parse_file(path: Path, *, reader: str | None = None) -> tuple[LNode | None, list[Diagnostic]]:
    """Read and parse one YAML file with type, size and encoding checks."""
    text = read_yaml_text(path)
    if not isinstance(text, str):
        return None, text
    return parse_text(text, display_path(path), reader=reader)
