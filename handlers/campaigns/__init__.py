"""Launch campaigns: clue drops with a KOC heads-up, ignition measured from the message log, rewards, reports."""

from __future__ import annotations

from bot.registry import HandlerRegistry
from handlers.campaigns import tables  # noqa: F401 - the models join Base.metadata
from handlers.campaigns.config import CampaignsSection

registry = HandlerRegistry("campaigns", config_section=CampaignsSection)
