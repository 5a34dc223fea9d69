"""Thank-yous: the natural-language matcher, /thanks, the anti-gaming rules, the monthly threshold."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import insert, select

from bot.commands import Invocation
from bot.context import Context
from bot.db import schema
from bot.errors import UsageError
from bot.events import Contact, IncomingMessage
from bot.hooks import HookPoint
from bot.members import MemberRef
from handlers.recognition.config import RecognitionSection
from handlers.recognition.ledger import Named, award_points, current_month, grant_title, named, timezone_of
from handlers.recognition.reading import Sense, Sentence, fold, read, says_thanks
from handlers.recognition.rules import GiverFacts, PairFacts, day_start, judge
from handlers.recognition.stats import counted_since, last_counted, thanks_count
from handlers.recognition.tables import Source, WhyNot, thanks

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ThanksMatch:
    """A group message that thanks someone: the members it thanks, or the bot."""

    receivers: tuple[Contact, ...]
    to_bot: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Thanked:
    """A thank-you from one member to another was just stored, counted or not."""

    giver_id: int
    receiver_id: int
    counted: bool


# Other capabilities listen (`registry.listen`): journeys begin at a member's first counted thank-you
# received, and end when a member thanks someone.
THANKED: HookPoint[Thanked] = HookPoint("recognition.thanked")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Thank-yous of one message that did not count, for the same reason."""

    why: str
    names: tuple[Named, ...]


@dataclass(frozen=True, slots=True)
class ThresholdAward:
    member_id: int
    month: str
    count: int
    points: int
    title: str  # empty when the rule grants none or the member held it already


@dataclass(frozen=True, slots=True)
class Reached:
    """A member whose counted thanks in a month reached the threshold just now, as templates name them."""

    member: Named
    month: str
    count: int
    points: int
    title: str


@dataclass(frozen=True, slots=True)
class ThanksOutcome:
    counted: tuple[Named, ...]
    refused: tuple[Refusal, ...]
    reached: tuple[Reached, ...]


def receivers_of(message: IncomingMessage) -> tuple[tuple[Contact, ...], bool]:
    """Whom a message thanks: the members it mentions, else the member it quotes; and whether
    it thanks the bot instead (mentioning or quoting only the bot). Quoting your own message
    ("anyone? thanks") thanks nobody."""
    quote = message.quote
    if message.mentions:
        return message.mentions, False
    if quote is not None and quote.sender is not None and not quote.from_bot:
        return ((quote.sender,) if quote.sender.id != message.sender.id else ()), False
    return (), message.mentions_bot or (quote is not None and quote.from_bot)


def match_thanks(message: IncomingMessage, section: RecognitionSection) -> ThanksMatch | None:
    """The natural thank-you matcher: a thanks phrase that thanks someone now (not a refusal, a
    question, talk about thanks, thanks in advance or to the brand: see `reading`), and whom."""
    phrases = tuple(section.thanks_phrases)
    if not (message.mentions or message.quote or message.mentions_bot) or not says_thanks(message.text, phrases):
        return None  # most group messages: cheap to tell
    names = tuple(c.name for c in message.mentions)
    sentences = read(message.text, phrases, tuple(section.brand_words), names)
    if not any(s.sense in _THANKING for s in sentences):
        _LOGGER.debug("%s thanks nobody: %s", message.message_id, ", ".join(w for s in sentences for w in s.why))
        return None
    receivers, to_bot = thanked(message, sentences)
    if not receivers and not to_bot:
        return None
    return ThanksMatch(receivers, to_bot, reason=message.text.strip())  # as typed


_THANKING = (Sense.PERSONAL, Sense.EVERYONE)


def thanked(message: IncomingMessage, sentences: Sequence[Sentence]) -> tuple[tuple[Contact, ...], bool]:
    """The members mentioned where the message thanks (or on their own), and any whose mention the
    text does not show (a platform may show a group nickname); a thanks to everyone thanks only
    them. Else the quoted author, else members mentioned elsewhere ("谢谢！@bob 你真行"), else the bot."""
    where = {n for s in sentences if s.sense in _THANKING or (s.bare and s.sense is Sense.NONE) for n in s.names}
    shown = {n for s in sentences for n in (*s.names, *s.aside)}
    members = tuple(c for c in message.mentions if fold(c.name) in where or fold(c.name) not in shown)
    if members or all(s.sense is Sense.EVERYONE for s in sentences if s.sense in _THANKING):
        return members, False
    return _without_a_mention_where_it_thanks(message, sentences)


