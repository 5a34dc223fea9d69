"""Outreach: scheduled announcements, moderator-authored templates, welcomes, monthly briefs, digests."""

from __future__ import annotations

from bot.registry import HandlerRegistry
from bot.db.schema import Role
from handlers.outreach import digest, tables  # noqa: F401 - tables: the models join Base.metadata
from handlers.outreach.config import OutreachSection

registry = HandlerRegistry("outreach", config_section=OutreachSection)

# Registrations, one block per module (announcements, templates, welcome, briefs, digest):

# The moderators' weekly digest (each capability adds its section with `registry.digest_section`).
registry.scheduled_job("moderators_digest", cron="0 9 * * 1", report_missed=False)(digest.weekly_digest)
registry.command("digest", aliases=("周报",), role=Role.MODERATOR)(digest.show_digest)
