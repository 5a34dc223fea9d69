"""The outbox sender: claims due messages, paces them, hands them to the transport, retries."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import random
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Row, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.clock import Clock
from bot.config import OutboxSection
from bot.db import schema
from bot.db.schema import Delivery, OutboxStatus, OutgoingKind
from bot.events import Image, OutgoingMessage
from bot.lanes import LANE_RANK, conversation_of, is_reply, pick
from bot.outbox import Draft, destinations, enqueue_many, shorten
from bot.pacing import Pacer
from bot.transports.base import Transport
from bot.uow import Database

if TYPE_CHECKING:
    from bot.context import Services

_LOGGER = logging.getLogger(__name__)
_OUTBOX = schema.outbox
CLAIM_LEASE = timedelta(minutes=10)
PARKED_TEMPLATE = "core/outbox_parked"
_SHARED_LOCK_TRIES = 100  # x 50 ms: another sender of the account is inside its own `recover`


class ParkingNotice:
    """Tells every moderator and admin privately that a message was parked, and how to retry it."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def drafts(self, conn: AsyncConnection, row: Any, error: str) -> list[Draft]:
        if row.template == PARKED_TEMPLATE:  # a notice about a notice would go round in circles
            return []
        renderer = self._services.renderer
        where = (await destinations(conn, [row]))[row.id]
        drafts = []
        for member in await self._services.directory.staff(conn):
            locale = renderer.locale_or_default(member.locale)
            text = renderer.render(
                PARKED_TEMPLATE, locale, id=row.id, where=where, error=shorten(error), attempts=row.attempts + 1
            )
            drafts.append(
                Draft(
                    text,
                    PARKED_TEMPLATE,
                    locale,
                    contact_id=member.platform_id,
                    delivery=Delivery.URGENT,
                    kind=OutgoingKind.TRANSACTIONAL,
                )
            )
        return drafts


