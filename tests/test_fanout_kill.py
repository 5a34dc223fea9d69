"""Exactly once per room after crashes: a fan-out to 200 rooms, the real process killed with
SIGKILL 10 times at random points and restarted, delivers to every room, and repeats at most the
one message that was in flight at each kill.

Each run is a real process with the real bot: the real App on a SQLite file, a moderator's
announcement to 200 rooms posted by the scheduler's real job (so kills land in the job's run as
well as in the sending), the real pacer and sender, and a platform (tests.support.FileTransport) that appends every message it receives to a
file and fsyncs it before answering. The processes are forked from a helper that has imported the
bot once (tests/kills.py), so a dozen starts take seconds, not minutes;
each is killed with SIGKILL as it would be in production.
"""

from __future__ import annotations

import itertools
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.kills import Launcher, killed_runs, last_per_run, launch, migrate, run_until
from tests.support import FileTransport, received

ROOMS = [f"room-{n:03d}@chatroom" for n in range(200)]
TEXT = "【公告】新品体验活动明天上午 10 点开始报名，名额有限，先到先得！"
KILLS = 10
LATENCY = 0.02  # the platform's round trip per message: the fan-out takes seconds of sending
SINGLE, MIXED = "single", "mixed"
TALK_ROOMS = [f"talk-{n}@chatroom" for n in range(5)]  # where members talk to the bot while it fans out
REPLIES_PER_ROOM = 8
MEMBERS = [f"member-{n:02d}" for n in range(40)]  # each is owed a transactional notice
MIXED_KILLS = 8


async def fan_out(app, extra: list | None = None) -> None:
    """A moderator's announcement to every room, due now, as `/announce at` writes it: the
    announcement and its job in the scheduler's job store, in one transaction (the first run
    only). The scheduler then posts it through the real job, one dedupe key per (announcement,
    run, room), so a restart that finds the run recorded, or half-done, adds nothing twice."""
    from sqlalchemy import select

    from bot.db import schema
    from bot.db.dialect import insert_for
    from bot.scheduling.scheduler import schedule_job
    from bot.scheduling.triggers import once_trigger
    from bot.uow import UnitOfWork
    from handlers.outreach.announce import fire, job_id
    from handlers.outreach.tables import announcements

    now = app.clock.now()
    async with UnitOfWork(app.database, app.clock) as uow:
        if (await uow.conn.execute(select(announcements.c.id))).first() is None:
            await uow.conn.execute(
                insert_for(uow.conn, schema.members)
                .values(
                    platform_id="mod",
                    display_name="mod",
                    role="moderator",
                    stage="member",
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["platform_id"])
            )
            mod = (
                await uow.conn.execute(select(schema.members.c.id).where(schema.members.c.platform_id == "mod"))
            ).scalar_one()
            await uow.conn.execute(
                announcements.insert().values(
                    id=1,
                    created_at=now,
                    created_by=mod,
                    run_at=now.strftime("%Y-%m-%d %H:%M"),
                    rooms=ROOMS,
                    text=TEXT,
                    urgent=False,
                    status="scheduled",
                    runs=0,
                )
            )
            await schedule_job(uow.conn, job_id(1), fire, once_trigger(now), now=now, args=(1,))
            for draft in extra or ():
                uow.send(draft)
        await uow.commit()
    app.wake_due_work()


async def _announced(app) -> bool:
    from sqlalchemy import select

    from handlers.outreach.tables import announcements

    async with app.engine.connect() as conn:
        return (await conn.execute(select(announcements.c.status))).scalar_one() == "done"


def _settings(data_dir: Path, mode: str = SINGLE):
    from bot.config import load_settings
    from handlers import config_sections

    overrides = {
        "outbox": {"room_interval_seconds": 0.001, "account_per_minute": 0, "jitter_ratio": 0.5},
        "delivery": {"quiet_hours": ""},
    }  # real time: the announcement must not wait for the morning
    if mode == MIXED:  # paced so that replies, notices and the fan-out take turns within a run
        overrides["outbox"] = {
            "room_interval_seconds": 0.05,
            "room_burst": 2,
            "account_per_minute": 3000,
            "account_burst": 5,
            "reply_reserve_per_minute": 1500,
            "jitter_ratio": 0.5,
        }
    return load_settings(environ={}, data_dir=data_dir, overrides=overrides, capability_sections=config_sections())


async def _child(data_dir: Path, out: Path, generation: str, mode: str) -> None:
    from bot.bootstrap import open_app
    from handlers import REGISTRIES

    settings = _settings(data_dir, mode)
    app = await open_app(settings, transport=FileTransport(out, generation, LATENCY), registries=REGISTRIES)
    await fan_out(app, _mixed_drafts() if mode == MIXED else None)
    await run_until(app, _announced)


def _mixed_drafts() -> list:
    """Replies in a few busy rooms and transactional notices in private, written with the announcement."""
    from bot.db.schema import Delivery, OutgoingKind
    from bot.outbox import Draft

    replies = [
        Draft(f"reply {n}", "test", "zh_CN", room_id=room, dedupe_key=f"mixed:{room}:{n}")
        for n in range(REPLIES_PER_ROOM)
        for room in TALK_ROOMS
    ]
    notices = [
        Draft(
            f"notice {member}",
            "test",
            "zh_CN",
            contact_id=member,
            delivery=Delivery.URGENT,
            kind=OutgoingKind.TRANSACTIONAL,
            dedupe_key=f"mixed:{member}",
        )
        for member in MEMBERS
    ]
    return replies + notices


