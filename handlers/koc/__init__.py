"""The KOC lifecycle: who is a KOC, the candidate pool, expectations and promises, exit with honour."""

from __future__ import annotations

from bot.registry import HandlerRegistry
from handlers.koc import tables  # noqa: F401 - the models join Base.metadata
from handlers.koc.config import KocSection

registry = HandlerRegistry("koc", config_section=KocSection)

# Registrations, one block per module:
