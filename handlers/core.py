"""The core commands (/help, /ping, /mod ..., /outbox ...) and the pointer for private messages nothing takes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import spelling
from bot.commands import Invocation, parse_id
from bot.context import Context, Services
from bot.db.schema import OutboxStatus, OutgoingKind, Role
from bot.errors import UsageError
from bot.help import MAX_LISTED, MEMBERS, Topic
from bot.lanes import LaneDepth, depths
from bot.members import MemberRef
from bot.outbox import Destination, destinations, retry_failed, shorten, status_of, summary
from bot.registry import CommandSpec, HandlerRegistry, Where
from bot.templates import CommandDoc, TopicDoc

registry = HandlerRegistry("core", topic=("core", "基础", "基本"))


@registry.on_start
async def _load_spelling(engine: AsyncEngine, services: Services) -> None:
    """Did-you-mean's pinyin, read in the background so that no typo waits for it."""
    await spelling.ready()


EXAMPLE_TOPIC = "feedback"  # the index's example: `/帮助 反馈`
TYPED_SHOWN = 20  # characters of an unknown topic repeated back


@registry.command("help", aliases=("帮助", "?"))
async def show_help(ctx: Context, cmd: Invocation) -> None:
    """In a group, what members may use (staff ask privately); in private, the caller's commands, by
    topic when there are many; `/help TOPIC` gives one topic in full."""
    word = cmd.text.strip()
    if ctx.community is not None and ctx.actor.role >= Role.MODERATOR and word:
        await ctx.reply("core/help_sent_privately")
        ctx.answers_privately = True  # staff commands are no reading for the group
    elif ctx.community is not None:
        await _help_in_room(ctx, word)
        return
    if word:
        await _help_topic(ctx, word, ctx.actor.role)
        return
    visible = ctx.services.router.visible_commands(ctx.actor.role)
    if len(visible) <= MAX_LISTED:
        await ctx.reply("core/help", commands=_docs(ctx, visible), in_room=False)
        return
    await _help_index(ctx)


async def _help_in_room(ctx: Context, word: str) -> None:
    if word:
        await _help_topic(ctx, word, Role.MEMBER)
        return
    # Commands for private use only (a copy of one's data) would only be refused here: listed in private.
    members = [s for s in ctx.services.router.visible_commands(Role.MEMBER) if s.where is not Where.DM]
    await ctx.reply("core/help", commands=_docs(ctx, members), in_room=True)


async def _help_topic(ctx: Context, word: str, role: Role) -> None:
    topics = ctx.services.router.topics
    topic = topics.find(word, role)
    if topic is None:
        await spelling.ready()
        names = [_topic_doc(ctx, t).name for t in topics.visible(role)]
        suggestion = topics.suggest(word, role)
        await ctx.reply("core/help_unknown_topic", typed=word[:TYPED_SHOWN], suggestion=suggestion, names=names)
        return
    await ctx.reply("core/help_topic", name=_topic_doc(ctx, topic).name, commands=_docs(ctx, topic.visible(role)))


async def _help_index(ctx: Context) -> None:
    """One line per topic the caller has commands in, with how many."""
    role = ctx.actor.role
    visible = ctx.services.router.topics.visible(role)
    docs = {topic.key: _topic_doc(ctx, topic) for topic in visible}
    listed = [
        {"name": docs[t.key].name, "summary": docs[t.key].summary, "count": len(t.visible(role))} for t in visible
    ]
    example = docs.get(EXAMPLE_TOPIC, docs[visible[-1].key]).name
    await ctx.reply("core/help_index", topics=listed, example=example)


def _docs(ctx: Context, specs: list[CommandSpec]) -> list[CommandDoc]:
    renderer = ctx.services.renderer
    return [renderer.command_doc(spec.capability, spec.key, _help_locale(ctx)) for spec in specs]


def _topic_doc(ctx: Context, topic: Topic) -> TopicDoc:
    if topic.key == MEMBERS:
        return ctx.services.renderer.topic_doc("core", _help_locale(ctx), "topic_members")
    return ctx.services.renderer.topic_doc(topic.key, _help_locale(ctx))


def _help_locale(ctx: Context) -> str:
    """The language the answer is written in: the member's own when answered privately."""
    own = ctx.actor.locale if ctx.answers_privately else None
    return ctx.services.renderer.locale_or_default(own) if own else ctx.locale


@registry.fallback("pointer")
async def point_the_way(ctx: Context, text: str) -> None:
    """A private message nothing took (a question, text after a conversation ended): once a day per
    member, a short pointer to what the bot does; the outbox's key for the day keeps it to one,
    across restarts."""
    day = ctx.today.isoformat()
    role = ctx.actor.role
    available = [spec.name for spec in ctx.services.router.visible_commands(role)]
    template = "core/pointer_staff" if role >= Role.MODERATOR else "core/pointer"
    await ctx.dm(ctx.actor, template, dedupe_key=f"core:pointer:{ctx.actor.id}:{day}", available=available)


@registry.command("ping", aliases=("在吗",))
async def ping(ctx: Context, cmd: Invocation) -> None:
    await ctx.reply("core/pong")


async def _mentioned_members(ctx: Context, cmd: Invocation) -> list[MemberRef]:
    if not cmd.mentions:
        raise UsageError("core/problem_needs_mention")
    return [await ctx.member(contact) for contact in cmd.mentions]


