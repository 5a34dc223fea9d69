"""Pure rules: thread numbers, resolve options, relative days in a room's time zone, fix answers, ages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.commands import LOCAL_TIME, local_time, parse_id
from bot.errors import UsageError

_WEEKDAY_FIELDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # CLDR's names for each weekday's field
_AT = re.compile(r"--at\s+" + LOCAL_TIME.pattern)
_PREVIEW = re.compile(r"--preview\b")
YES = ("是", "是的", "好了", "已经好了", "解决了", "已解决", "没问题了", "没问题", "yes", "y", "fixed", "ok")
NO = ("否", "不是", "没有", "没好", "还没", "还是", "依然", "仍然", "不行", "no", "n", "not", "still")


def thread_number(word: str | None) -> int:
    """`12` or `#12` (full-width too) as a thread number."""
    number = parse_id(word)
    if not number:
        raise UsageError("threads/problem_needs_number")
    return number


def split_number(text: str) -> tuple[int, str]:
    """The thread number at the start of the arguments, and the rest."""
    parts = text.split(maxsplit=1)
    return thread_number(parts[0] if parts else None), (parts[1].strip() if len(parts) > 1 else "")


def feedback_item_id(word: str) -> int | None:
    """`FB-42`, `fb42` -> 42; anything else None."""
    return parse_id(word, label="FB") if word.strip()[:2].upper() == "FB" else None


@dataclass(frozen=True, slots=True)
class ResolveOptions:
    text: str
    preview: bool = False
    at: datetime | None = None


def asks_preview(rest: str) -> bool:
    """Whether /issue resolve's arguments ask for a preview (read before the rest is checked)."""
    return bool(_PREVIEW.search(rest))


def parse_resolve(rest: str, tz: ZoneInfo) -> ResolveOptions:
    """`text [--preview] [--at YYYY-MM-DD HH:MM]`; the time is in the room's time zone."""
    at = None
    found = _AT.search(rest)
    if found:
        at = local_time(found, tz)
        rest = rest[: found.start()] + rest[found.end() :]
    if "--at" in rest:
        raise UsageError("threads/problem_at")
    preview = bool(_PREVIEW.search(rest))
    text = _PREVIEW.sub("", rest).strip().rstrip("。.！! ")
    if not text:
        raise UsageError("threads/problem_needs_text")
    return ResolveOptions(text, preview, at)


@dataclass(frozen=True, slots=True)
class RelativeDay:
    """A day as people say it in `locale`: `words` (today, 昨天, last week, 3月2日) from Babel's CLDR data;
    `calendar` when they name a date (English puts "on" before one: the template's word)."""

    words: str
    calendar: bool = False


def relative_day(raised: datetime, now: datetime, tz: ZoneInfo, locale: str) -> RelativeDay:
    """When something was raised, as people say it (Babel, CLDR): 今天, 昨天, 前天, 本周二, 上周, 3月2日,
    2025年3月2日; today, yesterday, this Tuesday, last week, March 2, March 2, 2025."""
    from babel import Locale

    then, today = raised.astimezone(tz).date(), now.astimezone(tz).date()
    days = max((today - then).days, 0)
    fields = Locale.parse(locale)._data["date_fields"]  # CLDR's relative names (Babel has no wrapper for them)
    named = fields["day"]["relative"]
    if -days in named:  # today, yesterday, and where the language has a word for it, the day before
        return RelativeDay(named[-days])
    if _week_start(then) == _week_start(today):
        return RelativeDay(fields[_WEEKDAY_FIELDS[then.weekday()]]["relative"][0])
    if _week_start(then) == _week_start(today) - timedelta(days=7):
        return RelativeDay(fields["week"]["relative"][-1])
    return RelativeDay(_calendar_day(then, today, locale), calendar=True)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _calendar_day(then: date, today: date, locale: str) -> str:
    from babel.dates import format_skeleton

    return format_skeleton("MMMMd" if then.year == today.year else "yMMMMd", then, locale=locale)


def classify_answer(text: str) -> str | None:
    """ "yes" / "no" for a fix-confirmation answer, None when the words do not say."""
    cleaned = text.strip().strip("。.!！~～ ").lower()
    if cleaned in YES:
        return "yes"
    if cleaned in NO:
        return "no"
    if "没问题" in cleaned:
        return "yes"
    if any(word in cleaned for word in ("没", "不", "还", "仍", "依然", "not", "still", "again")):
        return "no"
    if any(word in cleaned for word in ("好了", "解决了", "fixed", "works", "gone")):
        return "yes"
    return None


def age_days(created: datetime, now: datetime) -> int:
    return max(0, (now - created).days)
