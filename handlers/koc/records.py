"""KOC records: promote, rest, show and list; every change of stage is written to the history."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.db.dialect import insert_for
from bot.db.schema import OutgoingKind, Stage
from bot.errors import UsageError, UserFacingError
from bot.hooks import HookPoint
from bot.members import MemberRef
from handlers.feedback.config import FeedbackSection
from handlers.koc import pool
from handlers.koc.eligibility import must_be_eligible
from handlers.koc.tables import Domain, koc_events, koc_records

_LOGGER = logging.getLogger(__name__)
DOMAIN_WORDS = {"私域": Domain.PRIVATE, "private": Domain.PRIVATE, "公域": Domain.PUBLIC, "public": Domain.PUBLIC}
STAGE_WORDS = {
    "candidate": Stage.CANDIDATE,
    "候选": Stage.CANDIDATE,
    "active": Stage.ACTIVE,
    "活跃": Stage.ACTIVE,
    "resting": Stage.RESTING,
    "休息": Stage.RESTING,
    "alumni": Stage.ALUMNI,
    "名人堂": Stage.ALUMNI,
}


@dataclass(frozen=True, slots=True)
class StageChanged:
    """A member's KOC stage just changed (`kind`: promote, rest, exit, return)."""

    member_id: int
    from_stage: str
    to_stage: str
    kind: str


# Other capabilities listen (`registry.listen`): journeys start a new KOC's journey on a promotion.
STAGE_CHANGED: HookPoint[StageChanged] = HookPoint("koc.stage_changed")


async def target_of(ctx: Context, cmd: Invocation) -> MemberRef:
    """The member a command names with its first @mention."""
    if not cmd.mentions:
        raise UsageError("koc/problem_rec_needs_member")
    return await ctx.member(cmd.mentions[0])


async def stage_of(ctx: Context, member: MemberRef) -> str:
    m = schema.members
    stage: str = (await ctx.db.execute(select(m.c.stage).where(m.c.id == member.id))).scalar_one()
    return stage


async def record_of(ctx: Context, member_id: int) -> Any:
    return (await ctx.db.execute(select(koc_records).where(koc_records.c.member_id == member_id))).one_or_none()


async def change_stage(
    ctx: Context, member: MemberRef, to_stage: Stage | str, *, kind: str, reason: str | None = None
) -> None:
    """Move a member to `to_stage`: members.stage, the record's `since`, and a history row."""
    to_value = Stage(to_stage).value
    before = await stage_of(ctx, member)
    await ctx.db.execute(update(schema.members).where(schema.members.c.id == member.id).values(stage=to_value))
    values = {"since": ctx.now, "updated_at": ctx.now}
    await ctx.db.execute(
        insert_for(ctx.db, koc_records)
        .values(member_id=member.id, details={}, **values)
        .on_conflict_do_update(index_elements=["member_id"], set_=values)
    )
    await ctx.db.execute(
        koc_events.insert().values(
            member_id=member.id,
            at=ctx.now,
            actor_id=ctx.actor.id or None,
            kind=kind,
            from_stage=before,
            to_stage=to_value,
            reason=reason,
            details={},
        )
    )
    _LOGGER.info("member %s: %s -> %s (%s)", member.id, before, to_value, kind)
    await ctx.emit(STAGE_CHANGED, StageChanged(member.id, before, to_value, kind))


def _free_text(cmd: Invocation, skip: int = 0) -> str | None:
    """What follows the first `skip` words, as typed; None when nothing does."""
    parts = cmd.text.split(maxsplit=skip) if skip else [cmd.text]
    text = parts[skip].strip() if len(parts) > skip else ""
    return text or None


async def promote(ctx: Context, cmd: Invocation) -> None:
    """/koc promote @x 私域|公域: active from now, owned by the promoting moderator, welcomed privately."""
    member = await target_of(ctx, cmd)
    await must_be_eligible(ctx, member)
    domain = DOMAIN_WORDS.get(cmd.args[0].lower()) if cmd.args else None
    if domain is None:
        raise UsageError("koc/problem_rec_domain")
    stage = await stage_of(ctx, member)
    if stage == Stage.ACTIVE:
        raise UserFacingError("koc/problem_rec_already_active", name=member.name)
    if stage == Stage.ALUMNI:
        raise UserFacingError("koc/problem_rec_is_alumni", name=member.name)
    await change_stage(ctx, member, Stage.ACTIVE, kind="promote", reason=_free_text(cmd, 1))
    await ctx.db.execute(
        update(koc_records)
        .where(koc_records.c.member_id == member.id)
        .values(domain=domain.value, owner_id=ctx.actor.id)
    )
    ctx.note_audit(target=member, domain=domain.value)
    feedback = ctx.settings.optional_section(FeedbackSection)
    await ctx.dm(
        member,
        "koc/promote_welcome",
        message_kind=OutgoingKind.TRANSACTIONAL,
        name=member.name,
        domain=domain.value,
        owner=ctx.actor.name,
        response_days=feedback.response_days if feedback else None,
    )
    await ctx.reply("koc/promoted", name=member.name, domain=domain.value)


