"""The candidate pool: members who behave like KOCs, ranked from signals the bot already has, each score explained.

A handful of aggregate queries over the window (`koc.candidate_window_days`): thank-yous received
(service), their feedback reproduced, adopted or shipped (expertise), the issue threads they raised
that were confirmed or resolved, weeks with messages of the last ten (steadiness), and the replies,
quotes and @mentions their messages drew (discussion). `/koc candidates [n]` lists the pool,
`/koc invite @x` invites a member, and `notify_replacements` proposes successors to a KOC who steps back.
"""

from __future__ import annotations

import functools
import heapq
import logging
import typing
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import takewhile
from typing import Any

from sqlalchemy import (
    Select,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation, parse_number
from bot.context import Context
from bot.db import schema
from bot.db.dialect import insert_for
from bot.db.schema import OutgoingKind, Role, Stage
from bot.errors import UsageError, UserFacingError
from bot.members import MemberRef
from bot.stamped import StampedCache
from bot.talk import community_message
from handlers.feedback.tables import Role as FeedbackRole
from handlers.feedback.tables import Status as FeedbackStatus
from handlers.feedback.tables import history as feedback_history
from handlers.feedback.tables import people as feedback_people
from handlers.koc.config import KocSection
from handlers.koc.eligibility import must_be_eligible
from handlers.koc.received import received_since
from handlers.koc.tables import koc_events, koc_records
from handlers.koc.weeks import WEEKS, active_weeks, everyone_weeks
from handlers.outreach.consent import opted_out_at, unsolicited_wait
from handlers.recognition.moderation import mentioned_members
from handlers.recognition.stats import thanks_unit_parts
from handlers.recognition.tables import thanks
from handlers.threads.tables import Part, threads
from handlers.threads.tables import Status as ThreadStatus
from handlers.threads.tables import people as thread_people

_LOGGER = logging.getLogger(__name__)
REPLACEMENTS = 3
MAX_SHOWN = 50  # /koc candidates N: the longest list one private message carries well
INVITE_COOLDOWN_DAYS = 30  # an invitation is not repeated within this many days
MAX_CONTENDERS = 500  # more members who could make a short list: their weeks are read for everyone
ELIGIBLE_CHUNK = 100  # members whose eligibility a short list reads at a time, the likeliest first
TIED_CHUNK = 5000  # members tied at a short list's last place whose eligibility one statement reads
ROUNDING = 0.01  # more than a score's rounding to cents and its floating-point error
POOL_STAGES = (Stage.MEMBER.value, Stage.CANDIDATE.value)
EXPERTISE = (FeedbackStatus.REPRODUCED.value, FeedbackStatus.ADOPTED.value, FeedbackStatus.SHIPPED.value)
CONFIRMED = (ThreadStatus.CONFIRMED.value, ThreadStatus.FIXING.value, ThreadStatus.RESOLVED.value)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member in the pool, their signals and score; templates turn the signals into words."""

    member_id: int
    name: str
    stage: str
    invited_at: datetime | None
    thanks: int = 0
    feedback: int = 0
    threads: int = 0
    weeks: int = 0
    discussion: int = 0
    score: float = 0.0


def _eligibility(staff_ids: Iterable[str], community_ids: Iterable[int] | None) -> list[Any]:
    """Who may be in the pool: not staff, not a KOC already, and in one of `community_ids` if given."""
    members = schema.members
    where = [members.c.stage.in_(POOL_STAGES), members.c.role.notin_((Role.MODERATOR.label, Role.ADMIN.label))]
    staff = list(staff_ids)
    if staff:
        where.append(members.c.platform_id.notin_(staff))
    if community_ids is not None:
        memberships = schema.memberships
        where.append(
            members.c.id.in_(
                select(memberships.c.member_id).where(
                    memberships.c.community_id.in_(list(community_ids)), memberships.c.left_at.is_(None)
                )
            )
        )
    return where


async def _eligible(conn: AsyncConnection, where: list[Any], among: Collection[int] | None = None) -> dict[int, Any]:
    """The eligible members (only those `among`, if given) with what a candidate shows, by id."""
    members = schema.members
    if among is not None:
        where = [*where, members.c.id.in_(list(among))]
    stmt = (
        select(members.c.id, members.c.display_name, members.c.stage, koc_records.c.invited_at)
        .outerjoin(koc_records, koc_records.c.member_id == members.c.id)
        .where(*where)
    )
    return {row.id: row for row in (await conn.execute(stmt)).all()}


@functools.cache
def _revoked() -> Select[Any]:
    """(receiver, -1) per thank-you since `since` revoked now, built once."""
    _, revoked = thanks_unit_parts("receiver_id", thanks.c.created_at >= bindparam("since"), by_time=True)
    return revoked


async def _thanks(conn: AsyncConnection, since: datetime, now: datetime, kept: StampedCache | None) -> dict[int, int]:
    found = await received_since(conn, since, now, kept)
    for member, n in (await conn.execute(_revoked(), {"since": since})).all():
        found[member] = found.get(member, 0) + int(n)
    # A thank-you to no member (NULL) is nobody's signal: dropped here, not filtered in SQL, where the
    # condition would send the planner down the receiver index over every row.
    found.pop(None, None)
    return typing.cast(dict[int, int], found)


@functools.cache
def _moved_reporters() -> Select[Any]:
    """The reporters of items reproduced, adopted or shipped since `since`, a row per item and member."""
    # The moved items as one list, read from the history's status index, then their reporters, each looked
    # up in ix_feedback_people_role_item_member: a join let SQLite walk every reporter and probe each one's
    # history, and grouping in SQL sent it down the role-and-member index over every reporter. One row per
    # item and member (a unique key), so counting rows counts distinct items.
    moved = select(feedback_history.c.item_id).where(
        feedback_history.c.to_status.in_(EXPERTISE), feedback_history.c.created_at >= bindparam("since")
    )
    return select(feedback_people.c.member_id).where(
        feedback_people.c.role == FeedbackRole.REPORTER.value, feedback_people.c.item_id.in_(moved)
    )


async def _feedback(conn: AsyncConnection, since: datetime) -> dict[int, int]:
    """Items a member reported that were reproduced, adopted or shipped in the window."""
    return dict(Counter((await conn.execute(_moved_reporters(), {"since": since})).scalars().all()))


@functools.cache
def _confirmed_raisers() -> Select[Any]:
    return (
        select(thread_people.c.member_id, func.count())
        .join(threads, threads.c.id == thread_people.c.thread_id)
        .where(
            thread_people.c.part == Part.REPORTER.value,
            thread_people.c.added_at >= bindparam("since"),
            threads.c.status.in_(CONFIRMED),
        )
        .group_by(thread_people.c.member_id)
    )


async def _threads(conn: AsyncConnection, since: datetime) -> dict[int, int]:
    """Threads a member raised in the window that are confirmed (or being fixed, or resolved) now."""
    return dict((await conn.execute(_confirmed_raisers(), {"since": since})).all())


def _mentions_any() -> Any:
    """The message mentions someone: a cheap test on the stored text before its JSON is unpacked, written as
    ix_messages_mentioning_received states it ('[]' written out: SQLite matches no bound parameter)."""
    return cast(schema.messages.c.mentions, Text) != literal_column("'[]'")


def _mentioned(dialect: str) -> Any:
    """The platform ids in `messages.mentions` as rows (a JSON list): each database spells it its own way."""
    column = schema.messages.c.mentions
    if dialect == "postgresql":
        return func.json_array_elements_text(column).table_valued("value")
    return func.json_each(column).table_valued("value")


def _conversation(messages: Any) -> Any:
    """Plain talk: a community message (not a command such as `/issue open @x`, not the bot's own
    @mentions) that is not a thank-you (counted as service already)."""
    return and_(community_message(messages), or_(messages.c.routed_to.is_(None), messages.c.routed_to != "thanks"))


@functools.cache
def _quotes() -> Select[Any]:
    messages = schema.messages
    return (
        select(messages.c.quote_member_id, func.count())
        .where(
            messages.c.received_at >= bindparam("since"),
            _conversation(messages),
            messages.c.quote_member_id.is_not(None),
            messages.c.quote_member_id != messages.c.member_id,
        )
        .group_by(messages.c.quote_member_id)
    )


@functools.cache
def _mentions(dialect: str) -> Select[Any]:
    messages, members = schema.messages, schema.members
    mentioned = _mentioned(dialect)
    return (
        select(members.c.id, func.count())
        .select_from(messages)
        .join(mentioned, true())
        .join(members, members.c.platform_id == mentioned.c.value)
        .where(
            messages.c.received_at >= bindparam("since"),
            _mentions_any(),
            _conversation(messages),
            members.c.id != messages.c.member_id,
            or_(messages.c.quote_member_id.is_(None), messages.c.quote_member_id != members.c.id),
        )
        .group_by(members.c.id)
    )


async def _discussion(conn: AsyncConnection, since: datetime) -> dict[int, int]:
    """Quotes of a member's messages and @mentions of them by others in the window, in plain talk (each
    statement built once, bound to `since`)."""
    bound = {"since": since}
    counts: dict[int, int] = defaultdict(int, dict((await conn.execute(_quotes(), bound)).all()))
    for member_id, n in (await conn.execute(_mentions(conn.dialect.name), bound)).all():
        counts[member_id] += n
    return counts


def _scorer(section: KocSection) -> Callable[[int, int, int, int, int], float]:
    """A member's score from their signals (thanks, feedback, threads, weeks, discussion), rounded to cents;
    the weights read once (a close race scores every writer)."""
    w_thanks, w_feedback, w_threads = section.weight_thanks, section.weight_feedback, section.weight_threads
    w_weeks, w_replies = section.weight_active_weeks, section.weight_replies

    def score(thanks: int, feedback: int, threads: int, weeks: int, discussion: int) -> float:
        total = w_thanks * thanks + w_feedback * feedback + w_threads * threads + w_weeks * weeks
        return round(total + w_replies * discussion, 2)

    return score


async def rank(
    ctx: Context,
    *,
    community_ids: Iterable[int] | None = None,
    exclude: Iterable[int] = (),
    limit: int | None = None,
    kept: StampedCache | None = None,
) -> list[Candidate]:
    """The pool, best first (score, then name): members with any signal, not staff, not already KOCs; only
    its best `limit` if given (the same as the whole pool's first `limit`, read with less work). `kept`: the
    thank-yous of the window's whole days kept across calls (the console's)."""
    section = ctx.settings.section(KocSection)
    conn, now = ctx.db, ctx.now
    since = now - timedelta(days=section.candidate_window_days)
    staff = ctx.settings.permissions.admins + ctx.settings.permissions.moderators
    where = _eligibility(staff, community_ids)
    thanks, feedback = await _thanks(conn, since, now, kept), await _feedback(conn, since)
    threads = await _threads(conn, since)
    discussion = await _discussion(conn, since)
    others = (thanks, feedback, threads, discussion)
    if limit is not None:
        short = await _short_list(ctx, where, others, set(exclude), limit)
        if short is not None:
            return short
    signals = (thanks, feedback, threads, await everyone_weeks(conn, now, kept), discussion)
    if limit is not None:
        return await _best_eligible(ctx, where, signals, set(exclude), limit)
    eligible = await _eligible(conn, where)
    for member_id in exclude:
        eligible.pop(member_id, None)
    return _best(section, eligible, signals, None, None)


async def _best_eligible(
    ctx: Context, where: list[Any], signals: Sequence[dict[int, int]], exclude: set[int], limit: int
) -> list[Candidate]:
    """The best `limit` with every signal known: the eligibility of only the members scoring best is read,
    until `limit` are eligible and every member scoring as well as the last of them is read (a tie is
    ranked by name), not of every member who wrote."""
    section = ctx.settings.section(KocSection)
    thanks, feedback, threads, weeks, discussion = signals
    sums = _sums(
        (section.weight_thanks, thanks),
        (section.weight_feedback, feedback),
        (section.weight_threads, threads),
        (section.weight_active_weeks, weeks),
        (section.weight_replies, discussion),
    )
    scores = {member_id: score for member_id, total in sums.items() if (score := round(total, 2)) > 0}
    for member_id in exclude:
        scores.pop(member_id, None)
    order = sorted(scores, key=scores.__getitem__, reverse=True)
    eligible: dict[int, Any] = {}
    seen = 0
    while seen < len(order):
        if len(eligible) < limit:
            chunk = order[seen : seen + ELIGIBLE_CHUNK]
        else:  # the rest of those scoring as well as the `limit`-th eligible one
            least, end = sorted(map(scores.__getitem__, eligible))[-limit], seen
            while end < len(order) and scores[order[end]] >= least:
                end += 1
            if end == seen:
                break
            chunk = order[seen:end]
        for start in range(0, len(chunk), TIED_CHUNK):
            eligible.update(await _eligible(ctx.db, where, chunk[start : start + TIED_CHUNK]))
        seen += len(chunk)
    read = [member_id for member_id in order[:seen] if member_id in eligible]
    return _best(section, eligible, signals, read, limit)


def _best(
    section: KocSection,
    eligible: dict[int, Any],
    signals: Sequence[dict[int, int]],
    among: Iterable[int] | None,
    limit: int | None,
) -> list[Candidate]:
    """The eligible members (of those `among`, if given) who score, best first (score, then name, then id);
    only the best `limit` if given."""
    thanks, feedback, threads, weeks, discussion = signals
    score_of = _scorer(section)
    scored = []
    # Only a member with a signal can score (weights are never negative): the signals' members are walked,
    # not every eligible member (tens of thousands, most of them quiet, in a large community). A candidate
    # is made only for those shown: in a close race every writer is scored, and a frozen dataclass each
    # cost more than the scoring.
    for member_id in set().union(*signals) if among is None else among:
        row = eligible.get(member_id)
        if row is None:
            continue
        counts = (
            int(thanks.get(member_id, 0)),
            int(feedback.get(member_id, 0)),
            int(threads.get(member_id, 0)),
            int(weeks.get(member_id, 0)),
            int(discussion.get(member_id, 0)),
        )
        score = score_of(*counts)
        if score > 0:
            scored.append((-score, row.display_name, member_id, counts, row))  # the order, then what it shows
    if limit is not None and len(scored) > limit:
        # Only those scoring at least the `limit`-th best are ranked by name (a close race ties thousands).
        least = heapq.nsmallest(limit, [entry[0] for entry in scored])[-1]
        scored = [entry for entry in scored if entry[0] <= least]
    best = sorted(scored)[:limit]  # member ids differ: never a tie
    return [
        Candidate(member_id, row.display_name, row.stage, row.invited_at, *counts, -negated)
        for negated, _, member_id, counts, row in best
    ]


async def _short_list(
    ctx: Context, where: list[Any], others: Sequence[dict[int, int]], exclude: set[int], limit: int
) -> list[Candidate] | None:
    """The best `limit`, with the active weeks and names of only the members who could make it; None: more
    than a few could (a member who only wrote, or a close race), and the whole pool is read instead.

    A member's score with no active week and with every week bound it: whoever's best case is below the
    `limit`-th best worst case among the eligible cannot make the list. The bounds are widened by a cent
    for the score's rounding, so they hold."""
    section, conn = ctx.settings.section(KocSection), ctx.db
    least = _without_weeks(section, others)
    for member_id in exclude:
        least.pop(member_id, None)
    order = sorted(least, key=least.__getitem__, reverse=True)
    eligible: dict[int, Any] = {}
    seen = 0
    while len(eligible) < limit and seen < len(order):  # the best worst cases, until `limit` are eligible
        eligible.update(await _eligible(conn, where, order[seen : seen + ELIGIBLE_CHUNK]))
        seen += ELIGIBLE_CHUNK
    span = section.weight_active_weeks * WEEKS + ROUNDING
    if len(eligible) < limit or span >= (floor := sorted(map(least.__getitem__, eligible))[-limit] - ROUNDING):
        return None
    chosen = list(takewhile(lambda member_id: least[member_id] + span >= floor, order))  # best first: a prefix
    if len(chosen) > MAX_CONTENDERS:
        return None
    if len(chosen) > seen:
        eligible.update(await _eligible(conn, where, chosen[seen:]))
    among = [member_id for member_id in chosen if member_id in eligible]
    thanks, feedback, threads, discussion = others
    signals = (thanks, feedback, threads, await active_weeks(conn, ctx.now, among), discussion)
    return _best(section, eligible, signals, among, limit)


