"""Delivery lanes: of the due outbox messages, which go now, the most urgent allowed first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.db.schema import OutboxStatus, OutgoingKind
from bot.pacing import Pacer

_OUTBOX = schema.outbox
LANES = tuple(sorted(OutgoingKind, key=lambda kind: kind.rank))
# A row's lane as a number, for ORDER BY: replies first. An unknown kind goes last.
LANE_RANK = case({kind.value: kind.rank for kind in LANES}, value=_OUTBOX.c.kind, else_=len(LANES))


def conversation_of(row: Any) -> str:
    return row.room_platform_id or f"dm:{row.contact_platform_id}"


def is_reply(row: Any) -> bool:
    return bool(row.kind == OutgoingKind.REPLY.value)


def pick(rows: Sequence[Any], pacer: Pacer, now: datetime) -> list[Any]:
    """The rows (in lane order, then by id) that go now: every reply pacing allows, then at most
    one other message with the parts that follow it, so bulk sending yields to replies between
    any two of its sends, and never takes a slot a waiting reply needs. Within a conversation each
    lane keeps its order: once one of its messages must wait, the later ones of that lane wait
    too. Each one picked takes its tokens."""
    blocked: set[tuple[str, str]] = set()
    chosen, waiting = _replies(rows, pacer, now, blocked)
    pacer.hold_for_replies(waiting, now)
    return chosen + _other(rows, pacer, now, blocked)


def _replies(
    rows: Sequence[Any], pacer: Pacer, now: datetime, blocked: set[tuple[str, str]]
) -> tuple[list[Any], list[datetime]]:
    """The replies that go now, and when each that waits for the account (not its room) may go."""
    chosen, waiting = [], []
    for row in rows:
        queue = (conversation_of(row), row.kind)
        if not is_reply(row) or queue in blocked:
            continue
        ready = pacer.ready_at(queue[0], now, reply=True, continued=row.part > 1)
        if ready > now:
            blocked.add(queue)
            if pacer.room_ready_at(queue[0], now) <= now:
                waiting.append(ready)
            continue
        pacer.record(queue[0], now, reply=True)
        chosen.append(row)
    return chosen, waiting


def _other(rows: Sequence[Any], pacer: Pacer, now: datetime, blocked: set[tuple[str, str]]) -> list[Any]:
    """The most urgent other message that may go now, with the later parts of it that may follow."""
    chosen: list[Any] = []
    for row in rows:
        queue = (conversation_of(row), row.kind)
        if is_reply(row) or queue in blocked or (chosen and not _follows(row, chosen[0])):
            continue
        # A later part at the head of its queue: its earlier parts have gone, it follows them at once.
        if pacer.ready_at(queue[0], now, reply=False, continued=row.part > 1) > now:
            blocked.add(queue)
            continue
        pacer.record(queue[0], now, reply=False)
        chosen.append(row)
    return chosen


def _follows(row: Any, other: Any) -> bool:
    """`row` is a later part of the same message as `other` (the next of its queue)."""
    return row.part > 1 and conversation_of(row) == conversation_of(other) and row.kind == other.kind


@dataclass(frozen=True, slots=True)
class LaneDepth:
    """One lane of the outbox as moderators see it: how many wait, and the one waiting longest."""

    kind: OutgoingKind
    waiting: int  # pending and due now
    oldest: Any | None  # that row (id, destination columns, not_before), or None


async def depths(conn: AsyncConnection, now: datetime) -> list[LaneDepth]:
    """Each lane's due messages and the oldest of them, in lane order (one query per lane for the oldest)."""
    due = (_OUTBOX.c.status == OutboxStatus.PENDING.value) & (_OUTBOX.c.not_before <= now)
    grouped = await conn.execute(select(_OUTBOX.c.kind, func.count()).where(due).group_by(_OUTBOX.c.kind))
    counts = {str(kind): int(count) for kind, count in grouped.all()}
    found = []
    for kind in LANES:
        oldest = None
        if counts.get(kind.value):
            columns = (_OUTBOX.c.id, _OUTBOX.c.room_platform_id, _OUTBOX.c.contact_platform_id, _OUTBOX.c.not_before)
            query = select(*columns).where(due, _OUTBOX.c.kind == kind.value)
            oldest = (await conn.execute(query.order_by(_OUTBOX.c.not_before, _OUTBOX.c.id).limit(1))).first()
        found.append(LaneDepth(kind, counts.get(kind.value, 0), oldest))
    return found
