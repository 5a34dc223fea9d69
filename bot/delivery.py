"""Delivery policy: routine messages wait out quiet hours and each member's contact budget."""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, String, any_, bindparam, func, literal, null, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import CoreSettings, parse_hhmm_range
from bot.db import schema
from bot.db.schema import Delivery, OutboxStatus, Role
from bot.outbox import Draft

_LOGGER = logging.getLogger(__name__)
_STAFF_LABELS = (Role.MODERATOR.label, Role.ADMIN.label)
_LOGGED_PER_COMMIT = 20  # a big fan-out held at night logs a summary, not ten thousand lines


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours when routine messages wait; the range may wrap midnight ("22:00-08:00")."""

    start: time
    end: time

    @classmethod
    def parse(cls, value: str) -> QuietHours | None:
        parsed = parse_hhmm_range(value) if value else None
        if parsed is None:
            return None
        (h1, m1), (h2, m2) = parsed
        return cls(time(h1, m1), time(h2, m2))

    def release(self, when: datetime, tz: ZoneInfo) -> datetime | None:
        """The end of the quiet hours `when` falls in, or None when it is not in them."""
        local = when.astimezone(tz)
        moment = local.time()
        if self.start < self.end:
            quiet, day = self.start <= moment < self.end, local.date()
        else:
            quiet = moment >= self.start or moment < self.end
            day = local.date() + timedelta(days=1) if moment >= self.start else local.date()
        return datetime.combine(day, self.end, tzinfo=tz).astimezone(UTC) if quiet else None

    def began(self, when: datetime, tz: ZoneInfo) -> datetime | None:
        """The start of the quiet hours `when` falls in, or None when it is not in them."""
        released = self.release(when, tz)
        if released is None:
            return None
        local_end = released.astimezone(tz)
        day = local_end.date() - timedelta(days=1 if self.start > self.end else 0)
        return datetime.combine(day, self.start, tzinfo=tz).astimezone(UTC)


class _Book:
    """Routine private messages per member and local day, and per member and ISO week."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.days: Counter[tuple[str, date]] = Counter()
        self.weeks: Counter[tuple[str, tuple[int, int]]] = Counter()
        self._tz = tz
        self._dates: dict[datetime, date] = {}  # a fan-out shares one time: convert it once

    def date_of(self, when: datetime) -> date:
        found = self._dates.get(when)
        if found is None:
            found = self._dates[when] = when.astimezone(self._tz).date()
        return found

    def add(self, contact: str, day: date, count: int = 1) -> None:
        self.days[contact, day] += count
        self.weeks[contact, _week(day)] += count


@functools.lru_cache(maxsize=1024)
def _week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


