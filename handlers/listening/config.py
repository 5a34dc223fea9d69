"""The listening capability's configuration section, `[listening]`."""

from __future__ import annotations

from pydantic import Field

from bot.config import Section


class ListeningSection(Section):
    enabled: bool = Field(
        True, description="Notice complaints and unanswered questions in the groups (false: the matchers stay silent)."
    )
    owners: dict[str, str] = Field(
        default_factory=dict,
        description="Each room's owning moderator: room id -> the moderator's WeChat id. A room without one: "
        "every moderator and admin gets the notes.",
    )
    group_minutes: float = Field(
        60.0, gt=0, description="Complaints about one thing in one room within this many minutes share one note."
    )
    thank_within_minutes: float = Field(
        30.0,
        gt=0,
        description="Minutes after a complaint before the bot thanks the member in the room, if no moderator "
        "acted by then (only with `acknowledge`).",
    )
    acknowledge: bool = Field(
        False, description="Post the short public acknowledgement of a complaint nobody acted on (off by default)."
    )
    question_minutes: float = Field(
        20.0,
        gt=0,
        description="Minutes a question may stay unanswered before a private nudge (quiet hours move it to their end).",
    )
    escalate_minutes: float = Field(
        60.0,
        gt=0,
        description="Minutes after the nudge before one more, to the owning moderator (else all staff), if still "
        "unanswered.",
    )
    reply_window_minutes: float = Field(
        10.0,
        gt=0,
        description="A reply by someone else within this many minutes of a question answers it (see the README's "
        "answering rule).",
    )
    answer_min_chars: int = Field(
        4, ge=1, description="The shortest reply (in characters, mentions left out) that can count as an answer."
    )
    nudge_kocs: int = Field(3, ge=0, le=20, description="Active KOCs nudged about one question at most.")
