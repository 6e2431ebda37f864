"""Pull an export into an existing blueprint, in place, as a reviewable diff.

The blueprint's own files are read with ruamel.yaml's round-trip loader, so comments, key order,
quoting and the split into files survive; only values that differ from the export change. An
element is found by id, else by name (the export invents ids from names, the blueprint keeps
its own). Values the export only assumes (a team's kind where the tool keeps none) never
overwrite what the blueprint says. A new element is appended to the file that already holds its
section. An element the tool no longer has is kept and reported, never deleted: removing it is
a decision for the reviewer.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from usm_config.engine.lock import write_atomic
from usm_config.export.model import Exported

#: Sections that are lists of elements with ids, merged element by element.
LISTS = ("customers", "teams", "services", "call_types", "processes")
#: Lists inside an element that are merged by id too; other lists are replaced when they differ.
NESTED_LISTS = {"services": ("requests",)}
#: Keys that identify an element or a step: an export's invented value never replaces them.
IDENTITY = ("id", "key")


@dataclass
class OntoResult:
    """What pulling an export into a blueprint changed."""

    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """One line with the counts."""
        return (
            f"{len(self.changed)} element(s) changed, {len(self.added)} added, "
            f"{len(self.missing)} in the blueprint but not in the tool (kept)"
        )


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 1_000_000
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def blueprint_files(path: Path) -> list[Path]:
    """The blueprint's own files (not those it extends), in the loader's order."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


@dataclass
class _Doc:
    path: Path
    data: CommentedMap
    before: str


def _load(files: Sequence[Path]) -> list[_Doc]:
    docs = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        data = _yaml().load(text)
        docs.append(_Doc(file, data if isinstance(data, CommentedMap) else CommentedMap(), text))
    return docs


def _elements(docs: Sequence[_Doc], section: str) -> Iterator[tuple[CommentedSeq, int, Any]]:
    for doc in docs:
        items = doc.data.get(section)
        if isinstance(items, CommentedSeq):
            for i, item in enumerate(items):
                yield items, i, item


def _find(docs: Sequence[_Doc], section: str, exported: Mapping[str, Any]) -> Any:
    by_id = by_name = None
    for _, _, item in _elements(docs, section):
        if not isinstance(item, CommentedMap):
            continue
        if item.get("id") == exported.get("id"):
            by_id = item
        elif "name" in exported and item.get("name") == exported["name"]:
            by_name = by_name or item
    return by_id if by_id is not None else by_name


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _same(current: Any, exported: Any) -> bool:
    """Equal as far as the tool can tell: a text the tool ends with a full stop equals the
    blueprint's without, and a list of texts the tool keeps joined by ", " (goods, actions)
    equals one whose items hold commas themselves."""
    current, exported = _plain(current), _plain(exported)
    if isinstance(current, str) and isinstance(exported, str):
        return current.strip() == exported.strip() or current.strip() + "." == exported.strip()
    if _texts(current) and _texts(exported):
        return ", ".join(current) == ", ".join(exported)
    return bool(current == exported)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _update(
    target: CommentedMap,
    exported: Mapping[str, Any],
    skip: Sequence[str],
    nested: Sequence[str],
    step_skip: Sequence[str] = (),
) -> bool:
    """Set the keys of ``target`` that differ from ``exported``; True when any changed."""
    changed = False
    for key, value in exported.items():
        if (key in IDENTITY and key in target) or (key in skip and key in target):
            continue
        if key == "steps" and isinstance(target.get(key), CommentedSeq):
            changed |= _merge_steps(target[key], value, step_skip)
            continue
        if key in nested and isinstance(target.get(key), CommentedSeq):
            changed |= _merge_list(target[key], value)
            continue
        if isinstance(target.get(key), CommentedMap) and isinstance(value, Mapping):
            changed |= _update(target[key], value, (), ())
            continue
        if not _same(target.get(key), value):
            target[key] = value
            changed = True
    return changed


