"""Submitting feedback: the one-shot form, the confirmation with possible duplicates, and +1s."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.commands import Invocation
from bot.context import Context
from bot.errors import UsageError, UserFacingError
from bot.events import IncomingMessage
from handlers.feedback import wizard
from handlers.feedback.config import FeedbackSection
from handlers.feedback.form import FIELDS, LABELS, MAX_LENGTH, cut_to_length, missing_fields, parse_form, too_short
from handlers.feedback.items import Item, add_person, create_item, find_item, record
from handlers.feedback.rules import OPEN, parse_item_id, parse_kind, title_of
from handlers.feedback.similar import report_text, similar_open
from handlers.feedback.tables import Kind, Role

_LOGGER = logging.getLogger(__name__)
MAX_FIELD = MAX_LENGTH["scenario"]  # a +1's details: a chat message, not an essay


async def feedback(ctx: Context, cmd: Invocation) -> None:
    """/feedback alone starts the guided conversation; `/feedback 建议` starts it at the scenario;
    a form with labelled lines submits at once."""
    text = cmd.text.strip()
    kind = parse_kind(text) if text else None
    if not text or (kind is not None and "\n" not in text):
        await wizard.start(ctx, kind)
        return
    await submit_form(ctx, text)


def match_pasted_form(message: IncomingMessage, section: FeedbackSection) -> str | None:
    """A form pasted in private without /feedback: what happened and at least one more labelled field
    (one label alone, `问题：积分怎么用？`, is a question, not a form)."""
    fields = parse_form(message.text)
    labelled = [name for name in FIELDS if name in fields]
    return message.text if "scenario" in labelled and len(labelled) >= 2 else None


async def on_pasted_form(ctx: Context, text: str) -> None:
    await submit_form(ctx, text)


async def submit_form(ctx: Context, text: str) -> None:
    fields = parse_form(text)
    if not any(key in fields for key in set(LABELS.values())):
        raise UserFacingError("feedback/form_unreadable")
    kind = parse_kind(fields.get("kind", ""))
    missing = missing_fields(kind, fields)
    if missing or kind is None:  # no kind is among the missing
        raise UserFacingError("feedback/form_missing", missing=missing, kind=kind and kind.value)
    short = too_short(fields)
    if short:  # the same minimum lengths as the guided conversation
        raise UserFacingError("feedback/form_too_short", short=short)
    await submit(ctx, kind, fields)


async def submit(ctx: Context, kind: Kind, fields: Mapping[str, str]) -> Item:
    """Store a new item and confirm it, naming open items that look the same; a field over its
    length is kept to it, and the member is told."""
    section = ctx.settings.section(FeedbackSection)
    values, cut = cut_to_length(fields)
    if cut:
        _LOGGER.info("feedback form cut to length: %s", cut)
    text = report_text(values["scenario"], values["expected"])
    similar = await similar_open(ctx.db, text, section.duplicate_threshold, section.duplicates_shown)
    item = await create_item(ctx, {**values, "kind": kind.value, "title": title_of(values["scenario"])})
    await ctx.reply(
        "feedback/submitted",
        item=item,
        similar=[found.item for found in similar],  # members see no score
        days=section.response_days,
        note=section.confirmation_note,
        cut=cut,
    )
    return item


async def plus_one(ctx: Context, cmd: Invocation) -> None:
    """/feedback +1 FB-17 my details: add your case to an existing open item."""
    item_id = parse_item_id(cmd.args[0]) if cmd.args else None
    if item_id is None:
        raise UsageError("feedback/problem_needs_item")
    item = await open_item(ctx, item_id)
    details = cmd.text.split(maxsplit=1)[1].strip() if len(cmd.args) > 1 else ""
    if not await add_person(ctx, item.id, ctx.actor.id, Role.PLUS_ONE, details[:MAX_FIELD]):
        raise UserFacingError("feedback/already_on_item", item=item)
    await record(ctx, item.id, "plus_one", note=details[:MAX_FIELD])
    await ctx.reply("feedback/plus_one_added", item=item, details=details)


async def open_item(ctx: Context, item_id: int) -> Item:
    """The item, following a merge to the item it joined; it must still be open."""
    item = await find_item(ctx.db, item_id)
    if item is not None and item.duplicate_of is not None:
        item = await find_item(ctx.db, item.duplicate_of)
    if item is None:
        raise UserFacingError("feedback/no_such_item", id=item_id)
    if item.status not in OPEN:
        raise UserFacingError("feedback/item_closed", item=item)
    return item
