"""The TOPdesk adapter: kinds and mapping (pure) wired to the REST client (I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from usm_config.adapter import Explanation, LiveIds, ReadScope, SandboxLogin
from usm_config.blueprint.model import Blueprint
from usm_config.engine.plan import Change
from usm_config.engine.records import Record
from usm_config.export.model import Exported
from usm_config.http import BasicAuthConfig, HttpClient
from usm_config.sandbox.faults import FaultConfig
from usm_config.write_tables import WriteTables
from usm_topdesk import writes
from usm_topdesk.kinds import KINDS, UNREADABLE
from usm_topdesk.mapping import compile_blueprint
from usm_topdesk.overrides import check_overrides
from usm_topdesk.reads import read_tenant

#: Default login of a fresh sandbox (documented in the README); not a secret of any tenant.
SANDBOX_USER_ENV, SANDBOX_PASSWORD_ENV = "USM_SANDBOX_TOPDESK_USER", "USM_SANDBOX_TOPDESK_PASSWORD"


#: Per kind, how TOPdesk creates, updates and archives it (:mod:`usm_topdesk.writes`).
_WRITES = WriteTables(writes.CREATE, writes.UPDATE, writes.DELETE)


class TopdeskAdapter:
    """Writes a USM blueprint to TOPdesk through its REST API, and the rest as a checklist.

    The API writes branches, departments, operator groups, services and the knowledge base;
    everything else is a checklist item (a manual step) that the next plan checks off by
    reading TOPdesk's lists, and ``plan --artifacts DIR`` renders as an HTML page and a
    Markdown file grouped by settings screen.
    """

    name = "topdesk"
    description = "TOPdesk (SaaS and on-premises): REST API, plus a checklist of the rest"
    kinds = KINDS
    #: The pure halves: blueprint → records, and the x-topdesk checks.
    compile = staticmethod(compile_blueprint)
    check_overrides = staticmethod(check_overrides)

    # ------------------------------------------------------------------------- reading

    async def read(self, client: HttpClient, kinds: Sequence[str]) -> list[Record]:
        """Read every kind of ``kinds`` TOPdesk lets the API user read."""
        return await self._read(client, kinds, None)

    async def read_for(
        self, client: HttpClient, kinds: Sequence[str], scope: ReadScope
    ) -> list[Record]:
        """:meth:`read`, with SLA services read only for the services of those ``scope``
        wants when the tenant holds too many to list at once, and operator groups and knowledge
        items only by the names and ids it names (see :func:`usm_topdesk.reads.read_tenant`).
        SLA services are never written, so none is managed: a service renamed in the tool no
        longer matches its checklist items anyway."""
        return await self._read(client, kinds, scope)

    async def _read(
        self, client: HttpClient, kinds: Sequence[str], scope: ReadScope | None
    ) -> list[Record]:
        wanted = set(kinds) - UNREADABLE
        found = await read_tenant(client, wanted, scope=scope)
        return [r for r in found if r.kind in wanted]

    async def find(self, client: HttpClient, kind: str, key: tuple[str, ...]) -> list[Record]:
        """Candidates for ``key``, checked by the engine: what a plan that names only this key
        reads of ``kind`` (operator groups and knowledge items by their name, other kinds
        whole)."""
        return await self._read(client, [kind], ReadScope({kind: {key}}, {}))

    def export(
        self, live: Sequence[Record], reference: Blueprint, *, scope: Blueprint | None = None
    ) -> Exported:
        """The tenant as a blueprint layer over ``reference`` (see :mod:`usm_topdesk.export`);
        a tenant holds one organisation, so ``scope`` (the blueprint pulled into) only lends
        its ids to the teams and profiles it names."""
        from usm_topdesk.export import export_records  # noqa: PLC0415 (only when used)

        return export_records(live, reference, scope)

    # ------------------------------------------------------------------------- writing

    async def create(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        """Create one record (one TOPdesk says exists is refused: plan again to adopt it)."""
        return await _WRITES.create_record(client, kind, fields)

    async def update(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        """Write the changed fields of one record."""
        return await _WRITES.update_record(client, kind, target_id, fields)

    async def delete(self, client: HttpClient, kind: str, target_id: str) -> None:
        """Archive one record: TOPdesk keeps archived records, usm-config never deletes."""
        await _WRITES.delete_record(client, kind, target_id)

    def landings(self, blueprint: Blueprint) -> dict[str, Explanation]:
        """Merged categories, steps without a status of their own and profiles (see
        :mod:`usm_topdesk.landings`)."""
        from usm_topdesk.landings import landings  # noqa: PLC0415 (only when used)

        return landings(blueprint)

    def artifacts(
        self, blueprint: Blueprint, changes: Sequence[Change], ids: LiveIds
    ) -> dict[str, bytes]:
        """The checklist of everything the API cannot write, ticked where the plan found it
        done: ``checklist.html`` and ``checklist.md``."""
        from usm_topdesk.checklist import render_checklist  # noqa: PLC0415 (only when used)

        del ids  # the checklist names settings, not ids
        html, markdown = render_checklist(blueprint, changes)
        return {"checklist.html": html.encode("utf-8"), "checklist.md": markdown.encode("utf-8")}

    # ------------------------------------------------------------------------- sandbox

    def sandbox_app(
        self, state_file: Path | None, *, spec_path: Path | None = None, **knobs: Any
    ) -> Any:
        """The TOPdesk emulator, persisting to ``state_file``; ``spec_path`` is the folder of
        the TOPdesk API descriptions every request is checked against."""
        from usm_topdesk.sandbox import create_app  # noqa: PLC0415 (starlette only when used)

        # ``rate_409`` plays Jira's lock conflicts; TOPdesk has none to play.
        knobs.pop("rate_409", None)
        return create_app(db_path=state_file, faults=FaultConfig(**knobs), spec_dir=spec_path)

    def sandbox_credentials(self) -> SandboxLogin:
        """Basic auth with an operator's login name and application password."""
        return SandboxLogin(
            BasicAuthConfig(username_env=SANDBOX_USER_ENV, password_env=SANDBOX_PASSWORD_ENV),
            {SANDBOX_USER_ENV: "admin", SANDBOX_PASSWORD_ENV: "sandbox-app-password"},
        )


ADAPTER = TopdeskAdapter()
