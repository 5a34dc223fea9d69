"""The [reports] section: where the monthly community report goes and how much it lists."""

from __future__ import annotations

from pydantic import Field

from bot.config import Section


class ReportsSection(Section):
    room: str | None = Field(
        None,
        description="The moderators' room (its platform id) that gets the monthly report on the 1st; "
        "unset: each moderator and admin gets it privately.",
    )
    top_helpers: int = Field(
        5, ge=1, le=20, description="Members the monthly report lists as its top helpers (most thank-yous received)."
    )
