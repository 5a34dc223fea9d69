"""The scheduler's `feedback_overdue` job: the daily private digest of overdue feedback to the moderators."""

from __future__ import annotations

import logging

from bot.scheduling.jobs import JobRun
from handlers.feedback.views import send_overdue_digest

_LOGGER = logging.getLogger(__name__)


async def overdue_digest(run: JobRun) -> None:
    """Each moderator gets the list of items still unanswered after `feedback.overdue_days` (nothing
    when there are none). A day missed while the bot was down is not sent late: the next day's is."""
    if run.run_time is None:
        return
    sent = await send_overdue_digest(run.context())
    _LOGGER.info("overdue feedback digest: %d moderators", sent)
