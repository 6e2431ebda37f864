"""``targets.yaml``: where blueprints are applied, and how to log in (by env var name only).

Example::

    targets:
      prod:
        adapter: servicenow
        url: https://example.service-now.com
        auth: {type: basic, username_env: SN_USER, password_env: SN_PASSWORD}
      sandbox:
        adapter: servicenow
        url: "sandbox:"

A url of ``sandbox:`` runs the adapter's emulator in-process, with state under ``state_dir``.
The file holds the *names* of environment variables, never credentials.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_validator,
)

from usm_config.adapter import installed_adapters
from usm_config.blueprint.validation_errors import translate_errors
from usm_config.diagnostics import (
    Diagnostic,
    DiagnosticError,
    Location,
    Severity,
    did_you_mean,
    display_path,
)
from usm_config.file_kinds import FileKind, kind_of_document
from usm_config.http import AuthConfig, NoAuthConfig
from usm_config.target_checks import (
    Loc,
    TargetChecker,
    check_adapter,
    check_ca_bundle,
    check_lock_dir,
    check_sandbox_knobs,
    check_url,
)
from usm_config.yamlsource import LMap, parse_file, to_plain, walk

SANDBOX_URL = "sandbox:"
#: The target a command uses when it is given no --target.
DEFAULT_TARGET = "sandbox"
# A target name becomes part of file names (lock, journal, sandbox state): no separators, no
# leading dot, so it can never point outside the lock directory.
TARGET_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")


def _safe_name(name: str) -> str:
    if not TARGET_NAME.fullmatch(name):
        raise ValueError(
            "a target name names lock and state files, so it may hold only letters, digits, "
            "'-', '_' and '.' (not first), e.g. 'prod' or 'eu-test.2'"
        )
    return name


TargetName = Annotated[str, AfterValidator(_safe_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SandboxKnobs(_Strict):
    """Fault and latency injection for a ``sandbox:`` target."""

    latency_ms: float = Field(0, ge=0, description="Latency added to every request.")
    rate_429: float = Field(0, ge=0, le=1, description="Share of requests answered 429.")
    rate_5xx: float = Field(0, ge=0, le=1, description="Share of requests answered 503.")
    drop_after_commit: float = Field(
        0, ge=0, le=1, description="Share of writes whose response is lost after the commit."
    )
    retry_after_s: float = Field(1.0, ge=0, description="Retry-After sent with each 429.")
    rate_409: float = Field(
        0,
        ge=0,
        le=1,
        description="Share of configuration writes refused with 409 because a lock or a running "
        "task holds them (Jira's workflow, status and scheme writes).",
    )
    seed: int | None = Field(None, description="Random seed for repeatable faults.")


class Target(_Strict):
    """One instance of a tool that blueprints are applied to."""

    adapter: str = Field(description="Adapter name, e.g. 'servicenow'.")
    url: str = Field(description="Base URL of the instance, or 'sandbox:'.")
    auth: Annotated[AuthConfig, Field(discriminator="type")] = Field(
        default_factory=lambda: NoAuthConfig(type="none"),
        description="How to log in; names environment variables only.",
    )
    timeout: float = Field(30.0, gt=0, description="Seconds before a request times out.")
    ca_bundle: str | None = Field(None, description="CA bundle file for TLS verification.")
    retries: int = Field(6, ge=1, le=20, description="Attempts per request on transient faults.")
    parallelism: int = Field(
        4,
        ge=1,
        le=32,
        description="Requests in flight at once: writes within a level, and reads made one per "
        "record (TOPdesk's SLA services).",
    )
    mass_change_limit: float = Field(
        0.5, gt=0, le=1, description="Largest share of a kind one plan may delete or rewrite."
    )
    lock_dir: str | None = Field(
        None, description="Folder for lock and journal files (default: next to the blueprint)."
    )
    allow_insecure_http: bool = Field(
        False,
        description="Allow credentials over plain http:// to another machine (a URL whose "
        "connection is protected otherwise, e.g. by a tunnel). Off: such a target is refused.",
    )
    sandbox: SandboxKnobs = Field(default_factory=SandboxKnobs, description="Sandbox knobs.")
    overlays: tuple[str, ...] = Field(
        (),
        description="Blueprint layers laid over the blueprint for this target, in order "
        "(paths relative to the targets file): what differs in this environment.",
    )
    options: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Settings of this target's adapter, checked by the adapter "
        "(e.g. {private_api: true} for jsm).",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value != SANDBOX_URL and not value.startswith(("https://", "http://")):
            raise ValueError(
                f"'{value}' is not a URL; fix: write the instance's address (https://…) "
                "or 'sandbox:'"
            )
        return value.rstrip("/")

    @property
    def is_sandbox(self) -> bool:
        """True for the in-process emulator."""
        return self.url == SANDBOX_URL


class TargetsFile(_Strict):
    """The whole ``targets.yaml``."""

    targets: dict[TargetName, Target] = Field(
        description="Targets by name: letters, digits, '-', '_' and '.' (not first)."
    )


class ResolvedTarget(BaseModel):
    """A target with its name and the folder its relative paths start from."""

    model_config = ConfigDict(frozen=True)

    name: TargetName
    config: Target
    base_dir: Path

    @property
    def overlay_paths(self) -> tuple[Path, ...]:
        """The target's overlays, as paths."""
        return tuple(self.base_dir / overlay for overlay in self.config.overlays)

    def state_dir(self, blueprint: Path) -> Path:
        """Folder for the lock, journal and sandbox state."""
        if self.config.lock_dir:
            return self.base_dir / self.config.lock_dir
        return blueprint.parent


