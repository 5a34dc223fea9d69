"""Chinese word segmentation with jieba, its dictionary read once per process in a worker thread.

jieba builds its prefix dictionary from the `dict.txt` it ships (about 1-3 s of CPU). Its own
`initialize()` would also write a cache file into the system's temporary folder; we build the
dictionary ourselves instead, so nothing is written anywhere and nothing is downloaded. The version
is pinned in pyproject.toml: `gen_pfdict`, `FREQ` and `total` are the attributes `initialize()` sets.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping
from importlib import resources
from typing import Any

from handlers.feedback.wording import Segment

_LOGGER = logging.getLogger(__name__)
_LOCK = threading.Lock()
_segment: Segment | None = None  # the loaded tokenizer's lcut
_words: Mapping[str, int] | None = None  # its dictionary: word -> frequency (0: only a prefix)


def load() -> Segment:
    """The segmenter, read now if this process has not yet (blocking: call it from a worker thread)."""
    global _segment, _words
    with _LOCK:
        if _segment is None:
            started = time.perf_counter()
            tokenizer = _read_dictionary()
            _segment, _words = tokenizer.lcut, tokenizer.FREQ
            _LOGGER.info("word segmentation ready in %.1f s", time.perf_counter() - started)
    return _segment


def words() -> Mapping[str, int]:
    """jieba's dictionary, read now if this process has not yet (blocking, like `load`)."""
    load()
    assert _words is not None
    return _words


def loaded_words() -> Mapping[str, int] | None:
    """jieba's dictionary if it is loaded, else None (never blocks: for matchers on the event loop)."""
    return _words


def _read_dictionary() -> Any:
    import jieba

    tokenizer = jieba.Tokenizer()
    with (resources.files("jieba") / "dict.txt").open("rb") as dictionary:
        tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(dictionary)
    tokenizer.initialized = True
    return tokenizer


async def segmenter() -> Segment:
    """The segmenter, read in a worker thread the first time so the chat is not held up."""
    return _segment if _segment is not None else await asyncio.to_thread(load)