def _without_weeks(section: KocSection, signals: Sequence[dict[int, int]]) -> dict[int, float]:
    """Each member's score before active weeks, unrounded."""
    thanks, feedback, threads, discussion = signals
    return _sums(
        (section.weight_thanks, thanks),
        (section.weight_feedback, feedback),
        (section.weight_threads, threads),
        (section.weight_replies, discussion),
    )


def _sums(*weighted: tuple[float, dict[int, int]]) -> dict[int, float]:
    """Per member, the weighted signals added one signal after another in `_scorer`'s order (a missing one
    adds nothing: the same floats), not member by member over every signal: the thank-yous, or in a close
    race the weeks, reach tens of thousands of members, the others few."""
    sums: dict[int, float] = {}
    for weight, values in weighted:
        for member_id, n in values.items():
            sums[member_id] = sums.get(member_id, 0.0) + weight * int(n)
    return sums


async def notify_replacements(ctx: Context, member: MemberRef) -> None:
    """Tell the moderators privately that `member` stepped back (resting or exited) and propose the
    three best candidates from the communities `member` is in."""
    memberships, members = schema.memberships, schema.members
    communities = (
        (
            await ctx.db.execute(
                select(memberships.c.community_id).where(
                    memberships.c.member_id == member.id, memberships.c.left_at.is_(None)
                )
            )
        )
        .scalars()
        .all()
    )
    stage = (await ctx.db.execute(select(members.c.stage).where(members.c.id == member.id))).scalar_one()
    best = await rank(ctx, community_ids=communities, exclude=(member.id,), limit=REPLACEMENTS)
    section = ctx.settings.section(KocSection)
    for moderator in await ctx.services.directory.staff(ctx.db):
        await ctx.dm(
            moderator,
            "koc/replacements",
            message_kind=OutgoingKind.TRANSACTIONAL,
            member=member.name,
            stage=stage,
            candidates=best,
            window=section.candidate_window_days,
            weeks=WEEKS,
        )
    _LOGGER.info("proposed %d replacements for KOC %s (%s)", len(best), member.platform_id, stage)


