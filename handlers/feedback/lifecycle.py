"""Moderators move items through their lifecycle; every change is recorded, audited and told to the people behind it."""

from __future__ import annotations

import logging
from typing import Any

from bot.commands import Invocation
from bot.context import Context
from bot.errors import UsageError, UserFacingError
from handlers.feedback.config import FeedbackSection
from handlers.feedback.items import ITEM_SHIPPED, Item, find_item, people_of, record, set_fields
from handlers.feedback.notify import notify_people
from handlers.feedback.rewards import reward
from handlers.feedback.rules import OPEN, fits_kind, may_move, parse_item_id, parse_status
from handlers.feedback.tables import Status

_LOGGER = logging.getLogger(__name__)
OWN_COMMAND = frozenset({Status.SHIPPED, Status.DECLINED, Status.DUPLICATE})  # each has its command


async def item_argument(ctx: Context, cmd: Invocation, position: int = 0) -> Item:
    item_id = parse_item_id(cmd.args[position]) if len(cmd.args) > position else None
    if item_id is None:
        raise UsageError("feedback/problem_needs_item")
    item = await find_item(ctx.db, item_id)
    if item is None:
        raise UserFacingError("feedback/no_such_item", id=item_id)
    return item


def _rest(cmd: Invocation, words: int) -> str:
    parts = cmd.text.split(maxsplit=words)
    return parts[words].strip() if len(parts) > words else ""


async def change_status(ctx: Context, item: Item, target: Status, note: str = "", **fields: Any) -> Item:
    """Move the item, record and audit it, reward what it earned, and tell everyone behind it."""
    await set_fields(ctx, item.id, status=target.value, **fields)
    await record(ctx, item.id, "status", from_status=item.status, to_status=target, note=note)
    ctx.note_audit(item=item.short_id, from_status=item.status.value, to_status=target.value, note=note, **fields)
    moved = await find_item(ctx.db, item.id)
    assert moved is not None
    rewards = await reward(ctx, moved)
    await notify_people(ctx, moved, "status", note=note, rewards=rewards)
    await ctx.reply(
        "feedback/status_changed",
        item=moved,
        before=item.status.value,
        note=note,
        told=len(await people_of(ctx.db, item.id)),
        rewarded=len(rewards),
    )
    return moved


async def set_status(ctx: Context, cmd: Invocation) -> None:
    """/fb status FB-42 reproduced [note]"""
    item = await item_argument(ctx, cmd)
    if not _moves(item):  # shipped or merged: no status at all, whatever the words
        raise UserFacingError("feedback/item_closed_staff", item=item, reopen=False)
    target = parse_status(cmd.args[1]) if len(cmd.args) > 1 else None
    if target is None:
        raise UsageError("feedback/problem_needs_status", statuses=[s.value for s in Status if s not in OWN_COMMAND])
    if target in OWN_COMMAND:
        raise UserFacingError("feedback/status_has_command", status=target.value)
    _check_move(item, target)
    await change_status(ctx, item, target, _rest(cmd, 2))


def _check_move(item: Item, target: Status) -> None:
    if target is item.status:
        raise UserFacingError("feedback/status_same", item=item)
    if not fits_kind(item.kind, target):
        raise UserFacingError("feedback/status_wrong_kind", item=item, status=target.value)
    if not may_move(item.kind, item.status, target):
        allowed = [s.value for s in _moves(item)]
        raise UserFacingError("feedback/status_not_allowed", item=item, status=target.value, allowed=allowed)


def _moves(item: Item) -> list[Status]:
    return [s for s in Status if may_move(item.kind, item.status, s)]


def _must_be_open(item: Item) -> None:
    """Checked before the arguments' details: on a closed item the command can do nothing at all
    (a declined one may be reopened with /fb status first: the moderator is told how)."""
    if item.status not in OPEN:
        raise UserFacingError("feedback/item_closed_staff", item=item, reopen=bool(_moves(item)))


async def ship(ctx: Context, cmd: Invocation) -> None:
    """/fb ship FB-42 v2.3"""
    item = await item_argument(ctx, cmd)
    _must_be_open(item)
    version = cmd.args[1].strip() if len(cmd.args) > 1 else ""
    if not version or len(version) > 32:
        raise UsageError("feedback/problem_needs_version")
    shipped = await change_status(ctx, item, Status.SHIPPED, _rest(cmd, 2), version=version)
    await ctx.emit(ITEM_SHIPPED, shipped)


async def decline(ctx: Context, cmd: Invocation) -> None:
    """/fb decline FB-42 reason: members deserve to know why."""
    item = await item_argument(ctx, cmd)
    _must_be_open(item)
    reason = _rest(cmd, 1)
    if not reason:
        raise UsageError("feedback/problem_needs_reason")
    await change_status(ctx, item, Status.DECLINED, reason)


async def assign(ctx: Context, cmd: Invocation) -> None:
    """/fb assign FB-42 department"""
    section = ctx.settings.section(FeedbackSection)
    item = await item_argument(ctx, cmd)
    department = _rest(cmd, 1)
    if department not in section.departments:
        raise UsageError("feedback/problem_department", department=department, departments=section.departments)
    await set_fields(ctx, item.id, department=department)
    await record(ctx, item.id, "assigned", note=department)
    ctx.note_audit(item=item.short_id, department=department)
    moved = await find_item(ctx.db, item.id)
    assert moved is not None
    await notify_people(ctx, moved, "assigned")
    await ctx.reply("feedback/assigned", item=moved)
