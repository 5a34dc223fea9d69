"""`from N` in /issue open and /issue link: a thread raised from a message another capability numbered.

Threads knows nothing of where the numbers come from (listening's complaint notes). It emits `WANTED`
with the number; a listener that knows it fills in the room, the member who raised it and their
words, in the command's transaction. Once the thread is opened or linked, `USED` tells the listener
which thread it became.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.context import Context
from bot.errors import UserFacingError
from bot.hooks import HookPoint
from bot.members import CommunityRef, MemberRef

_FROM = re.compile(r"^(?:from|来自|从)\s*#?(\d+)\s*(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(slots=True)
class Source:
    """The message `from N` names; a listener fills in everything after `number`."""

    number: int
    community: CommunityRef | None = None
    reporter: MemberRef | None = None
    text: str = ""
    thread_id: int | None = None  # set before USED


WANTED: HookPoint[Source] = HookPoint("threads.source_wanted")
USED: HookPoint[Source] = HookPoint("threads.source_used")


def split_from(text: str) -> tuple[int, str] | None:
    """`from 5 title` -> (5, "title"); None when the text does not start with `from N`."""
    found = _FROM.match(text.strip())
    return (int(found.group(1)), found.group(2).strip()) if found else None


async def find_source(ctx: Context, number: int) -> Source:
    source = Source(number)
    await ctx.emit(WANTED, source)
    if source.community is None or source.reporter is None:
        raise UserFacingError("threads/no_source", number=number)
    return source