def load_targets(path: Path) -> TargetsFile:
    """Read and validate ``targets.yaml``; raise :class:`DiagnosticError` on any problem."""
    if not path.exists():
        raise DiagnosticError(
            [
                Diagnostic(
                    Severity.ERROR,
                    "TGT001",
                    "no targets file found",
                    Location(display_path(path)),
                    "",
                    "create targets.yaml (see README: Targets) or pass --targets FILE",
                )
            ]
        )
    tree, diagnostics = parse_file(path)
    if tree is None or not isinstance(tree, LMap):
        if not diagnostics:
            diagnostics = [
                Diagnostic(
                    Severity.ERROR,
                    "TGT002",
                    "the targets file must be a mapping with a 'targets:' key",
                    Location(display_path(path), 1, 1),
                    "",
                    "start the file with 'targets:'",
                )
            ]
        raise DiagnosticError(diagnostics)
    if diagnostics:
        raise DiagnosticError(diagnostics)
    other = _another_file(tree, path)
    if other is not None:
        raise DiagnosticError([other])
    index = dict(walk(tree))
    try:
        targets = TargetsFile.model_validate(to_plain(tree))
    except ValidationError as exc:
        raise DiagnosticError(translate_errors(exc, index, TargetsFile, hide_values=True)) from None
    problems = _check(targets, index, path.parent)
    if problems:
        raise DiagnosticError(problems)
    return targets


#: How to use each other kind of file given where the targets file goes.
_USE_INSTEAD = {
    FileKind.BLUEPRINT: "give the blueprint as the command's PATH argument, and the targets "
    "file with --targets FILE (targets.yaml in the working directory when left out)",
    FileKind.SAVED_PLAN: "give the saved plan with --plan {file}, and the targets file with "
    "--targets FILE",
    FileKind.LOCK: "give the targets file with --targets FILE; usm-config finds the lock file "
    "through the target's 'lock_dir'",
}


def _another_file(tree: LMap, path: Path) -> Diagnostic | None:
    """The error for another of usm-config's files (a blueprint, a saved plan, a lock file)
    given where the targets file goes, else ``None``."""
    kind = kind_of_document(tree.values.keys())
    if kind is None or kind is FileKind.TARGETS:
        return None
    return Diagnostic(
        Severity.ERROR,
        "TGT019",
        f"this is {kind}, not a targets file",
        tree.location,
        "",
        _USE_INSTEAD[kind].format(file=display_path(path)),
    )


def _check(targets: TargetsFile, index: dict[Loc, Location], base_dir: Path) -> list[Diagnostic]:
    """The checks of :mod:`usm_config.target_checks` on every target."""
    checker = TargetChecker(index, base_dir)
    installed = installed_adapters()
    for name, target in targets.targets.items():
        at: Loc = ("targets", name)
        check_adapter(checker, at, target.adapter, installed)
        if not target.is_sandbox:
            check_url(checker, at, target.url, target.auth.type, target.allow_insecure_http)
            if "sandbox" in target.model_fields_set:
                check_sandbox_knobs(checker, at)
        if target.ca_bundle is not None:
            check_ca_bundle(checker, at, target.ca_bundle)
        if target.lock_dir is not None:
            check_lock_dir(checker, at, target.lock_dir)
    return checker.diagnostics


def resolve_target(path: Path, name: str) -> ResolvedTarget:
    """Find target ``name`` in the targets file at ``path``."""
    targets = load_targets(path)
    if name not in targets.targets:
        known = ", ".join(sorted(targets.targets))
        raise DiagnosticError(
            [
                Diagnostic(
                    Severity.ERROR,
                    "TGT003",
                    f"unknown target '{name}'{did_you_mean(name, targets.targets)}",
                    Location(display_path(path)),
                    "",
                    f"use one of: {known}"
                    + (
                        f" ('{DEFAULT_TARGET}' is the target a command uses without --target)"
                        if name == DEFAULT_TARGET
                        else ""
                    ),
                )
            ]
        )
    return ResolvedTarget(name=name, config=targets.targets[name], base_dir=path.parent)
