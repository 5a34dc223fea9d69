"""The moderators' web console, as the bot sees it: /console sends a sign-in link; the [web] section."""

from __future__ import annotations

from bot.commands import Invocation
from bot.context import Context
from bot.db.schema import Role
from bot.registry import HandlerRegistry
from handlers.web import tables  # noqa: F401 - the models join Base.metadata
from handlers.web.config import WebSection
from handlers.web.signin import create_link

__all__ = ["registry"]

registry = HandlerRegistry("web", config_section=WebSection, topic=("console", "后台", "web"))


@registry.command("console", aliases=("后台",), role=Role.MODERATOR)
async def console_link(ctx: Context, cmd: Invocation) -> None:
    """/console: a single-use sign-in link, privately (staff commands always answer privately)."""
    section = ctx.settings.section(WebSection)
    if not section.enabled:
        await ctx.reply("web/disabled")
        return
    token = await create_link(ctx.db, ctx.actor.id, ctx.now, section.link_minutes)
    url = f"{section.base_url()}/signin/{token}"
    await ctx.reply("web/link", url=url, minutes=round(section.link_minutes))
