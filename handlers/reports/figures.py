"""The month's figures as plain dataclasses: what the report's text, charts and CSV tables are made from."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime

from handlers.reports.month import Window

# Stage changes the report names, in the order it names them (koc_events.kind).
KOC_CHANGES = ("promote", "return", "rest", "exit", "invite")


@dataclass(frozen=True, slots=True)
class CommunityFigures:
    name: str
    members: int  # in the room at the month's end
    joined: int
    left: int
    messages: int
    active: int  # members who wrote at least one message
    thanks: int  # thank-yous given in the room that count
    feedback: int  # items submitted from the room
    threads: int  # issue threads raised in the room


@dataclass(frozen=True, slots=True)
class Helper:
    name: str
    thanks: int


@dataclass(frozen=True, slots=True)
class TitleRule:
    """The title earned by thanks in a month (recognition's threshold), and who reached it."""

    title: str
    threshold: int  # counted thanks received in the month
    reached: tuple[str, ...]  # names, most thanked first


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    messages: int
    active: int


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """An item received, adopted or shipped in the month."""

    id: int
    kind: str
    community: str  # "" when submitted in private
    received_at: datetime
    first_response_at: datetime | None  # its first status change, by the month's end
    adopted_at: datetime | None  # in the month
    shipped_at: datetime | None  # in the month


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """A thread opened or resolved in the month."""

    id: int
    title: str
    opened_at: datetime
    resolved_at: datetime | None  # its first resolution in the month
    rooms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KocChange:
    at: datetime
    name: str
    kind: str  # promote, return, rest, exit, invite
    from_stage: str | None
    to_stage: str


@dataclass(frozen=True, slots=True)
class QuestionRoom:
    """A room's questions of the month as listening flagged them: how many were answered, how fast."""

    name: str
    asked: int
    answered: int
    median_minutes: float | None  # to the first answer

    @property
    def share(self) -> int:
        """The answered share, in per cent."""
        return round(100 * self.answered / self.asked) if self.asked else 0


def _hours(start: datetime, finish: datetime) -> float:
    return (finish - start).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


class _MonthTotals:
    """What the report and the console's page of a month both derive from their window and communities."""

    __slots__ = ()
    window: Window
    communities: tuple[CommunityFigures, ...]

    @property
    def month(self) -> str:
        return self.window.month

    @property
    def messages(self) -> int:
        return sum(c.messages for c in self.communities)


@dataclass(frozen=True, slots=True)
class MonthFigures(_MonthTotals):
    """The month's report: communities, thanks, feedback, threads and KOC changes."""

    window: Window
    communities: tuple[CommunityFigures, ...]
    active_members: int  # in any community (a member active in two counts once)
    helpers: tuple[Helper, ...]
    thanks: int
    feedback: tuple[FeedbackRow, ...]
    threads: tuple[ThreadRow, ...]
    threads_open: int  # not resolved at the month's end
    koc_changes: tuple[KocChange, ...]
    stages: dict[str, int] = field(default_factory=dict)  # members per KOC stage at the month's end
    days: tuple[Day, ...] = ()
    title_rule: TitleRule | None = None
    questions: tuple[QuestionRoom, ...] = ()  # rooms where members asked the group something

    @property
    def feedback_items(self) -> int:
        return len(self.feedback)

    def _in_month(self, when: datetime | None) -> bool:
        return when is not None and self.window.start <= when < self.window.as_of

    @property
    def received(self) -> list[FeedbackRow]:
        return [f for f in self.feedback if self._in_month(f.received_at)]

    @property
    def adopted(self) -> int:
        return sum(1 for f in self.feedback if f.adopted_at is not None)

    @property
    def shipped(self) -> int:
        return sum(1 for f in self.feedback if f.shipped_at is not None)

    @property
    def answered(self) -> int:
        return sum(1 for f in self.received if f.first_response_at is not None)

    @property
    def unanswered(self) -> int:
        return len(self.received) - self.answered

    @property
    def median_response_hours(self) -> float | None:
        """Received this month: median hours from submission to the first status change (the answered ones)."""
        return _median([_hours(f.received_at, f.first_response_at) for f in self.received if f.first_response_at])

    @property
    def opened(self) -> int:
        return sum(1 for t in self.threads if self._in_month(t.opened_at))

    @property
    def resolved(self) -> int:
        return sum(1 for t in self.threads if t.resolved_at is not None)

    @property
    def median_resolution_hours(self) -> float | None:
        """Resolved this month: median hours from opening to that resolution."""
        return _median([_hours(t.opened_at, t.resolved_at) for t in self.threads if t.resolved_at])

    def changed(self, kind: str) -> list[str]:
        """The members with this KOC change in the month, in order, each once."""
        return list(dict.fromkeys(c.name for c in self.koc_changes if c.kind == kind))

    @property
    def empty(self) -> bool:
        """Nothing at all was recorded that month (e.g. the bot was not running yet)."""
        return not (
            self.messages
            or any(c.joined or c.left for c in self.communities)
            or self.thanks
            or self.feedback
            or self.threads
            or self.koc_changes
        )


@dataclass(frozen=True, slots=True)
class MonthSummary(_MonthTotals):
    """The console's page of a month: the report's figures per community and per day, and its totals."""

    window: Window
    communities: tuple[CommunityFigures, ...]
    active_members: int  # in any community (a member active in two counts once)
    thanks: int
    feedback_items: int  # the report's feedback rows: items received, adopted or shipped in the month
    days: tuple[Day, ...]
