"""Exit with honour: a checklist of what the brand still owes, then thanks, the hall of fame, and a way back.

`/koc exit @x [reason] [--public]` opens the exit. Every open promise (pending rewards
included) is listed, and each of the member's open feedback items becomes a promise to
tell them its outcome. The exit completes only when all of them are kept or waived with a
reason; `/koc exit @x` again checks and completes. Then the member is thanked privately
(and, with --public, in their groups), gets 品牌名人堂, becomes an alumnus with their
history kept, and the moderators get three candidates to develop next.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_, func, select, true, update

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.db.schema import OutgoingKind, Stage
from bot.errors import UserFacingError
from bot.members import CommunityRef, MemberRef
from handlers.feedback.rules import OPEN as OPEN_FEEDBACK
from handlers.feedback.tables import Role as FeedbackRole
from handlers.feedback.tables import Status as FeedbackStatus
from handlers.feedback.tables import items as feedback_items
from handlers.feedback.tables import people as feedback_people
from handlers.koc import pool
from handlers.koc.promises import create_promise, open_promises
from handlers.koc.records import change_stage, record_of, stage_of, target_of
from handlers.koc.tables import koc_events, koc_exits
from handlers.recognition.ledger import grant_title
from handlers.recognition.tables import Source, thanks
from handlers.threads.tables import Part
from handlers.threads.tables import people as thread_people

_LOGGER = logging.getLogger(__name__)
HALL_OF_FAME = "品牌名人堂"
PUBLIC = {"--public", "--公开"}
EXITING = (Stage.ACTIVE.value, Stage.RESTING.value)


def _reason_and_public(cmd: Invocation) -> tuple[str | None, bool]:
    words = cmd.text.split()
    public = any(word.lower() in PUBLIC for word in words)
    text = " ".join(word for word in words if word.lower() not in PUBLIC and not word.startswith("@")).strip()
    return (text or None), public


async def _open_exit(ctx: Context, member_id: int) -> Any:
    return (
        await ctx.db.execute(
            select(koc_exits).where(koc_exits.c.member_id == member_id, koc_exits.c.completed_at.is_(None))
        )
    ).one_or_none()


async def _feedback_outcomes(ctx: Context, member: MemberRef) -> int:
    """Each open feedback item the member reported becomes a promise to tell them its outcome
    (kept by itself when the item ships, is declined or merged: see promises.on_feedback_history)."""
    rows = (
        await ctx.db.execute(
            select(feedback_items.c.id, feedback_items.c.title)
            .join(feedback_people, feedback_people.c.item_id == feedback_items.c.id)
            .where(
                feedback_people.c.member_id == member.id,
                feedback_people.c.role == FeedbackRole.REPORTER.value,
                feedback_items.c.status.in_([s.value for s in OPEN_FEEDBACK]),
            )
            .order_by(feedback_items.c.id)
        )
    ).all()
    for row in rows:
        await create_promise(
            ctx, member.id, f"FB-{row.id}「{row.title}」", None, "outcome", f"feedback:{row.id}:outcome:{member.id}"
        )
    return len(rows)


async def exit_koc(ctx: Context, cmd: Invocation) -> None:
    """/koc exit @x [reason] [--public]: open the exit, or complete it once nothing is owed."""
    member = await target_of(ctx, cmd)
    reason, public = _reason_and_public(cmd)
    opened = await _open_exit(ctx, member.id)
    if opened is None:
        stage = await stage_of(ctx, member)
        if stage not in EXITING:
            raise UserFacingError("koc/exit_not_koc", name=member.name, stage=stage)
        exit_id = (
            await ctx.db.execute(
                koc_exits.insert()
                .values(
                    member_id=member.id,
                    opened_at=ctx.now,
                    opened_by=ctx.actor.id,
                    reason=reason,
                    contribution={"public": public},
                )
                .returning(koc_exits.c.id)
            )
        ).scalar_one()
        await ctx.db.execute(
            koc_events.insert().values(
                member_id=member.id,
                at=ctx.now,
                actor_id=ctx.actor.id,
                kind="exit_opened",
                from_stage=stage,
                to_stage=stage,
                reason=reason,
                details={"exit": exit_id},
            )
        )
        await _feedback_outcomes(ctx, member)
    else:
        exit_id = opened.id
        if public and not (opened.contribution or {}).get("public"):
            await ctx.db.execute(
                update(koc_exits)
                .where(koc_exits.c.id == exit_id)
                .values(contribution={**(opened.contribution or {}), "public": True})
            )
        public = public or bool((opened.contribution or {}).get("public"))
        reason = reason or opened.reason
    owed = await open_promises(ctx, member.id)
    ctx.note_audit(target=member, exit=exit_id, open_items=len(owed))
    if owed:
        await ctx.reply_privately("koc/exit_checklist", name=member.name, items=owed, opened=opened is None)
        return
    await _complete(ctx, member, exit_id, reason, public)


async def _complete(ctx: Context, member: MemberRef, exit_id: int, reason: str | None, public: bool) -> None:
    contribution = await contribution_of(ctx, member.id)
    await ctx.db.execute(
        update(koc_exits)
        .where(koc_exits.c.id == exit_id)
        .values(completed_at=ctx.now, contribution={**contribution, "public": public})
    )
    await change_stage(ctx, member, Stage.ALUMNI, kind="exit", reason=reason)
    await grant_title(
        ctx, member.id, HALL_OF_FAME, Source.MANUAL, key=f"koc:hall-of-fame:{member.id}:{exit_id}", by=ctx.actor
    )
    await ctx.dm(
        member,
        "koc/exit_thanks",
        name=member.name,
        contribution=contribution,
        title=HALL_OF_FAME,
        urgent=True,
        message_kind=OutgoingKind.TRANSACTIONAL,
    )
    rooms = await _rooms_of(ctx, member) if public else []
    for community in rooms:
        await ctx.post(
            community,
            "koc/exit_public",
            mentions=(member.platform_id,),
            name=member.name,
            title=HALL_OF_FAME,
            dedupe_key=f"koc:exit:{exit_id}:{community.platform_id}",
        )
    record = await record_of(ctx, member.id)
    owner = record.owner_id if record is not None else None
    if owner is not None and owner != ctx.actor.id:
        found = await ctx.services.directory.find_member_by_id(ctx.db, owner)
        if found is not None:
            await ctx.dm(
                found,
                "koc/exit_owner",
                name=member.name,
                by=ctx.actor.name,
                urgent=True,
                message_kind=OutgoingKind.TRANSACTIONAL,
            )
    await ctx.reply_privately(
        "koc/exit_done", name=member.name, title=HALL_OF_FAME, rooms=[c.name or c.platform_id for c in rooms]
    )
    await pool.notify_replacements(ctx, member)
    _LOGGER.info("KOC %s exited with honour (exit %d)", member.platform_id, exit_id)


async def _rooms_of(ctx: Context, member: MemberRef) -> list[CommunityRef]:
    memberships, communities = schema.memberships, schema.communities
    rows = (
        await ctx.db.execute(
            select(communities.c.platform_id, communities.c.name)
            .join(memberships, memberships.c.community_id == communities.c.id)
            .where(memberships.c.member_id == member.id, memberships.c.left_at.is_(None))
            .order_by(communities.c.id)
        )
    ).all()
    directory = ctx.services.directory
    return [
        await directory.ensure_community(ctx.uow, row.platform_id, row.name, ctx.now)
        for row in rows
        if ctx.settings.serves_room(row.platform_id)
    ]


async def contribution_of(ctx: Context, member_id: int) -> dict[str, int]:
    """What a member gave the community, in numbers the hall of fame shows."""
    received = (
        await ctx.db.execute(
            select(func.count())
            .select_from(thanks)
            .where(thanks.c.receiver_id == member_id, thanks.c.counted == true())
        )
    ).scalar_one()
    adopted = (
        await ctx.db.execute(
            select(func.count(func.distinct(feedback_items.c.id)))
            .select_from(
                feedback_items.join(
                    feedback_people,
                    and_(
                        feedback_people.c.item_id == feedback_items.c.id,
                        feedback_people.c.member_id == member_id,
                        feedback_people.c.role == FeedbackRole.REPORTER.value,
                    ),
                )
            )
            .where(feedback_items.c.status.in_([FeedbackStatus.ADOPTED.value, FeedbackStatus.SHIPPED.value]))
        )
    ).scalar_one()
    raised = (
        await ctx.db.execute(
            select(func.count(func.distinct(thread_people.c.thread_id))).where(
                thread_people.c.member_id == member_id, thread_people.c.part == Part.REPORTER.value
            )
        )
    ).scalar_one()
    return {"thanks": received, "feedback": adopted, "threads": raised}


async def hall_of_fame(ctx: Context, cmd: Invocation) -> None:
    """/halloffame: the alumni and what each contributed, newest first."""
    members = schema.members
    rows = (
        await ctx.db.execute(
            select(
                koc_exits.c.member_id,
                koc_exits.c.completed_at,
                koc_exits.c.contribution,
                members.c.display_name,
                members.c.stage,
            )
            .join(members, members.c.id == koc_exits.c.member_id)
            .where(koc_exits.c.completed_at.is_not(None))
            .order_by(koc_exits.c.completed_at.desc(), koc_exits.c.id.desc())
        )
    ).all()
    seen, alumni = set(), []
    for row in rows:
        if row.member_id in seen:
            continue
        seen.add(row.member_id)
        since = (
            await ctx.db.execute(
                select(func.min(koc_events.c.at)).where(
                    koc_events.c.member_id == row.member_id, koc_events.c.to_stage == Stage.ACTIVE.value
                )
            )
        ).scalar_one()
        alumni.append(
            {
                "name": row.display_name,
                "since": since,
                "until": row.completed_at,
                "back": row.stage == Stage.ACTIVE.value,
                **{k: v for k, v in (row.contribution or {}).items() if k in ("thanks", "feedback", "threads")},
            }
        )
    await ctx.reply("koc/halloffame", alumni=alumni, zone=ctx.room_zone)


async def return_koc(ctx: Context, cmd: Invocation) -> None:
    """/koc return @x: an alumnus comes back, history intact."""
    member = await target_of(ctx, cmd)
    stage = await stage_of(ctx, member)
    if stage != Stage.ALUMNI.value:
        raise UserFacingError("koc/return_not_alumnus", name=member.name, stage=stage)
    reason = " ".join(w for w in cmd.text.split() if not w.startswith("@")) or None
    await change_stage(ctx, member, Stage.ACTIVE, kind="return", reason=reason)
    ctx.note_audit(target=member)
    await ctx.dm(member, "koc/return_welcome", name=member.name, urgent=True, message_kind=OutgoingKind.TRANSACTIONAL)
    await ctx.reply("koc/return_done", name=member.name)
