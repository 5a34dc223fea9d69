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
from importlib import resources
from typing import Any

from handlers.feedback.wording import Segment

_LOGGER = logging.getLogger(__name__)
_LOCK = threading.Lock()
_tokenizer: Any = None


def load() -> Segment:
    """The segmenter, read now if this process has not yet (blocking: call it from a worker thread)."""
    global _tokenizer
    with _LOCK:
        if _tokenizer is None:
            started = time.perf_counter()
            import jieba

            tokenizer = jieba.Tokenizer()
            with (resources.files("jieba") / "dict.txt").open("rb") as dictionary:
                tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(dictionary)
            tokenizer.initialized = True
            _tokenizer = tokenizer
            _LOGGER.info("word segmentation ready in %.1f s", time.perf_counter() - started)
    return _tokenizer.lcut


async def segmenter() -> Segment:
    """The segmenter, read in a worker thread the first time so the chat is not held up."""
    ready = _tokenizer
    return ready.lcut if ready is not None else await asyncio.to_thread(load)
