"""The listening matchers: precision and recall per class on the held-out sets and the labelled set, and
the time per message.

The figures to expect on new groups are the held-out sets' (bench/listening_sets/heldout: 342 messages
in five domains and styles, never trained or tuned on). The labelled set of the tests is part of the
model's training, so its figures say only that the model learnt it.

The matcher runs on every group message nothing else took, on the event loop: it must stay under
0.2 ms a message. Processor time, so that other work on the machine does not count; jieba's dictionary
is loaded first, as the bot loads it in the background when it starts.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from pathlib import Path

from handlers.listening.matching import Kind, classify
from tests.test_listening_set import dictionary, load, load_file, score

HELD_OUT = Path(__file__).resolve().parent / "listening_sets" / "heldout"
REPEATS = 20
TARGET_MS = 0.2
LONG = "耳机用了两周右耳就没声音了，客服也一直没回复，" * 40 + "真的很失望"


def _per_message_ms(texts: list[str], words: Mapping[str, int]) -> float:
    started = time.process_time()
    for _ in range(REPEATS):
        for text in texts:
            classify(text, words)
    return (time.process_time() - started) / (REPEATS * len(texts)) * 1e3


def _line(name: str, rows: list[dict], words: Mapping[str, int]) -> str:
    c, q = (score(rows, kind, words) for kind in (Kind.COMPLAINT, Kind.QUESTION))
    return (
        f"  {name:<22} {len(rows):>4} messages: complaints P {c.precision:.2f} R {c.recall:.2f},"
        f" questions P {q.precision:.2f} R {q.recall:.2f}"
    )


def main() -> None:
    words, rows = dictionary(), load()
    held_out = {path.stem: load_file(path) for path in sorted(HELD_OUT.glob("*.jsonl"))}
    print("listening, held-out sets (the figures to expect):")
    for name, batch in held_out.items():
        print(_line(name, batch, words))
    print(_line("all held-out", [row for batch in held_out.values() for row in batch], words))
    print("listening, the tests' labelled set (learnt by the model):")
    print(_line("labelled", rows, words))
    texts = [row["text"] for row in rows]
    median = statistics.median(_per_message_ms(texts, words) for _ in range(5))
    print(
        f"listening matcher: median {median:.3f} ms per message; a {len(LONG)}-character message {_per_message_ms([LONG], words):.2f} ms"
    )
    print(f"target: under {TARGET_MS} ms per message: {'met' if median < TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
