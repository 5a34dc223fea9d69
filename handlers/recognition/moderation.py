"""Moderators' changes to points, titles, event credit and thanks: each one an action /undo can reverse."""

from __future__ import annotations

import logging

from sqlalchemy import insert, select

from bot.commands import Invocation, parse_id, parse_number
from bot.context import Context
from bot.errors import UsageError, UserFacingError
from bot.members import MemberRef
from handlers.recognition.config import RecognitionSection
from handlers.recognition.ledger import award_points, balance, grant_title, named, record_action, revoke_title
from handlers.recognition.stats import is_revoked, thanks_count
from handlers.recognition.tables import ActionKind, Source, revocations, thanks

_LOGGER = logging.getLogger(__name__)
MAX_POINTS = 100_000  # a typo guard: nobody grants a million points on purpose


async def mentioned_members(ctx: Context, cmd: Invocation) -> list[MemberRef]:
    """The members a command names: mentioned, else the sender of the quoted message."""
    contacts = cmd.mentions or ((cmd.quote_sender,) if cmd.quote_sender else ())
    if not contacts:
        raise UsageError("recognition/problem_needs_member")
    return [await ctx.member(contact) for contact in contacts]


def _amount_and_reason(cmd: Invocation) -> tuple[int, str]:
    parts = cmd.text.split(maxsplit=1)
    amount = parse_number(parts[0] if parts else None, least=1, most=MAX_POINTS)
    if amount is None:
        raise UsageError("recognition/problem_points_amount", most=MAX_POINTS)
    if len(parts) < 2:
        raise UsageError("recognition/problem_needs_reason")
    return amount, parts[1].strip()


async def grant_points(ctx: Context, cmd: Invocation) -> None:
    """/points grant @x 20 reason"""
    members = await mentioned_members(ctx, cmd)
    amount, reason = _amount_and_reason(cmd)
    await _change_points(ctx, members, amount, reason, ActionKind.POINTS_GRANT)


async def deduct_points(ctx: Context, cmd: Invocation) -> None:
    """/points deduct @x 20 reason: never below zero."""
    members = await mentioned_members(ctx, cmd)
    amount, reason = _amount_and_reason(cmd)
    for member in members:
        held = await balance(ctx.db, member.id)
        if held < amount:
            names = await named(ctx.db, [member.id])
            raise UserFacingError("recognition/not_enough_points", member=names[member.id], balance=held, amount=amount)
    await _change_points(ctx, members, -amount, reason, ActionKind.POINTS_DEDUCT)


async def _change_points(ctx: Context, members: list[MemberRef], amount: int, reason: str, kind: ActionKind) -> None:
    action_id = await record_action(ctx, kind)
    for member in members:
        await award_points(ctx, member.id, amount, Source.MANUAL, reason, by=ctx.actor, action_id=action_id)
    ctx.note_audit(target=members[0], action_id=action_id, amount=amount, reason=reason)
    names = await named(ctx.db, [m.id for m in members])
    changed = [{"member": names[m.id], "balance": await balance(ctx.db, m.id)} for m in members]
    await ctx.reply("recognition/points_changed", changed=changed, amount=amount, reason=reason)


def _title(ctx: Context, cmd: Invocation) -> str:
    section = ctx.settings.section(RecognitionSection)
    title = cmd.text.strip()
    if title not in section.titles:
        raise UsageError("recognition/problem_unknown_title", title=title, titles=section.titles)
    return title


async def grant_title_command(ctx: Context, cmd: Invocation) -> None:
    """/title grant @x title"""
    members, title = await mentioned_members(ctx, cmd), _title(ctx, cmd)
    action_id = await record_action(ctx, ActionKind.TITLE_GRANT)
    done = [m for m in members if await grant_title(ctx, m.id, title, Source.MANUAL, by=ctx.actor, action_id=action_id)]
    await _answer_title(ctx, members, done, title, action_id, granted=True)


