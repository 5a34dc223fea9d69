"""The outbox sender: claims due messages, paces them, hands them to the transport, retries."""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.config import OutboxSection
from bot.db import schema
from bot.db.engine import write_transaction
from bot.db.schema import OutboxStatus
from bot.events import OutgoingMessage
from bot.transports.base import PacingLimits, Transport

_LOGGER = logging.getLogger(__name__)
_OUTBOX = schema.outbox
CLAIM_LEASE = timedelta(minutes=10)


class Pacer:
    """A minimum gap per conversation and a ceiling per account (a sliding minute)."""

    def __init__(self, limits: PacingLimits, rng: random.Random | None = None) -> None:
        self.limits = limits
        self._rng = rng or random.Random()
        self._next_in: dict[str, datetime] = {}
        self._recent: deque[datetime] = deque()

    def ready_at(self, conversation: str, now: datetime) -> datetime:
        ready = self._next_in.get(conversation, now)
        per_minute = self.limits.account_per_minute
        if per_minute:
            while self._recent and self._recent[0] <= now - timedelta(minutes=1):
                self._recent.popleft()
            if len(self._recent) >= per_minute:
                ready = max(ready, self._recent[len(self._recent) - per_minute] + timedelta(minutes=1))
        return ready

    def record(self, conversation: str, when: datetime) -> None:
        gap = self.limits.room_interval_seconds
        if gap:
            gap *= 1 + self._rng.uniform(0, self.limits.jitter_ratio)
            self._next_in[conversation] = when + timedelta(seconds=gap)
        if self.limits.account_per_minute:
            self._recent.append(when)


def _conversation(row) -> str:  # noqa: ANN001 - a result row
    return row.room_platform_id or f"dm:{row.contact_platform_id}"


