"""Structured feedback: guided and one-shot submissions, the moderators' lifecycle, rewards and credits."""

from __future__ import annotations

from handlers.feedback import tables  # noqa: F401 - the models join Base.metadata
from bot.registry import HandlerRegistry

registry = HandlerRegistry("feedback")
