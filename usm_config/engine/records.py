"""Records: the one shape both sides of a diff are normalised into.

A :class:`Record` is one object in a target tool (an assignment group, an SLA definition, a
choice), keyed by its kind's natural key. Desired records come from an adapter's pure compile
step; live records from its read step. Field values are JSON values, compared with ``==``;
a reference to another record is written as :func:`ref` (a field holding several references
as a list of them) so that the diff compares natural keys, never the tool's internal ids.

A record's natural key is computed by :func:`record_key` from its key fields, on both sides:
adapters' compile steps call it for desired records, the engine for live records once their
references are resolved (:mod:`usm_config.engine.references`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from json.encoder import encode_basestring_ascii
from typing import Any, TypeVar, dataclass_transform

from pydantic import JsonValue

REF_MARK = "$ref"

#: A record's kind and natural key: how records are told apart across kinds.
Address = tuple[str, tuple[str, ...]]


def ref(kind: str, key: Iterable[str]) -> dict[str, JsonValue]:
    """A field value that points at the record of ``kind`` with natural ``key``."""
    return {REF_MARK: {"kind": kind, "key": list(key)}}


def ref_target(value: JsonValue) -> tuple[str, tuple[str, ...]] | None:
    """Return ``(kind, key)`` when ``value`` is a reference made by :func:`ref`."""
    if isinstance(value, dict) and set(value) == {REF_MARK}:
        inner = value[REF_MARK]
        if isinstance(inner, dict):
            key = inner.get("key")
            kind = inner.get("kind")
            if isinstance(kind, str) and isinstance(key, list):
                return kind, tuple(str(k) for k in key)
    return None


def reference_order(value: JsonValue) -> tuple[int, tuple[str, ...]]:
    """Sort key of one element of a list of references: by the referenced key, ids that point
    at nothing known last. A list of references is a set, kept in this order on both sides."""
    target = ref_target(value)
    return (0, target[1]) if target is not None else (1, (str(value),))


def sets_in_order(spec: KindSpec, fields: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """``fields`` with every list of references in :func:`reference_order`: how both sides of
    a diff hold a list of references, which is a set (but a :attr:`KindSpec.sequences` list,
    which is an order, stays as it is)."""
    return {
        name: sorted(value, key=reference_order)
        if name in spec.references and name not in spec.sequences and isinstance(value, list)
        else value
        for name, value in fields.items()
    }


def key_part(value: JsonValue) -> str:
    """How one key field's value reads in a natural key.

    A reference reads as its target's key joined with ``/``, ``None`` as ``""``, anything else
    as ``str(value)``. A list (of references or anything else) cannot be part of a natural key:
    :class:`ValueError`.
    """
    if isinstance(value, list):
        raise ValueError("a list cannot be part of a natural key")
    target = ref_target(value)
    if target is not None:
        return "/".join(target[1])
    return "" if value is None else str(value)


_Class = TypeVar("_Class", bound=type)


@dataclass_transform(frozen_default=True)
def immutable(cls: _Class) -> _Class:
    """A dataclass the type checker holds frozen (``mypy --strict`` refuses an assignment to
    its attributes), made at run time as a plain one with slots and the frozen one's hash.

    A frozen dataclass's ``__init__`` sets each attribute through ``object.__setattr__``, at
    three times the cost of a plain one, and a plan of 5,000 services makes 150,000 records
    and 50,000 lock entries.
    """
    return dataclass(slots=True, unsafe_hash=True)(cls)  # type: ignore[return-value]


@immutable
class Record:
    """One object of a target tool, normalised for comparison.

    ``uid`` is the blueprint-side identity (stable across renames, e.g. ``service:workplace``)
    and is set on desired records only; ``target_id`` is the tool's id and is set on live
    records only; ``source`` is the blueprint path a desired record comes from.

    Records are built by trusted code only (an adapter's compile and read steps, the engine),
    tens of thousands per plan, so they are not validated: ``key`` is a tuple, ``fields``
    hold JSON values, and neither is changed once the record is made.
    """

    kind: str
    key: tuple[str, ...]
    fields: dict[str, JsonValue] = field(default_factory=dict)
    uid: str | None = None
    target_id: str | None = None
    source: str | None = None

    @property
    def address(self) -> str:
        """Human-readable address: ``kind[key]``."""
        return f"{self.kind}[{'/'.join(self.key)}]"


class Op(StrEnum):
    """Operations a vendor API allows on a kind."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    #: An update may change the natural key (the name). Without it a rename is a manual step
    #: (Jira's workflow update takes no name), and the kind's other fields still update.
    RENAME = "rename"


ALL_OPS = frozenset(Op)


@dataclass(frozen=True)
class KindSpec:
    """What an adapter declares about one kind of record.

    ``key_fields`` form the natural key, matched case-sensitively after the adapter's
    normalisation unless ``keys_ignore_case``: then the tool holds one record per key whatever
    its case (Jira refuses a group "desk" beside "Desk"), so a live record whose key differs
    only in case is the same record (:meth:`match_key`), and renaming it to the blueprint's
    case is an update. Only ``owned_fields`` are compared and written. ``references`` maps a field
    to the kind it points at; together with ``depends_on`` it orders apply. A kind whose
    ``operations`` lack what a change needs turns that change into a manual step, which the next
    plan verifies by reading the kind again.

    ``marker`` names the field where the tool can hold an owner marker on records of the kind
    (a field meant for integrations, see :mod:`usm_config.engine.ownership`): the adapter's
    read step puts the owner it finds there into that field of live records, and its create
    (and, when ``marker_updatable``, its update) writes the field's value to the tool. Empty:
    the tool holds no marker for the kind, and only lock files tell who owns its records.

    ``placed_by`` names the reference field that places a record right after another record of
    its kind in the tool's order (Jira's priorities, some of which stay where the site has
    them): a record placed anew moves away from the one that stood after it, so that one is
    placed again too.

    ``sequences`` names reference fields whose list is an order, not a set (the options of a
    field as the tool lists them): kept and compared in their order, and only over the records
    the desired list names, so that records the tool holds beside them may stand anywhere.
    """

    name: str
    label: str
    key_fields: tuple[str, ...]
    owned_fields: tuple[str, ...]
    references: Mapping[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    operations: frozenset[Op] = ALL_OPS
    manual_hint: str = ""
    marker: str = ""
    marker_updatable: bool = True
    keys_ignore_case: bool = False
    placed_by: str = ""
    sequences: tuple[str, ...] = ()

    def match_key(self, key: tuple[str, ...]) -> tuple[str, ...]:
        """``key`` as records of this kind are matched: case-folded where the tool ignores
        case, else as it is."""
        return casefold_key(key) if self.keys_ignore_case else key

    def dependencies(self) -> set[str]:
        """Kinds that must exist before records of this kind can be written."""
        return {*self.references.values(), *self.depends_on} - {self.name}


def kind_table(
    specs: Iterable[KindSpec], *, keys_ignore_case: Collection[str] = ()
) -> dict[str, KindSpec]:
    """An adapter's kinds by name, in the order of ``specs``; the kinds named in
    ``keys_ignore_case`` are marked :attr:`KindSpec.keys_ignore_case` (a name that is no kind
    of ``specs`` is a ``ValueError``, so a misspelt one cannot go unnoticed)."""
    table = {spec.name: spec for spec in specs}
    unknown = sorted(set(keys_ignore_case) - table.keys())
    if unknown:
        raise ValueError(f"keys_ignore_case names no kind of the table: {', '.join(unknown)}")
    return {
        name: replace(spec, keys_ignore_case=True) if name in keys_ignore_case else spec
        for name, spec in table.items()
    }


def casefold_key(key: tuple[str, ...]) -> tuple[str, ...]:
    """``key`` with every part case-folded: how a kind with ``keys_ignore_case`` matches."""
    return tuple(part.casefold() for part in key)


def folded_kinds(kinds: Mapping[str, KindSpec]) -> frozenset[str]:
    """The names of the ``kinds`` whose keys the tool compares without regard to case."""
    return frozenset(name for name, spec in kinds.items() if spec.keys_ignore_case)


def record_key(spec: KindSpec, fields: Mapping[str, JsonValue]) -> tuple[str, ...]:
    """The natural key of a record of ``spec`` from its fields (references as :func:`ref`).

    Raises :class:`ValueError` naming the field when a key field holds a list.
    """
    parts = []
    for name in spec.key_fields:
        try:
            parts.append(key_part(fields.get(name)))
        except ValueError as exc:
            raise ValueError(f"{spec.name}.{name}: {exc}") from None
    return tuple(parts)


@dataclass(frozen=True)
class Desired:
    """What an adapter's compile step produces: records plus notes on what it cannot do."""

    records: tuple[Record, ...]
    notes: tuple[str, ...] = ()


def fingerprint(value: Any) -> str:
    """A stable SHA-256 over JSON-serialisable data (sorted keys)."""
    return hashlib.sha256(_json(value).encode("utf-8")).hexdigest()


#: Lists at least this long, in the dict :func:`streamed_fingerprint` is taken of, are encoded
#: this many elements at a time.
STREAMED = 1000
#: Characters of JSON text encoded at a time.
SLICE = 1 << 16


def streamed_fingerprint(value: Any) -> str:
    """:func:`fingerprint` of a large value (a snapshot's live records, a plan's changes).

    The same digest, but the long lists of a dict are encoded an element at a time, so the
    JSON text of 50,000 records is never held whole.
    """
    digest = hashlib.sha256()
    for chunk in _json_chunks(value):
        # Slices of a long text (a lock file's) encode to the slices of its encoding.
        for start in range(0, len(chunk), SLICE):
            digest.update(chunk[start : start + SLICE].encode("utf-8"))
    return digest.hexdigest()


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)
# json.JSONEncoder.encode builds a new C encoder on every call, which is a fifth of
# fingerprinting 50,000 small records; this one is built once, with the same settings (no
# circular check: a record's fields are JSON data, never circular).
_MAKE_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE: Callable[[Any, int], Iterable[str]] | None = (
    None
    if _MAKE_C_ENCODER is None
    else _MAKE_C_ENCODER(None, str, encode_basestring_ascii, None, ":", ",", True, False, True)
)


@dataclass(frozen=True)
class LongText:
    """A long text given as the pieces it is made of (``pieces()`` yields them anew each
    time). In a value :func:`streamed_fingerprint` is taken of, it counts as the text the
    pieces make, which is never held whole: escaping JSON text a piece at a time gives the
    escaped whole."""

    pieces: Callable[[], Iterable[str]]


@dataclass(frozen=True)
class LongList:
    """A long list given as the elements it is made of (``elements()`` yields them anew each
    time). In a value :func:`streamed_fingerprint` is taken of, it counts as the list, which
    is never held whole."""

    elements: Callable[[], Iterable[Any]]


def _json(value: Any) -> str:
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def _json_chunks(value: Any) -> Iterator[str]:
    if not (isinstance(value, dict) and all(isinstance(name, str) for name in value)):
        yield _json(value)
        return
    yield "{"
    for i, name in enumerate(sorted(value)):
        item = value[name]
        yield ("," if i else "") + _json(name) + ":"
        if isinstance(item, LongList):
            yield "["
            for j, element in enumerate(item.elements()):
                yield ("," if j else "") + _json(element)
            yield "]"
        elif isinstance(item, LongText):
            yield '"'
            for piece in item.pieces():
                yield encode_basestring_ascii(piece)[1:-1]
            yield '"'
        elif isinstance(item, list) and len(item) >= STREAMED:
            # A slice's JSON is its elements' JSON joined by commas, in brackets: encoding a
            # slice at a time gives the same text as the whole list, in far fewer calls.
            yield "["
            for j in range(0, len(item), STREAMED):
                yield ("," if j else "") + _json(item[j : j + STREAMED])[1:-1]
            yield "]"
        else:
            yield _json(item)
    yield "}"
