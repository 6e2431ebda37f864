"""The adapter contract and the registry that finds adapters through entry points.

An adapter is an object exposed under the entry-point group ``usm_config.adapters``; the
built-in ones are separate distributions found exactly the way a third party's would be::

    [project.entry-points."usm_config.adapters"]
    servicenow = "usm_servicenow:ADAPTER"

Required surface (:class:`Adapter`): ``name``, ``kinds``, a pure ``compile`` and the I/O
methods ``read``, ``create``, ``update``, ``delete`` and ``find``. Optional capabilities are
separate protocols the engine probes with ``isinstance``: :class:`SupportsSandbox`,
:class:`SupportsArtifacts` and :class:`SupportsOverrideCheck`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from usm_config.blueprint.model import Blueprint
from usm_config.diagnostics import did_you_mean
from usm_config.engine.records import Desired, KindSpec, Record
from usm_config.http import HttpClient

ENTRY_POINT_GROUP = "usm_config.adapters"


@dataclass(frozen=True)
class Problem:
    """A problem an adapter finds in a blueprint's ``x-<adapter>`` settings."""

    path: tuple[str | int, ...]
    message: str
    hint: str


@runtime_checkable
class Adapter(Protocol):
    """What every adapter provides. Methods other than ``compile`` talk to the tool."""

    name: str
    description: str
    kinds: Mapping[str, KindSpec]

    def compile(self, blueprint: Blueprint) -> Desired:
        """Translate the blueprint into desired records. Pure: no I/O, deterministic.

        Every element ends up as a record, or in a record of a read-only kind (a manual step):
        nothing is dropped silently.
        """
        ...

    async def read(self, client: HttpClient, kinds: Sequence[str]) -> list[Record]:
        """Read every record of ``kinds`` (whole collections, paged, owned fields only).

        Reference fields hold the tool's raw ids; the engine turns them into references.
        """
        ...

    async def find(self, client: HttpClient, kind: str, key: tuple[str, ...]) -> list[Record]:
        """Read the records of ``kind`` whose natural key is ``key`` (after an uncertain write)."""
        ...

    async def create(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        """Create one record. All-or-nothing: if it raises, the record must not exist,
        unless the HTTP layer raised ``UncertainWriteError``."""
        ...

    async def update(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        """Write ``fields`` (changed owned fields only) to an existing record."""
        ...

    async def delete(self, client: HttpClient, kind: str, target_id: str) -> None:
        """Delete a record. If it raises, the record is assumed to still exist."""
        ...


@runtime_checkable
class SupportsSandbox(Protocol):
    """An adapter that ships a local emulator of its tool."""

    def sandbox_app(self, state_file: Path | None, **knobs: Any) -> Any:
        """Return an ASGI app emulating the tool, persisting to ``state_file``."""
        ...

    def sandbox_credentials(self) -> Mapping[str, str]:
        """Environment variables (name → value) that log in to a fresh sandbox."""
        ...


@runtime_checkable
class SupportsArtifacts(Protocol):
    """An adapter that can write a plan as offline files (e.g. ServiceNow update-set XML)."""

    def artifacts(
        self,
        changes: Sequence[Any],
        desired: Sequence[Record],
        ids: Mapping[tuple[str, tuple[str, ...]], str],
        name: str,
    ) -> dict[str, bytes]:
        """Render the plan's writes as files: file name → content.

        ``desired`` holds the full desired records, ``ids`` the tool ids of live records.
        """
        ...


@runtime_checkable
class SupportsOverrideCheck(Protocol):
    """An adapter that validates the blueprint's ``x-<adapter>`` settings."""

    def check_overrides(self, blueprint: Blueprint) -> list[Problem]:
        """Return one problem per invalid setting."""
        ...


@dataclass(frozen=True)
class Write:
    """One write of a batch: ``action`` is ``create``, ``update`` or ``delete``."""

    action: str
    kind: str
    fields: Mapping[str, Any]
    target_id: str | None = None


@dataclass(frozen=True)
class WriteOutcome:
    """What became of one write of a batch.

    ``target_id`` is set when the write succeeded. Otherwise ``error`` says why; ``retryable``
    marks writes that were not carried out (rate limited, not serviced) and may be sent again.
    """

    target_id: str | None = None
    error: str = ""
    retryable: bool = False


@runtime_checkable
class SupportsBatchWrites(Protocol):
    """An adapter that can send many writes in one request (e.g. ServiceNow's Batch API)."""

    batch_size: int

    async def write_batch(self, client: HttpClient, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Send ``writes`` together; one outcome per write, in order.

        Raises ``UncertainWriteError`` when the answer was lost: then any write may or may not
        have been carried out, and the engine checks each one.
        """
        ...


class AdapterNotFound(LookupError):
    """No installed adapter has the requested name."""


def _entry_points() -> list[EntryPoint]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def installed_adapters() -> dict[str, EntryPoint]:
    """Entry points of every installed adapter, by name."""
    return {ep.name: ep for ep in _entry_points()}


def load_adapter(name: str) -> Adapter:
    """Load the adapter called ``name``; unknown names get a did-you-mean."""
    found = installed_adapters()
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise AdapterNotFound(
            f"unknown adapter '{name}'{did_you_mean(name, found)}; installed: {known}"
        )
    adapter = found[name].load()
    if not isinstance(adapter, Adapter):
        raise AdapterNotFound(f"entry point '{name}' does not provide a usm-config adapter")
    if adapter.name != name:
        raise AdapterNotFound(f"entry point '{name}' provides adapter '{adapter.name}'")
    return adapter
