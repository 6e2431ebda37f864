"""The ServiceNow adapter: kinds and mapping (pure) wired to the Table API client (I/O)."""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import JsonValue

from usm_config.adapter import (
    Explanation,
    LiveIds,
    ReadScope,
    SandboxLogin,
    Write,
    WriteOutcome,
)
from usm_config.blueprint.model import Blueprint
from usm_config.engine.plan import Action, Change
from usm_config.engine.records import KindSpec, Record, record_key, ref_target
from usm_config.export.model import Exported
from usm_config.http import BasicAuthConfig, HttpClient
from usm_config.http.filters import SCOPE_QUERY_CHARS, SCOPE_REQUESTS, query_encoded, scope_texts
from usm_config.sandbox.faults import FaultConfig
from usm_servicenow import client as api
from usm_servicenow.kinds import KINDS, SCOPED_READS
from usm_servicenow.mapping import compile_blueprint
from usm_servicenow.overrides import check_overrides

RETRYABLE = frozenset({429, 502, 503, 504})
#: Default login of a fresh sandbox (documented in the README); not a secret of any real system.
SANDBOX_USER_ENV, SANDBOX_PASSWORD_ENV = "USM_SANDBOX_USER", "USM_SANDBOX_PASSWORD"


def _scope(kind: str, keys: Iterable[tuple[str, ...]], ids: Iterable[str]) -> list[str] | None:
    """The encoded filters (one per request) that read the rows of ``kind`` whose leading key
    fields (see :data:`~usm_servicenow.kinds.SCOPED_READS`) hold those of one of ``keys``, and
    the managed rows ``ids`` wherever they are now (their key changed in the tool); ``None``
    when there are neither, ``[""]`` (the whole table) when a value cannot be put in a query
    or they take more requests than :mod:`usm_config.http.filters` allows."""
    fields = SCOPED_READS[kind]
    keys, ids = list(keys), list(ids)
    if not keys and not ids:
        return None
    if any(len(key) < len(fields) for key in keys):
        return [""]
    unique = {key[: len(fields)] for key in keys}
    if len(unique) + len(ids) > SCOPE_REQUESTS * SCOPE_QUERY_CHARS // len("^NQa=b"):
        return [""]  # more than the requests can hold, however short (a blueprint's thousands)
    groups = sorted(unique)
    # Encoded queries have no escaping (servicenow.md §1.3): '^' ends a condition, ',' an
    # IN value, and an empty value is not a match on "". Spaces at either end are left to an
    # exact compare too: nothing documents whether a condition keeps them.
    values = [v for group in groups for v in group]
    if any(not v or "^" in v or v != v.strip() for v in values) or any("," in i for i in ids):
        return [""]
    conditions = ["^".join(f"{f}={v}" for f, v in zip(fields, g, strict=True)) for g in groups]
    budget = SCOPE_QUERY_CHARS - len(query_encoded(f"^{api.ORDER_BY}"))
    id_lists = scope_texts(sorted(ids), ",", budget=budget - len(query_encoded("sys_idIN")))
    if id_lists is None:
        return [""]
    texts = scope_texts(conditions + [f"sys_idIN{i}" for i in id_lists], "^NQ", budget=budget)
    return [""] if texts is None else texts


def _unread_references(
    records: Sequence[Record],
    filters: Mapping[str, Sequence[str]],
    scope: ReadScope,
    kinds: Mapping[str, KindSpec],
) -> dict[str, list[str]]:
    """The filters that read, by sys_id, the rows of scoped tables that the wanted rows of
    ``records`` (those whose key or id ``scope`` names) refer to but ``filters`` did not
    read; the table's whole read when there are too many."""
    read: dict[str, set[str]] = {}
    for record in records:
        read.setdefault(record.kind, set()).add(str(record.target_id))
    targets_of = {
        kind: {
            name: target
            for name, target in spec.references.items()
            if target in SCOPED_READS and filters.get(target) != [""]
        }
        for kind, spec in kinds.items()
    }
    missing: dict[str, set[str]] = {}
    for record in records:
        targets = targets_of[record.kind]
        if not targets:
            continue
        # A glide_list holds several sys_ids, comma-separated.
        unread = [
            (kind, sys_id)
            for name, kind in targets.items()
            for sys_id in str(record.fields.get(name) or "").split(",")
            if sys_id and sys_id not in read.get(kind, ())
        ]
        if unread and _wanted(record, kinds[record.kind], scope):
            for kind, sys_id in unread:
                missing.setdefault(kind, set()).add(sys_id)
    return {kind: _scope(kind, (), ids) or [""] for kind, ids in missing.items()}


