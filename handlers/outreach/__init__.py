"""Outreach: scheduled announcements, moderator-authored templates, welcomes, monthly briefs, digests."""

from __future__ import annotations

from bot.registry import HandlerRegistry
from handlers.outreach import tables  # noqa: F401 - the models join Base.metadata

registry = HandlerRegistry("outreach")
