"""Outreach: scheduled announcements, moderator-authored templates, welcomes, monthly briefs, digests."""

from __future__ import annotations

from bot.registry import HandlerRegistry
from handlers.outreach import tables  # noqa: F401 - the models join Base.metadata
from handlers.outreach.config import OutreachSection

registry = HandlerRegistry("outreach", config_section=OutreachSection)

# Registrations, one block per module (announcements, templates, welcome, briefs, digest):