async def rest(ctx: Context, cmd: Invocation) -> None:
    """/koc rest @x [reason]: an active KOC steps back for a while."""
    member = await target_of(ctx, cmd)
    if await stage_of(ctx, member) != Stage.ACTIVE:
        raise UserFacingError("koc/problem_rec_not_active", name=member.name)
    reason = _free_text(cmd)
    await change_stage(ctx, member, Stage.RESTING, kind="rest", reason=reason)
    ctx.note_audit(target=member, reason=reason)
    await ctx.reply("koc/rested", name=member.name, reason=reason)
    await pool.notify_replacements(ctx, member)


async def history_of(ctx: Context, member_id: int) -> list[dict[str, Any]]:
    rows = (
        await ctx.db.execute(
            select(koc_events).where(koc_events.c.member_id == member_id).order_by(koc_events.c.at, koc_events.c.id)
        )
    ).all()
    names = await names_of(ctx, [r.actor_id for r in rows if r.actor_id])
    return [
        {
            "at": ctx_local(ctx, r.at),
            "kind": r.kind,
            "from_stage": r.from_stage,
            "to_stage": r.to_stage,
            "by": names.get(r.actor_id),
            "reason": r.reason,
            "details": r.details or {},
        }
        for r in rows
    ]


async def names_of(ctx: Context, member_ids: list[int]) -> dict[int, str]:
    m = schema.members
    if not member_ids:
        return {}
    rows = (await ctx.db.execute(select(m.c.id, m.c.display_name).where(m.c.id.in_(set(member_ids))))).all()
    return {r.id: r.display_name for r in rows}


def ctx_local(ctx: Context, when: datetime | None) -> datetime | None:
    """A stored time in the bot's time zone, for templates."""
    return ctx.local(when) if when else None


async def show(ctx: Context, cmd: Invocation) -> None:
    """/koc show @x: domain, stage, since, owner, every change and the open promises, privately."""
    from handlers.koc.promises import open_promises  # promises use these records: imported late

    member = await target_of(ctx, cmd)
    record = await record_of(ctx, member.id)
    if record is None:
        raise UserFacingError("koc/problem_rec_not_koc", name=member.name)
    owner = (await names_of(ctx, [record.owner_id])).get(record.owner_id) if record.owner_id else None
    await ctx.reply_privately(
        "koc/show",
        name=member.name,
        stage=await stage_of(ctx, member),
        domain=record.domain,
        since=ctx_local(ctx, record.since),
        owner=owner,
        history=await history_of(ctx, member.id),
        promises=await open_promises(ctx, member.id),
    )


async def list_kocs(ctx: Context, cmd: Invocation) -> None:
    """/koc list [stage] [domain]: the KOC records, filtered."""
    stage, domain = None, None
    for word in cmd.args:
        if word.lower() in STAGE_WORDS:
            stage = STAGE_WORDS[word.lower()]
        elif word.lower() in DOMAIN_WORDS:
            domain = DOMAIN_WORDS[word.lower()]
        else:
            raise UsageError("koc/problem_rec_list_word", word=word)
    m = schema.members
    query = (
        select(m.c.display_name, m.c.stage, koc_records.c.domain, koc_records.c.since, koc_records.c.owner_id)
        .join(m, m.c.id == koc_records.c.member_id)
        .order_by(koc_records.c.since, m.c.id)
    )
    if stage is not None:
        query = query.where(m.c.stage == stage.value)
    if domain is not None:
        query = query.where(koc_records.c.domain == domain.value)
    rows = (await ctx.db.execute(query)).all()
    owners = await names_of(ctx, [r.owner_id for r in rows if r.owner_id])
    kocs = [
        {
            "name": r.display_name,
            "stage": r.stage,
            "domain": r.domain,
            "since": ctx_local(ctx, r.since),
            "owner": owners.get(r.owner_id),
        }
        for r in rows
    ]
    await ctx.reply_privately(
        "koc/list", kocs=kocs, stage=stage.value if stage else None, domain=domain.value if domain else None
    )
