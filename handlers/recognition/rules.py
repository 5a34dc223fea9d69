"""Pure recognition decisions: which thank-yous count, months and days in a room's time zone, /top's words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from handlers.recognition.config import RecognitionSection
from handlers.recognition.tables import WhyNot


@dataclass(frozen=True, slots=True)
class GiverFacts:
    """What the rules need to know about the member giving thanks."""

    arrived_at: datetime | None  # their first join the platform reported; None: they were there before
    counted_today: int  # counted thanks they gave since the start of their day


@dataclass(frozen=True, slots=True)
class PairFacts:
    """What the rules need to know about one giver -> receiver pair."""

    is_self: bool
    is_bot: bool
    last_counted_at: datetime | None  # the last counted thank-you from this giver to this receiver


def judge(section: RecognitionSection, now: datetime, giver: GiverFacts, pair: PairFacts) -> WhyNot | None:
    """Why this thank-you does not count, or None when it counts. The first rule that applies wins."""
    if pair.is_self:
        return WhyNot.SELF
    if pair.is_bot:
        return WhyNot.BOT
    newcomer = timedelta(days=section.newcomer_days)
    if newcomer and giver.arrived_at is not None and now - giver.arrived_at < newcomer:
        return WhyNot.NEWCOMER
    cooldown = timedelta(hours=section.cooldown_hours)
    if cooldown and pair.last_counted_at is not None and now - pair.last_counted_at < cooldown:
        return WhyNot.COOLDOWN
    if section.daily_cap and giver.counted_today >= section.daily_cap:
        return WhyNot.DAILY_CAP
    return None


def day_start(when: datetime, timezone: str) -> datetime:
    """Midnight of `when`'s day in `timezone` (an aware datetime)."""
    zone = ZoneInfo(timezone)
    return datetime.combine(when.astimezone(zone).date(), time(), tzinfo=zone)


def previous_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


@dataclass(frozen=True, slots=True)
class QuoteCandidate:
    thanks_id: int
    giver_id: int
    reason: str


def choose_quotes(candidates: Iterable[QuoteCandidate], count: int) -> list[QuoteCandidate]:
    """The honour roll's quotes, the same every time: the most words first (they say the most),
    one per giver, ties to the earliest."""
    chosen: list[QuoteCandidate] = []
    for candidate in sorted(candidates, key=lambda c: (-len(c.reason), c.thanks_id)):
        if len(chosen) == count:
            break
        if candidate.reason and all(c.giver_id != candidate.giver_id for c in chosen):
            chosen.append(candidate)
    return chosen


class Period(StrEnum):
    MONTH = "month"
    ALL = "all"


class Board(StrEnum):
    THANKS = "thanks"
    POINTS = "points"


@dataclass(frozen=True, slots=True)
class TopRequest:
    period: Period = Period.MONTH
    board: Board = Board.THANKS
    brand: bool = False


_TOP_WORDS: dict[str, tuple[str, object]] = {
    **dict.fromkeys(("month", "本月", "月", "月榜"), ("period", Period.MONTH)),
    **dict.fromkeys(("all", "全部", "累计", "总榜", "历史"), ("period", Period.ALL)),
    **dict.fromkeys(("thanks", "感谢", "谢谢"), ("board", Board.THANKS)),
    **dict.fromkeys(("points", "积分"), ("board", Board.POINTS)),
    **dict.fromkeys(("brand", "全品牌", "品牌", "所有群"), ("brand", True)),
    **dict.fromkeys(("group", "本群"), ("brand", False)),
}


class UnknownWord(ValueError):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def parse_top(words: Iterable[str]) -> TopRequest:
    """/top's arguments in any order; raises UnknownWord for a word it does not know."""
    chosen: dict[str, object] = {}
    for word in words:
        meaning = _TOP_WORDS.get(word.lower())
        if meaning is None:
            raise UnknownWord(word)
        chosen[meaning[0]] = meaning[1]
    return TopRequest(**chosen)  # type: ignore[arg-type]  # _TOP_WORDS pairs each field with a value of its type