def _merge_list(target: CommentedSeq, exported: Sequence[Mapping[str, Any]]) -> bool:
    changed = False
    for item in exported:
        found = next(
            (
                t
                for t in target
                if isinstance(t, CommentedMap)
                and (t.get("id") == item.get("id") or t.get("name") == item.get("name"))
            ),
            None,
        )
        if found is None:
            target.append(dict(item))
            changed = True
        else:
            changed |= _update(found, item, (), ())
    return changed


def _merge_steps(
    target: CommentedSeq, exported: Sequence[Mapping[str, Any]], skip: Sequence[str]
) -> bool:
    """A process's steps as the tool has them, each on the blueprint's own step where one
    matches by key or name (keeping its key, comments and style); the list is rebuilt only
    when steps were added, removed or moved."""

    def matches(step: Any, item: Mapping[str, Any]) -> bool:
        if not isinstance(step, CommentedMap):
            return False
        names = {step.get("name"), step.get("name_nl")} - {None}
        return step.get("key") == item.get("key") or bool(
            names & {item.get("name"), item.get("name_nl")}
        )

    chosen: list[Any] = []
    changed = False
    for item in exported:
        found = next((s for s in target if matches(s, item) and s not in chosen), None)
        if found is None:
            chosen.append(dict(item))
            changed = True
        else:
            changed |= _update(found, item, skip, ())
            chosen.append(found)
    if [id(s) for s in chosen] != [id(s) for s in target]:
        target[:] = chosen
        changed = True
    return changed


def _home(docs: Sequence[_Doc], section: str) -> _Doc:
    """The file a new element of ``section`` goes to: the first holding the section, else the
    first holding ``organisation``, else the first file."""
    for doc in docs:
        if section in doc.data:
            return doc
    return next((d for d in docs if "organisation" in d.data), docs[0])


def pull(exported: Exported, blueprint: Path, assumed: Mapping[str, Sequence[str]]) -> OntoResult:
    """Write ``exported`` into the blueprint at ``blueprint`` (a file or folder), in place.

    ``assumed`` names, per section, the keys the export does not know but fills in (they are
    written for new elements only)."""
    docs = _load(blueprint_files(blueprint))
    result = OntoResult()
    document = exported.document
    organisation = document.get("organisation")
    if isinstance(organisation, Mapping):
        home = _home(docs, "organisation")
        current = home.data.get("organisation")
        if isinstance(current, CommentedMap):
            keys = {k: v for k, v in organisation.items() if k in ("name", "description")}
            if _update(current, keys, (), ()):
                result.changed.append("organisation")
    for section in LISTS:
        wanted = document.get(section) or []
        matched: set[int] = set()
        for element in wanted:
            found = _find(docs, section, element)
            label = f"{section}[{element.get('name') or element.get('id')}]"
            if found is None:
                home = _home(docs, section)
                home.data.setdefault(section, CommentedSeq()).append(dict(element))
                result.added.append(label)
                continue
            matched.add(id(found))
            skip = assumed.get(section, ())
            nested = NESTED_LISTS.get(section, ())
            if _update(found, element, skip, nested, assumed.get("steps", ())):
                result.changed.append(label)
        if section in ("customers", "teams", "services"):
            for _, _, item in _elements(docs, section):
                if isinstance(item, CommentedMap) and id(item) not in matched:
                    result.missing.append(f"{section}[{item.get('name') or item.get('id')}]")
    classification = document.get("classification")
    if isinstance(classification, Mapping) and classification:
        home = _home(docs, "classification")
        current = home.data.setdefault("classification", CommentedMap())
        if _update(current, classification, (), ()):
            result.changed.append("classification")
    for doc in docs:
        stream = io.StringIO()
        _yaml().dump(doc.data, stream)
        text = stream.getvalue()
        if text != doc.before:
            write_atomic(doc.path, text)
            result.files.append(doc.path)
    return result
