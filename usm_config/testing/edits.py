"""Edits of a loaded blueprint that conformance tests and scenarios apply (``model_copy``)."""

from __future__ import annotations

from typing import Literal

from usm_config.blueprint.model import Blueprint

#: The named, renameable elements the suite edits.
Renameable = Literal["teams", "services"]


def with_renamed(
    blueprint: Blueprint, element: Renameable, element_id: str, name: str
) -> Blueprint:
    """``blueprint`` with the ``element`` (team or service) ``element_id`` called ``name``."""
    items = getattr(blueprint, element)
    ids = [item.id for item in items]
    if element_id not in ids:
        raise ValueError(f"the blueprint has no {element} '{element_id}' (it has: {ids})")
    renamed = tuple(
        item.model_copy(update={"name": name}) if item.id == element_id else item for item in items
    )
    return blueprint.model_copy(update={element: renamed})


def without_services(blueprint: Blueprint, *service_ids: str) -> Blueprint:
    """``blueprint`` without the given services (all of them when none are given)."""
    missing = set(service_ids) - {s.id for s in blueprint.services}
    if missing:
        raise ValueError(f"the blueprint has no services {sorted(missing)}")
    kept = tuple(s for s in blueprint.services if service_ids and s.id not in service_ids)
    return blueprint.model_copy(update={"services": kept})
