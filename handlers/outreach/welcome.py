"""Welcome messages: a member who joins a room is greeted there once, ever (not again after rejoining)."""

from __future__ import annotations

import logging

from bot.context import Context
from bot.db.dialect import insert_for
from bot.events import MemberJoined
from handlers.outreach.custom_templates import find_custom_template, render_source
from handlers.outreach.sandbox import TemplateRenderFailed
from handlers.outreach.tables import welcomes

_LOGGER = logging.getLogger(__name__)
CUSTOM_NAME = "welcome"  # a moderator-authored template of this name replaces the built-in one


async def on_member_joined(ctx: Context, event: MemberJoined) -> None:
    """Post the welcome (routine: held in quiet hours) unless switched off, the bot itself
    joined, or this member was welcomed in this room before."""
    if not ctx.settings.outreach.welcome or _is_the_bot(ctx, event) or ctx.community is None:
        return
    if not await _first_welcome(ctx):
        _LOGGER.info("%s rejoined %s: welcomed before, not again", ctx.actor.platform_id, ctx.community.platform_id)
        return
    member, community = ctx.actor, ctx.community
    key = f"outreach:welcome:{community.id}:{member.id}"
    custom = await _custom_text(ctx)
    if custom is not None:
        await ctx.post(community, "outreach/template_text", mentions=(member.platform_id,), dedupe_key=key, text=custom)
    else:
        await ctx.post(
            community,
            "outreach/welcome",
            mentions=(member.platform_id,),
            dedupe_key=key,
            name=member.name,
            community=community.name,
        )


def _is_the_bot(ctx: Context, event: MemberJoined) -> bool:
    # Transports name the bot's contact after the bot (the console's and tests' "kocbot").
    return ctx.settings.bot.name in (event.member.id, event.member.name)


async def _first_welcome(ctx: Context) -> bool:
    stmt = insert_for(ctx.db, welcomes).values(
        community_id=ctx.community.id, member_id=ctx.actor.id, welcomed_at=ctx.now
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=["community_id", "member_id"]).returning(welcomes.c.member_id)
    return (await ctx.db.execute(stmt)).scalar_one_or_none() is not None


async def _custom_text(ctx: Context) -> str | None:
    """The moderators' own welcome, mentioning the member; None to use the built-in one."""
    found = await find_custom_template(ctx.db, CUSTOM_NAME)
    if found is None:
        return None
    try:
        text = await render_source(
            ctx.db,
            CUSTOM_NAME,
            found.source,
            settings=ctx.settings,
            community=ctx.community,
            member=ctx.actor,
            now=ctx.now,
        )
    except TemplateRenderFailed as exc:
        _LOGGER.warning(
            "the custom welcome template failed (%s: %s); the built-in welcome is used", exc.reason, exc.detail
        )
        return None
    mention = f"@{ctx.actor.name}"
    return text if mention in text else f"{mention} {text}"
