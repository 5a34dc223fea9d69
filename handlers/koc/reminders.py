"""The daily `koc_reminders` job: agreements' deliverables, payments and ends, and title terms' reviews and ends."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.context import Context
from bot.members import MemberRef
from bot.scheduling.jobs import JobRun
from handlers.koc import terms
from handlers.koc.agreements import ACTIVE, owner_id_of
from handlers.koc.config import KocSection
from handlers.koc.tables import agreements

_LOGGER = logging.getLogger(__name__)
KEY = "koc:agreement:{id}:{kind}:{due}:{n}"


def _due_items(row: Any) -> list[tuple[str, date, str, int]]:
    """(kind, due date, what, index) for every dated obligation of an agreement."""
    items = [("deliverable", date.fromisoformat(d), "", n) for n, d in enumerate(row.deliverable_dates or [])]
    items += [("payment", date.fromisoformat(p["due"]), p["what"], n) for n, p in enumerate(row.payments or [])]
    return [*items, ("end", row.ends, "", 0)]


async def remind_agreements(ctx: Context, today: date) -> int:
    """Each obligation due within `koc.reminder_days`, to the owning moderator, once (outbox dedupe key)."""
    window = timedelta(days=ctx.settings.section(KocSection).reminder_days)
    rows = (
        await ctx.db.execute(select(agreements).where(agreements.c.status == ACTIVE, agreements.c.ends >= today))
    ).all()
    count = 0
    for row in rows:
        due_now = [item for item in _due_items(row) if item[1] - window <= today <= item[1]]
        if not due_now:
            continue
        owner = await _owner(ctx, row)
        member = await ctx.services.directory.find_member_by_id(ctx.db, row.member_id)
        if owner is None or member is None:
            continue
        for kind, due, what, n in due_now:
            await ctx.dm(
                owner,
                "koc/reminder",
                kind=kind,
                member=member.name,
                due=due.isoformat(),
                what=what,
                days=(due - today).days,
                id=row.id,
                dedupe_key=KEY.format(id=row.id, kind=kind, due=due.isoformat(), n=n),
            )
            count += 1
    return count


async def _owner(ctx: Context, row: Any) -> MemberRef | None:
    owner_id = await owner_id_of(ctx.db, row.member_id) or row.created_by
    return await ctx.services.directory.find_member_by_id(ctx.db, owner_id)


async def koc_reminders(run: JobRun) -> None:
    """The scheduler's daily `koc_reminders` job (09:00)."""
    ctx = run.context()
    today = ctx.today
    count = await remind_agreements(ctx, today)
    terms_done = await terms.review_and_end_terms(ctx, today)
    _LOGGER.info(
        "koc reminders for %s: %d agreement obligations due (each sent once), %d title terms acted on",
        today,
        count,
        terms_done,
    )