class DeliveryPolicy:
    """Decides when routine drafts may go out; replies and urgent messages pass untouched."""

    def __init__(self, settings: CoreSettings) -> None:
        section = settings.delivery
        self.quiet = QuietHours.parse(section.quiet_hours)
        self.daily = section.daily_private_limit
        self.weekly = section.weekly_private_limit
        self.private_tz = ZoneInfo(settings.bot.timezone)
        self._room_tz = {c.id: ZoneInfo(c.timezone) for c in settings.communities if c.timezone}
        self._config_staff = frozenset(settings.permissions.admins) | frozenset(settings.permissions.moderators)

    def room_timezone(self, room_id: str) -> ZoneInfo:
        return self._room_tz.get(room_id, self.private_tz)

    async def hold(self, conn: AsyncConnection, drafts: Sequence[Draft], now: datetime) -> list[Draft]:
        """The drafts with routine ones moved to when they may go out (one query for the budget)."""
        out = list(drafts)
        private: list[int] = []
        log = _HoldLog()
        for i, draft in enumerate(drafts):
            if draft.delivery is not Delivery.ROUTINE:
                continue
            if draft.contact_id is not None:
                private.append(i)
            else:
                out[i] = self._after_quiet(draft, now, self.room_timezone(draft.room_id or ""), log)
        if private:
            await self._budget(conn, out, private, now, log)
        log.flush()
        return out

    def _after_quiet(self, draft: Draft, now: datetime, tz: ZoneInfo, log: _HoldLog) -> Draft:
        wanted = draft.not_before or now
        released = self.quiet.release(wanted, tz) if self.quiet else None
        if released is None:
            return draft
        log.held(draft, released, "quiet hours")
        return replace(draft, not_before=released)

    def _unquiet(self, when: datetime) -> datetime:
        released = self.quiet.release(when, self.private_tz) if self.quiet else None
        return released or when

    @property
    def _limited(self) -> bool:
        return bool(self.daily or self.weekly)

    async def _budget(
        self, conn: AsyncConnection, out: list[Draft], indexes: list[int], now: datetime, log: _HoldLog
    ) -> None:
        unquiet = _memo(self._unquiet)  # most drafts share a time: now, or a fan-out's slot
        wanted = {i: unquiet(out[i].not_before or now) for i in indexes}
        contacts = {out[i].contact_id or "" for i in indexes} - self._config_staff
        book, staff = _Book(self.private_tz), frozenset[str]()
        if contacts and self._limited:
            staff = await self._booked(conn, book, contacts, min(wanted.values()))
        for i in indexes:
            draft, when = out[i], wanted[i]
            contact = draft.contact_id or ""
            reason = "quiet hours"
            if self._limited and contact not in self._config_staff and contact not in staff:
                moved = self._first_free(book, contact, when)
                reason, when = ("contact budget" if moved != when else reason), moved
            if when != (draft.not_before or now):
                log.held(draft, when, reason)
                out[i] = replace(draft, not_before=when)

    def _first_free(self, book: _Book, contact: str, wanted: datetime) -> datetime:
        """`wanted`, or the start (after quiet hours) of the first later day both limits allow."""
        first = book.date_of(wanted)
        day = first
        while True:
            if self.daily and book.days[contact, day] >= self.daily:
                day += timedelta(days=1)
            elif self.weekly and book.weeks[contact, _week(day)] >= self.weekly:
                day += timedelta(days=7 - day.weekday())  # next Monday
            else:
                break
        book.add(contact, day)
        return wanted if day == first else self._morning(day)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - a few days per policy, and policies live as long as the app
    def _morning(self, day: date) -> datetime:
        """The first moment of `day` outside quiet hours, in the bot's time zone."""
        return self._unquiet(datetime.combine(day, time(0), tzinfo=self.private_tz).astimezone(UTC))

    async def _booked(
        self, conn: AsyncConnection, book: _Book, contacts: set[str], earliest: datetime
    ) -> frozenset[str]:
        """Enter in `book` the routine private messages already scheduled or sent to `contacts`
        from the start of the week of `earliest`; returns the members stored as staff. One query."""
        local = book.date_of(earliest)
        monday = datetime.combine(local - timedelta(days=local.weekday()), time(0), tzinfo=self.private_tz)
        outbox, members = schema.outbox, schema.members
        # Grouped by time: a fan-out's messages share one, so fewer rows come back.
        held = (
            select(outbox.c.contact_platform_id, outbox.c.not_before, func.count())
            .where(
                _among(conn, outbox.c.contact_platform_id, sorted(contacts)),
                outbox.c.not_before >= monday.astimezone(UTC),
                outbox.c.delivery == Delivery.ROUTINE.value,
                outbox.c.status != OutboxStatus.FAILED.value,
            )
            .group_by(outbox.c.contact_platform_id, outbox.c.not_before)
        )
        staff = select(members.c.platform_id, null(), literal(0)).where(members.c.role.in_(_STAFF_LABELS))
        staff_ids: set[str] = set()
        for contact, not_before, count in (await conn.execute(union_all(held, staff))).all():
            if not_before is None:
                staff_ids.add(contact)
            else:
                book.add(contact, book.date_of(not_before), count)
        return frozenset(staff_ids)


def _memo(function: Callable[[datetime], datetime]) -> Callable[[datetime], datetime]:
    cache: dict[datetime, datetime] = {}

    def cached(when: datetime) -> datetime:
        found = cache.get(when)
        if found is None:
            found = cache[when] = function(when)
        return found

    return cached


def _among(conn: AsyncConnection, column: Any, values: list[str]) -> Any:
    """`column IN values` with a single parameter, however many values (a statement SQLAlchemy can cache)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("contacts", values, type_=ARRAY(String())))
    listed = func.json_each(bindparam("contacts", values, type_=JSON())).table_valued("value")
    return column.in_(select(listed.c.value))


class _HoldLog:
    """Says, at info level, which messages were held, until when and why."""

    def __init__(self) -> None:
        self.count = 0

    def held(self, draft: Draft, until: datetime, reason: str) -> None:
        self.count += 1
        if self.count <= _LOGGED_PER_COMMIT:
            target = f"room {draft.room_id}" if draft.room_id else f"contact {draft.contact_id}"
            _LOGGER.info(
                "routine message %s to %s held until %s: %s",
                draft.template,
                target,
                until.isoformat(timespec="minutes"),
                reason,
            )

    def flush(self) -> None:
        if self.count > _LOGGED_PER_COMMIT:
            _LOGGER.info("... and %d more routine messages held", self.count - _LOGGED_PER_COMMIT)
