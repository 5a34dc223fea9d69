"""Standard 5-field cron and one-off times, as APScheduler 3 triggers, with errors a moderator can read.

APScheduler 3 numbers weekdays from Monday = 0, while cron (and every moderator who has
used it) counts Sunday = 0 (or 7). The weekday field is translated to day names here,
so "0 10 * * 1-5" means Monday to Friday, as it does in crontab.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

FIELDS = ("minute", "hour", "day", "month", "weekday")
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_LIMITS = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12)}
_SIMPLE = re.compile(r"(\*|\d+(?:-\d+)?)(?:/(\d+))?")


class CronError(ValueError):
    """A cron expression that cannot be used. `str()` says which field and why, in English, for the
    configuration's one-line errors; `reason`, `field`, `token`, `low`, `high` and `count` let a chat reply
    say the same in the member's language (templates/*/outreach/problem_cron.j2)."""

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        field: str = "",
        token: str = "",
        low: int = 0,
        high: int = 0,
        count: int = 0,
    ) -> None:
        super().__init__(message)
        self.reason, self.field, self.token = reason, field, token
        self.low, self.high, self.count = low, high, count

    def params(self) -> dict[str, object]:
        """What the problem template needs."""
        return {
            "reason": self.reason,
            "field": self.field,
            "token": self.token,
            "low": self.low,
            "high": self.high,
            "count": self.count,
        }


def _weekday_token(token: str) -> set[int]:
    """One comma-separated part of the weekday field in crontab's numbering (0 or 7 = Sunday)."""
    lowered = token.lower()
    for number, name in enumerate(_DAY_NAMES):
        lowered = re.sub(rf"\b{name}\b", str(number), lowered)
    found = _SIMPLE.fullmatch(lowered)
    if found is None:
        raise CronError(
            f"weekday: {token!r} is not a day (0-7, sun-sat), a range or a step",
            reason="not_day",
            field="weekday",
            token=token,
        )
    base, step = found[1], int(found[2]) if found[2] else 1
    if step < 1:
        raise CronError(
            f"weekday: the step in {token!r} must be at least 1", reason="step", field="weekday", token=token
        )
    if base == "*":
        low, high = 0, 6
    elif "-" in base:
        low, high = (int(part) for part in base.split("-"))
    else:
        low = high = int(base)
        if found[2]:
            high = 6
    if not (0 <= low <= 7 and 0 <= high <= 7) or low > high:
        raise CronError(
            f"weekday: {token!r} is outside 0-7 (0 and 7 are Sunday) or runs backwards",
            reason="weekday_range",
            field="weekday",
            token=token,
            low=0,
            high=7,
        )
    return {day % 7 for day in range(low, high + 1, step)}


def _weekdays(field: str) -> str:
    days: set[int] = set()
    for token in field.split(","):
        days |= _weekday_token(token)
    if days == set(range(7)):
        return "*"
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def _check_field(name: str, value: str) -> None:
    low, high = _LIMITS[name]
    for token in value.split(","):
        found = _SIMPLE.fullmatch(token)
        if found is None:
            raise CronError(
                f"{name}: {token!r} is not a number, '*', a range a-b or a step */n",
                reason="not_number",
                field=name,
                token=token,
            )
        numbers = [int(n) for n in found[1].split("-")] if found[1] != "*" else []
        if any(not low <= n <= high for n in numbers):
            raise CronError(
                f"{name}: {token!r} is outside {low}-{high}",
                reason="outside",
                field=name,
                token=token,
                low=low,
                high=high,
            )
        if len(numbers) == 2 and numbers[0] > numbers[1]:
            raise CronError(f"{name}: the range {token!r} runs backwards", reason="backwards", field=name, token=token)
        if found[2] is not None and int(found[2]) < 1:
            raise CronError(f"{name}: the step in {token!r} must be at least 1", reason="step", field=name, token=token)


def cron_trigger(expression: str, timezone: tzinfo | str) -> CronTrigger:
    """A trigger for a crontab-style expression ("minute hour day month weekday")."""
    parts = expression.split()
    if len(parts) != 5:
        raise CronError(
            f"needs 5 fields (minute hour day month weekday), got {len(parts)}", reason="fields", count=len(parts)
        )
    for name, value in zip(FIELDS[:4], parts[:4], strict=True):
        _check_field(name, value)
    minute, hour, day, month, weekday = parts
    days = _weekdays(weekday)  # outside the try: its own CronError says more than APScheduler's
    try:
        trigger = CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=days, timezone=timezone)
    except ValueError as exc:  # e.g. day 31 in a month list without one
        raise CronError(str(exc), reason="impossible") from exc
    if trigger.get_next_fire_time(None, datetime(2000, 1, 1, tzinfo=trigger.timezone)) is None:
        raise CronError("it never fires", reason="never")  # 31 February
    return trigger


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a usable cron expression, or None when it is."""
    try:
        cron_trigger(expression, "UTC")
    except CronError as exc:
        return str(exc)
    return None


def once_trigger(when: datetime) -> DateTrigger:
    """A trigger for one aware moment."""
    if when.tzinfo is None:
        raise ValueError("a one-off time needs a time zone")
    return DateTrigger(run_date=when)
