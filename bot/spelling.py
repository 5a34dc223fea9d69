"""Did-you-mean: the closest name by its characters or by its sound (pinyin), for typos in either script.

Chinese typos are mostly the wrong character with the same sound (`/帮主` for `/帮助`, `/反溃` for
`/反馈`): compared character by character they share too little, compared by pinyin they match.
pypinyin ships its dictionaries inside the package (nothing is downloaded). Only its dictionary of
single characters is read (`PYPINYIN_NO_PHRASES`): a typo is compared character by character, and the
phrase dictionary (2.5 MB of JSON, parsed in one call that holds the GIL for about 300 ms even in a
thread) would pause the event loop. The character dictionary is read once, in a worker thread
(`ready()`, called at start-up in the background and awaited before a suggestion); `bench/suggest.py`
measures the loop's longest pause meanwhile.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import logging
import os
import threading
from collections.abc import Callable, Iterable

_LOGGER = logging.getLogger(__name__)
CUTOFF = 0.6  # difflib's own default: below it, a suggestion is more often wrong than right

_Sound = Callable[[str], list[str]]
_sound: _Sound | None = None
_loading = threading.Lock()


def load() -> None:
    """Read pypinyin's dictionaries (blocking: call it in a thread)."""
    global _sound
    with _loading:
        if _sound is not None:
            return
        # Read by pypinyin when it is imported: the character dictionary only, used as it is (no copy).
        os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
        os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
        from pypinyin import Style, lazy_pinyin

        def sound(text: str) -> list[str]:
            return list(lazy_pinyin(text, style=Style.NORMAL, errors="default"))

        _sound = sound
        _LOGGER.info("pinyin loaded for did-you-mean suggestions")


async def ready() -> None:
    """pypinyin loaded, in a worker thread the first time; the event loop never waits on the import."""
    if _sound is None:
        await asyncio.to_thread(load)


def pinyin_of(text: str) -> str:
    """`反馈 列表` -> `fankui liebiao`: syllables joined within a word, words kept apart; other
    scripts as they are (lower case). Without pinyin loaded (yet), the text itself."""
    return text.lower() if _sound is None else _pinyin(text)


@functools.lru_cache(maxsize=4096)  # command names come back on every suggestion
def _pinyin(text: str) -> str:
    assert _sound is not None
    return " ".join("".join(_sound(word)).lower() for word in text.split())


def _chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def _score(typed: str, name: str) -> float:
    by_characters = difflib.SequenceMatcher(None, typed, name.lower()).ratio()
    if not (_chinese(typed) and _chinese(name)):
        return by_characters  # a Chinese typo of an English name (or the reverse) is no typo
    return max(by_characters, difflib.SequenceMatcher(None, pinyin_of(typed), pinyin_of(name)).ratio())


def closest(typed: str, names: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The name most like `typed` (by characters or by pinyin), if alike enough; ties go to the
    earlier name."""
    typed = typed.lower()
    best, best_score = None, 0.0
    for name in names:
        score = _score(typed, name)
        if score >= cutoff and score > best_score:
            best, best_score = name, score
    return best
