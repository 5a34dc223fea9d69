"""`kocbot privacy audit`: what personal data each table holds and the rule that covers it, from the map."""

from __future__ import annotations

from typing import Any

from bot.db.schema import Base
from handlers.privacy.inventory import Keep, audit_lines

_DAYS = {
    Keep.FEEDBACK: "feedback_text_days",
    Keep.THREADS: "thread_notes_days",
    Keep.OUTREACH: "outreach_days",
    Keep.AUDIT: "audit_days",
    Keep.SESSIONS: "sessions_days",
}


def _days(value: int, key: str) -> str:
    return f"{value} days ({key})" if value else f"kept ({key} = 0)"


def retention(settings: Any) -> dict[Keep, str]:
    """Each rule in words, with the configured number of days."""
    section = settings.privacy
    said = {keep: _days(getattr(section, name), keep.value) for keep, name in _DAYS.items()}
    said[Keep.MESSAGES] = _days(settings.database.message_retention_days, Keep.MESSAGES.value)
    said[Keep.LEGAL] = f"{section.legal_years} years after the end (privacy.legal_years); named in the erasure receipt"
    return said


def audit_report(settings: Any) -> str:
    import handlers  # noqa: F401 - every capability's tables join the metadata

    return "\n".join(audit_lines(Base.metadata, retention(settings))) + "\n"
