"""Did-you-mean by sound: what reading pinyin costs, and what a suggestion costs once it is read.

pypinyin's character dictionary is read once per process, in a worker thread at start-up
(bot/spelling.py). Measured in fresh interpreters: how long that takes, and the event loop's longest
pause meanwhile (a 1 ms ticker; the JSON parse holds the GIL); for comparison, the same with pypinyin's
phrase dictionary too. Then `Router.suggest` for typos of every kind, as an admin (every command is a
candidate): the first call (the commands' pinyin not yet cached) and the median of later ones
(processor time).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bot import spelling
from bot.commands import parse_command
from bot.db.schema import Role
from bot.router import Router
from handlers import REGISTRIES
from tests.support import make_message

TYPOS = ["/帮主", "/帮住", "/感射 @bob", "/反溃 列表", "/排形", "/我得", "/hlep", "/问提 解决 3", "/kco 候选", "/xyzzy"]
REPEATS = 50
TARGET_MS = 5.0
PAUSE_TARGET_MS = 100.0
# In a fresh interpreter: load in a thread while a ticker runs on the loop; print seconds and the longest gap.
_LOAD = """
import asyncio, os, sys, time
from bot import spelling
if sys.argv[1] == "phrases":
    os.environ["PYPINYIN_NO_PHRASES"] = ""
async def main():
    gaps, done = [], asyncio.Event()
    async def tick():
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await spelling.ready()
    took = time.perf_counter() - started
    done.set()
    await ticker
    print(took, max(gaps))
asyncio.run(main())
"""


def _load(kind: str) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", _LOAD, kind], capture_output=True, text=True, check=True)
    took, pause = (float(x) for x in done.stdout.split())
    return took, pause


def _suggest_ms(router: Router, typed: list) -> float:
    started = time.process_time()
    for parsed in typed:
        router.suggest(parsed, Role.ADMIN)
    return (time.process_time() - started) / len(typed) * 1e3


def main() -> None:
    chars = [_load("characters") for _ in range(3)]
    phrases = [_load("phrases") for _ in range(3)]
    spelling.load()
    router = Router(REGISTRIES)
    typed = [parse_command(make_message(text)) for text in TYPOS]
    first = _suggest_ms(router, typed)
    later = statistics.median(_suggest_ms(router, typed) for _ in range(REPEATS))
    names = sum(len(spec.names) for spec in router.commands)
    for label, runs in (("characters only (as the bot)", chars), ("with phrases (not used)", phrases)):
        took, pause = (statistics.median(r[i] for r in runs) * 1e3 for i in (0, 1))
        print(f"pinyin read in a thread, {label}: {took:.0f} ms; the event loop's longest pause {pause:.0f} ms")
    pause = statistics.median(r[1] for r in chars) * 1e3
    print(f"target: the loop's pause under {PAUSE_TARGET_MS:.0f} ms: {'met' if pause < PAUSE_TARGET_MS else 'MISSED'}")
    print(f"suggest among {names} command names: first call {first:.2f} ms per typo, then median {later:.2f} ms")
    print(f"target: a suggestion under {TARGET_MS:.0f} ms once loaded: {'met' if later < TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