@pytest.mark.e2e
def test_a_fan_out_killed_again_and_again_reaches_every_room_once(tmp_path: Path) -> None:
    seed = random.randrange(1 << 32)
    out, kills = _killed_runs(tmp_path, SINGLE, KILLS, random.Random(seed), while_sending=True, at_start_too=True)
    _assert_once_but_the_one_in_flight(received(out), kills, seed)


@pytest.mark.e2e
def test_mixed_lanes_killed_again_and_again_lose_and_double_nothing(tmp_path: Path) -> None:
    """Replies, transactional notices and a fan-out taking turns in the sender, killed with SIGKILL
    at random moments: every message arrives, in order within its conversation, and the only
    repeats are messages a killed run had just handed to the platform."""
    seed = random.randrange(1 << 32)
    out, kills = _killed_runs(tmp_path, MIXED, MIXED_KILLS, random.Random(seed), while_sending=True)
    got, context = received(out), f"(random seed {seed})"
    lanes_by_run = Counter(m["by"] for m in got if not m["text"].startswith("reply"))
    mixed = {m["by"] for m in got if m["text"].startswith("reply")} & set(lanes_by_run) - {str(MIXED_KILLS)}
    assert mixed, f"no killed run was sending replies and other messages together {context}"
    expected = Counter({(room, TEXT) for room in ROOMS})
    expected.update({(room, f"reply {n}") for room in TALK_ROOMS for n in range(REPLIES_PER_ROOM)})
    expected.update({(member, f"notice {member}") for member in MEMBERS})
    counts = Counter((m["to"], m["text"]) for m in got)
    assert set(counts) == set(expected), f"never arrived: {sorted(set(expected) - set(counts))[:5]} {context}"
    repeats = counts - expected
    assert sum(repeats.values()) <= kills, context
    last_of_killed_run = Counter(last_per_run(got, lambda m: (m["to"], m["text"]))[:-1])
    assert not repeats - last_of_killed_run, f"repeated without being in flight: {dict(repeats)} {context}"
    for room in TALK_ROOMS:
        firsts = list(dict.fromkeys(m["text"] for m in got if m["to"] == room))
        assert firsts == [f"reply {n}" for n in range(REPLIES_PER_ROOM)], context
    print(f"mixed lanes: {len(got)} messages, {kills} kills, {sum(repeats.values())} repeated {context}")


def _killed_runs(
    tmp_path: Path,
    mode: str,
    kills_wanted: int,
    rng: random.Random,
    *,
    while_sending: bool = False,
    at_start_too: bool = False,
) -> tuple[Path, int]:
    """Runs of the bot killed `kills_wanted` times at random moments, then one run to the end;
    where the platform's record is, and how many runs were really killed. With mixed lanes a kill comes
    once the run has sent something besides replies (which go first): so a run killed while its replies
    still went out was sending the other lanes too, however slow the machine."""
    data_dir, out = tmp_path / "data", tmp_path / "received.jsonl"
    migrate(_settings(data_dir))
    launcher = Launcher("tests.test_fanout_kill", str(data_dir), str(out), mode)
    enough = _past_the_replies if mode == MIXED else _any_message
    return out, killed_runs(
        launcher, out, kills_wanted, rng, while_sending=while_sending, at_start_too=at_start_too, enough=enough
    )


def _any_message(sent: list[dict]) -> bool:
    return bool(sent)


def _past_the_replies(sent: list[dict]) -> bool:
    return any(not m["text"].startswith("reply") for m in sent)


def _assert_once_but_the_one_in_flight(got: list[dict], kills: int, seed: int) -> None:
    context = f"(random seed {seed})"
    counts = Counter(m["to"] for m in got)
    assert set(counts) == set(ROOMS), f"rooms never reached: {sorted(set(ROOMS) - set(counts))} {context}"
    assert all(m["text"] == TEXT for m in got)
    repeats = Counter({room: n - 1 for room, n in counts.items() if n > 1})
    assert sum(repeats.values()) <= kills, context
    # Each repeat is the message in flight at a kill: the last one a killed run handed to the
    # platform, sent again as the first message of the next run that sent anything.
    by_run: dict[str, list[str]] = {}
    for message in got:
        by_run.setdefault(message["by"], []).append(message["to"])
    runs = sorted(by_run, key=int)
    in_flight = Counter(
        by_run[after][0] for before, after in itertools.pairwise(runs) if by_run[after][0] == by_run[before][-1]
    )
    assert repeats == in_flight, f"repeated {dict(repeats)}, in flight at a kill {dict(in_flight)} {context}"
    per_run = [len(by_run.get(str(run), ())) for run in range(KILLS + 1)]
    assert any(per_run[:KILLS]), f"no run was killed while sending: {per_run} {context}"
    print(
        f"{len(got)} messages for {len(ROOMS)} rooms, {kills} kills, {sum(repeats.values())} repeated, "
        f"sent per run {per_run} {context}"
    )


if __name__ == "__main__":
    launch(lambda generation: _child(Path(sys.argv[1]), Path(sys.argv[2]), generation, sys.argv[3]))
