"""Ignition's figures: the weights, a message's (Spark), a member's (Igniter), what followed a moment
(Aftermath), and a campaign's whole measure (Measured)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from handlers.campaigns.config import CampaignsSection

if TYPE_CHECKING:
    from handlers.campaigns.ignition.log import Log


@dataclass(frozen=True, slots=True)
class Weights:
    replies: float
    mentions: float
    participants: float
    keywords: float
    joins: float
    lift: float

    @classmethod
    def of(cls, section: CampaignsSection) -> Weights:
        return cls(
            section.weight_replies,
            section.weight_mentions,
            section.weight_participants,
            section.weight_keywords,
            section.weight_joins,
            section.weight_lift,
        )

    def score(
        self, replies: int, mentions: int, participants: int, keywords: int, joins: int, lift: float | None
    ) -> float:
        return (
            self.replies * replies
            + self.mentions * mentions
            + self.participants * participants
            + self.keywords * keywords
            + self.joins * joins
            + self.lift * max(0.0, lift or 0.0)
        )


@dataclass(frozen=True, slots=True)
class Spark:
    """One message's figures."""

    message_id: str  # the platform's
    member_id: int
    community_id: int
    ts: float  # when it was posted, in seconds since 1970 (UTC)
    koc: bool
    replies: int
    mentions: int
    volume: int
    expected: float | None  # None: no baseline for the room
    participants: int
    keywords: int
    joins: int
    score: float

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)

    @property
    def lift(self) -> float | None:
        return None if self.expected is None else self.volume - self.expected


@dataclass(slots=True)
class Sparks:
    """Every measured message's figures, kept by column (cheap for 200,000 messages); a Spark each on demand."""

    ids: list[str] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    rooms: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    koc: list[bool] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    mentions: list[int] = field(default_factory=list)
    volume: list[int] = field(default_factory=list)
    expected: list[float | None] = field(default_factory=list)
    participants: list[int] = field(default_factory=list)
    keywords: list[int] = field(default_factory=list)
    joins: list[int] = field(default_factory=list)
    score: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> Spark:
        return Spark(
            self.ids[i],
            self.members[i],
            self.rooms[i],
            self.times[i],
            self.koc[i],
            self.replies[i],
            self.mentions[i],
            self.volume[i],
            self.expected[i],
            self.participants[i],
            self.keywords[i],
            self.joins[i],
            self.score[i],
        )

    def __iter__(self) -> Iterator[Spark]:
        return (self[i] for i in range(len(self.ids)))


@dataclass(slots=True)
class Igniter:
    """A member's figures over their messages (KOC messages and others are kept apart)."""

    member_id: int
    name: str
    koc: bool
    messages: int = 0
    replies: int = 0
    mentions: int = 0
    volume: int = 0
    expected: float | None = None
    keywords: int = 0
    joins: int = 0
    score: float = 0.0
    best: Spark | None = None
    participants: int = 0  # distinct other members over all their windows

    @property
    def lift(self) -> float | None:
        return None if self.expected is None else self.volume - self.expected

    def measure(self, name: str) -> float:
        return float(getattr(self, name) or 0)


@dataclass(frozen=True, slots=True)
class Aftermath:
    """What followed one moment (a clue drop) in the campaign's rooms, over one window."""

    at: datetime
    volume: int
    expected: float | None
    participants: int
    keywords: int
    joins: int


@dataclass(slots=True)
class Measured:
    """A campaign's ignition over a period, and the log it was read from."""

    sparks: Sparks
    kocs: list[Igniter]  # best first
    members: list[Igniter]
    messages: int  # discussion messages read in the campaign's rooms
    log: Log

    def ranked(self, who: str, measure: str) -> list[Igniter]:
        pool = self.kocs if who == "koc" else self.members if who == "members" else self.kocs + self.members
        if who == "everyone":  # a member with KOC and other messages: their better figure counts
            best: dict[int, Igniter] = {}
            for igniter in pool:
                if igniter.member_id not in best or igniter.measure(measure) > best[igniter.member_id].measure(measure):
                    best[igniter.member_id] = igniter
            pool = list(best.values())
        return sorted(pool, key=lambda i: (-i.measure(measure), -i.score, i.member_id))
