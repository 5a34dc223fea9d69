"""The listening matchers on the labelled set: precision and recall per class, and time per message.

The matcher runs on every group message nothing else took, on the event loop: it must stay under
0.2 ms a message. Processor time, so that other work on the machine does not count; jieba's dictionary
is loaded first, as the bot loads it in the background when it starts.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping

from handlers.listening.matching import Kind, classify
from tests.test_listening_set import dictionary, load, score

REPEATS = 20
TARGET_MS = 0.2
LONG = "耳机用了两周右耳就没声音了，客服也一直没回复，" * 40 + "真的很失望"


def _per_message_ms(texts: list[str], words: Mapping[str, int]) -> float:
    started = time.process_time()
    for _ in range(REPEATS):
        for text in texts:
            classify(text, words)
    return (time.process_time() - started) / (REPEATS * len(texts)) * 1e3


def main() -> None:
    words, rows = dictionary(), load()
    for kind in (Kind.COMPLAINT, Kind.QUESTION):
        result = score(rows, kind, words)
        print(
            f"listening {kind.value}s: precision {result.precision:.2f}, recall {result.recall:.2f} ({len(rows)} labelled messages)"
        )
    texts = [row["text"] for row in rows]
    median = statistics.median(_per_message_ms(texts, words) for _ in range(5))
    print(
        f"listening matcher: median {median:.3f} ms per message; a {len(LONG)}-character message {_per_message_ms([LONG], words):.2f} ms"
    )
    print(f"target: under {TARGET_MS} ms per message: {'met' if median < TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