async def list_candidates(ctx: Context, cmd: Invocation) -> None:
    """/koc candidates [n]: the top of the pool with the reason for each, privately."""
    section = ctx.settings.section(KocSection)
    count = section.candidates_shown
    if cmd.args:
        asked = parse_number(cmd.args[0], least=1, most=MAX_SHOWN)
        if asked is None:
            raise UsageError("koc/problem_pool_count", most=MAX_SHOWN)
        count = asked
    pool = await rank(ctx)
    if ctx.community is not None:
        await ctx.reply("koc/candidates_sent")
    await ctx.reply_privately(
        "koc/candidates", candidates=pool[:count], total=len(pool), window=section.candidate_window_days, weeks=WEEKS
    )


async def invite(ctx: Context, cmd: Invocation) -> None:
    """/koc invite @x: a warm private invitation; the member becomes a candidate (refused if already
    a KOC, or invited in the last 30 days)."""
    members = await mentioned_members(ctx, cmd)
    if len(members) != 1:
        raise UsageError("koc/problem_pool_one_member")
    member = members[0]
    await must_be_eligible(ctx, member)
    row = (
        await ctx.db.execute(
            select(schema.members.c.stage, koc_records.c.invited_at)
            .outerjoin(koc_records, koc_records.c.member_id == schema.members.c.id)
            .where(schema.members.c.id == member.id)
        )
    ).one()
    if row.stage not in POOL_STAGES:
        raise UserFacingError("koc/invite_refused_stage", member=member.name, stage=row.stage)
    if row.invited_at is not None and ctx.now - row.invited_at < timedelta(days=INVITE_COOLDOWN_DAYS):
        raise UserFacingError(
            "koc/invite_refused_recent",
            member=member.name,
            when=ctx.local(row.invited_at),
            days=INVITE_COOLDOWN_DAYS,
        )
    # An invitation is unsolicited: never to a member who opted out, and within their contact budget.
    opted_out = await opted_out_at(ctx.db, member.id)
    if opted_out is not None:
        raise UserFacingError("koc/invite_refused_opted_out", member=member.name, when=ctx.local(opted_out))
    later, why = await unsolicited_wait(ctx, member, "koc/invite")
    await _mark_invited(ctx, member, row.stage)
    ctx.note_audit(target=member, stage=Stage.CANDIDATE.value)
    await ctx.reply("koc/invite_sent", member=member.name, later=ctx.local(later) if later else None, why=why)
    await ctx.dm(member, "koc/invite", name=member.name, inviter=ctx.actor.name)


async def _mark_invited(ctx: Context, member: MemberRef, from_stage: str) -> None:
    """koc_records.invited_at, members.stage = candidate and a koc_events row, in this transaction."""
    now, conn = ctx.now, ctx.db
    values: dict[str, Any] = {"invited_at": now, "updated_at": now}
    if from_stage != Stage.CANDIDATE.value:
        values["since"] = now
    await conn.execute(
        insert_for(conn, koc_records)
        .values(member_id=member.id, owner_id=ctx.actor.id or None, details={}, **{"since": now, **values})
        .on_conflict_do_update(index_elements=["member_id"], set_=values)
    )
    await conn.execute(
        update(schema.members).where(schema.members.c.id == member.id).values(stage=Stage.CANDIDATE.value)
    )
    await conn.execute(
        koc_events.insert().values(
            member_id=member.id,
            at=now,
            actor_id=ctx.actor.id,
            kind="invite",
            from_stage=from_stage,
            to_stage=Stage.CANDIDATE.value,
            reason=None,
            details={},
        )
    )