class _SiblingLock:
    """Whether another process sends for the same account from this SQLite file (a double start):
    each process holds a shared lock on a file beside the database while it runs, which the
    kernel drops when the process dies, however it dies. One per process and file."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None

    async def hold(self) -> bool:
        """Hold the lock from now on; True when no other process holds it (this one is alone)."""
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            await self._share(self._fd)
            return False
        fcntl.flock(self._fd, fcntl.LOCK_SH)  # let a process started later see this one
        return True

    async def _share(self, fd: int) -> None:
        for _ in range(_SHARED_LOCK_TRIES):
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except BlockingIOError:  # the other holds it exclusively for its own recovery: a moment
                await asyncio.sleep(0.05)
        _LOGGER.warning("could not take the shared sender lock %s", self._path)

    def __del__(self) -> None:
        if self._fd is not None:
            os.close(self._fd)


_SIBLING_LOCKS: weakref.WeakValueDictionary[str, _SiblingLock] = weakref.WeakValueDictionary()


def _sibling_lock(engine: AsyncEngine, account: str | None) -> _SiblingLock | None:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return None
    path = f"{os.path.abspath(database)}.sender-{account or 'any'}.lock"
    lock = _SIBLING_LOCKS.get(path)
    if lock is None:
        lock = _SIBLING_LOCKS[path] = _SiblingLock(path)
    return lock


class OutboxSender:
    """Delivers this account's outbox rows in order per conversation; each send is committed as sent at once.

    A message is marked `sending` before it goes out and `sent` right after, each in its own
    commit, so a crash can repeat at most the one message that was in flight. On PostgreSQL,
    where several processes share the outbox, rows are claimed with `FOR UPDATE SKIP LOCKED` and a
    row stays locked while it is being sent, so no other process takes a message that is in flight.
    """

    def __init__(
        self,
        database: Database,
        transport: Transport,
        clock: Clock,
        config: OutboxSection,
        pacer: Pacer,
        rng: random.Random | None = None,
        *,
        account: str | None = None,
        parking_notice: ParkingNotice | None = None,
    ) -> None:
        self._database = database
        self._engine = engine = database.engine
        self._transport = transport
        self._clock = clock
        self._config = config
        self._pacer = pacer
        self._rng = rng or random.Random()
        self._account = account
        self._parking_notice = parking_notice
        self._row_locks = engine.dialect.name == "postgresql"
        self._siblings = _sibling_lock(engine, account)
        self._told_staff = False  # this round parked a message and wrote notices to the staff

    @property
    def _mine(self) -> Any:
        """This account's rows (and rows written before accounts existed, which any may send)."""
        if self._account is None:
            return true()
        return or_(_OUTBOX.c.account == self._account, _OUTBOX.c.account.is_(None))

    async def recover(self) -> int:
        """At start: this account's messages left `sending` by a crash go back to the queue.

        Only what no live process is sending: on PostgreSQL a message in flight is locked (and
        skipped); on SQLite, if another sender of this account is running (a mistaken double
        start), only claims older than the lease. At most one of them had reached the platform.
        """
        now = self._clock.now()
        stranded = (_OUTBOX.c.status == OutboxStatus.SENDING.value) & self._mine
        if self._siblings is not None and not await self._siblings.hold():
            _LOGGER.warning(
                "another sender of this account is running on this database: only its "
                "claims older than %s are taken back",
                CLAIM_LEASE,
            )
            stranded &= _OUTBOX.c.claimed_at < now - CLAIM_LEASE
        ids = select(_OUTBOX.c.id).where(stranded)
        if self._row_locks:
            ids = ids.with_for_update(skip_locked=True)
        async with self._database.write_transaction(due_neutral=True) as conn:
            result = await conn.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(ids.scalar_subquery()))
                .values(status=OutboxStatus.PENDING.value, claimed_at=None)
            )
        return result.rowcount or 0

    async def next_due(self) -> datetime | None:
        """When the next pending message may go out, or None when the outbox is empty (or offline)."""
        if not self._transport.connected:
            return None
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        _OUTBOX.c.room_platform_id,
                        _OUTBOX.c.contact_platform_id,
                        _OUTBOX.c.not_before,
                        _OUTBOX.c.kind,
                        _OUTBOX.c.part,
                    )
                    .where(_OUTBOX.c.status == OutboxStatus.PENDING.value, self._mine)
                    .order_by(LANE_RANK, _OUTBOX.c.not_before, _OUTBOX.c.id)  # a reply is never overlooked
                    .limit(self._config.claim_batch)
                )
            ).all()
        if not rows:
            return None
        now = self._clock.now()
        return min(self._ready_at(row, max(now, row.not_before)) for row in rows)

    def _ready_at(self, row: Any, now: datetime) -> datetime:
        return self._pacer.ready_at(conversation_of(row), now, reply=is_reply(row), continued=row.part > 1)

    async def send_due(self) -> int:
        """Send every message that is due and allowed by pacing now; returns how many went out.

        While the transport is disconnected nothing is tried, so an outage uses up no retries.
        """
        sent, more = 0, True
        while more and self._transport.connected:
            batch, claimed_at, more = await self._claim()
            self._told_staff = False
            for row in batch:
                sent += await self._deliver(row, claimed_at)
            more = more or self._told_staff  # their notices are due now
        return sent

    async def _claim(self) -> tuple[Sequence[Row[Any]], datetime, bool]:
        """Claim the due messages pacing allows now, most urgent lane first (`bot.lanes.pick`);
        also say whether more may be due."""
        now = self._clock.now()
        query = (
            select(_OUTBOX)
            .where(
                self._mine,
                or_(
                    (_OUTBOX.c.status == OutboxStatus.PENDING.value) & (_OUTBOX.c.not_before <= now),
                    # a claim whose sender died or failed mid-batch: take it over after the lease
                    (_OUTBOX.c.status == OutboxStatus.SENDING.value) & (_OUTBOX.c.claimed_at < now - CLAIM_LEASE),
                ),
            )
            .order_by(LANE_RANK, _OUTBOX.c.id)
            .limit(self._config.claim_batch)
        )
        if self._row_locks:  # several processes: each takes rows the others have not locked
            query = query.with_for_update(skip_locked=True)
        async with self._database.write_transaction(due_neutral=True) as conn:
            rows = (await conn.execute(query)).all()
            chosen = pick(rows, self._pacer, now)
            if chosen:
                await conn.execute(
                    update(_OUTBOX)
                    .where(_OUTBOX.c.id.in_([r.id for r in chosen]))
                    .values(status=OutboxStatus.SENDING.value, claimed_at=now)
                )
        # Once a message other than a reply went, look again: replies written meanwhile go next.
        more = bool(chosen) and (len(rows) == self._config.claim_batch or not is_reply(chosen[-1]))
        return chosen, now, more

    async def _deliver(self, row: Row[Any], claimed_at: datetime) -> int:
        async with self._in_flight(row, claimed_at) as held:
            if held is False:  # no longer ours: taken back by a sender that started meanwhile
                return 0
            if not self._transport.connected:
                await self._release(held, row)
                return 0
            message = OutgoingMessage(
                outbox_id=row.id,
                text=row.text,
                room_id=row.room_platform_id,
                contact_id=row.contact_platform_id,
                mentions=tuple(row.mentions or ()),
                image=Image(row.image_name, row.image_data) if row.image_name else None,
            )
            try:
                platform_id = await self._transport.send(message)
            except Exception as exc:  # any failure of the platform is retried, never lost
                await self._failed(held, row, exc)
                return 0
            # Committed before the next message goes out: a crash repeats at most this one.
            async with self._writing(held) as conn:
                await conn.execute(
                    update(_OUTBOX)
                    .where(_OUTBOX.c.id == row.id)
                    .values(
                        status=OutboxStatus.SENT.value,
                        sent_at=self._clock.now(),
                        platform_msg_id=platform_id,
                        attempts=row.attempts + 1,
                        last_error=None,
                    )
                )
            return 1

    @asynccontextmanager
    async def _in_flight(
        self,
        row: Row[Any],
        claimed_at: datetime,
    ) -> AsyncIterator[AsyncConnection | Literal[False] | None]:
        """PostgreSQL: the row stays locked in a transaction until the send is settled, and yields
        that connection (or False if the claim is no longer ours). SQLite: yields None."""
        if not self._row_locks:
            yield None
            return
        async with self._database.write_transaction(due_neutral=True) as conn:
            ours = (
                await conn.execute(
                    select(_OUTBOX.c.id)
                    .where(
                        _OUTBOX.c.id == row.id,
                        _OUTBOX.c.status == OutboxStatus.SENDING.value,
                        _OUTBOX.c.claimed_at == claimed_at,
                    )
                    .with_for_update()
                )
            ).first()
            yield conn if ours is not None else False

    @asynccontextmanager
    async def _writing(self, held: AsyncConnection | None) -> AsyncIterator[AsyncConnection]:
        if held is not None:
            yield held
            return
        async with self._database.write_transaction(due_neutral=True) as conn:
            yield conn

    async def _failed(self, held: AsyncConnection | None, row: Row[Any], exc: Exception) -> None:
        if not self._transport.connected:  # the connection dropped: not the message's fault
            _LOGGER.info("outbox message %s waits for the connection to come back", row.id)
            await self._release(held, row)
            return
        attempts = row.attempts + 1
        parked = attempts >= self._config.max_attempts
        delay = min(self._config.retry_max_seconds, self._config.retry_base_seconds * 2 ** (attempts - 1))
        delay *= 1 + self._rng.uniform(0, self._config.jitter_ratio)
        log = _LOGGER.error if parked else _LOGGER.warning
        log("sending outbox message %s failed (try %d of %d): %r", row.id, attempts, self._config.max_attempts, exc)
        error = repr(exc)[:2000]
        async with self._writing(held) as conn:
            await conn.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id == row.id)
                .values(
                    status=(OutboxStatus.FAILED if parked else OutboxStatus.PENDING).value,
                    attempts=attempts,
                    last_error=error,
                    claimed_at=None,
                    not_before=self._clock.now() + timedelta(seconds=delay),
                )
            )
            if parked and self._parking_notice is not None:  # in the same transaction as the parking
                notices = await self._parking_notice.drafts(conn, row, error)
                await enqueue_many(conn, notices, self._clock.now(), self._database.addressing)
                self._told_staff = bool(notices)

    async def _release(self, held: AsyncConnection | None, row: Row[Any]) -> None:
        async with self._writing(held) as conn:
            await conn.execute(
                update(_OUTBOX).where(_OUTBOX.c.id == row.id).values(status=OutboxStatus.PENDING.value, claimed_at=None)
            )

    async def counts(self) -> dict[str, int]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(_OUTBOX.c.status, func.count()).group_by(_OUTBOX.c.status))).all()
        return dict(rows)
