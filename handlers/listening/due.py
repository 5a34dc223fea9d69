"""Due work: a question's nudge and escalation, a complaint's optional public acknowledgement."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update

from bot.context import Context, Services
from bot.db.schema import OutgoingKind, Role
from bot.members import MemberRef
from bot.uow import Database, UnitOfWork
from handlers.listening.matching import Kind
from handlers.listening.questions import nudge_due
from handlers.listening.rooms import community_by_id
from handlers.listening.tables import NoteStatus, flags, notes

_LOGGER = logging.getLogger(__name__)


class ListeningDue:
    name = "listening"

    def __init__(self, database: Database, services: Services) -> None:
        self._database = database
        self._engine = database.engine
        self._services = services

    async def next_due(self) -> datetime | None:
        async with self._engine.connect() as conn:
            question = (
                await conn.execute(
                    select(func.min(flags.c.due_at)).where(
                        flags.c.kind == Kind.QUESTION.value, flags.c.answered_at.is_(None)
                    )
                )
            ).scalar()
            ack = (
                await conn.execute(select(func.min(notes.c.ack_due_at)).where(notes.c.status == NoteStatus.OPEN.value))
            ).scalar()
        return min((t for t in (question, ack) if t is not None), default=None)

    async def run_due(self) -> None:
        now = self._services.clock.now()
        async with self._engine.connect() as conn:
            questions = (
                (
                    await conn.execute(
                        select(flags.c.id).where(
                            flags.c.kind == Kind.QUESTION.value, flags.c.answered_at.is_(None), flags.c.due_at <= now
                        )
                    )
                )
                .scalars()
                .all()
            )
            acks = (
                (
                    await conn.execute(
                        select(notes.c.id).where(notes.c.status == NoteStatus.OPEN.value, notes.c.ack_due_at <= now)
                    )
                )
                .scalars()
                .all()
            )
        for flag_id in questions:
            async with UnitOfWork(self._database, self._services.clock) as uow:
                flag = (await uow.conn.execute(select(flags).where(flags.c.id == flag_id))).one()
                await nudge_due(await self._context(uow, flag.member_id), flag)
                await uow.commit()
        for note_id in acks:
            async with UnitOfWork(self._database, self._services.clock) as uow:
                await acknowledge(await self._context(uow, None), note_id)
                await uow.commit()

    async def _context(self, uow: UnitOfWork, member_id: int | None) -> Context:
        directory = self._services.directory
        member = await directory.find_member_by_id(uow.conn, member_id) if member_id is not None else None
        return Context(self._services, uow, None, member or _NOBODY, None)


_NOBODY = MemberRef(0, "", "", Role.MEMBER)  # due work no member started


async def acknowledge(ctx: Context, note_id: int) -> None:
    """Nobody acted within `thank_within_minutes`: thank the members who raised it, in their room."""
    note = (await ctx.db.execute(select(notes).where(notes.c.id == note_id))).one()
    raised = (await ctx.db.execute(select(flags.c.member_id).where(flags.c.note_id == note_id))).scalars().all()
    directory = ctx.services.directory
    members = [m for i in dict.fromkeys(raised) if (m := await directory.find_member_by_id(ctx.db, i)) is not None]
    community = await community_by_id(ctx, note.community_id)
    await ctx.post(
        community,
        "listening/acknowledge",
        mentions=tuple(m.platform_id for m in members),
        message_kind=OutgoingKind.TRANSACTIONAL,
        dedupe_key=f"listening-ack:{note_id}",
        names=[m.name for m in members],
    )
    await ctx.db.execute(update(notes).where(notes.c.id == note_id).values(ack_due_at=None, acknowledged_at=ctx.now))
    _LOGGER.info("complaint note %d acknowledged in %s", note_id, community.platform_id)


def factory(database: Database, services: Services) -> ListeningDue:
    return ListeningDue(database, services)
