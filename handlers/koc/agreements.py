"""Agreements for 公域 KOCs: recorded through a guided conversation, shown, and exported as CSV."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.errors import UsageError, UserFacingError
from bot.members import MemberRef
from bot.registry import ExportRequest
from bot.tables import Table, local_time, words_from, written
from bot.templates import TemplateRenderer
from handlers.koc import agreement_wizard
from handlers.koc.config import KocSection
from handlers.koc.eligibility import must_be_eligible
from handlers.koc.tables import Domain, agreements, koc_events, koc_records

_LOGGER = logging.getLogger(__name__)
ACTIVE, REPLACED = "active", "replaced"
COLUMNS = (
    "id",
    "member",
    "status",
    "starts",
    "ends",
    "deliverables",
    "cadence",
    "content_ownership",
    "deliverable_dates",
    "payments",
    "owner",
    "created_at",
    "created_by",
)


async def mentioned_member(ctx: Context, cmd: Invocation, problem: str) -> MemberRef:
    """The one member a command is about: mentioned, else the sender of the quoted message."""
    contacts = cmd.mentions or ((cmd.quote_sender,) if cmd.quote_sender else ())
    if len(contacts) != 1:
        raise UsageError(problem)
    return await ctx.member(contacts[0])


async def owner_id_of(conn: AsyncConnection, member_id: int) -> int | None:
    """The moderator who owns the member's KOC relationship, if one is recorded."""
    return (
        await conn.execute(select(koc_records.c.owner_id).where(koc_records.c.member_id == member_id))
    ).scalar_one_or_none()


async def start_agreement(ctx: Context, cmd: Invocation) -> None:
    """/koc agreement @x: the guided conversation, in private with the moderator."""
    member = await mentioned_member(ctx, cmd, "koc/problem_agr_needs_member")
    await must_be_eligible(ctx, member)
    domain = (
        await ctx.db.execute(select(koc_records.c.domain).where(koc_records.c.member_id == member.id))
    ).scalar_one_or_none()
    if domain == Domain.PRIVATE:
        raise UserFacingError("koc/agreement_private_domain", member=member.name)
    await agreement_wizard.start(ctx, member.id, member.name)


async def save(ctx: Context, data: dict[str, Any]) -> None:
    """The moderator confirmed: the agreement replaces any earlier one of that member."""
    member_id = data["member_id"]
    await ctx.db.execute(
        update(agreements)
        .where(agreements.c.member_id == member_id, agreements.c.status == ACTIVE)
        .values(status=REPLACED)
    )
    agreement_id = (
        await ctx.db.execute(
            insert(agreements)
            .values(
                member_id=member_id,
                deliverables=data["deliverables"],
                cadence=data["cadence"],
                content_ownership=data["ownership"],
                payments=data["payments"],
                deliverable_dates=data["deliverable_dates"],
                starts=date.fromisoformat(data["starts"]),
                ends=date.fromisoformat(data["ends"]),
                created_at=ctx.now,
                created_by=ctx.actor.id,
                status=ACTIVE,
            )
            .returning(agreements.c.id)
        )
    ).scalar_one()
    await ctx.db.execute(
        insert(koc_events).values(
            member_id=member_id,
            at=ctx.now,
            actor_id=ctx.actor.id,
            kind="agreement",
            details={"agreement_id": agreement_id, "starts": data["starts"], "ends": data["ends"]},
        )
    )
    _LOGGER.info("agreement %s recorded for member %s by %s", agreement_id, member_id, ctx.actor.id)
    await ctx.reply(
        "koc/agreement_saved",
        id=agreement_id,
        member=data["member"],
        days=ctx.settings.section(KocSection).reminder_days,
    )


async def latest(conn: AsyncConnection, member_id: int) -> Any | None:
    """The member's current agreement (the newest one)."""
    return (
        await conn.execute(
            select(agreements).where(agreements.c.member_id == member_id).order_by(agreements.c.id.desc()).limit(1)
        )
    ).one_or_none()


async def show_agreement(ctx: Context, cmd: Invocation) -> None:
    """/koc agreement show @x: the terms, privately (payments are nobody else's business)."""
    member = await mentioned_member(ctx, cmd, "koc/problem_agr_needs_member")
    row = await latest(ctx.db, member.id)
    if row is None:
        raise UserFacingError("koc/agreement_none", member=member.name)
    owner_id = await owner_id_of(ctx.db, member.id) or row.created_by
    owner = await ctx.services.directory.find_member_by_id(ctx.db, owner_id)
    if ctx.community is not None:
        await ctx.reply("koc/agreement_sent_privately", member=member.name)
    await ctx.reply_privately("koc/agreement_show", a=_view(row), member=member.name, owner=owner.name if owner else "")


def _view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "starts": row.starts.isoformat(),
        "ends": row.ends.isoformat(),
        "deliverables": row.deliverables,
        "cadence": row.cadence,
        "ownership": row.content_ownership,
        "deliverable_dates": list(row.deliverable_dates or []),
        "payments": list(row.payments or []),
    }


async def export_agreements(conn: AsyncConnection, request: ExportRequest) -> str | bytes:
    """`kocbot export agreements`: every agreement, oldest first, as CSV or .xlsx (names, local times)."""
    members = schema.members
    names = {
        row.id: row.display_name or row.platform_id
        for row in (await conn.execute(select(members.c.id, members.c.display_name, members.c.platform_id))).all()
    }
    owners = dict((await conn.execute(select(koc_records.c.member_id, koc_records.c.owner_id))).all())
    zone = ZoneInfo(request.timezone)
    rows = [
        _agreement_row(row, names, names.get(owners.get(row.member_id) or row.created_by, ""), zone)
        for row in (await conn.execute(select(agreements).order_by(agreements.c.id))).all()
    ]
    renderer = request.renderer or TemplateRenderer()
    statuses = renderer.labels("koc/agreement_macros", "status_label", request.locale, (ACTIVE, REPLACED))
    words = words_from(renderer, "koc/agreements_columns", request.locale, len(COLUMNS), {"status": statuses})
    return written(Table(COLUMNS, rows, "agreements"), request.format, words=words)


def _agreement_row(row: Any, names: dict[int, str], owner: str, zone: ZoneInfo) -> tuple[object, ...]:
    return (
        row.id,
        names.get(row.member_id, ""),
        row.status,
        row.starts.isoformat(),
        row.ends.isoformat(),
        row.deliverables,
        row.cadence,
        row.content_ownership,
        " ".join(row.deliverable_dates or []),
        "; ".join(f"{p['due']} {p['what']}" for p in row.payments or []),
        owner,
        local_time(row.created_at, zone),
        names.get(row.created_by, ""),
    )
