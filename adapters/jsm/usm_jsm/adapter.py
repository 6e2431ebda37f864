"""The Jira Service Management adapter: kinds and mapping (pure) wired to the REST client (I/O)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence, Set
from pathlib import Path
from typing import Any

from pydantic import JsonValue

from usm_config.adapter import (
    AdapterOptionError,
    Explanation,
    LiveIds,
    ReadScope,
    SandboxLogin,
    Write,
    WriteOutcome,
)
from usm_config.blueprint.model import Blueprint
from usm_config.diagnostics import did_you_mean
from usm_config.engine.plan import Change
from usm_config.engine.records import KindSpec, Record
from usm_config.export.model import Exported
from usm_config.http import BasicAuthConfig, HttpClient
from usm_config.sandbox.faults import FaultConfig
from usm_config.write_tables import WriteTables
from usm_jsm import writes
from usm_jsm.kinds import KINDS, PRIVATE_KINDS, PRIVATE_UNREADABLE, PROJECT_KINDS, UNREADABLE
from usm_jsm.mapping import compile_blueprint
from usm_jsm.overrides import check_overrides
from usm_jsm.reads import read_site
from usm_jsm.values import project_key

#: Default login of a fresh sandbox (documented in the README); not a secret of any real site.
SANDBOX_USER_ENV, SANDBOX_TOKEN_ENV = "USM_SANDBOX_JIRA_EMAIL", "USM_SANDBOX_JIRA_API_TOKEN"
#: The target options the adapter takes (``options`` in targets.yaml).
OPTIONS = ("private_api",)


class JsmAdapter:
    """Writes a USM blueprint to Jira Service Management Cloud through its public REST APIs.

    With ``private_api`` (target option ``private_api: true``) it also writes and reads
    queues, SLA calendars and SLA metrics through Jira's internal, unsupported endpoints
    (:mod:`usm_jsm.private`).
    """

    name = "jsm"
    description = "Jira Service Management Cloud: platform REST v3 and the JSM REST API"
    #: Creates in one request (statuses; the options of one context), at most this many.
    batch_size = 50
    #: The pure halves: blueprint → records, and the x-jsm checks.
    compile = staticmethod(compile_blueprint)
    check_overrides = staticmethod(check_overrides)

    def __init__(self, *, private_api: bool = False) -> None:
        self.private_api = private_api
        self.kinds: Mapping[str, KindSpec] = PRIVATE_KINDS if private_api else KINDS
        self._unreadable = PRIVATE_UNREADABLE if private_api else UNREADABLE
        self._writes = (
            WriteTables(
                writes.PRIVATE_CREATE, writes.PRIVATE_UPDATE, writes.PRIVATE_DELETE, writes.TOGETHER
            )
            if private_api
            else WriteTables(writes.CREATE, writes.UPDATE, writes.DELETE, writes.TOGETHER)
        )

    def configure(self, options: Mapping[str, JsonValue]) -> JsmAdapter:
        """This adapter with a target's ``options``: only ``private_api`` (true or false)."""
        for name in options:
            if name not in OPTIONS:
                raise AdapterOptionError(
                    f"adapter 'jsm' has no option '{name}'{did_you_mean(name, OPTIONS)}; "
                    f"the only option is private_api: true"
                )
        private_api = options.get("private_api", False)
        if not isinstance(private_api, bool):
            raise AdapterOptionError(
                f"option 'private_api' of adapter 'jsm' must be true or false, not {private_api!r}"
            )
        return JsmAdapter(private_api=private_api)

    # ------------------------------------------------------------------------- reading

    async def read(self, client: HttpClient, kinds: Sequence[str]) -> list[Record]:
        """Read every kind of ``kinds`` (whole collections; per project and per managed field
        where the API has no site-wide list)."""
        return await self._read(client, kinds, None, None)

    async def read_for(
        self, client: HttpClient, kinds: Sequence[str], scope: ReadScope
    ) -> list[Record]:
        """:meth:`read`, with what is read per project (components, request types, queues,
        portal groups, the owner marker) read only for the projects of the records ``scope``
        wants (see :data:`~usm_jsm.kinds.PROJECT_KINDS`), and for every project the lock file
        manages, whatever its key is now (a project's key can be changed in Jira); and the
        groups only for the names and the ids ``scope`` wants."""
        keys = {key[0] for kind in PROJECT_KINDS for key in scope.keys_of(kind)}
        groups = ({key[0] for key in scope.keys_of("group")}, set(scope.ids_of("group")))
        return await self._read(client, kinds, (keys, scope.ids_of("project")), groups)

    async def _read(
        self,
        client: HttpClient,
        kinds: Sequence[str],
        projects: tuple[Set[str], Set[str]] | None,
        groups: tuple[Set[str], Set[str]] | None,
    ) -> list[Record]:
        wanted = set(kinds) - self._unreadable
        records = await read_site(client, wanted, projects=projects, groups=groups)
        return [r for r in records if r.kind in wanted]

    async def find(self, client: HttpClient, kind: str, key: tuple[str, ...]) -> list[Record]:
        """Candidates for ``key``, checked by the engine: what a plan whose scope is that one
        key reads of the kind (a group by its name, the components of its project)."""
        return await self.read_for(client, [kind], ReadScope({kind: {key}}, {}))

    # ------------------------------------------------------------------------- writing

    async def create(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        """Create one record."""
        return await self._writes.create_record(client, kind, fields)

    async def update(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        """Write the changed fields of one record."""
        return await self._writes.update_record(client, kind, target_id, fields)

    async def delete(self, client: HttpClient, kind: str, target_id: str) -> None:
        """Delete one record."""
        await self._writes.delete_record(client, kind, target_id)

    def batch_key(self, action: str, kind: str, fields: Mapping[str, Any]) -> Hashable | None:
        """Statuses share a create, and so do the options of one context and the sub-options
        of one option (:data:`~usm_jsm.writes.TOGETHER`); every other write goes alone."""
        return self._writes.batch_key(action, kind, fields)

    async def write_batch(self, client: HttpClient, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Send creates of one :meth:`batch_key` in one request."""
        return await self._writes.write_batch(client, writes)

    def export(
        self, live: Sequence[Record], reference: Blueprint, *, scope: Blueprint | None = None
    ) -> Exported:
        """The site's USM project (``scope``'s, when given) as a blueprint layer over
        ``reference`` (see :mod:`usm_jsm.export`)."""
        from usm_jsm.export import export_records  # noqa: PLC0415 (only when used)

        return export_records(live, reference, project_key(scope) if scope else None)

    def landings(self, blueprint: Blueprint) -> dict[str, Explanation]:
        """Workflows and profiles in the workflow guide, agreements merged into another's SLA
        metrics (see :mod:`usm_jsm.landings`)."""
        from usm_jsm.landings import landings  # noqa: PLC0415 (only when used)

        return landings(blueprint)

    def artifacts(
        self, blueprint: Blueprint, changes: Sequence[Change], ids: LiveIds
    ) -> dict[str, bytes]:
        """The workflow guide and the checklist of the plan's manual steps (Markdown)."""
        from usm_jsm.guide import render_manual_steps, render_workflow_guide  # noqa: PLC0415 (only when used)

        del ids  # the files name objects, not ids
        return {
            "workflow-guide.md": render_workflow_guide(blueprint).encode("utf-8"),
            "manual-steps.md": render_manual_steps(blueprint, changes).encode("utf-8"),
        }

    # ------------------------------------------------------------------------- sandbox

    def sandbox_app(
        self, state_file: Path | None, *, spec_path: Path | None = None, **knobs: Any
    ) -> Any:
        """The JSM emulator, persisting to ``state_file``; ``spec_path`` is the folder of the
        Jira OpenAPI documents every request is checked against."""
        from usm_jsm.sandbox import create_app  # noqa: PLC0415 (starlette only when used)

        lock_conflicts = float(knobs.pop("rate_409", 0.0) or 0.0)
        return create_app(
            db_path=state_file,
            faults=FaultConfig(**knobs),
            spec_dir=spec_path,
            lock_conflict_rate=lock_conflicts,
        )

    def sandbox_credentials(self) -> SandboxLogin:
        """Basic auth with the sandbox's e-mail address and API token, as on Cloud."""
        return SandboxLogin(
            BasicAuthConfig(username_env=SANDBOX_USER_ENV, password_env=SANDBOX_TOKEN_ENV),
            {SANDBOX_USER_ENV: "admin@example.com", SANDBOX_TOKEN_ENV: "sandbox-token"},
        )


ADAPTER = JsmAdapter()
