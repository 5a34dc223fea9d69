"""Welcome messages: a member who joins a room is greeted there once, ever (not again after rejoining)."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from bot.context import Context
from bot.db import schema
from bot.db.dialect import insert_for
from bot.db.schema import OutboxStatus
from bot.events import MemberJoined, MemberLeft
from bot.members import CommunityRef, MemberRef
from handlers.outreach.config import OutreachSection
from handlers.outreach.custom_templates import Rendering, find_custom_template, prepare, render_later
from handlers.outreach.sandbox import CustomTemplateError
from handlers.outreach.tables import welcomes

_LOGGER = logging.getLogger(__name__)
CUSTOM_NAME = "welcome"  # a moderator-authored template of this name replaces the built-in one


async def on_member_joined(ctx: Context, event: MemberJoined) -> None:
    """Post the welcome (routine: held in quiet hours) unless switched off, the bot itself
    joined, or this member was welcomed in this room before. The moderators' own welcome is
    rendered after this transaction, in a worker; if it fails, the built-in one goes out."""
    if not ctx.settings.section(OutreachSection).welcome or event.is_self or ctx.community is None:
        return
    if await _welcomed_before(ctx, ctx.community):
        _LOGGER.info("%s rejoined %s: welcomed before, not again", ctx.actor.platform_id, ctx.community.platform_id)
        return
    found = await find_custom_template(ctx.db, CUSTOM_NAME)
    if found is None:
        await _welcome(ctx, None)
        return
    prepared = await prepare(
        ctx.db,
        CUSTOM_NAME,
        found.source,
        settings=ctx.settings,
        community=ctx.community,
        member=ctx.actor,
        now=ctx.now,
        renderer=ctx.services.renderer,
    )
    render_later(ctx, [prepared], _welcome_with, "welcome")


async def _welcome_with(ctx: Context, texts: list[Rendering]) -> None:
    [text] = texts
    if isinstance(text, CustomTemplateError):
        reason, detail = text.params.get("reason", ""), text.params.get("detail") or text.params.get("details")
        _LOGGER.warning(
            "the custom welcome template failed (%s: %s) for %s; the built-in welcome is used",
            reason,
            detail,
            ctx.actor.platform_id,
        )
    await _welcome(ctx, text if isinstance(text, str) else None)


async def _welcome(ctx: Context, custom: str | None) -> None:
    """Record the welcome and post it, in one transaction; nothing if another welcome came first."""
    if ctx.community is None or not await _first_welcome(ctx, ctx.community):
        return
    member, community = ctx.actor, ctx.community
    key = _key(community, member)
    if custom is not None:
        mention = f"@{member.name}"
        text = custom if mention in custom else f"{mention} {custom}"
        await ctx.post(
            community,
            "outreach/template_text",
            mentions=(member.platform_id,),
            dedupe_key=key,
            addressee=member,
            text=text,
        )
        return
    await ctx.post(
        community,
        "outreach/welcome",
        mentions=(member.platform_id,),
        dedupe_key=key,
        addressee=member,
        name=member.name,
        community=community.name,
    )


async def on_member_left(ctx: Context, event: MemberLeft) -> None:
    """A welcome still held (quiet hours) when the member leaves goes with them (the core takes back
    posts meant for one member alone): it never reached them, so they are welcomed if they come back."""
    if ctx.community is None:
        return
    table = schema.outbox
    waiting = select(table.c.id).where(
        table.c.dedupe_key == _key(ctx.community, ctx.actor), table.c.status == OutboxStatus.PENDING.value
    )
    if (await ctx.db.execute(waiting)).first() is None:
        return
    await ctx.db.execute(
        delete(welcomes).where(welcomes.c.community_id == ctx.community.id, welcomes.c.member_id == ctx.actor.id)
    )
    _LOGGER.info("%s left %s before their welcome went out: dropped", ctx.actor.platform_id, ctx.community.platform_id)


def _key(community: CommunityRef, member: MemberRef) -> str:
    return f"outreach:welcome:{community.id}:{member.id}"


async def _welcomed_before(ctx: Context, community: CommunityRef) -> bool:
    table = welcomes
    stmt = select(table.c.member_id).where(table.c.community_id == community.id, table.c.member_id == ctx.actor.id)
    return (await ctx.db.execute(stmt)).first() is not None


async def _first_welcome(ctx: Context, community: CommunityRef) -> bool:
    stmt = insert_for(ctx.db, welcomes).values(community_id=community.id, member_id=ctx.actor.id, welcomed_at=ctx.now)
    stmt = stmt.on_conflict_do_nothing(index_elements=["community_id", "member_id"]).returning(welcomes.c.member_id)
    return (await ctx.db.execute(stmt)).scalar_one_or_none() is not None
