"""Exactly once per member and step after crashes: 200 members' journey steps falling due at once, the
real process killed with SIGKILL at random moments while it writes and sends them, and restarted:
every member gets the step, and only a message in flight at a kill can repeat.

As tests/test_outreach_kill.py (whose helper process and platform this follows): each run is a real
process forked from a helper that imported the bot once, with the real App on a SQLite file, its due
loop taking each step in a transaction of its own and its sender handing the messages to a platform
(tests.support.FileTransport) that fsyncs each one.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.kills import Launcher, killed_runs, last_per_run, launch, migrate, run_until
from tests.support import FileTransport, received

MEMBERS = [f"j-{n:03d}" for n in range(200)]
KILLS = 3
LATENCY = 0.01
JOURNEY = {
    "trigger": "joined",
    "enabled": True,
    "steps": [
        {"after": "0d", "template": "journeys/newcomer_feedback"},
        {"after": "30d", "template": "journeys/newcomer_thanks"},
    ],
}


def _settings(data_dir: Path):
    from bot.config import load_settings
    from handlers import config_sections

    overrides = {
        "outbox": {"room_interval_seconds": 0.001, "account_per_minute": 0, "jitter_ratio": 0.5},
        "delivery": {"quiet_hours": "", "daily_private_limit": 0, "weekly_private_limit": 0},
        "heavy": {"processes": 0},
        "privacy": {"notice_in_first_message": False},
        "journeys": {"kt": JOURNEY},
    }
    return load_settings(environ={}, data_dir=data_dir, overrides=overrides, capability_sections=config_sections())


async def _seed(app) -> None:
    """Once: the members in a room, each in a run of the journey whose first step is due now."""
    from sqlalchemy import insert, select

    from bot.db import schema
    from bot.uow import UnitOfWork
    from handlers.journeys.tables import journey_runs

    now = app.clock.now()
    async with UnitOfWork(app.database, app.clock) as uow:
        conn = uow.conn
        if (await conn.execute(select(journey_runs.c.id))).first() is not None:
            return
        await conn.execute(
            insert(schema.members), [{"platform_id": p, "display_name": p, "created_at": now} for p in MEMBERS]
        )
        room = (
            await conn.execute(
                insert(schema.communities)
                .values(platform_id="r@chatroom", name="r", created_at=now)
                .returning(schema.communities.c.id)
            )
        ).scalar_one()
        ids = dict((await conn.execute(select(schema.members.c.platform_id, schema.members.c.id))).all())
        await conn.execute(
            insert(schema.memberships),
            [{"community_id": room, "member_id": ids[m], "joined_at": now, "join_seen": True} for m in MEMBERS],
        )
        runs = [
            {
                "journey": "kt",
                "member_id": ids[m],
                "status": "active",
                "active_key": f"kt:{ids[m]}",
                "trigger": "joined",
                "entered_at": now,
                "next_step": 0,
                "next_due_at": now,
            }
            for m in MEMBERS
        ]
        await conn.execute(insert(journey_runs), runs)
        await uow.commit()


async def _done(app) -> bool:
    from sqlalchemy import func, select

    from handlers.journeys.tables import journey_runs

    async with app.engine.connect() as conn:
        waiting = select(func.count()).where(journey_runs.c.next_step == 0)
        return (await conn.execute(waiting)).scalar_one() == 0


async def _child(data_dir: Path, out: Path, generation: str) -> None:
    from bot.bootstrap import open_app
    from handlers import REGISTRIES

    app = await open_app(_settings(data_dir), transport=FileTransport(out, generation, LATENCY), registries=REGISTRIES)
    await _seed(app)
    await run_until(app, _done)


@pytest.mark.e2e
def test_journey_steps_killed_while_sending_reach_every_member_once(tmp_path: Path) -> None:
    seed = random.randrange(1 << 32)
    rng, context = random.Random(seed), f"(random seed {seed})"
    data_dir, out = tmp_path / "data", tmp_path / "received.jsonl"
    migrate(_settings(data_dir))
    launcher = Launcher("tests.test_journeys_kill", str(data_dir), str(out))
    kills = killed_runs(launcher, out, KILLS, rng, while_sending=True)
    got = received(out)
    counts = Counter(m["to"] for m in got)
    assert set(counts) == set(MEMBERS), f"never reached: {sorted(set(MEMBERS) - set(counts))[:5]} {context}"
    assert all(m["text"].startswith(f"{m['to']}，你好！入群几天了") for m in got), context
    assert all(m["text"].endswith("\n回复 TD 退订") for m in got), context
    repeats = Counter({member: n - 1 for member, n in counts.items() if n > 1})
    in_flight = Counter(last_per_run(got)[:-1])
    assert sum(repeats.values()) <= kills, context
    assert not repeats - in_flight, f"repeated without being in flight: {dict(repeats)} {context}"
    print(f"{len(got)} messages for {len(MEMBERS)} members, {kills} kills, {sum(repeats.values())} repeated {context}")


if __name__ == "__main__":
    launch(lambda generation: _child(Path(sys.argv[1]), Path(sys.argv[2]), generation))
