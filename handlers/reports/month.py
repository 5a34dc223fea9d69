"""A report's month: a calendar month in the bot's time zone, read from what a moderator typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.commands import parse_month
from bot.errors import NoSuchDate


class MonthError(ValueError):
    """The month asked for is not a month, or has not started; `problem` names the template that says so."""

    def __init__(self, problem: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.problem = problem
        self.params = params


@dataclass(frozen=True, slots=True)
class Window:
    """A calendar month in the bot's time zone, as UTC instants; `as_of` is its end, or now if it is not over."""

    month: str  # "2026-12"
    start: datetime
    end: datetime
    as_of: datetime
    zone: ZoneInfo

    @property
    def complete(self) -> bool:
        return self.as_of >= self.end

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.zone).date()

    def days(self) -> list[tuple[date, datetime, datetime]]:
        """Each local day of the month up to `as_of`: (day, its start, its end), as UTC instants."""
        result: list[tuple[date, datetime, datetime]] = []
        day = self.first_day
        while True:
            begin = datetime.combine(day, datetime.min.time(), self.zone).astimezone(UTC)
            if begin >= self.as_of:
                return result
            day_after = day + timedelta(days=1)
            finish = datetime.combine(day_after, datetime.min.time(), self.zone).astimezone(UTC)
            result.append((day, begin, min(finish, self.as_of)))
            day = day_after


_INSTANT = timedelta(microseconds=1)


def window(text: str, now: datetime, timezone: str) -> Window:
    """The month `text` names ("2026-12"); MonthError when it is not a month or has not started yet."""
    try:
        month = parse_month(text)
    except NoSuchDate as bad:  # 2026-13: said as such, not as "write it as 2026-12"
        raise MonthError(
            bad.problem or "core/no_such_date", f"{text!r} is not a month: months run from 1 to 12", **bad.params
        ) from None
    if month is None:
        raise MonthError("reports/problem_month", f"{text!r} is not a month: write it as 2026-12", text=text)
    zone = ZoneInfo(timezone)
    year, number = int(month[:4]), int(month[5:])
    start = datetime(year, number, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone).astimezone(UTC)
    if start > now:
        raise MonthError("reports/month_not_started", f"{month} has not started yet", month=month)
    # Up to and including `now`: what happened this very instant (a message just before the report was
    # asked for, in the same second) is in it. Every query reads the window as [start, as_of).
    return Window(month, start, end, min(end, now + _INSTANT), zone)
