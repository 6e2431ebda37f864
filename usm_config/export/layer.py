"""An exported layer laid over the blueprint it extends, in memory: the blueprint the export
stands for, before it is written anywhere.

The rules are the loader's (:mod:`usm_config.blueprint.loader`): collections merge by id (an
element with a known id changes only the keys it writes, a new one is appended), the
organisation and the classification merge key by key, other sections are replaced, ``omit``
leaves elements out; each workflow's ``sequence`` is derived again. An inverse uses it to
compile what it exported and see which live records that accounts for. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from usm_config.blueprint.model import Blueprint, Process
from usm_config.blueprint.sequence import expand_path
from usm_config.blueprint.usm import ProcessId

_MERGED = ("organisation", "classification")


def _collection(base: list[Any], layer: list[Any], omitted: set[str]) -> list[Any]:
    items = [dict(item) for item in base if item.get("id") not in omitted]
    positions = {str(item.get("id")): i for i, item in enumerate(items)}
    for item in layer:
        ident = str(item.get("id"))
        if ident in positions:
            items[positions[ident]] = {**items[positions[ident]], **item}
        else:
            items.append(dict(item))
    return items


def lay_over(base: Blueprint, document: Mapping[str, Any]) -> Blueprint:
    """``document`` (an exported layer's YAML data) laid over ``base``; raises pydantic's
    ``ValidationError`` when the result is not a valid blueprint."""
    data: dict[str, Any] = base.model_dump(mode="json")
    for wf in data.get("workflows", []):
        wf.pop("sequence", None)
    omit: Mapping[str, Any] = document.get("omit") or {}
    for key, value in document.items():
        if key in ("omit", "extends", "usm"):
            continue
        old = data.get(key)
        if isinstance(old, list) and isinstance(value, list):
            data[key] = _collection(old, value, set(omit.get(key, ())))
        elif key in _MERGED and isinstance(old, dict) and isinstance(value, dict):
            data[key] = {**old, **value}
        else:
            data[key] = value
    for key, ids in omit.items():
        if key not in document and isinstance(data.get(key), list):
            data[key] = [item for item in data[key] if item.get("id") not in set(ids)]
    blueprint = Blueprint.model_validate(data)
    processes: dict[ProcessId, Process] = {p.id: p for p in blueprint.processes}
    workflows = tuple(
        wf.model_copy(update={"sequence": expand_path(wf.path, processes, wf.steps)})
        for wf in blueprint.workflows
    )
    return blueprint.model_copy(update={"workflows": workflows})
