"""The feedback capability's configuration section, `[feedback]`."""

from __future__ import annotations

from pydantic import Field, model_validator

from bot.config import Section

DEFAULT_DEPARTMENTS = ["产品", "研发", "测试", "客服"]


class FeedbackSection(Section):
    response_days: int = Field(
        3,
        ge=1,
        description="Working days in which moderators usually answer new feedback; the confirmation "
        "tells the member so.",
    )
    confirmation_note: str = Field(
        "",
        description="Extra text for the submission confirmation, e.g. where release notes are published (empty: none).",
    )
    wizard_timeout_hours: float = Field(
        24.0,
        gt=0,
        description="An unfinished guided submission closes this many hours after its last answer.",
    )
    wizard_reminder_hours: float = Field(
        2.0,
        ge=0,
        description="Hours before it closes that the member is reminded (0: no reminder).",
    )
    overdue_days: int = Field(
        3,
        ge=1,
        description="Items still `submitted` after this many days appear in /fb overdue and the digest.",
    )
    duplicate_threshold: int = Field(
        32,
        ge=1,
        le=100,
        description="Similarity score (0-100, the one /fb show gives moderators) from which an open item "
        "is shown as a possible duplicate.",
    )
    duplicates_shown: int = Field(3, ge=0, le=10, description="Possible duplicates listed at most (0: none).")
    reproduced_points: int = Field(20, ge=0, description="Points for each reporter of a bug once reproduced.")
    adopted_points: int = Field(50, ge=0, description="Points for each reporter of an adopted suggestion.")
    adopted_title: str = Field(
        "荣誉产品顾问",
        description="Title for each reporter of an adopted suggestion (empty: none).",
    )
    departments: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DEPARTMENTS),
        min_length=1,
        description="The departments /fb assign accepts.",
    )
    list_size: int = Field(20, ge=1, le=100, description="Items shown by /fb list and /fb overdue.")

    @model_validator(mode="after")
    def _reminder_before_the_timeout(self) -> FeedbackSection:
        if self.wizard_reminder_hours >= self.wizard_timeout_hours:
            raise ValueError("wizard_reminder_hours must be less than wizard_timeout_hours")
        return self
