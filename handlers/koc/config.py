"""The [koc] section: the candidate pool's weights, early warning, authenticity, reminders and terms."""

from __future__ import annotations

from pydantic import Field

from bot.config import Section


class KocSection(Section):
    candidate_window_days: int = Field(30, ge=1, description="Days of activity the candidate pool looks at.")
    weight_thanks: float = Field(1.0, ge=0, description="Score per thank-you received (service).")
    weight_feedback: float = Field(3.0, ge=0, description="Score per feedback item reproduced or adopted (expertise).")
    weight_threads: float = Field(2.0, ge=0, description="Score per issue thread they raised that was confirmed.")
    weight_active_weeks: float = Field(0.5, ge=0, description="Score per week with messages, of the last 10.")
    weight_replies: float = Field(0.2, ge=0, description="Score per reply or quote their messages drew (discussion).")
    candidates_shown: int = Field(10, ge=1, le=50, description="Members /koc candidates lists by default.")
    silent_days: int = Field(14, ge=1, description="An active KOC silent this many days is flagged by /koc health.")
    brief_similarity: float = Field(
        0.6,
        gt=0,
        le=1,
        description="Character-bigram similarity (0-1) from which a KOC's group message counts "
        "as copying the month's brief (the owning moderator is told privately).",
    )
    reminder_days: int = Field(
        3,
        ge=0,
        description="Days before a deliverable, payment or agreement end that the owning moderator is reminded.",
    )
    title_term_months: int = Field(6, ge=0, description="Default term of an honorary title (0: no term).")
    review_days: int = Field(14, ge=0, description="Days before a title's term ends that the renewal review is sent.")
