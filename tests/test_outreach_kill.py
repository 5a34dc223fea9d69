"""Exactly once per member after crashes: an outreach send to 500 members, the real process killed
with SIGKILL at random moments while it sends and restarted, reaches every member, and repeats at
most the one message that was in flight at each kill.

Each run is a real process (forked from a helper that imported the bot once, as in
tests/test_fanout_kill.py) with the real App on a SQLite file: the send is recorded as
`/outreach send` records it (the send and its heavy request), the heavy work evaluates the segment
and renders every member's text, its delivery writes recipient and outbox rows in one transaction,
and the real sender hands them to a platform (tests.support.FileTransport) that fsyncs each one.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.kills import Launcher, killed_runs, last_per_run, launch, migrate, run_until
from tests.support import FileTransport, received

MEMBERS = [f"m-{n:03d}" for n in range(500)]
KILLS = 6
LATENCY = 0.01
HINT = "回复 TD 退订"


def _settings(data_dir: Path):
    from bot.config import load_settings
    from handlers import config_sections

    overrides = {
        "outbox": {"room_interval_seconds": 0.001, "account_per_minute": 0, "jitter_ratio": 0.5},
        "delivery": {"quiet_hours": "", "daily_private_limit": 0, "weekly_private_limit": 0},
        "heavy": {"processes": 0, "resume_attempts": 10},
        "outreach": {"confirm_over": 1000},
    }
    return load_settings(environ={}, data_dir=data_dir, overrides=overrides, capability_sections=config_sections())


async def _seed(app) -> None:
    """Once: 500 members in a room, a template, a segment, and the send with its heavy request."""
    from sqlalchemy import insert, select

    from bot.db import schema
    from bot.heavy import requests
    from bot.uow import UnitOfWork
    from handlers.outreach.tables import custom_templates, outreach_sends, segments

    now = app.clock.now()
    async with UnitOfWork(app.database, app.clock) as uow:
        conn = uow.conn
        if (await conn.execute(select(outreach_sends.c.id))).first() is not None:
            return
        people = [{"platform_id": p, "display_name": p, "created_at": now} for p in ["mod", *MEMBERS]]
        await conn.execute(insert(schema.members), people)
        room = (
            await conn.execute(
                insert(schema.communities)
                .values(platform_id="r@chatroom", name="r", created_at=now)
                .returning(schema.communities.c.id)
            )
        ).scalar_one()
        ids = dict((await conn.execute(select(schema.members.c.platform_id, schema.members.c.id))).all())
        await conn.execute(
            insert(schema.memberships), [{"community_id": room, "member_id": ids[m], "joined_at": now} for m in MEMBERS]
        )
        who = {"created_at": now, "created_by": ids["mod"], "updated_at": now, "updated_by": ids["mod"]}
        await conn.execute(insert(custom_templates).values(name="hi", source="{{ member.name }}，你好", **who))
        await conn.execute(insert(segments).values(name="all", expression="群=r", **who))
        values = {
            "segment": "all",
            "template": "hi",
            "status": "scheduled",
            "created_at": now,
            "created_by": ids["mod"],
        }
        send = (await conn.execute(insert(outreach_sends).values(**values).returning(outreach_sends.c.id))).scalar_one()
        await requests.record(
            conn,
            "outreach send",
            {"send": send},
            account=app.services.settings.bot.account,
            actor_id=ids["mod"],
            community_id=None,
            message_id=None,
            now=now,
        )
        await uow.commit()


async def _done(app) -> bool:
    from sqlalchemy import select

    from handlers.outreach.tables import outreach_sends

    async with app.engine.connect() as conn:
        return (await conn.execute(select(outreach_sends.c.status))).scalar_one() == "done"


async def _child(data_dir: Path, out: Path, generation: str) -> None:
    from bot.bootstrap import open_app
    from handlers import REGISTRIES

    app = await open_app(_settings(data_dir), transport=FileTransport(out, generation, LATENCY), registries=REGISTRIES)
    await _seed(app)
    await run_until(app, _done)


@pytest.mark.e2e
def test_an_outreach_send_killed_while_sending_reaches_every_member_once(tmp_path: Path) -> None:
    seed = random.randrange(1 << 32)
    rng, context = random.Random(seed), f"(random seed {seed})"
    data_dir, out = tmp_path / "data", tmp_path / "received.jsonl"
    migrate(_settings(data_dir))
    launcher = Launcher("tests.test_outreach_kill", str(data_dir), str(out))
    kills = killed_runs(launcher, out, KILLS, rng, while_sending=True)
    got = [m for m in received(out) if m["to"] != "mod"]  # the moderator is told it is queued
    counts = Counter(m["to"] for m in got)
    assert set(counts) == set(MEMBERS), f"never reached: {sorted(set(MEMBERS) - set(counts))[:5]} {context}"
    assert all(m["text"] == f"{m['to']}，你好\n{HINT}" for m in got), context
    repeats = Counter({member: n - 1 for member, n in counts.items() if n > 1})
    in_flight = Counter(last_per_run(got)[:-1])
    assert sum(repeats.values()) <= kills, context
    assert not repeats - in_flight, f"repeated without being in flight: {dict(repeats)} {context}"
    print(f"{len(got)} messages for {len(MEMBERS)} members, {kills} kills, {sum(repeats.values())} repeated {context}")


if __name__ == "__main__":
    launch(lambda generation: _child(Path(sys.argv[1]), Path(sys.argv[2]), generation))
