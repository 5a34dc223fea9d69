"""The thanks matcher on every message of the labelled set: time per message, and per long message.

The matcher runs on every group message that is not a command, on the event loop: it must stay
cheap. Processor time, so that other work on the machine does not count. The set
(tests/labelled/thanks.jsonl) is read through the test factory, as the precision test reads it;
a 1,444-character post holding 81 thanks phrases stands for a long one.
"""

from __future__ import annotations

import statistics
import time

from handlers.recognition.config import RecognitionSection
from handlers.recognition.thanks import match_thanks
from tests.support import make_message
from tests.test_recognition_thanks_set import load

REPEATS = 20
TARGET_US = 100.0
CHATTER = [
    "@bob 今晚直播几点",
    "这个 bug 修了吗 @小美",
    "哈哈哈笑死",
    "@carol\u2005好的我晚点试试",
    "type-c 接口支持吗",
]


def _per_message_us(messages: list, section: RecognitionSection) -> float:
    started = time.process_time()
    for _ in range(REPEATS):
        for message in messages:
            match_thanks(message, section)
    return (time.process_time() - started) / (REPEATS * len(messages)) * 1e6


def main() -> None:
    section = RecognitionSection()
    messages = [make_message(row["text"], row.get("sender", "alice")) for row in load()]
    long = [make_message("谢谢 @bob 帮我看了固件的问题，" * 80 + "辛苦了！")]
    runs = [_per_message_us(messages, section) for _ in range(5)]
    chatter_us = _per_message_us([make_message(text) for text in CHATTER], section)
    long_us = _per_message_us(long, section)
    print(f"thanks matcher: {len(messages)} labelled messages, median {statistics.median(runs):.1f} µs per message")
    print(f"thanks matcher: chatter without a thanks phrase, {chatter_us:.1f} µs per message")
    print(f"thanks matcher: a {len(long[0].text)}-character message, {long_us:.0f} µs")
    print(f"target: under {TARGET_US:.0f} µs per message: {'met' if statistics.median(runs) < TARGET_US else 'MISSED'}")


if __name__ == "__main__":
    main()
