"""The matcher as the router calls it, and its handler: log the flagged message, say nothing in the group."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.context import Context, Services
from bot.db.schema import Role
from bot.events import IncomingMessage
from handlers.feedback import segmenter
from handlers.listening.complaints import flag_complaint
from handlers.listening.config import ListeningSection
from handlers.listening.matching import Kind, ListeningMatch, classify
from handlers.listening.model import model
from handlers.listening.questions import flag_question


def match_group_message(message: IncomingMessage, section: ListeningSection | None) -> ListeningMatch | None:
    """A complaint or a question in a group message (jieba's dictionary once it is loaded)."""
    if section is not None and not section.enabled:
        return None
    match = classify(message.text, segmenter.loaded_words())
    if match is not None and match.kind is Kind.QUESTION and message.mentions:
        return None  # asked of someone in particular, not of the group: theirs to answer
    return match


async def on_flagged(ctx: Context, match: Any) -> None:
    """Staff's own messages are not routed to staff; everything else is logged, silently."""
    if ctx.community is None or ctx.actor.role >= Role.MODERATOR:
        return
    if match.kind is Kind.COMPLAINT:
        await flag_complaint(ctx, match)
    else:
        await flag_question(ctx, match)


async def warm_up(engine: AsyncEngine, services: Services) -> None:
    """Read the model's weights and jieba's dictionary in the background: the first group message does
    not wait for either (until the dictionary is there, the rules' single characters do not count)."""
    await asyncio.to_thread(model)
    await segmenter.segmenter()
