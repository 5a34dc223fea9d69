"""Opt-out in the member's own words, and back in: final for every unsolicited message until they return."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.db.dialect import insert_for
from bot.db.schema import Delivery, OutboxStatus, OutgoingKind
from bot.events import IncomingMessage
from bot.hooks import HookPoint
from bot.members import MemberRef
from bot.outbox import Draft
from handlers.outreach.config import OutreachSection
from handlers.outreach.tables import consent, consent_events

_LOGGER = logging.getLogger(__name__)
# Other capabilities listen (`registry.listen`): journeys end the member's runs.
OPTED_OUT: HookPoint[MemberRef] = HookPoint("outreach.opted_out")
_TRIM = " \t\r\n。！!.~～…，,？?"


@dataclass(frozen=True, slots=True)
class OptOutWords:
    """A private message that is, in full, one of the configured opt-out phrases."""

    words: str


def _plain(text: str) -> str:
    return text.strip(_TRIM).casefold()


def match_opt_out(message: IncomingMessage, section: OutreachSection) -> OptOutWords | None:
    """ "退订", "TD", "别发了"... alone in a private message (a sentence that mentions them is not one)."""
    said = _plain(message.text)
    if said and said in {_plain(w) for w in section.opt_out_words}:
        return OptOutWords(message.text.strip())
    return None


async def on_opt_out_words(ctx: Context, match: OptOutWords) -> None:
    await _opt_out(ctx, match.words)


async def unsubscribe(ctx: Context, cmd: Invocation) -> None:
    """/unsubscribe (/退订): no more unsolicited messages from the brand."""
    await _opt_out(ctx, ctx.message.text.strip())


async def subscribe(ctx: Context, cmd: Invocation) -> None:
    """/subscribe (/订阅): back in, after an opt-out."""
    was_out = await is_opted_out(ctx.db, ctx.actor.id)
    if was_out:
        await _record(ctx, opted_out=False, words=ctx.message.text.strip())
    await ctx.reply_privately("outreach/opted_in", name=ctx.actor.name, before=not was_out)


async def _opt_out(ctx: Context, words: str) -> None:
    already = await is_opted_out(ctx.db, ctx.actor.id)
    if not already:
        await _record(ctx, opted_out=True, words=words)
        await _withdraw_outreach(ctx)
        _LOGGER.info("%s opted out of outreach (%s)", ctx.actor.platform_id, words)
        await ctx.emit(OPTED_OUT, ctx.actor)
    await ctx.reply_privately("outreach/opted_out", name=ctx.actor.name, before=already)


async def _withdraw_outreach(ctx: Context) -> None:
    """Every unsolicited private message still waiting for this member is taken back, whatever sent it
    (outreach, a journey, an invitation, a brief held by quiet hours or the budget): the opt-out is final."""
    table = schema.outbox
    await ctx.db.execute(
        delete(table).where(
            table.c.contact_platform_id == ctx.actor.platform_id,
            table.c.status == OutboxStatus.PENDING.value,
            table.c.kind == OutgoingKind.UNSOLICITED.value,
        )
    )


async def withhold_from_opted_out(ctx: Context, draft: Draft) -> Draft | None:
    """The outreach capability's private note: an unsolicited private message to a member who opted
    out is not written, whichever capability wrote it. Replies and news the member is owed pass."""
    if draft.kind is not OutgoingKind.UNSOLICITED or draft.contact_id is None:
        return draft
    directory = ctx.services.directory
    member = directory.cached_member(draft.contact_id) or await directory.find_member(ctx.db, draft.contact_id)
    if member is None or not await is_opted_out(ctx.db, member.id):
        return draft
    _LOGGER.info("%s to %s withheld: they opted out of unsolicited messages", draft.template, draft.contact_id)
    return None


async def _record(ctx: Context, *, opted_out: bool, words: str) -> None:
    """The member's choice now, and its line in the history, in the handler's transaction."""
    values = {"member_id": ctx.actor.id, "opted_out": opted_out, "changed_at": ctx.now, "words": words[:64]}
    stmt = insert_for(ctx.db, consent).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["member_id"], set_={"opted_out": opted_out, "changed_at": ctx.now, "words": words[:64]}
    )
    await ctx.db.execute(stmt)
    event = {"member_id": ctx.actor.id, "opted_out": opted_out, "at": ctx.now, "words": words[:64]}
    await ctx.db.execute(insert(consent_events).values(**event))


async def is_opted_out(conn: AsyncConnection, member_id: int) -> bool:
    stmt = select(consent.c.opted_out).where(consent.c.member_id == member_id)
    return bool((await conn.execute(stmt)).scalar_one_or_none())


async def opted_out_at(conn: AsyncConnection, member_id: int) -> datetime | None:
    """When the member opted out, if they have (and not back in since)."""
    stmt = select(consent.c.changed_at).where(consent.c.member_id == member_id, consent.c.opted_out.is_(True))
    found: datetime | None = (await conn.execute(stmt)).scalar_one_or_none()
    return found


async def unsolicited_wait(ctx: Context, member: MemberRef, template: str) -> tuple[datetime | None, str]:
    """When an unsolicited private message to `member` written now would go out, if not now, and why
    ("quiet" hours or the contact "budget"): what the moderator who asked for it is told."""
    policy = ctx.uow.database.policy
    if policy is None:
        return None, ""
    draft = Draft(
        "", template, "", contact_id=member.platform_id, delivery=Delivery.ROUTINE, kind=OutgoingKind.UNSOLICITED
    )
    [held] = await policy.hold(ctx.db, [draft], ctx.now)
    if held.not_before is None or held.not_before <= ctx.now:
        return None, ""
    quiet_end = policy.quiet.release(ctx.now, policy.private_tz) if policy.quiet else None
    return held.not_before, "quiet" if held.not_before == quiet_end else "budget"


async def opted_out_among(conn: AsyncConnection, member_ids: Iterable[int]) -> set[int]:
    """Which of `member_ids` have opted out."""
    ids = sorted(set(member_ids))
    if not ids:
        return set()
    stmt = select(consent.c.member_id).where(consent.c.opted_out.is_(True), consent.c.member_id.in_(ids))
    return set((await conn.execute(stmt)).scalars())


def opted_out_ids() -> Select[tuple[int]]:
    """The members who opted out, as a subquery for a segment's WHERE."""
    return select(consent.c.member_id).where(consent.c.opted_out.is_(True))


def hint(ctx: Context, section: OutreachSection, locale: str) -> str:
    """The line every outreach message ends with: the configured text, else the locale's."""
    return section.opt_out_hint or ctx.render("outreach/opt_out_hint", locale)