def _without_a_mention_where_it_thanks(
    message: IncomingMessage, sentences: Sequence[Sentence]
) -> tuple[tuple[Contact, ...], bool]:
    quote = message.quote
    if quote is not None and quote.sender is not None and not quote.from_bot:
        return ((quote.sender,) if quote.sender.id != message.sender.id else ()), False
    elsewhere = {n for s in sentences for n in s.aside if s.sense is not Sense.UNDONE}
    elsewhere |= {n for s in sentences if s.sense is Sense.NONE for n in s.names}
    members = tuple(c for c in message.mentions if fold(c.name) in elsewhere)
    return members, not members and (message.mentions_bot or (quote is not None and quote.from_bot))


async def on_thanks(ctx: Context, match: ThanksMatch) -> None:
    """Natural thanks: recorded always; answered as `acknowledge` and `refusals` say."""
    section = ctx.settings.section(RecognitionSection)
    receivers = [await ctx.member(contact) for contact in match.receivers]
    outcome = await record_thanks(ctx, receivers, match.to_bot, match.reason, via="message")
    counted = outcome.counted if section.acknowledge == "reply" else ()
    refused = [r for r in outcome.refused if getattr(section.refusals, r.why) == "reply"]
    if counted or refused:
        await ctx.reply("recognition/thanks_recorded", counted=counted, refused=refused, rules=section)
    await announce_reached(ctx, outcome.reached)


async def give_thanks(ctx: Context, cmd: Invocation) -> None:
    """/thanks @x [reason]: a command always gets an answer, whatever the refusal settings."""
    contacts, to_bot = receivers_of(ctx.message)
    if not contacts and not to_bot:
        raise UsageError("recognition/problem_needs_receiver")
    receivers = [await ctx.member(contact) for contact in contacts]
    outcome = await record_thanks(ctx, receivers, to_bot, cmd.text, via="command")
    await ctx.reply(
        "recognition/thanks_recorded",
        counted=outcome.counted,
        refused=outcome.refused,
        rules=ctx.settings.section(RecognitionSection),
    )
    await announce_reached(ctx, outcome.reached)


async def record_thanks(
    ctx: Context, receivers: Sequence[MemberRef], to_bot: bool, reason: str, *, via: str
) -> ThanksOutcome:
    """Store a thank-you from the actor to each receiver (and to the bot), counted or not, and
    reward the receivers whose counted thanks reach the monthly threshold."""
    verdicts = await _judge_and_store(ctx, receivers, to_bot, reason, via)
    month = current_month(ctx)
    awards = [
        await reward_threshold(ctx, member_id, month)
        for member_id, why in verdicts
        if why is None and member_id is not None
    ]
    return await _outcome(ctx, verdicts, [a for a in awards if a is not None])


async def _judge_and_store(
    ctx: Context, receivers: Sequence[MemberRef], to_bot: bool, reason: str, via: str
) -> list[tuple[int | None, WhyNot | None]]:
    """Each thank-you in turn, so that one message cannot go past the daily cap."""
    section, giver = ctx.settings.section(RecognitionSection), await _giver_facts(ctx)
    verdicts: list[tuple[int | None, WhyNot | None]] = []
    if to_bot:
        verdicts.append((None, judge(section, ctx.now, giver, PairFacts(False, True, None))))
    for receiver in {r.id: r for r in receivers}.values():
        pair = PairFacts(receiver.id == ctx.actor.id, False, await last_counted(ctx.db, ctx.actor.id, receiver.id))
        why = judge(section, ctx.now, giver, pair)
        if why is None:
            giver = replace(giver, counted_today=giver.counted_today + 1)
        verdicts.append((receiver.id, why))
    for member_id, why in verdicts:
        await _store(ctx, member_id, why, reason, via)
    for member_id, why in verdicts:
        if member_id is not None and member_id != ctx.actor.id:
            await ctx.emit(THANKED, Thanked(ctx.actor.id, member_id, why is None))
    return verdicts


