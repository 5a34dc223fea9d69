"""A thank-you said to the bot in private: a word back, and where thanks to members are recorded."""

from __future__ import annotations

import logging

from bot.context import Context
from bot.events import IncomingMessage
from handlers.recognition.config import RecognitionSection
from handlers.recognition.reading import Sense, Sentence, read, says_thanks

_LOGGER = logging.getLogger(__name__)
_THANKING = (Sense.PERSONAL, Sense.EVERYONE)
_TO_THE_BRAND = "the brand"  # reading's reason for thanks to the brand or the bot: in private, that is us


def match_private_thanks(message: IncomingMessage, section: RecognitionSection) -> bool | None:
    """True for a private message that thanks (the bot, the brand, someone): not a request that
    thanks in advance (`请问…？谢谢`), which wants an answer instead."""
    phrases = tuple(section.thanks_phrases)
    if not says_thanks(message.text, phrases):
        return None
    sentences = read(message.text, phrases, tuple(section.brand_words), ())
    return True if any(_thanks_now(s) for s in sentences) else None


def _thanks_now(sentence: Sentence) -> bool:
    return sentence.sense in _THANKING or (sentence.sense is Sense.UNDONE and sentence.why == (_TO_THE_BRAND,))


async def on_private_thanks(ctx: Context, match: bool) -> None:
    """Once a day: 不客气, and that thanks to a member count when said in the group."""
    day = ctx.today.isoformat()
    _LOGGER.debug("member %s thanked the bot privately", ctx.actor.id)
    await ctx.dm(ctx.actor, "recognition/private_thanks", dedupe_key=f"recognition:private-thanks:{ctx.actor.id}:{day}")
