"""Order kinds by their declared dependencies: writes go level by level."""

from __future__ import annotations

from collections.abc import Mapping

from usm_config.engine.records import KindSpec


class DependencyCycle(ValueError):
    """The kinds' dependencies form a cycle (an adapter bug)."""


def kind_levels(kinds: Mapping[str, KindSpec]) -> dict[str, int]:
    """Level of every kind: 0 for kinds without dependencies, else 1 + the deepest dependency.

    Dependencies on kinds the adapter does not declare are ignored.
    """
    levels: dict[str, int] = {}
    visiting: set[str] = set()

    def level(name: str) -> int:
        if name in levels:
            return levels[name]
        if name in visiting:
            raise DependencyCycle(f"kinds depend on each other in a cycle through '{name}'")
        visiting.add(name)
        deps = [d for d in kinds[name].dependencies() if d in kinds]
        result = 1 + max((level(d) for d in deps), default=-1)
        visiting.discard(name)
        levels[name] = result
        return result

    for name in kinds:
        level(name)
    return levels