async def _giver_facts(ctx: Context) -> GiverFacts:
    members = schema.members
    first = select(members.c.arrived_at).where(members.c.id == ctx.actor.id)
    since = day_start(ctx.now, timezone_of(ctx))
    return GiverFacts(
        (await ctx.db.execute(first)).scalar_one_or_none(), await counted_since(ctx.db, ctx.actor.id, since)
    )


async def _store(ctx: Context, receiver_id: int | None, why: WhyNot | None, reason: str, via: str) -> int:
    assert ctx.community is not None  # thanks are given in rooms only: the command and the matcher say so
    stmt = (
        insert(thanks)
        .values(
            giver_id=ctx.actor.id,
            receiver_id=receiver_id,
            community_id=ctx.community.id,
            month=current_month(ctx),
            created_at=ctx.now,
            reason=reason,
            via=via,
            counted=why is None,
            why_not=why.value if why else None,
            platform_msg_id=ctx.message.message_id,
        )
        .returning(thanks.c.id)
    )
    thanks_id: int = (await ctx.db.execute(stmt)).scalar_one()
    _LOGGER.info(
        "thanks #%s from %s to %s: %s", thanks_id, ctx.actor.id, receiver_id, "counted" if why is None else why.value
    )
    return thanks_id


async def reward_threshold(ctx: Context, member_id: int, month: str) -> ThresholdAward | None:
    """Award the monthly threshold's points (and title) if the member's counted thanks in `month`
    reach it: once per member and month, whatever is revoked and given again later. None when
    nothing was awarded just now."""
    section = ctx.settings.section(RecognitionSection)
    count = await thanks_count(ctx.db, "receiver_id", member_id, month)
    if count < section.monthly_thanks_threshold:
        return None
    key = f"thanks_threshold:{member_id}:{month}"
    if await award_points(ctx, member_id, section.threshold_points, Source.THANKS_THRESHOLD, month, key=key) is None:
        return None
    title = section.threshold_title
    if title and not await grant_title(ctx, member_id, title, Source.THANKS_THRESHOLD, key=f"{key}:title"):
        title = ""
    return ThresholdAward(member_id, month, count, section.threshold_points, title)


async def _outcome(
    ctx: Context, verdicts: list[tuple[int | None, WhyNot | None]], awards: list[ThresholdAward]
) -> ThanksOutcome:
    """Names are read last, so that a title granted just now already shows."""
    names = await named(ctx.db, [member_id for member_id, _ in verdicts if member_id is not None])
    return ThanksOutcome(
        counted=tuple(names[m] for m, why in verdicts if why is None and m is not None),
        refused=tuple(
            _group_refusals((why, None if m is None else names.get(m)) for m, why in verdicts if why is not None)
        ),
        reached=await reached_for(ctx, awards),
    )


async def reached_for(ctx: Context, awards: Iterable[ThresholdAward]) -> tuple[Reached, ...]:
    awards = list(awards)
    names = await named(ctx.db, [a.member_id for a in awards])
    return tuple(Reached(names[a.member_id], a.month, a.count, a.points, a.title) for a in awards)


def _group_refusals(refused: Iterable[tuple[WhyNot, Named | None]]) -> list[Refusal]:
    groups: dict[str, list[Named]] = {}
    for why, who in refused:
        groups.setdefault(why.value, [])
        if who is not None:
            groups[why.value].append(who)
    return [Refusal(why, tuple(names)) for why, names in groups.items()]


async def announce_reached(ctx: Context, reached: Iterable[Reached]) -> None:
    """Recognition is public: a member reaching the threshold is congratulated in the room."""
    for item in reached:
        if ctx.community is not None:
            await ctx.post(
                ctx.community,
                "recognition/threshold_reached",
                mentions=(item.member.platform_id,),
                member=item.member,
                count=item.count,
                points=item.points,
                title=item.title,
                month=item.month,
            )
