"""The `heavy_requests` table: a request recorded with the message that asked, answered once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.db.schema import HeavyStatus

_TABLE = schema.heavy_requests


@dataclass(frozen=True, slots=True)
class HeavyRequest:
    """A recorded request (a `heavy_requests` row), as the worker side carries it."""

    id: int
    work: str
    params: dict[str, Any]
    actor_id: int
    community_id: int | None
    message_id: int | None
    requested_at: datetime
    attempts: int = 1


async def record(
    conn: AsyncConnection,
    work: str,
    params: dict[str, Any],
    *,
    account: str,
    actor_id: int,
    community_id: int | None,
    message_id: int | None,
    now: datetime,
) -> HeavyRequest:
    """Record a request in the caller's transaction: it exists if, and only if, the asking message commits."""
    stmt = insert(_TABLE).values(
        work=work,
        params=params,
        account=account,
        actor_id=actor_id,
        community_id=community_id,
        message_id=message_id,
        requested_at=now,
        status=HeavyStatus.PENDING.value,
        attempts=1,
    )
    request_id = (await conn.execute(stmt.returning(_TABLE.c.id))).scalar_one()
    return HeavyRequest(request_id, work, params, actor_id, community_id, message_id, now)


async def pending(conn: AsyncConnection, account: str) -> list[HeavyRequest]:
    """This process's requests not answered yet, oldest first."""
    t = _TABLE
    rows = await conn.execute(
        select(t).where(t.c.status == HeavyStatus.PENDING.value, t.c.account == account).order_by(t.c.id)
    )
    return [
        HeavyRequest(
            r.id, r.work, dict(r.params or {}), r.actor_id, r.community_id, r.message_id, r.requested_at, r.attempts
        )
        for r in rows
    ]


async def count_attempt(conn: AsyncConnection, request_id: int) -> None:
    await conn.execute(update(_TABLE).where(_TABLE.c.id == request_id).values(attempts=_TABLE.c.attempts + 1))


async def finish(conn: AsyncConnection, request_id: int, status: HeavyStatus, now: datetime) -> bool:
    """Mark a pending request answered; False when it was answered already (its reply is not written twice)."""
    t = _TABLE
    result = await conn.execute(
        update(t)
        .where(t.c.id == request_id, t.c.status == HeavyStatus.PENDING.value)
        .values(status=status.value, finished_at=now)
    )
    return bool(result.rowcount)


async def set_status(conn: AsyncConnection, request_id: int, status: HeavyStatus) -> None:
    await conn.execute(update(_TABLE).where(_TABLE.c.id == request_id).values(status=status.value))


async def acknowledge(conn: AsyncConnection, request_id: int, now: datetime) -> bool:
    """Note the 'working on it' reply; False when the request was answered (or acknowledged) meanwhile."""
    t = _TABLE
    result = await conn.execute(
        update(t)
        .where(t.c.id == request_id, t.c.status == HeavyStatus.PENDING.value, t.c.acknowledged_at.is_(None))
        .values(acknowledged_at=now)
    )
    return bool(result.rowcount)


async def asked(conn: AsyncConnection, message_id: int | None) -> str:
    """The text of the message that asked ("" when it is gone from the log)."""
    if message_id is None:
        return ""
    m = schema.messages
    return (await conn.execute(select(m.c.text).where(m.c.id == message_id))).scalar_one_or_none() or ""
