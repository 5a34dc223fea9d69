"""The audit log of moderator and admin actions: append-only, refused attempts included."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    INVALID = "invalid"
    ERROR = "error"


@dataclass(slots=True)
class AuditRecord:
    action: str
    actor_id: int
    outcome: Outcome = Outcome.OK
    target_id: int | None = None
    community_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


async def write_audit(conn: AsyncConnection, record: AuditRecord, now: datetime) -> None:
    await conn.execute(
        insert(schema.audit_log).values(
            at=now,
            actor_id=record.actor_id,
            action=record.action,
            outcome=record.outcome.value,
            target_id=record.target_id,
            community_id=record.community_id,
            details=record.details,
        )
    )