@registry.command("mod add", aliases=("运营 添加",), role=Role.ADMIN)
async def add_moderator(ctx: Context, cmd: Invocation) -> None:
    added, already = [], []
    for member in await _mentioned_members(ctx, cmd):
        if member.role >= Role.MODERATOR:
            already.append(member.name)
            continue
        await ctx.services.directory.set_role(ctx.uow, member, Role.MODERATOR)
        added.append(member)
    ctx.note_audit(target=added[0] if added else None, added=[m.platform_id for m in added])
    await ctx.reply("core/mod_added", added=[m.name for m in added], already=already)
    for member in added:
        await ctx.dm(member, "core/mod_welcome", message_kind=OutgoingKind.TRANSACTIONAL, granted_by=ctx.actor.name)


@registry.command("mod remove", aliases=("运营 移除",), role=Role.ADMIN)
async def remove_moderator(ctx: Context, cmd: Invocation) -> None:
    removed, skipped = [], []
    directory = ctx.services.directory
    for member in await _mentioned_members(ctx, cmd):
        stored = await directory.stored_role(ctx.db, member)
        if directory.is_config_staff(member.platform_id):
            skipped.append((member.name, "config"))
        elif stored is not Role.MODERATOR:
            skipped.append((member.name, "admin" if stored is Role.ADMIN else "not_moderator"))
        else:
            await directory.set_role(ctx.uow, member, Role.MEMBER)
            removed.append(member)
    ctx.note_audit(target=removed[0] if removed else None, removed=[m.platform_id for m in removed])
    await ctx.reply("core/mod_removed", removed=[m.name for m in removed], skipped=skipped)


@registry.command("mod list", aliases=("运营 列表",), role=Role.MODERATOR)
async def list_moderators(ctx: Context, cmd: Invocation) -> None:
    staff = await ctx.services.directory.staff(ctx.db)
    await ctx.reply("core/mod_list", staff=[{"name": m.name, "role": m.role.label} for m in staff])


_RETRY_ALL = frozenset({"failed", "all", "失败", "全部"})
_PREVIEW = 30  # characters of a sent message shown by /outbox
# The answers to /outbox itself: not what moderators look for among the messages recently sent.
_OUTBOX_ANSWERS = frozenset(
    f"core/{name}"
    for name in (
        "outbox",
        "outbox_sent_privately",
        "outbox_nothing_failed",
        "outbox_retried",
        "outbox_retry_unknown",
        "outbox_retry_not_failed",
        "problem_outbox_retry",
    )
)


@registry.command("outbox", aliases=("发件箱",), role=Role.MODERATOR)
async def show_outbox(ctx: Context, cmd: Invocation) -> None:
    found = await summary(ctx.db, ctx.now, unlisted=_OUTBOX_ANSWERS)
    lanes = await depths(ctx.db, ctx.now)
    oldest = [lane.oldest for lane in lanes if lane.oldest is not None]
    where = await destinations(ctx.db, [*found.failed_rows, *found.sent_rows, *oldest])
    zone = ctx.zone
    failed = [
        {"id": r.id, "where": where[r.id], "attempts": r.attempts, "error": shorten(r.last_error)}
        for r in found.failed_rows
    ]
    sent = [
        {"id": r.id, "where": where[r.id], "at": r.sent_at.astimezone(zone), "preview": shorten(r.text, _PREVIEW)}
        for r in found.sent_rows
    ]
    if ctx.community is not None:
        await ctx.reply("core/outbox_sent_privately")
    await ctx.reply_privately(
        "core/outbox",
        due=found.due,
        lanes=[_lane(lane, where, ctx.now) for lane in lanes],
        scheduled=found.scheduled,
        sending=found.sending,
        failed=found.failed,
        failed_rows=failed,
        sent_rows=sent,
    )


def _lane(lane: LaneDepth, where: dict[int, Destination], now: datetime) -> dict[str, Any]:
    """A lane as the template shows it: its kind, how many wait, the oldest one and for how many minutes."""
    oldest = lane.oldest
    if oldest is None:
        return {"kind": lane.kind.value, "waiting": lane.waiting, "oldest": None}
    minutes = int((now - oldest.not_before).total_seconds() // 60)
    return {
        "kind": lane.kind.value,
        "waiting": lane.waiting,
        "oldest": {"id": oldest.id, "where": where[oldest.id], "minutes": minutes},
    }


@registry.command("outbox retry", aliases=("发件箱 重试",), role=Role.MODERATOR)
async def retry_outbox(ctx: Context, cmd: Invocation) -> None:
    word = cmd.args[0].lower() if len(cmd.args) == 1 else ""
    message_id = parse_id(word)
    retried: list[int] | None
    if word.lstrip("#＃") in _RETRY_ALL:
        retried = await retry_failed(ctx.db, ctx.now)
    elif message_id is not None:
        retried = await _retry_one(ctx, message_id)
    else:
        raise UsageError("core/problem_outbox_retry")
    if retried is None:
        return
    ctx.note_audit(retried=retried)
    if not retried:
        await ctx.reply_privately("core/outbox_nothing_failed")
        return
    await ctx.reply_privately("core/outbox_retried", ids=retried)


async def _retry_one(ctx: Context, message_id: int) -> list[int] | None:
    """The message back in the queue; None when it cannot be (the moderator has been told why)."""
    status = await status_of(ctx.db, message_id)
    if status is None:
        await ctx.reply_privately("core/outbox_retry_unknown", id=message_id)
    elif status != OutboxStatus.FAILED.value:
        await ctx.reply_privately("core/outbox_retry_not_failed", id=message_id, status=status)
    else:
        return await retry_failed(ctx.db, ctx.now, message_id)
    return None