class OutboxSender:
    """Delivers outbox rows in order per conversation; each send is committed as sent at once.

    A message is marked `sending` before it goes out and `sent` right after, each in its own
    commit, so a crash can repeat at most the one message that was in flight.
    """

    def __init__(self, engine: AsyncEngine, transport: Transport, clock: Clock, config: OutboxSection,
                 pacer: Pacer, rng: random.Random | None = None) -> None:
        self._engine = engine
        self._transport = transport
        self._clock = clock
        self._config = config
        self._pacer = pacer
        self._rng = rng or random.Random()

    async def recover(self) -> int:
        """After a crash: messages left `sending` go back to the queue (at most one was in flight)."""
        async with write_transaction(self._engine) as conn:
            result = await conn.execute(
                update(_OUTBOX).where(_OUTBOX.c.status == OutboxStatus.SENDING.value)
                .values(status=OutboxStatus.PENDING.value, claimed_at=None)
            )
        return result.rowcount or 0

    async def next_due(self) -> datetime | None:
        """When the next pending message may go out, or None when the outbox is empty (or offline)."""
        if not self._transport.connected:
            return None
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(_OUTBOX.c.room_platform_id, _OUTBOX.c.contact_platform_id, _OUTBOX.c.not_before)
                .where(_OUTBOX.c.status == OutboxStatus.PENDING.value)
                .order_by(_OUTBOX.c.not_before, _OUTBOX.c.id).limit(self._config.claim_batch)
            )).all()
        if not rows:
            return None
        now = self._clock.now()
        return min(max(row.not_before, self._pacer.ready_at(_conversation(row), max(now, row.not_before)))
                   for row in rows)

    async def send_due(self) -> int:
        """Send every message that is due and allowed by pacing now; returns how many went out.

        While the transport is disconnected nothing is tried, so an outage uses up no retries.
        """
        sent, more = 0, True
        while more and self._transport.connected:
            batch, more = await self._claim()
            for row in batch:
                sent += await self._deliver(row)
        return sent

    async def _claim(self) -> tuple[Sequence, bool]:
        """Claim the due messages pacing allows now; also say whether more may be due."""
        now = self._clock.now()
        async with write_transaction(self._engine) as conn:
            rows = (await conn.execute(
                select(_OUTBOX).where(or_(
                    (_OUTBOX.c.status == OutboxStatus.PENDING.value) & (_OUTBOX.c.not_before <= now),
                    # a claim whose sender died or failed mid-batch: take it over after the lease
                    (_OUTBOX.c.status == OutboxStatus.SENDING.value) & (_OUTBOX.c.claimed_at < now - CLAIM_LEASE),
                )).order_by(_OUTBOX.c.id).limit(self._config.claim_batch)
            )).all()
            chosen = self._pace(rows, now)
            if chosen:
                await conn.execute(
                    update(_OUTBOX).where(_OUTBOX.c.id.in_([r.id for r in chosen]))
                    .values(status=OutboxStatus.SENDING.value, claimed_at=now)
                )
        return chosen, len(rows) == self._config.claim_batch and bool(chosen)

    def _pace(self, rows: Sequence, now: datetime) -> list:
        """Pick the rows pacing allows now, keeping each conversation's order."""
        chosen, blocked = [], set()
        for row in rows:
            conversation = _conversation(row)
            if conversation in blocked or self._pacer.ready_at(conversation, now) > now:
                blocked.add(conversation)
                continue
            self._pacer.record(conversation, now)
            chosen.append(row)
        return chosen

    async def _deliver(self, row) -> int:  # noqa: ANN001 - a result row
        if not self._transport.connected:
            await self._release(row)
            return 0
        message = OutgoingMessage(outbox_id=row.id, text=row.text, room_id=row.room_platform_id,
                                  contact_id=row.contact_platform_id, mentions=tuple(row.mentions or ()))
        try:
            platform_id = await self._transport.send(message)
        except Exception as exc:  # any failure of the platform is retried, never lost
            await self._failed(row, exc)
            return 0
        # Committed before the next message goes out: a crash repeats at most this one.
        async with write_transaction(self._engine) as conn:
            await conn.execute(update(_OUTBOX).where(_OUTBOX.c.id == row.id).values(
                status=OutboxStatus.SENT.value, sent_at=self._clock.now(), platform_msg_id=platform_id,
                attempts=row.attempts + 1, last_error=None,
            ))
        return 1

    async def _failed(self, row, exc: Exception) -> None:  # noqa: ANN001 - a result row
        if not self._transport.connected:  # the connection dropped: not the message's fault
            _LOGGER.info("outbox message %s waits for the connection to come back", row.id)
            await self._release(row)
            return
        attempts = row.attempts + 1
        parked = attempts >= self._config.max_attempts
        delay = min(self._config.retry_max_seconds, self._config.retry_base_seconds * 2 ** (attempts - 1))
        delay *= 1 + self._rng.uniform(0, self._config.jitter_ratio)
        log = _LOGGER.error if parked else _LOGGER.warning
        log("sending outbox message %s failed (try %d of %d): %r", row.id, attempts,
            self._config.max_attempts, exc)
        async with write_transaction(self._engine) as conn:
            await conn.execute(update(_OUTBOX).where(_OUTBOX.c.id == row.id).values(
                status=(OutboxStatus.FAILED if parked else OutboxStatus.PENDING).value,
                attempts=attempts, last_error=repr(exc)[:2000], claimed_at=None,
                not_before=self._clock.now() + timedelta(seconds=delay),
            ))

    async def _release(self, row) -> None:  # noqa: ANN001 - a result row
        async with write_transaction(self._engine) as conn:
            await conn.execute(update(_OUTBOX).where(_OUTBOX.c.id == row.id).values(
                status=OutboxStatus.PENDING.value, claimed_at=None))

    async def counts(self) -> dict[str, int]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(_OUTBOX.c.status, func.count()).group_by(_OUTBOX.c.status))).all()
        return {status: count for status, count in rows}
