"""The one outgoing path: rendered messages written to the outbox in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.db.dialect import insert_for
from bot.db.schema import Delivery, OutboxStatus


@dataclass(frozen=True, slots=True)
class Draft:
    """A message to send: exactly one of room_id / contact_id says where."""

    text: str
    template: str
    locale: str
    room_id: str | None = None
    contact_id: str | None = None
    mentions: tuple[str, ...] = ()
    not_before: datetime | None = None
    dedupe_key: str | None = None  # a unique key: a job that runs twice sends once
    in_reply_to: int | None = None
    delivery: Delivery = Delivery.REPLY  # ROUTINE ones wait out quiet hours and the contact budget

    def __post_init__(self) -> None:
        if (self.room_id is None) == (self.contact_id is None):
            raise ValueError("a Draft goes to a room or to a contact, not both and not neither")


def _params(draft: Draft, now: datetime) -> dict[str, object]:
    return {
        "created_at": now,
        "not_before": draft.not_before or now,
        "status": OutboxStatus.PENDING.value,
        "room_platform_id": draft.room_id,
        "contact_platform_id": draft.contact_id,
        "text": draft.text,
        "mentions": list(draft.mentions),
        "template": draft.template,
        "locale": draft.locale,
        "dedupe_key": draft.dedupe_key,
        "in_reply_to": draft.in_reply_to,
        "attempts": 0,
        "delivery": draft.delivery.value,
    }


async def enqueue_many(conn: AsyncConnection, drafts: list[Draft], now: datetime) -> None:
    """Write drafts in one statement (deduplicated ones each on their own)."""
    table = schema.outbox
    plain = [_params(d, now) for d in drafts if d.dedupe_key is None]
    if plain:
        await conn.execute(insert(table), plain)
    for draft in drafts:
        if draft.dedupe_key is not None:
            await enqueue(conn, draft, now)


async def enqueue(conn: AsyncConnection, draft: Draft, now: datetime) -> int | None:
    """Write `draft` to the outbox now; None when its dedupe key was already used."""
    params = _params(draft, now)
    table = schema.outbox
    if draft.dedupe_key is None:  # the common case: a plain insert SQLAlchemy can cache
        stmt = insert(table).returning(table.c.id)
    else:
        stmt = insert_for(conn, table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    return (await conn.execute(stmt, params)).scalar_one_or_none()


async def withdraw_pending(conn: AsyncConnection, dedupe_prefix: str) -> int:
    """Take back messages not yet sent whose dedupe key starts with `dedupe_prefix`
    (e.g. a notice scheduled for later that no longer applies); returns how many."""
    table = schema.outbox
    result = await conn.execute(delete(table).where(table.c.dedupe_key.startswith(dedupe_prefix),
                                                    table.c.status == OutboxStatus.PENDING.value))
    return result.rowcount or 0
