"""Recognition: thank-yous between members, points and titles, leaderboards and the monthly honour roll."""

from __future__ import annotations

from bot.registry import HandlerRegistry, Where
from handlers.recognition import tables, thanks  # noqa: F401 - tables: the models join Base.metadata
from handlers.recognition.config import RecognitionSection

registry = HandlerRegistry("recognition", config_section=RecognitionSection)

registry.matcher("thanks", thanks.match_thanks)(thanks.on_thanks)
registry.command("thanks", aliases=("感谢",), where=Where.ROOM)(thanks.give_thanks)
