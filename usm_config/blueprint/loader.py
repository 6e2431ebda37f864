"""Load a blueprint (one YAML file or a directory of them) into the model, with locations.

Loading happens in layers. The files of one directory form a single layer: their collections
are concatenated and an id written twice is an error reported at both places. A layer may
``extends:`` other blueprints; those are loaded first and the layer is laid over them: an
element whose id already exists in a base is a *tailoring*, and the keys it sets replace the
base's keys of that element, and ``omit:`` leaves elements of its bases out by id.

*Overlays* (a target's ``overlays:`` in ``targets.yaml``) are layers laid over the whole
blueprint, in order, with the same rules: what one environment changes, written in one file.

Every problem found is returned as a located diagnostic; nothing here raises on bad input.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from usm_config.blueprint.checks import run_checks
from usm_config.blueprint.model import COLLECTIONS, Blueprint, Process, Workflow
from usm_config.blueprint.sequence import expand_path
from usm_config.blueprint.sources import FILE, MISSING, Kind, blueprint_files, kind_of, problem
from usm_config.blueprint.usm import ProcessId
from usm_config.blueprint.validation_errors import translate_errors
from usm_config.collector import paused_gc
from usm_config.diagnostics import (
    Diagnostic,
    LazyIndex,
    Location,
    Severity,
    SourceIndex,
    did_you_mean,
    display_path,
    locate,
)
from usm_config.file_kinds import FileKind, kind_of_document
from usm_config.yamlsource import (
    LMap,
    LNode,
    LScalar,
    LSeq,
    parse_text,
    read_yaml_text,
    to_plain,
    walk,
)

#: Top-level keys that hold one value; a later layer replaces the keys it sets.
SINGLETONS = ("usm", "organisation", "classification")


@dataclass
class LoadResult:
    """The outcome of loading: all diagnostics, and the blueprint once it passed the schema.

    ``blueprint`` is also set when the semantic checks found errors; callers decide with
    the diagnostics whether the blueprint is usable.
    """

    blueprint: Blueprint | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    index: SourceIndex = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def location(self, path: tuple[str | int, ...]) -> Location:
        """The location of ``path``, or of its nearest written ancestor."""
        return locate(self.index, path)


def _error(
    code: str, message: str, location: Location, hint: str, *related: Location
) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, location, "", hint, tuple(related))


#: The levels of a layer that laying layers together reads, and locates its problems in:
#: the top-level keys (1, 2), the items of a collection, the keys of ``organisation`` and
#: ``classification`` and the entries of ``extends`` (3), an item's keys and its ``id``, and
#: the ids in ``omit`` (4). A value below is only needed plain, until a diagnostic needs its
#: location (the source index locates every value).
LAYERS_LOCATED = 4


def _nearest_file(path: Path) -> str:
    """`` (did you mean '…'?)`` naming the entry beside a missing ``path`` that it most
    likely meant (``university.yaml`` for ``university``, else the closest name), or an
    empty string."""
    try:
        names = [entry.name for entry in path.parent.iterdir()]
    except OSError:
        return ""
    same_stem = sorted(name for name in names if Path(name).stem == path.name)
    nearest = same_stem or difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    return f" (did you mean '{display_path(path.parent / nearest[0])}'?)" if nearest else ""


class _Loader:
    """Reads a blueprint's files and lays its layers together into one located tree.

    ``texts`` keeps the text of every file read, and a loader given them reads those files
    from there: it builds the same tree again without touching the disk. ``located`` is the
    level below which the tree may hold plain data (see :func:`parse_text`); ``None`` locates
    every value, as the source index needs.
    """

    def __init__(self, texts: dict[Path, str] | None = None, located: int | None = None) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.files: list[Path] = []
        self.stack: list[Path] = []
        self.texts: dict[Path, str] = {} if texts is None else texts
        self.located = located

    def load(self, path: Path, referrer: Location | None = None) -> LMap | None:
        kind = kind_of(path)
        if kind.code:
            self.diagnostics.append(problem(kind, path, referrer))
            return None
        if kind is MISSING:
            hint = "check the path" + _nearest_file(path)
            if referrer is not None:
                hint += "; relative paths in 'extends' start at the file's folder"
            self.diagnostics.append(
                _error(
                    "LOAD001",
                    f"no such file or directory: {display_path(path)}",
                    referrer or Location(display_path(path)),
                    hint,
                )
            )
            return None
        resolved = path.resolve()
        if resolved in self.stack:
            where = referrer or Location(display_path(path))
            chain = " → ".join(display_path(p) for p in [*self.stack, resolved])
            self.diagnostics.append(
                _error(
                    "LOAD004",
                    f"'extends' forms a cycle: {chain}",
                    where,
                    "remove one of the 'extends' entries",
                )
            )
            return None
        self.stack.append(resolved)
        try:
            return self._load_layer(path, kind)
        finally:
            self.stack.pop()

    def _files(self, path: Path, kind: Kind) -> list[Path]:
        if kind is FILE:
            return [path]
        files, problems = blueprint_files(path)
        self.diagnostics.extend(problems)
        if not files and not problems:
            self.diagnostics.append(
                _error(
                    "LOAD002",
                    "the directory holds no .yaml or .yml files",
                    Location(display_path(path)),
                    "point at a blueprint file or a directory of blueprint files",
                )
            )
        return files

    def _parse(self, file: Path) -> LMap | None:
        self.files.append(file)
        text = self.texts.get(file)
        if text is None:
            read = read_yaml_text(file)
            if not isinstance(read, str):
                self.diagnostics.extend(read)
                return None
            text = self.texts[file] = read
        tree, diagnostics = parse_text(text, display_path(file), located=self.located)
        self.diagnostics.extend(diagnostics)
        if diagnostics and any(d.severity == Severity.ERROR for d in diagnostics):
            return None
        if tree is None:
            self.diagnostics.append(
                _error(
                    "LOAD003",
                    "the file is empty",
                    Location(display_path(file), 1, 1),
                    "start the blueprint with 'usm: 1' and an 'organisation:' mapping",
                )
            )
            return None
        if not isinstance(tree, LMap):
            kind = "a list" if isinstance(tree, LSeq) else "a single value"
            self.diagnostics.append(
                _error(
                    "LOAD005",
                    f"the document is {kind}, but a blueprint must be a mapping of keys",
                    tree.location,
                    "start the file with keys such as 'usm: 1', 'organisation:' and 'services:'",
                )
            )
            return None
        other = _another_file(tree, file)
        if other is not None:
            self.diagnostics.append(other)
            return None
        return tree

    def _load_layer(self, path: Path, kind: Kind) -> LMap | None:
        trees = [t for t in (self._parse(f) for f in self._files(path, kind)) if t is not None]
        if not trees:
            return None
        layer = self._combine(trees)
        omit = _pop(layer, "omit")
        bases = self._bases(layer, trees)
        if not bases:
            if omit is not None:
                self.diagnostics.append(
                    _error(
                        "LOAD010",
                        "'omit' leaves out elements of a base, but this blueprint has none",
                        omit[0],
                        "remove 'omit', or use it in a blueprint that 'extends' another or in "
                        "an overlay",
                    )
                )
            return layer
        merged = bases[0]
        for base in bases[1:]:
            merged = _overlay(merged, base)
        return self._lay(merged, layer, omit)

    def overlay(self, blueprint: LMap | None, path: Path) -> LMap | None:
        """Lay the overlay at ``path`` (a file or directory) over ``blueprint``."""
        kind = kind_of(path)
        if kind.code:
            self.diagnostics.append(problem(kind, path))
            return None
        if kind is MISSING:
            self.diagnostics.append(
                _error(
                    "LOAD001",
                    f"no such overlay file or directory: {display_path(path)}",
                    Location(display_path(path)),
                    "check the target's 'overlays' in the targets file (paths start at the "
                    "targets file's folder)",
                )
            )
            return None
        trees = [t for t in (self._parse(f) for f in self._files(path, kind)) if t is not None]
        if not trees:
            return None
        layer = self._combine(trees)
        omit = _pop(layer, "omit")
        extends = _pop(layer, "extends")
        if extends is not None:
            self.diagnostics.append(
                _error(
                    "LOAD009",
                    "an overlay cannot use 'extends': it is laid over the blueprint it is "
                    "used with",
                    extends[0],
                    "remove 'extends'; write in the overlay only what differs in this environment",
                )
            )
        if blueprint is None:
            return None
        return self._lay(blueprint, layer, omit)

    def _lay(self, base: LMap, layer: LMap, omit: tuple[Location, LNode] | None) -> LMap:
        if omit is not None:
            base = self._omitted(base, layer, *omit)
        return _overlay(base, layer)

    def _omitted(self, base: LMap, layer: LMap, where: Location, omit: LNode) -> LMap:
        """``base`` without the elements ``omit`` names, each of which must exist in it."""
        hint = "write e.g. 'omit: {services: [old-intranet]}': collections and their ids"
        if not isinstance(omit, LMap):
            self.diagnostics.append(
                _error("LOAD011", "'omit' takes a mapping of collections to ids", where, hint)
            )
            return base
        result = LMap(base.location, dict(base.values), dict(base.keys))
        for name, ids in omit.values.items():
            if name not in COLLECTIONS:
                self.diagnostics.append(
                    _error(
                        "LOAD011",
                        f"'omit' cannot leave out '{name}'{did_you_mean(name, COLLECTIONS)}",
                        omit.keys[name],
                        f"name one of: {', '.join(COLLECTIONS)}",
                    )
                )
                continue
            collection = result.values.get(name)
            items = list(collection.items) if isinstance(collection, LSeq) else []
            known = {ident: i for i, item in enumerate(items) if (ident := _id_of(item))}
            written = layer.values.get(name)
            tailored = (
                {ident for item in _as_list(written) if (ident := _id_of(item))}
                if written is not None
                else set()
            )
            drop: set[int] = set()
            for entry in _as_list(ids):
                ident = entry.value if isinstance(entry, LScalar) else None
                if not isinstance(ident, str | int) or isinstance(ident, bool):
                    self.diagnostics.append(
                        _error(
                            "LOAD011", f"'omit.{name}' takes a list of ids", entry.location, hint
                        )
                    )
                elif str(ident) not in known:
                    self.diagnostics.append(
                        _error(
                            "LOAD012",
                            f"'omit' names {name} '{ident}', which the blueprint it is laid "
                            f"over does not have{did_you_mean(str(ident), known)}",
                            entry.location,
                            "name an id of the blueprints this layer is laid over",
                        )
                    )
                elif str(ident) in tailored:
                    self.diagnostics.append(
                        _error(
                            "LOAD013",
                            f"{name} '{ident}' is both left out ('omit') and tailored in this "
                            "layer",
                            entry.location,
                            "either omit the element or tailor it, not both",
                        )
                    )
                else:
                    drop.add(known[str(ident)])
            if isinstance(collection, LSeq):
                result.values[name] = LSeq(
                    collection.location, [item for i, item in enumerate(items) if i not in drop]
                )
        return result

    def _combine(self, trees: list[LMap]) -> LMap:
        """Join the files of one layer; a key or id written twice is an error."""
        combined = LMap(trees[0].location)
        for tree in trees:
            for key, value in tree.values.items():
                if key not in combined.values:
                    combined.values[key] = value
                    combined.keys[key] = tree.keys[key]
                elif key in COLLECTIONS and isinstance(value, LSeq):
                    existing = combined.values[key]
                    if isinstance(existing, LSeq):
                        existing.items.extend(value.items)
                elif key == "extends":
                    existing = combined.values[key]
                    combined.values[key] = LSeq(
                        existing.location, _as_list(existing) + _as_list(value)
                    )
                else:
                    self.diagnostics.append(
                        _error(
                            "LOAD006",
                            f"'{key}' is written in more than one file of the blueprint",
                            tree.keys[key],
                            "keep it in one file",
                            combined.keys[key],
                        )
                    )
        for name in COLLECTIONS:
            collection = combined.values.get(name)
            if isinstance(collection, LSeq):
                self._check_unique_ids(name, collection)
        return combined

    def _check_unique_ids(self, name: str, collection: LSeq) -> None:
        seen: dict[str, Location] = {}
        for item in collection.items:
            ident = _id_of(item)
            if ident is None:
                continue
            where = item.keys["id"] if isinstance(item, LMap) else item.location
            if ident in seen:
                self.diagnostics.append(
                    _error(
                        "LOAD007",
                        f"duplicate id '{ident}' in {name}",
                        where,
                        "give each element its own id, or tailor a base element by "
                        "repeating its id in the blueprint that extends it",
                        seen[ident],
                    )
                )
            else:
                seen[ident] = where

    def _bases(self, layer: LMap, trees: list[LMap]) -> list[LMap]:
        popped = _pop(layer, "extends")
        if popped is None:
            return []
        bases = []
        for entry in _as_list(popped[1]):
            if not (isinstance(entry, LScalar) and isinstance(entry.value, str) and entry.value):
                self.diagnostics.append(
                    _error(
                        "LOAD008",
                        "'extends' takes a path or a list of paths",
                        entry.location,
                        "write e.g. 'extends: ../usm-reference.yaml'",
                    )
                )
                continue
            folder = Path(entry.location.file).parent
            base = self.load(folder / entry.value, entry.location)
            if base is not None:
                bases.append(base)
        return bases


def _another_file(tree: LMap, file: Path) -> Diagnostic | None:
    """The error for another of usm-config's files (a saved plan, a lock file, a targets file)
    given where a blueprint goes, else ``None``."""
    kind = kind_of_document(tree.values.keys())
    if kind is None or kind is FileKind.BLUEPRINT:
        return None
    if kind is FileKind.SAVED_PLAN:
        named = {
            key: value.value
            for key in ("blueprint", "target")
            if isinstance(value := tree.values.get(key), LScalar) and isinstance(value.value, str)
        }
        fix = (
            "apply it with the blueprint it was made from: usm-config apply "
            f"{named.get('blueprint', 'BLUEPRINT')} --target {named.get('target', 'TARGET')} "
            f"--plan {display_path(file)}"
        )
    elif kind is FileKind.LOCK:
        fix = (
            "name the blueprint file or folder instead; usm-config finds the lock file through "
            "the target's 'lock_dir'"
        )
    else:
        fix = (
            "name the blueprint file or folder as the argument (a blueprint's folder cannot "
            f"hold the targets file), and the targets file with --targets {display_path(file)}"
        )
    return _error("LOAD014", f"this is {kind}, not a blueprint", tree.location, fix)


def _pop(layer: LMap, key: str) -> tuple[Location, LNode] | None:
    """Take ``key`` out of ``layer``: where it is written, and its value."""
    value = layer.values.pop(key, None)
    where = layer.keys.pop(key, None)
    if value is None or where is None:
        return None
    return where, value


def _as_list(node: LNode) -> list[LNode]:
    return list(node.items) if isinstance(node, LSeq) else [node]


def _id_of(node: LNode) -> str | None:
    if isinstance(node, LMap):
        ident = node.values.get("id")
        if isinstance(ident, LScalar) and isinstance(ident.value, str | int):
            return str(ident.value)
    return None


def _overlay(base: LMap, layer: LMap) -> LMap:
    """Lay ``layer`` over ``base``: collections merge by id, other keys are replaced."""
    result = LMap(layer.location, dict(base.values), dict(base.keys))
    for key, value in layer.values.items():
        old = result.values.get(key)
        if key in COLLECTIONS and isinstance(old, LSeq) and isinstance(value, LSeq):
            result.values[key] = _overlay_collection(old, value)
        elif (
            key in ("organisation", "classification")
            and isinstance(old, LMap)
            and isinstance(value, LMap)
        ):
            result.values[key] = LMap(
                value.location, {**old.values, **value.values}, {**old.keys, **value.keys}
            )
        else:
            result.values[key] = value
        result.keys[key] = layer.keys[key]
    return result


def _overlay_collection(base: LSeq, layer: LSeq) -> LSeq:
    items = list(base.items)
    positions = {ident: i for i, item in enumerate(items) if (ident := _id_of(item)) is not None}
    for item in layer.items:
        ident = _id_of(item)
        if ident is not None and ident in positions and isinstance(item, LMap):
            old = items[positions[ident]]
            assert isinstance(old, LMap)
            items[positions[ident]] = LMap(
                item.location, {**old.values, **item.values}, {**old.keys, **item.keys}
            )
        else:
            items.append(item)
    return LSeq(layer.location, items)


def _with_sequences(blueprint: Blueprint) -> Blueprint:
    """Fill each workflow's derived ``sequence`` from its path and the tailored processes."""
    processes: dict[ProcessId, Process] = {p.id: p for p in blueprint.processes}
    workflows: list[Workflow] = [
        wf.model_copy(update={"sequence": expand_path(wf.path, processes, wf.steps)})
        for wf in blueprint.workflows
    ]
    return blueprint.model_copy(update={"workflows": tuple(workflows)})


