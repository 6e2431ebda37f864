"""Execute a plan exactly as planned: level by level, bounded concurrency, journaled.

Creates and updates run in kind-dependency order and deletes in reverse. Within a level up to
``parallelism`` writes are in flight. A create whose response was lost (the HTTP layer raises
:class:`~usm_config.http.UncertainWriteError`) is never sent again blindly: the record is looked
up by its natural key first and only created when it is really absent. A record found that
way may hold only part of what the create writes (the tool made it, but the steps a create
takes after that, such as a Jira project's schemes, never ran): what differs is written to it
as an update.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from usm_config.engine.contract import RecordIO, SupportsBatchWrites, Write, WriteOutcome
from usm_config.engine.diff import GONE_REASON, NOT_CREATED
from usm_config.engine.interrupt import StopRequest
from usm_config.engine.journal import Journal
from usm_config.engine.lock import Lock
from usm_config.engine.plan import Action, Change
from usm_config.engine.records import Op, Record
from usm_config.engine.references import MissingReference, References
from usm_config.http import (
    SHAPE_ERRORS,
    HttpClient,
    NotFoundError,
    TransientError,
    UncertainWriteError,
    shape_problem,
)

log = logging.getLogger(__name__)

#: Said with a failure a shape error ended: what to check when the tool's answer was the cause.
_CHECK_THE_URL = (
    "where the tool's answer is not shaped as its API documents, check that the target's URL "
    "reaches the tool itself (not a proxy)"
)

#: Least number of times a create is sent when its responses keep getting lost. The target's
#: ``retries`` raises it: every attempt after a lost response looks the record up first.
MAX_CREATE_ATTEMPTS = 3


class ApplyError(Exception):
    """A change could not be applied; the message says which and why."""


def _write_action(change: Change) -> str:
    """The :class:`~usm_config.engine.contract.Write` action of a change: an adoption that
    writes fields is an update."""
    return {Action.CREATE: "create", Action.DELETE: "delete"}.get(change.action, "update")


@dataclass
class ApplyResult:
    """What an apply did."""

    done: list[Change] = field(default_factory=list)
    manual: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, str]] = field(default_factory=list)
    recovered_creates: int = 0
    stopped: bool = False
    """True when a :class:`~usm_config.engine.interrupt.StopRequest` ended the apply early."""


class Applier:
    """Runs the writes of one plan through one adapter and client."""

    def __init__(
        self,
        adapter: RecordIO,
        client: HttpClient,
        lock: Lock,
        journal: Journal,
        live: Iterable[Record],
        *,
        parallelism: int = 4,
        on_progress: Callable[[Change], None] | None = None,
        stop: StopRequest | None = None,
    ) -> None:
        self.adapter = adapter
        self.stop = stop
        self.client = client
        self.lock = lock
        self.journal = journal
        self.references = References.of(live, adapter.kinds)
        self.semaphore = asyncio.Semaphore(parallelism)
        #: Batches prepared or in flight: a batch's intents are journaled and synced while
        #: others are being sent, so a request slot never waits for the disk.
        self.ahead = asyncio.Semaphore(2 * parallelism)
        self.on_progress = on_progress
        self.result = ApplyResult()

    async def run(self, changes: Iterable[Change]) -> ApplyResult:
        """Apply ``changes`` (already in plan order); stop after the first failing level."""
        ordered = list(changes)
        self.result.manual = [c for c in ordered if c.action == Action.MANUAL]
        for change in ordered:
            if change.target_id and not change.action.is_step:
                # The tool holds it under another key (a rename it cannot write, another
                # blueprint's record): what refers to the blueprint's key points at it.
                self.references.learn(change.kind, change.key, change.target_id)
        writes = [c for c in ordered if c.action.is_step]
        for _, group in groupby(writes, key=lambda c: (c.action == Action.DELETE, c.level)):
            if self._stopping:
                break
            chunks, alone = self._batches(list(group))
            await asyncio.gather(
                *(self._batch(chunk) for chunk in chunks),
                *(self._guarded(change) for change in alone),
            )
            if self.result.failed:
                break
        self.result.stopped = self._stopping
        return self.result

    def _batches(self, level: list[Change]) -> tuple[list[list[Change]], list[Change]]:
        """A level's writes as the chunks that share a request (of the adapter's batch size,
        each of one :meth:`~usm_config.engine.contract.SupportsBatchWrites.batch_key`) and
        the writes that go alone, each in the level's order."""
        if not isinstance(self.adapter, SupportsBatchWrites) or len(level) < 2:
            return [], level
        keys: dict[Hashable, list[Change]] = {}
        alone: list[Change] = []
        for change in level:
            # A record gone from the read is looked up before its create: on its own.
            key = (
                None
                if change.reason == GONE_REASON
                else self.adapter.batch_key(_write_action(change), change.kind, change.fields)
            )
            (alone if key is None else keys.setdefault(key, [])).append(change)
        size = max(1, self.adapter.batch_size)
        chunks = [same[i : i + size] for same in keys.values() for i in range(0, len(same), size)]
        alone.extend(chunk[0] for chunk in chunks if len(chunk) == 1)
        return [chunk for chunk in chunks if len(chunk) > 1], alone

    @property
    def _stopping(self) -> bool:
        """True once a stop was asked for: no write starts after that."""
        return self.stop is not None and self.stop.requested

    async def _guarded(self, change: Change, *, look_first: bool = False) -> None:
        async with self.semaphore:
            if self._stopping:
                return
            try:
                await self._apply(change, look_first=look_first)
            except Exception as exc:  # reported per change; the apply stops after this level
                self._fail(change, exc)
                return
        self._succeeded(change)

    def _fail(self, change: Change, exc: Exception | str) -> None:
        if isinstance(exc, SHAPE_ERRORS):
            # An adapter's own ValueError is one of them too: say what, not whose.
            exc = f"{shape_problem(exc)}; {_CHECK_THE_URL}"
        message = self.client.redact(str(exc))
        log.debug("change %s failed: %s", change.address, message)
        self.result.failed.append((change, message))

    def _succeeded(self, change: Change) -> None:
        self.result.done.append(change)
        if self.on_progress is not None:
            self.on_progress(change)

    def _begin(self, change: Change) -> None:
        self.journal.begin(
            f"{change.action}:{change.address}",
            change.action.value,
            change.uid,
            change.kind,
            change.key,
            change.applied,
        )

    def _finish(self, change: Change, target_id: str | None) -> None:
        self.journal.done(f"{change.action}:{change.address}", target_id)
        if change.action == Action.DELETE:
            if change.uid:
                self.lock.remove(change.uid)
            self.references.forget(change.kind, change.key)
            return
        assert target_id is not None
        self.references.learn(change.kind, change.key, target_id)
        if change.uid:
            adopted = change.action == Action.ADOPT and change.reason in NOT_CREATED
            self.lock.set(
                change.uid, change.kind, target_id, change.key, change.applied, adopted=adopted
            )

    def _tool_fields(self, change: Change) -> dict[str, Any]:
        """The change's fields as the tool takes them: references as ids."""
        try:
            return self.references.to_ids(change.fields)
        except MissingReference as exc:
            raise ApplyError(f"{change.address}: {exc}") from None

    def _write(self, change: Change) -> Write:
        fields = self._tool_fields(change)
        return Write(_write_action(change), change.kind, fields, change.target_id)

    async def _batch(self, chunk: list[Change]) -> None:
        """Send a chunk in one request; what the batch could not settle goes one by one."""
        assert isinstance(self.adapter, SupportsBatchWrites)
        outcomes: list[WriteOutcome | None]
        # A chunk's writes are prepared when at most ``2 * parallelism`` chunks are ahead of
        # the answers: preparing every chunk of a level of 40,000 records first held all
        # their bodies at once and kept the first answers waiting; preparing one only once it
        # had a request slot kept that slot waiting for the journal's fsync.
        async with self.ahead:
            if self._stopping:
                return
            prepared: list[tuple[Change, Write]] = []
            for change in chunk:
                if change.action == Action.ADOPT and not change.fields:
                    self._begin(change)
                    self._finish(change, change.target_id)
                    self._succeeded(change)
                    continue
                try:
                    prepared.append((change, self._write(change)))
                except ApplyError as exc:
                    self._fail(change, exc)
            if not prepared:
                return
            with self.journal.together():
                for change, _ in prepared:
                    self._begin(change)
            await self.journal.durable()
            async with self.semaphore:
                if self._stopping:
                    # Begun, never sent: a stopped apply clears its journal, and a killed
                    # one's next run looks these up like any unconfirmed write.
                    return
                try:
                    outcomes = list(
                        await self.adapter.write_batch(self.client, [w for _, w in prepared])
                    )
                except (UncertainWriteError, TransientError) as exc:
                    # Any write of the batch may have happened: settle each one on its own.
                    log.debug("batch of %d: outcome unknown (%s)", len(prepared), exc)
                    outcomes = [None] * len(prepared)
        retry: list[tuple[Change, bool]] = []
        with self.journal.together():
            for (change, _), outcome in zip(prepared, outcomes, strict=True):
                if outcome is None or outcome.uncertain:
                    retry.append((change, True))
                elif outcome.target_id is not None:
                    self._finish(change, outcome.target_id)
                    self._succeeded(change)
                elif outcome.retryable:
                    retry.append((change, False))
                else:
                    self._fail(change, f"{change.address}: {outcome.error}")
        if retry:
            await asyncio.gather(*(self._guarded(c, look_first=look) for c, look in retry))

    async def _apply(self, change: Change, *, look_first: bool = False) -> None:
        self._begin(change)
        await self.journal.durable()
        target_id: str | None
        if change.action == Action.CREATE:
            look_first = look_first or change.reason == GONE_REASON
            target_id = await self._create(change, look_first=look_first)
        elif change.action in (Action.UPDATE, Action.ADOPT):
            target_id = change.target_id
            assert target_id is not None
            if change.fields:
                fields = self._tool_fields(change)
                stored = await self.adapter.update(self.client, change.kind, target_id, fields)
                target_id = stored.target_id or target_id
        elif change.action == Action.DELETE:
            target_id = change.target_id
            assert target_id is not None
            try:
                await self.adapter.delete(self.client, change.kind, target_id)
            except NotFoundError:
                log.debug("%s was already gone", change.address)
        else:
            raise ApplyError(f"cannot apply a {change.action} change")
        self._finish(change, target_id)

    def _same_key(self, change: Change, candidates: Iterable[Record]) -> list[Record]:
        """Keep the candidates whose natural key (references resolved) is the change's."""
        spec = self.adapter.kinds[change.kind]
        wanted = spec.match_key(change.key)
        return [
            r for r in candidates if spec.match_key(self.references.resolve(r, spec).key) == wanted
        ]

    async def _find(self, change: Change) -> Record | None:
        found = self._same_key(
            change, await self.adapter.find(self.client, change.kind, change.key)
        )
        if len(found) > 1:
            raise ApplyError(
                f"{change.address}: {len(found)} records share this key after a lost response; "
                "remove the extra ones and plan again"
            )
        return found[0] if found else None

    async def _recovered(self, change: Change, found: Record) -> str:
        """The id of a record found after a lost create, completed with what the create
        would have written and it lacks."""
        assert found.target_id is not None
        self.result.recovered_creates += 1
        spec = self.adapter.kinds[change.kind]
        have = self.references.resolve(found, spec).fields
        missing = [
            name
            for name, value in change.fields.items()
            if have.get(name) != value and name not in spec.key_fields
        ]
        if missing and Op.UPDATE in spec.operations:
            log.debug("%s: completing %s after a lost response", change.address, missing)
            fields = self._tool_fields(change)
            await self.adapter.update(
                self.client, change.kind, found.target_id, {n: fields[n] for n in missing}
            )
        return found.target_id

    async def _found_or_fail(self, change: Change, failure: str) -> str:
        """The id of the record ``change`` creates, found by its key after a create whose
        outcome is unknown (and completed, see :meth:`_recovered`); an :class:`ApplyError`
        with ``failure`` when the tool holds none."""
        found = await self._find(change)
        if found is None:
            raise ApplyError(f"{change.address}: {failure}")
        return await self._recovered(change, found)

    async def _create(self, change: Change, *, look_first: bool = False) -> str:
        fields = self._tool_fields(change)
        attempts = max(MAX_CREATE_ATTEMPTS, self.client.retry.max_attempts)
        for attempt in range(1, attempts + 1):
            if look_first:
                # The response was lost; the record may exist. Look before creating again.
                found = await self._find(change)
                if found is not None:
                    log.debug(
                        "%s: found after a lost response (attempt %d)", change.address, attempt
                    )
                    return await self._recovered(change, found)
            try:
                record = await self.adapter.create(self.client, change.kind, fields)
            except UncertainWriteError:
                look_first = True
                continue
            except SHAPE_ERRORS as exc:
                # The tool answered, so the create may have happened; its answer could not be
                # read. Sending it again could make a second record: look for the first. (An
                # adapter's own ValueError before it sent anything ends the same way.)
                problem = shape_problem(exc)
                log.debug("%s: the create's answer could not be read (%s)", change.address, problem)
                return await self._found_or_fail(
                    change,
                    f"the create failed: {problem}; the tool holds no record of this key, so "
                    f"nothing was created; {_CHECK_THE_URL}",
                )
            if not record.target_id:
                raise ApplyError(f"{change.address}: the target returned no id")
            return record.target_id
        return await self._found_or_fail(
            change,
            f"the create's response was lost {attempts} times and the record is not there; "
            "try again later",
        )