def _wanted(record: Record, spec: KindSpec, scope: ReadScope) -> bool:
    """Whether the plan compares ``record`` (a raw row): its key or its id is in ``scope``.
    A key that holds a reference is known only once references resolve: wanted then."""
    if record.target_id in scope.ids_of(spec.name):
        return True
    if any(name in spec.references for name in spec.key_fields):
        return True
    return record_key(spec, record.fields) in scope.keys_of(spec.name)


def _row_to_record(
    kind: KindSpec, row: Mapping[str, Any], texts: dict[str, str] | None = None
) -> Record:
    """The record of one Table API row. With ``texts``, each value is the copy of its text
    kept there: the rows of a whole read repeat the same few texts (flags, the sys_ids of
    referenced records) hundreds of thousands of times."""
    fields: dict[str, JsonValue]
    if texts is None:
        fields = {name: str(row.get(name, "") or "") for name in kind.owned_fields}
    else:
        fields = {}
        for name in kind.owned_fields:
            value = row.get(name)
            text = value if type(value) is str else str(value or "")
            fields[name] = texts.setdefault(text, text)
    return Record(kind=kind.name, key=(), fields=fields, target_id=str(row["sys_id"]))


class ServiceNowAdapter:
    """Writes a USM blueprint to ServiceNow through the Table API."""

    name = "servicenow"
    description = "ServiceNow: Table API and Batch API, update-set XML export"
    #: Writes per Batch API call; the instance's batch time quota is 30 s by default.
    batch_size = 50
    kinds: Mapping[str, KindSpec] = KINDS
    #: The pure halves: blueprint → records, and the x-servicenow checks.
    compile = staticmethod(compile_blueprint)
    check_overrides = staticmethod(check_overrides)

    async def read(self, client: HttpClient, kinds: Sequence[str]) -> list[Record]:
        """Read every table of ``kinds`` in full (owned fields only)."""
        return await self._read(client, {kind: [""] for kind in kinds})

    async def read_for(
        self, client: HttpClient, kinds: Sequence[str], scope: ReadScope
    ) -> list[Record]:
        """:meth:`read`, with the tables of :data:`~usm_servicenow.kinds.SCOPED_READS`
        filtered on the keys and the managed ids ``scope`` wants (not read at all when it
        wants none), then the rows of those tables that a wanted row refers to and the filter
        left out (a managed offering's group changed in the tool to another team's): the plan
        names them as a whole read would."""
        filters = {
            k: _scope(k, scope.keys_of(k), scope.ids_of(k)) if k in SCOPED_READS else [""]
            for k in kinds
        }
        read = {k: f for k, f in filters.items() if f is not None}
        records = await self._read(client, read)
        later = _unread_references(records, read, scope, self.kinds)
        if not later:
            return records
        once = {(r.kind, r.target_id): r for r in records + await self._read(client, later)}
        return list(once.values())

    async def _read(self, client: HttpClient, filters: Mapping[str, Sequence[str]]) -> list[Record]:
        """Read the tables of ``filters``, each with its encoded filters ("" for all rows);
        a row more than one of a table's filters match is read once."""
        specs = {k: self.kinds[k] for k in filters}
        texts: dict[str, str] = {}
        records = await api.read_queries(
            client,
            [(kind, specs[kind].owned_fields, where) for kind in specs for where in filters[kind]],
            lambda table, row: _row_to_record(specs[table], row, texts),
        )
        once = {(r.kind, r.target_id): r for name in specs for r in records[name]}
        return list(once.values())

    async def find(self, client: HttpClient, kind: str, key: tuple[str, ...]) -> list[Record]:
        """Candidates for ``key``: filtered on its key fields, checked by the engine. A key
        field that holds a reference is filtered dot-walked where :data:`SCOPED_READS` names
        how (``schedule.name``), else not at all."""
        spec = self.kinds[kind]
        walked = dict(zip(spec.key_fields, SCOPED_READS.get(kind, ()), strict=False))
        conditions = [
            f"{walked.get(name, name)}={value}"
            for name, value in zip(spec.key_fields, key, strict=True)
            if name not in spec.references or "." in walked.get(name, "")
        ]
        # Encoded queries cannot escape '^' (servicenow.md §1.3): read the table instead.
        where = "" if any("^" in c for c in conditions) else "^".join(conditions)
        rows = await api.query_table(client, kind, spec.owned_fields, where)
        return [_row_to_record(spec, row) for row in rows]

    async def create(self, client: HttpClient, kind: str, fields: dict[str, Any]) -> Record:
        """Insert one record."""
        spec = self.kinds[kind]
        row = await api.create_record(client, kind, fields, spec.owned_fields)
        return _row_to_record(spec, row)

    async def update(
        self, client: HttpClient, kind: str, target_id: str, fields: dict[str, Any]
    ) -> Record:
        """Patch the changed fields of one record."""
        spec = self.kinds[kind]
        row = await api.update_record(client, kind, target_id, fields, spec.owned_fields)
        return _row_to_record(spec, row)

    async def delete(self, client: HttpClient, kind: str, target_id: str) -> None:
        """Delete one record."""
        await api.delete_record(client, kind, target_id)

    def batch_key(self, action: str, kind: str, fields: Mapping[str, Any]) -> Hashable | None:
        """Any writes of a level may share a Batch API call."""
        del action, kind, fields
        return "batch"

    async def write_batch(self, client: HttpClient, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Send up to ``batch_size`` writes in one Batch API call.

        Each write asks for nothing back but the record's ``sys_id`` (all :func:`_outcome`
        reads): rendering and encoding every field of 50 records per call cost the instance
        and this client about a fifth of a large apply.
        """
        methods = {"create": "POST", "update": "PATCH", "delete": "DELETE"}
        requests = [
            (
                methods[w.action],
                api.write_url(methods[w.action], w.kind, w.target_id, ()),
                None if w.action == "delete" else w.fields,
            )
            for w in writes
        ]
        answers = await api.batch_write(client, requests)
        return [_outcome(w, a, client) for w, a in zip(writes, answers, strict=True)]

    def sandbox_app(
        self,
        state_file: Path | None,
        *,
        spec_path: Path | None = None,
        batch_api: bool = True,
        **knobs: Any,
    ) -> Any:
        """The ServiceNow emulator, persisting to ``state_file``; a new one holds the records
        of a fresh instance.

        ``knobs`` are :class:`FaultConfig` fields; ``spec_path`` (an OpenAPI export of the
        Table API) makes the emulator check every Table API request against it;
        ``batch_api=False`` makes it an instance without the Batch API.
        """
        from usm_servicenow.sandbox import create_app  # noqa: PLC0415 (starlette only when used)

        if knobs.pop("rate_409", 0):
            raise ValueError("the ServiceNow sandbox has no lock conflicts: remove rate_409")
        # A real instance has every table the adapter touches; so does the emulator.
        return create_app(
            db_path=state_file,
            faults=FaultConfig(**knobs),
            extra_tables=KINDS,
            spec_path=spec_path,
            batch_api=batch_api,
        )

    def sandbox_credentials(self) -> SandboxLogin:
        """Basic auth admin/admin, the login of a fresh sandbox."""
        return SandboxLogin(
            BasicAuthConfig(username_env=SANDBOX_USER_ENV, password_env=SANDBOX_PASSWORD_ENV),
            {SANDBOX_USER_ENV: "admin", SANDBOX_PASSWORD_ENV: "admin"},
        )

    def export(
        self, live: Sequence[Record], reference: Blueprint, *, scope: Blueprint | None = None
    ) -> Exported:
        """The instance as a blueprint layer over ``reference`` (see
        :mod:`usm_servicenow.export`); with ``scope``, the elements keep its ids."""
        from usm_servicenow.export import export_records  # noqa: PLC0415 (only when used)

        return export_records(live, reference, scope)

    def landings(self, blueprint: Blueprint) -> dict[str, Explanation]:
        """How the elements without a record of their own land (see
        :mod:`usm_servicenow.landings`)."""
        from usm_servicenow.landings import landings  # noqa: PLC0415 (only when used)

        return landings(blueprint)

    def artifacts(
        self, blueprint: Blueprint, changes: Sequence[Change], ids: LiveIds
    ) -> dict[str, bytes]:
        """The plan's writes as one update-set XML file.

        Records carry their full desired owned fields (an update set replaces whole records);
        new records get stable sys_ids derived from their natural keys.
        """
        from usm_servicenow.updateset import (  # noqa: PLC0415 (only when used)
            UpdateSetChange,
            record_sys_id,
            render_update_set,
        )

        desired = self.compile(blueprint).records
        name = f"usm-config {blueprint.organisation.name}"
        all_ids = dict(ids)
        for change in changes:
            if change.action == Action.CREATE:
                all_ids[(change.kind, change.key)] = record_sys_id(change.kind, change.key)
        full = {(r.kind, r.key): r for r in desired}
        items = []
        for change in changes:
            sys_id = all_ids.get((change.kind, change.key))
            if sys_id is None or change.action == Action.MANUAL:
                continue
            if change.action == Action.DELETE:
                items.append(UpdateSetChange(change.kind, "DELETE", sys_id, {}, change.address))
                continue
            record = full.get((change.kind, change.key))
            values = record.fields if record else change.fields
            items.append(
                UpdateSetChange(
                    change.kind,
                    "INSERT_OR_UPDATE",
                    sys_id,
                    {k: _artifact_value(v, all_ids) for k, v in sorted(values.items())},
                    change.address,
                )
            )
        created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return {"update-set.xml": render_update_set(items, name, created)}


def _outcome(write: Write, answer: api.BatchAnswer, client: HttpClient) -> WriteOutcome:
    if answer.uncertain:
        return WriteOutcome(error="the batch answer does not say", uncertain=True)
    if answer.status == 0 or answer.status in RETRYABLE:
        return WriteOutcome(error=f"HTTP {answer.status or 'not serviced'}", retryable=True)
    if write.action == "delete" and answer.status in (200, 204, 404):
        return WriteOutcome(target_id=write.target_id)
    if answer.status in (200, 201):
        # Carried out: an update's record is the one it was sent to; a create's answer must
        # name a new sys_id, or the record is looked up by its key.
        if write.target_id is not None:
            return WriteOutcome(target_id=write.target_id)
        result = answer.payload.get("result") if isinstance(answer.payload, dict) else None
        sys_id = result.get("sys_id") if isinstance(result, dict) else None
        if api.is_new_sys_id(sys_id):
            return WriteOutcome(target_id=sys_id)
        return WriteOutcome(error="the answer names no new sys_id", uncertain=True)
    detail = answer.payload.get("error") if isinstance(answer.payload, dict) else answer.payload
    # Mask before cutting, so no prefix of a secret survives the cut.
    return WriteOutcome(error=client.redact(f"HTTP {answer.status}: {json.dumps(detail)}")[:300])


def _artifact_value(value: Any, ids: Mapping[tuple[str, tuple[str, ...]], str]) -> str:
    target = ref_target(value)
    if target is None:
        return "" if value is None else str(value)
    return ids.get(target, "")


ADAPTER = ServiceNowAdapter()
