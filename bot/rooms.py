"""The rooms a command names: "#一群 #二群", "#全部" for every room, or the room it was typed in."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select

from bot.context import Context
from bot.db import schema
from bot.errors import UsageError
from bot.members import CommunityRef

_LOGGER = logging.getLogger(__name__)
ALL_ROOMS = frozenset({"#all", "#全部", "#所有群"})


def is_room_word(word: str) -> bool:
    """Whether a command's word names a room ("#一群"; phones may type "＃")."""
    return word.startswith(("#", "＃")) and len(word) > 1


async def known_rooms(ctx: Context) -> list[CommunityRef]:
    """Every room the bot serves: those it has seen and those listed in the config, in that order."""
    table = schema.communities
    rows = (await ctx.db.execute(select(table.c.platform_id, table.c.name).order_by(table.c.id))).all()
    found = {row.platform_id: row.name for row in rows}
    for community in ctx.settings.communities:  # listed in the config, even if never seen yet
        found.setdefault(community.id, community.name)
    directory = ctx.services.directory
    return [
        await directory.ensure_community(ctx.uow, room, name, ctx.now)
        for room, name in found.items()
        if ctx.settings.serves_room(room)
    ]


async def resolve_rooms(ctx: Context, names: Sequence[str]) -> list[CommunityRef]:
    """The rooms `names` ("#一群", by name or platform id) stand for, in the order given, each once.
    None named: the room the command was typed in. A UsageError says which name is unknown (with
    the known ones), or, in private, that rooms must be named."""
    if not names:
        if ctx.community is None:
            raise UsageError("core/problem_which_rooms")
        return [ctx.community]
    known = await known_rooms(ctx)
    if any(("#" + name[1:]).lower() in ALL_ROOMS for name in names):
        return known
    chosen: list[CommunityRef] = []
    for name in names:
        wanted = name[1:]
        match = next((c for c in known if wanted in (c.name, c.platform_id)), None)
        if match is None:
            raise UsageError("core/problem_unknown_room", room=name, known=[c.name or c.platform_id for c in known])
        if match not in chosen:
            chosen.append(match)
    return chosen