async def revoke_title_command(ctx: Context, cmd: Invocation) -> None:
    """/title revoke @x title"""
    members, title = await mentioned_members(ctx, cmd), _title(ctx, cmd)
    action_id = await record_action(ctx, ActionKind.TITLE_REVOKE)
    done = [m for m in members if await revoke_title(ctx, m.id, title, by=ctx.actor, action_id=action_id)]
    await _answer_title(ctx, members, done, title, action_id, granted=False)


async def _answer_title(
    ctx: Context, members: list[MemberRef], done: list[MemberRef], title: str, action_id: int, *, granted: bool
) -> None:
    names = await named(ctx.db, [m.id for m in members])
    unchanged = [names[m.id] for m in members if m not in done]
    if not done:  # nothing to record: the action row goes with the rollback
        raise UserFacingError("recognition/title_unchanged", unchanged=unchanged, title=title, granted=granted)
    ctx.note_audit(target=done[0], action_id=action_id, title=title)
    await ctx.reply(
        "recognition/title_changed",
        changed=[names[m.id] for m in done],
        unchanged=unchanged,
        title=title,
        granted=granted,
    )


async def credit_event(ctx: Context, cmd: Invocation) -> None:
    """/event credit @x event name: the configured points, and the organiser's title."""
    section = ctx.settings.section(RecognitionSection)
    members, event = await mentioned_members(ctx, cmd), cmd.text.strip()
    if not event:
        raise UsageError("recognition/problem_needs_event")
    action_id = await record_action(ctx, ActionKind.EVENT_CREDIT)
    titled = []
    for member in members:
        await award_points(ctx, member.id, section.event_points, Source.EVENT, event, by=ctx.actor, action_id=action_id)
        if section.event_title and await grant_title(
            ctx, member.id, section.event_title, Source.EVENT, by=ctx.actor, action_id=action_id
        ):
            titled.append(member.id)
    ctx.note_audit(target=members[0], action_id=action_id, event=event)
    names = await named(ctx.db, [m.id for m in members])
    await ctx.reply(
        "recognition/event_credited",
        organisers=[names[m.id] for m in members],
        event=event,
        points=section.event_points,
        title=section.event_title,
        titled=[names[i] for i in titled],
    )


def _thanks_id(cmd: Invocation) -> int:
    thanks_id = parse_id(cmd.text)
    if thanks_id is None:
        raise UsageError("recognition/problem_needs_thanks_id")
    return thanks_id


async def revoke_thanks(ctx: Context, cmd: Invocation) -> None:
    """/thanks revoke ID: the thank-you stays stored; a revocation row stops it counting."""
    thanks_id = _thanks_id(cmd)
    row = (await ctx.db.execute(select(thanks).where(thanks.c.id == thanks_id))).one_or_none()
    if row is None:
        raise UserFacingError("recognition/no_such_thanks", id=thanks_id)
    if not row.counted or await is_revoked(ctx.db, thanks_id):
        raise UserFacingError("recognition/thanks_not_counting", id=thanks_id, why=row.why_not or "revoked")
    action_id = await record_action(ctx, ActionKind.THANKS_REVOKE)
    await ctx.db.execute(insert(revocations).values(thanks_id=thanks_id, action_id=action_id, created_at=ctx.now))
    names = await named(ctx.db, [row.giver_id, row.receiver_id])
    receiver = await ctx.services.directory.find_member_by_id(ctx.db, row.receiver_id)
    ctx.note_audit(target=receiver, action_id=action_id, thanks_id=thanks_id)
    count = await thanks_count(ctx.db, "receiver_id", row.receiver_id, row.month)
    await ctx.reply(
        "recognition/thanks_revoked",
        id=thanks_id,
        giver=names[row.giver_id],
        receiver=names[row.receiver_id],
        reason=row.reason,
        month=row.month,
        count=count,
    )
