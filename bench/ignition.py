"""Ignition over a campaign of 200,000 logged messages in 20 communities, on a SQLite file.

The campaign runs 14 days over 20 rooms; the 28 days before it hold the rooms' usual chatter
(the baseline, 56,000 more messages). Messages follow a day's rhythm (busy evenings, quiet nights),
one in eight quotes an earlier message, one in ten @mentions someone, one in six uses a campaign
keyword; 2,000 members join during the campaign and 40 of the 3,000 members are active KOCs (by the
lifecycle's events). Measured: `measure_campaign`, what /campaign ignition, /campaign report and
the rewards job call, from a cold connection each time, best and median of 5.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.db import schema
from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from handlers.campaigns import ignition, store
from handlers.campaigns.config import CampaignsSection
from handlers.campaigns.tables import campaign_rooms, campaigns
from handlers.koc.tables import koc_events

MESSAGES = int(os.environ.get("KOCBOT_BENCH_CAMPAIGN_MESSAGES", "200000"))
BASELINE = MESSAGES * 28 // 100  # the four weeks before: quieter
ROOMS, MEMBERS, KOCS, JOINS = 20, 3000, 40, 2000
DAYS, BASELINE_DAYS = 14, 28
STARTS = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
REPEATS = 5
TARGET_SECONDS = 2.0
SEED = 20261215
KEYWORDS = ("新品", "X1", "续航")
HOURLY = [1, 1, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 9, 8, 7, 7, 8, 9, 11, 14, 16, 14, 9, 4]  # Shanghai hours


def _moment(rnd: random.Random, start: datetime, days: int) -> datetime:
    day = rnd.randrange(days)
    hour = rnd.choices(range(24), weights=HOURLY)[0]
    local = start + timedelta(days=day, hours=hour - 9, seconds=rnd.randrange(3600))  # start is 09:00 local
    return local


def _messages(rnd: random.Random, count: int, start: datetime, days: int, prefix: str) -> list[dict]:
    rows = []
    for n in range(count):
        member = int(MEMBERS * rnd.random() ** 1.5) + 1  # a few members speak most
        text = "今天的话题" + (rnd.choice(KEYWORDS) if rnd.random() < 1 / 6 else "")
        quote = f"{prefix}-{rnd.randrange(n)}" if n and rnd.random() < 1 / 8 else None
        mentions = [f"wxid_{rnd.randrange(MEMBERS)}"] if rnd.random() < 0.1 else []
        rows.append(
            {
                "platform_msg_id": f"{prefix}-{n}",
                "community_id": rnd.randrange(ROOMS) + 1,
                "member_id": member,
                "kind": "text",
                "text": text,
                "mentions": mentions,
                "quote_msg_id": quote,
                "received_at": _moment(rnd, start, days),
            }
        )
    return sorted(rows, key=lambda row: row["received_at"])  # the log is written as messages arrive


async def _fill(path: Path, starts: datetime = STARTS) -> int:
    """The campaign and its rooms' log, the campaign starting at `starts` (a 09:00 in Shanghai)."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    rnd = random.Random(SEED)
    early = starts - timedelta(days=BASELINE_DAYS)
    async with engine.begin() as conn:
        await conn.execute(
            insert(schema.communities),
            [
                {
                    "platform_id": f"room{i}@chatroom",
                    "name": f"KOC 群 {i}",
                    "timezone": "Asia/Shanghai",
                    "created_at": early,
                }
                for i in range(ROOMS)
            ],
        )
        await conn.execute(
            insert(schema.members),
            [
                {
                    "platform_id": f"wxid_{i}",
                    "display_name": f"member {i}",
                    "role": "member",
                    "stage": "active" if i < KOCS else "member",
                    "created_at": early,
                }
                for i in range(MEMBERS)
            ],
        )
        await conn.execute(
            insert(koc_events),
            [
                {
                    "member_id": i + 1,
                    "at": early,
                    "kind": "promoted",
                    "from_stage": "member",
                    "to_stage": "active",
                    "details": {},
                }
                for i in range(KOCS)
            ],
        )
        await conn.execute(
            insert(schema.memberships),
            [
                {
                    "community_id": rnd.randrange(ROOMS) + 1,
                    "member_id": MEMBERS - i,
                    "join_seen": True,
                    "joined_at": _moment(rnd, starts, DAYS),
                }
                for i in range(JOINS)
            ],
        )
        await conn.execute(insert(schema.messages), _messages(rnd, BASELINE, early, BASELINE_DAYS, "b"))
        await conn.execute(insert(schema.messages), _messages(rnd, MESSAGES, starts, DAYS, "c"))
        campaign_id = (
            await conn.execute(
                insert(campaigns)
                .values(
                    name="X1 预热",
                    launch_on=(starts + timedelta(days=7)).date(),
                    timezone="Asia/Shanghai",
                    starts_at=starts,
                    ends_at=starts + timedelta(days=DAYS),
                    keywords=list(KEYWORDS),
                    talking_points=[],
                    status="open",
                    created_by=1,
                    created_at=starts,
                )
                .returning(campaigns.c.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(campaign_rooms), [{"campaign_id": campaign_id, "community_id": i + 1} for i in range(ROOMS)]
        )
    await engine.dispose()
    return campaign_id


async def _measure(path: Path, campaign_id: int) -> tuple[float, float, ignition.Measured]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as conn:
            campaign = await store.load(conn, campaign_id)
            assert campaign is not None
            section = CampaignsSection()
            started = time.perf_counter()
            log = await ignition.read_log(conn, campaign, section, campaign.ends_at)
            read = time.perf_counter() - started
            measured = ignition.measure(log, ignition.Weights.of(section))
            return read, time.perf_counter() - started, measured
    finally:
        await engine.dispose()


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        started = time.perf_counter()
        campaign_id = await _fill(path)
        print(
            f"ignition: {MESSAGES:,} campaign messages + {BASELINE:,} before it, {ROOMS} rooms, "
            f"{MEMBERS:,} members ({KOCS} KOCs), filled in {time.perf_counter() - started:.1f} s"
        )
        runs = [await _measure(path, campaign_id) for _ in range(REPEATS)]
        reads, totals = [r[0] for r in runs], [r[1] for r in runs]
        measured = runs[-1][2]
        tracemalloc.start()
        await _measure(path, campaign_id)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        best, median = min(totals), statistics.median(totals)
        verdict = "met" if median < TARGET_SECONDS else "NOT met"
        print(
            f"  messages measured {measured.messages:,}, sparks {len(measured.sparks):,}, "
            f"KOCs ranked {len(measured.kocs)}, members ranked {len(measured.members):,}"
        )
        print(
            f"  reading the log: median {statistics.median(reads):.2f} s; reading + measuring: best {best:.2f} s, "
            f"median {median:.2f} s (target < {TARGET_SECONDS:.0f} s: {verdict}); "
            f"Python memory at peak {peak:.0f} MB"
        )


if __name__ == "__main__":
    asyncio.run(main())
