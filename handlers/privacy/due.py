"""Due work: erasures whose cooling-off period has passed, then the receipt's own address once it is delivered."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from bot.context import Context, Services
from bot.db import schema
from bot.db.schema import OutboxStatus, OutgoingKind, Role
from bot.members import MemberRef
from bot.uow import Database, UnitOfWork
from handlers.privacy.config import privacy_section
from handlers.privacy.erase import ERASED_PREFIX, Person, erase
from handlers.privacy.tables import Kind, Status, requests

_LOGGER = logging.getLogger(__name__)
ERASED = "erased"  # done, but the receipt still carries the member's WeChat id until it is delivered
RECEIPT_CHECK = timedelta(minutes=10)


def receipt_key(request_id: int) -> str:
    return f"privacy-receipt:{request_id}"


class Erasures:
    """Carries out due erasures, each in one transaction: interrupted, it is rolled back and done again."""

    name = "privacy-erasures"

    def __init__(self, database: Database, services: Services) -> None:
        self._database = database
        self._engine = database.engine
        self._services = services

    async def next_due(self) -> datetime | None:
        q = requests.c
        async with self._engine.connect() as conn:
            due = (
                await conn.execute(
                    select(func.min(q.due_at)).where(q.kind == Kind.ERASE.value, q.status == Status.PENDING.value)
                )
            ).scalar()
            erased = (await conn.execute(select(func.min(q.done_at)).where(q.status == ERASED))).scalar()
        times = [t for t in (due, erased and erased + RECEIPT_CHECK) if t is not None]
        return min(times, default=None)

    async def run_due(self) -> None:
        now = self._services.clock.now()
        q = requests.c
        async with self._engine.connect() as conn:
            due = (
                (
                    await conn.execute(
                        select(q.id).where(
                            q.kind == Kind.ERASE.value, q.status == Status.PENDING.value, q.due_at <= now
                        )
                    )
                )
                .scalars()
                .all()
            )
            erased = (
                (await conn.execute(select(q.id).where(q.status == ERASED, q.done_at <= now - RECEIPT_CHECK)))
                .scalars()
                .all()
            )
        for request_id in due:
            await self._erase(request_id)
        for request_id in erased:
            await self._forget_receipt_address(request_id)

    async def _erase(self, request_id: int) -> None:
        async with UnitOfWork(self._database, self._services.clock) as uow:
            request = (await uow.conn.execute(select(requests).where(requests.c.id == request_id))).one()
            if request.status != Status.PENDING.value:  # cancelled meanwhile
                return
            member = (
                await uow.conn.execute(select(schema.members).where(schema.members.c.id == request.member_id))
            ).one()
            person = Person(member.id, member.platform_id, member.display_name, request.pseudonym)
            receipt = await erase(uow.conn, person)
            now = self._services.clock.now()
            await uow.conn.execute(
                update(requests)
                .where(requests.c.id == request_id)
                .values(status=ERASED, done_at=now, receipt=receipt.as_json())
            )
            await _audit(uow, request, person, now)
            await self._services.directory.changed(uow, person.platform_id)
            ref = MemberRef(person.id, person.platform_id, person.pseudonym, Role.MEMBER, member.locale)
            ctx = Context(self._services, uow, None, ref, None)
            await ctx.dm(
                ref,
                "privacy/erase_receipt",
                urgent=True,
                message_kind=OutgoingKind.TRANSACTIONAL,
                dedupe_key=receipt_key(request_id),
                erased=receipt.erased,
                kept=receipt.kept,
                legal_years=privacy_section(self._services.settings).legal_years,
            )
            await uow.commit()
        _LOGGER.info("privacy request %d: member %d erased as %s", request_id, person.id, person.pseudonym)

    async def _forget_receipt_address(self, request_id: int) -> None:
        """The receipt went out (or gave up): its row no longer needs the member's WeChat id."""
        o = schema.outbox.c
        async with UnitOfWork(self._database, self._services.clock) as uow:
            request = (await uow.conn.execute(select(requests).where(requests.c.id == request_id))).one()
            row = (await uow.conn.execute(select(o.status).where(o.dedupe_key == receipt_key(request_id)))).first()
            if row is not None and row.status not in (OutboxStatus.SENT.value, OutboxStatus.FAILED.value):
                return  # not out yet: looked at again later
            await uow.conn.execute(
                update(schema.outbox)
                .where(o.dedupe_key == receipt_key(request_id))
                .values(contact_platform_id=ERASED_PREFIX + request.pseudonym, text="[erased]")
            )
            await uow.conn.execute(update(requests).where(requests.c.id == request_id).values(status=Status.DONE.value))
            await uow.commit()


async def _audit(uow: UnitOfWork, request: Any, person: Person, now: datetime) -> None:
    """The audit log names the pseudonym, never the person."""
    await uow.conn.execute(
        insert(schema.audit_log).values(
            at=now,
            actor_id=request.requested_by,
            action="privacy erased",
            outcome="ok",
            target_id=person.id,
            community_id=None,
            details={"pseudonym": person.pseudonym, "request": request.id},
        )
    )


def factory(database: Database, services: Services) -> Erasures:
    return Erasures(database, services)
