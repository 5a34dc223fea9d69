"""/top over 100,000 stored thank-yous on a SQLite file: time per board and the query plans.

The thank-yous spread over 3,000 members, 20 rooms and 12 months, receivers skewed as real
helpers are (a few are thanked a lot), one in ten not counted, 500 revoked. Each board is
asked through `leaderboard`, the function /top itself calls, on a file without ANALYZE.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db import schema
from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from handlers.recognition.rules import Board
from handlers.recognition.stats import leaderboard, leaderboard_query
from handlers.recognition.tables import actions, ledger, revocations, thanks

THANKS = int(os.environ.get("KOCBOT_BENCH_THANKS", "100000"))
MEMBERS, ROOMS, REVOKED, POINTS_ROWS = 3000, 20, 500, 20_000
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
REPEATS = 25
TARGET_MS = 50.0
SEED = 20261201


def _thanks_rows(rnd: random.Random) -> list[dict]:
    rows = []
    for _ in range(THANKS):
        month = rnd.randrange(len(MONTHS))
        rows.append(
            {
                "giver_id": rnd.randrange(MEMBERS) + 1,
                "receiver_id": int(MEMBERS * rnd.random() ** 3) + 1,  # a few members get most of the thanks
                "community_id": rnd.randrange(ROOMS) + 1,
                "month": MONTHS[month],
                "created_at": datetime(2026, month + 1, 1, tzinfo=UTC) + timedelta(minutes=rnd.randrange(40_000)),
                "reason": "谢谢 @某某 帮我解决了问题",
                "via": "message",
                "counted": rnd.random() < 0.9,
                "why_not": None,
                "platform_msg_id": None,
            }
        )
    return rows


def _ledger_rows(rnd: random.Random) -> list[dict]:
    return [
        {
            "member_id": int(MEMBERS * rnd.random() ** 2) + 1,
            "amount": rnd.choice((20, 30, 50)),
            "reason": "bench",
            "source": "manual",
            "community_id": rnd.randrange(ROOMS) + 1,
            "month": rnd.choice(MONTHS),
            "created_at": datetime(2026, 6, 1, tzinfo=UTC),
        }
        for _ in range(POINTS_ROWS)
    ]


async def _fill(engine: AsyncEngine) -> None:
    rnd, now = random.Random(SEED), datetime(2026, 12, 1, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(schema.communities),
            [{"platform_id": f"room{i}@chatroom", "name": f"KOC 群 {i}", "created_at": now} for i in range(ROOMS)],
        )
        await conn.execute(
            insert(schema.members),
            [
                {
                    "platform_id": f"wxid_{i}",
                    "display_name": f"member {i}",
                    "role": "member",
                    "stage": "member",
                    "created_at": now,
                }
                for i in range(MEMBERS)
            ],
        )
        rows = _thanks_rows(rnd)
        await conn.execute(insert(thanks), rows)
        action = (
            await conn.execute(
                insert(actions).values(kind="thanks_revoke", actor_id=1, created_at=now).returning(actions.c.id)
            )
        ).scalar_one()
        revoked = rnd.sample([i + 1 for i, row in enumerate(rows) if row["counted"]], REVOKED)
        await conn.execute(
            insert(revocations), [{"thanks_id": t, "action_id": action, "created_at": now} for t in revoked]
        )
        await conn.execute(insert(ledger), _ledger_rows(rnd))


BOARDS = [
    (board, month, room) for board in (Board.THANKS, Board.POINTS) for month in ("2026-12", None) for room in (7, None)
]


def _label(board: Board, month: str | None, room: int | None) -> str:
    return f"{board.value:6} {'month' if month else 'all':5} {'group' if room else 'brand'}"


async def _time(conn: AsyncConnection, board: Board, month: str | None, room: int | None) -> list[float]:
    caller = MEMBERS // 2  # far down the board: the caller's own place is part of the answer
    await leaderboard(conn, board, month, room, caller, 10)
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        await leaderboard(conn, board, month, room, caller, 10)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def _plan(conn: AsyncConnection, board: Board, month: str | None, room: int | None) -> list[str]:
    query = leaderboard_query(board, month, room, MEMBERS // 2, 10)
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    plan: Sequence[Any] = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all()
    return [row[3] for row in plan]


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'top.db'}")
        try:
            await upgrade(engine)
            started = time.perf_counter()
            await _fill(engine)
            print(
                f"top: {THANKS} thank-yous, {POINTS_ROWS} ledger rows, {MEMBERS} members, {ROOMS} rooms, "
                f"12 months on a SQLite file (filled in {time.perf_counter() - started:.1f} s, no ANALYZE)"
            )
            async with engine.connect() as conn:
                for board, month, room in BOARDS:
                    await _report(conn, board, month, room)
        finally:
            await engine.dispose()


async def _report(conn: AsyncConnection, board: Board, month: str | None, room: int | None) -> None:
    times = await _time(conn, board, month, room)
    worst = max(times)
    print(
        f"top: {_label(board, month, room)}: median {statistics.median(times):.1f} ms, "
        f"worst of {REPEATS} {worst:.1f} ms (target < {TARGET_MS:.0f} ms)"
    )
    if board is Board.THANKS:
        for line in await _plan(conn, board, month, room):
            print(f"       plan: {line}")


if __name__ == "__main__":
    asyncio.run(main())
