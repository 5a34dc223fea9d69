"""Commits made in this process, counted: every engine's (the scheduler's job store has its own).

A driven app (tests, the playground) asks its due sources when their work next falls due at every
round of draining. When nothing was committed since it last asked, their answers are the same, and
it need not ask again (bot.app). A connection with the DUE_NEUTRAL execution option does not count:
the outbox sender's, whose writes (the outbox rows it claims and marks sent) no due source reads.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

DUE_NEUTRAL = "kocbot_due_neutral"
_counter = itertools.count(1)  # next() is atomic: commits in the job store's thread count too
_last = 0


def commits() -> int:
    """A number that changes whenever a counted commit was made in this process."""
    return _last


@event.listens_for(Engine, "commit")
def _on_commit(conn: Any) -> None:
    global _last
    if not conn.get_execution_options().get(DUE_NEUTRAL):
        _last = next(_counter)
