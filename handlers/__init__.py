"""The capabilities: each module declares one HandlerRegistry; the app is built from this list."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from bot.registry import HandlerRegistry
from handlers import (
    campaigns,
    core,
    feedback,
    journeys,
    koc,
    listening,
    outreach,
    privacy,
    recognition,
    reports,
    threads,
    web,
)

REGISTRIES: tuple[HandlerRegistry, ...] = (
    core.registry,
    recognition.registry,
    feedback.registry,
    threads.registry,
    outreach.registry,
    koc.registry,
    campaigns.registry,
    journeys.registry,
    reports.registry,
    listening.registry,
    privacy.registry,
    web.registry,
)


def config_sections(registries: Sequence[HandlerRegistry] = REGISTRIES) -> dict[str, type[BaseModel]]:
    """Each capability's own config section, by its capability name."""
    return {r.capability: r.config_section for r in registries if r.config_section is not None}
