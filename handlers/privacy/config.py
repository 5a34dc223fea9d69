"""The privacy capability's configuration section, `[privacy]`: erasure and retention."""

from __future__ import annotations

from pydantic import Field

from bot.config import CoreSettings, Section


class PrivacySection(Section):
    erase_after_hours: float = Field(
        24.0, ge=0, description="Hours between a confirmed /forgetme and the erasure (/取消删除 stops it meanwhile)."
    )
    notice_in_first_message: bool = Field(
        True,
        description="Add a short line on what the bot keeps (and /privacy) to the first private message to a member.",
    )
    exports_per_day: int = Field(1, ge=1, le=10, description="How many /mydata copies a member may ask for a day.")
    feedback_text_days: int = Field(
        730, ge=0, description="Days after a feedback item is closed before its texts are removed (0: kept)."
    )
    thread_notes_days: int = Field(
        730,
        ge=0,
        description="Days after an issue thread is closed before its notes and answers are removed (0: kept).",
    )
    outreach_days: int = Field(
        365,
        ge=0,
        description="Days the record of outreach (welcomes, finished announcements' texts) is kept (0: kept).",
    )
    audit_days: int = Field(1095, ge=0, description="Days moderators' actions stay in the audit log (0: kept).")
    sessions_days: int = Field(
        30, ge=0, description="Days after a web console sign-in link or session ends before it is deleted (0: kept)."
    )
    legal_years: int = Field(
        3, ge=0, description="Years KOC agreements and promised payments are kept after they end, as the law asks."
    )


def privacy_section(settings: CoreSettings) -> PrivacySection:
    """The `[privacy]` section, typed."""
    return settings.section(PrivacySection)