def load_blueprint(path: Path | str, overlays: Sequence[Path] = ()) -> LoadResult:
    """Load, merge and validate the blueprint at ``path`` and run the semantic checks.

    ``overlays`` (files or directories) are laid over it in order before validation, so the
    checks see the merged result and locate each problem in the file that wrote it.
    """
    with paused_gc():
        return _load_blueprint(path, overlays)


def _tree(loader: _Loader, path: Path, overlays: Sequence[Path]) -> LMap | None:
    tree = loader.load(path)
    for overlay in overlays:
        tree = loader.overlay(tree, overlay)
    return tree


#: The collections of the USM library whose names and descriptions have a Dutch twin.
_TWINNED = ("call_types", "processes", "workflows")


def _over_twins(tree: LMap) -> list[tuple[str, int, str]]:
    """The ``name`` and ``description`` of library elements that the last layer writing the
    element wrote, while their Dutch twin (``name_nl``, ``description_nl``) comes from a layer
    below: read from the merged tree's key locations, so no source index is needed."""
    found = []
    for collection in _TWINNED:
        elements = tree.values.get(collection)
        if not isinstance(elements, LSeq):
            continue
        for i, element in enumerate(elements.items):
            if not isinstance(element, LMap) or "id" not in element.keys:
                continue
            top = element.keys["id"].file
            for text in ("name", "description"):
                here, twin = element.keys.get(text), element.keys.get(f"{text}_nl")
                if here is not None and twin is not None and here.file == top != twin.file:
                    found.append((collection, i, text))
    return found


def _index_again(path: Path, overlays: Sequence[Path], texts: dict[Path, str]) -> SourceIndex:
    """The source index of the tree built again from the texts read the first time."""
    with paused_gc():
        tree = _tree(_Loader(texts), path, overlays)
        return dict(walk(tree)) if tree is not None else {}


def _load_blueprint(path: Path | str, overlays: Sequence[Path]) -> LoadResult:
    loader = _Loader(located=LAYERS_LOCATED)
    tree = _tree(loader, Path(path), overlays)
    result = LoadResult(None, loader.diagnostics, files=loader.files)
    if tree is None or any(d.severity == Severity.ERROR for d in loader.diagnostics):
        return result
    texts = loader.texts
    result.index = LazyIndex(lambda: _index_again(Path(path), overlays, texts))
    over_twins = _over_twins(tree)
    plain = to_plain(tree)
    del tree  # its locations are only needed for a diagnostic, and made again then
    try:
        blueprint = Blueprint.model_validate(plain)
    except ValidationError as exc:
        result.diagnostics.extend(translate_errors(exc, result.index))
        return result
    blueprint = _with_sequences(blueprint)
    result.diagnostics.extend(run_checks(blueprint, result.index, over_twins))
    result.blueprint = blueprint
    return result
