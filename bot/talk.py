"""What "a community message" is, for every figure that counts them (monthly report, campaign ignition,
KOC health, the console's numbers): one definition, kept here.

A community message is one written in a community room by a member: not a command to the bot (known,
unknown, refused, staff's or members'), and not the bot's own message echoed back by the platform.
Plain talk that a matcher took (a thank-you) is still a message of the community.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema


def not_command(messages: Any = schema.messages) -> ColumnElement[bool]:
    """Not a command to the bot: every command's route is logged as `/name` (`/?` unknown), refused or not."""
    routed = messages.c.routed_to
    return or_(routed.is_(None), routed.not_like("/%"))


def bot_authors(rooms: Iterable[str] | None = None, since: datetime | None = None) -> Select[Any]:
    """The bot's own members: the authors of logged messages the outbox sent (their echoes), optionally
    only those sent to `rooms` since `since` (cheaper where that is all that is read)."""
    if rooms is None and since is None:
        return _every_bot_author()
    return _bot_authors(rooms, since)


@functools.cache
def _every_bot_author() -> Select[Any]:
    """`bot_authors()`, built once: a statement is never changed, and building the alias and its columns
    anew cost every page that counts community messages a few milliseconds each time."""
    return _bot_authors(None, None)


def _bot_authors(rooms: Iterable[str] | None, since: datetime | None) -> Select[Any]:
    m, o = schema.messages.alias("echoes"), schema.outbox  # an alias: never correlated with an outer query
    sent = select(o.c.platform_msg_id).where(o.c.platform_msg_id.is_not(None))
    if rooms is not None:
        sent = sent.where(o.c.room_platform_id.in_(list(rooms)))
    if since is not None:
        sent = sent.where(o.c.sent_at >= since)
    # IN, not a join: each sent message's echo is looked up by its unique id, so the cost is the outbox's
    # sent rows, not every logged message (a join let SQLite read the whole log to find a handful).
    return select(m.c.member_id).distinct().where(m.c.platform_msg_id.in_(sent))


async def bot_members(conn: AsyncConnection, rooms: Iterable[str], since: datetime) -> set[int]:
    """The bot's own members among the authors in `rooms` since `since`, read once."""
    return {row.member_id for row in await conn.execute(bot_authors(rooms, since))}


def not_by(members: set[int], messages: Any = schema.messages) -> ColumnElement[bool]:
    """Not written by any of `members` (the bot's, read once with `bot_members`)."""
    return messages.c.member_id.not_in(members) if members else true()


def community_message(messages: Any = schema.messages) -> ColumnElement[bool]:
    """A community message (see the module): in a room, not a command, not the bot's."""
    return and_(
        messages.c.community_id.is_not(None),
        not_command(messages),
        messages.c.member_id.not_in(bot_authors()),
    )
