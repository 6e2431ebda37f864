"""The adapter contract and the registry that finds adapters through entry points.

An adapter is an object exposed under the entry-point group ``usm_config.adapters``; the
built-in ones are separate distributions found exactly the way a third party's would be::

    [project.entry-points."usm_config.adapters"]
    servicenow = "usm_servicenow:ADAPTER"

Required surface (:class:`Adapter`): ``name``, ``kinds``, a pure ``compile`` and the I/O
methods ``read``, ``create``, ``update``, ``delete`` and ``find``. Optional capabilities are
separate protocols probed with ``isinstance``: :class:`SupportsSandbox`,
:class:`SupportsArtifacts`, :class:`SupportsOverrideCheck`, :class:`SupportsExport`,
:class:`SupportsBatchWrites` and :class:`SupportsScopedRead`.
The I/O half and the batch-write types live in :mod:`usm_config.engine.contract` (the engine
depends on nothing above it) and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import JsonValue

from usm_config.blueprint.model import Blueprint
from usm_config.diagnostics import did_you_mean
from usm_config.engine.contract import (
    ReadScope,
    RecordIO,
    SupportsBatchWrites,
    SupportsScopedRead,
    Write,
    WriteOutcome,
)
from usm_config.engine.records import Desired, Record
from usm_config.export.fidelity import Explanation
from usm_config.export.model import Exported
from usm_config.http import AuthConfig

ENTRY_POINT_GROUP = "usm_config.adapters"

#: The tool ids of live records by (kind, natural key).
LiveIds = Mapping[tuple[str, tuple[str, ...]], str]


@dataclass(frozen=True)
class Problem:
    """A problem an adapter finds in a blueprint's ``x-<adapter>`` settings."""

    path: tuple[str | int, ...]
    message: str
    hint: str


@runtime_checkable
class Adapter(RecordIO, Protocol):
    """What every adapter provides: a name, a pure ``compile``, and the engine's I/O methods
    (:class:`~usm_config.engine.contract.RecordIO`: ``kinds``, ``read``, ``find``, ``create``,
    ``update``, ``delete``)."""

    name: str
    description: str

    def compile(self, blueprint: Blueprint) -> Desired:
        """Translate the blueprint into desired records. Pure: no I/O, deterministic.

        Every element ends up as a record, or in a record of a read-only kind (a manual step):
        nothing is dropped silently.
        """
        ...


@dataclass(frozen=True)
class SandboxLogin:
    """The login of a fresh sandbox: an auth config and the environment it reads.

    ``auth`` names environment variables, as a target's ``auth`` does; ``environ`` gives them
    the emulator's local default values (the real environment wins where both set one). For
    example ``SandboxLogin(BasicAuthConfig(username_env="U", password_env="P"),
    {"U": "admin", "P": "admin"})``.
    """

    auth: AuthConfig
    environ: Mapping[str, str]


@runtime_checkable
class SupportsSandbox(Protocol):
    """An adapter that ships a local emulator of its tool."""

    def sandbox_app(self, state_file: Path | None, **knobs: Any) -> Any:
        """Return an ASGI app emulating the tool, persisting to ``state_file``."""
        ...

    def sandbox_credentials(self) -> SandboxLogin:
        """How to log in to a fresh sandbox (used for ``sandbox:`` targets without auth)."""
        ...


class AdapterOptionError(ValueError):
    """A target's ``options`` do not fit its adapter; the message names the option."""


@runtime_checkable
class SupportsOptions(Protocol):
    """An adapter with settings per target (``options`` in ``targets.yaml``)."""

    def configure(self, options: Mapping[str, JsonValue]) -> Adapter:
        """This adapter with ``options``; raises :class:`AdapterOptionError` for an unknown
        option or a bad value."""
        ...


def configured(adapter: Adapter, options: Mapping[str, JsonValue]) -> Adapter:
    """``adapter`` with a target's ``options`` (itself when there are none)."""
    if not options:
        return adapter
    if not isinstance(adapter, SupportsOptions):
        raise AdapterOptionError(
            f"adapter '{adapter.name}' takes no options; remove 'options' from the target"
        )
    return adapter.configure(options)


@runtime_checkable
class SupportsArtifacts(Protocol):
    """An adapter that writes offline files next to a plan (ServiceNow update-set XML, the
    JSM workflow guide and manual-step checklist)."""

    def artifacts(
        self, blueprint: Blueprint, changes: Sequence[Any], ids: LiveIds
    ) -> dict[str, bytes]:
        """Render files for ``blueprint`` and the plan's ``changes``: file name → content.

        ``ids`` are the tool ids of the live records by (kind, key). Pure: the adapter compiles
        what it needs from ``blueprint`` itself.
        """
        ...


@runtime_checkable
class SupportsOverrideCheck(Protocol):
    """An adapter that validates the blueprint's ``x-<adapter>`` settings."""

    def check_overrides(self, blueprint: Blueprint) -> list[Problem]:
        """Return one problem per invalid setting."""
        ...


@runtime_checkable
class SupportsExport(Protocol):
    """An adapter that can read a live tool back into a blueprint (``usm-config export``)."""

    def export(
        self, live: Sequence[Record], reference: Blueprint, *, scope: Blueprint | None = None
    ) -> Exported:
        """The inverse of ``compile``: ``live`` (as ``read`` returns it, references resolved)
        as a blueprint layer over ``reference``, the USM library it builds on. Pure.

        Where one tool holds several organisations (JSM projects), ``scope`` picks the one a
        blueprint compiles to; without it the adapter picks one and says so in a finding.

        Whatever the layer cannot hold (a record that is not USM's, a value the tool keeps
        where the API cannot read it) is a :class:`~usm_config.export.model.Finding`, so that
        nothing is dropped silently.
        """
        ...


#: Blueprint path → the adapter's word on that element: how it lands without a record of its
#: own, why, and what it becomes on the way (:class:`~usm_config.export.fidelity.Explanation`).
Explained = Mapping[str, Explanation]


@runtime_checkable
class SupportsLandings(Protocol):
    """An adapter that says how blueprint elements land in its tool, where its records alone
    do not tell."""

    def landings(self, blueprint: Blueprint) -> Explained:
        """Blueprint path (as ``Record.source`` spells it) → :class:`Explanation`: how an
        element the compile step gives no record of its own lands (a step that uses a state
        the tool has out of the box, a part of the blueprint written to an artifact, one the
        tool cannot hold) and what an element becomes on the way (a state that keeps the
        platform's label, categories merged into one). Pure."""
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


__all__ = [
    "ENTRY_POINT_GROUP",
    "Adapter",
    "AdapterNotFound",
    "AdapterOptionError",
    "Explained",
    "Explanation",
    "LiveIds",
    "Problem",
    "ReadScope",
    "RecordIO",
    "SandboxLogin",
    "SupportsArtifacts",
    "SupportsBatchWrites",
    "SupportsExport",
    "SupportsLandings",
    "SupportsOptions",
    "SupportsOverrideCheck",
    "SupportsSandbox",
    "SupportsScopedRead",
    "Write",
    "WriteOutcome",
    "configured",
    "installed_adapters",
    "load_adapter",
]
