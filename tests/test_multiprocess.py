"""Several bot processes on one PostgreSQL database, as in production (one per WeChat account):
each sends only its own account's messages, and two processes of one account (a double start)
share the work without sending anything twice (`FOR UPDATE SKIP LOCKED`).

Each process is the real bot (`python -m tests.test_multiprocess URL ACCOUNT OUT GATE`): the real
App, pacer and sender, and a platform (tests.support.FileTransport) that records what it receives.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bot.db import schema
from bot.db.engine import create_engine
from bot.db.schema import Delivery
from bot.outbox import Addressing, Draft, enqueue_many
from tests.support import PROJECT, FileTransport, received

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
TEMPLATE = "multiprocess"
LATENCY = 0.005
TIMEOUT = 90


def _only_postgresql() -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
    )


async def _prepare(url: str, rooms: dict[str, str], members: dict[str, str], per_room: int = 1) -> None:
    """Rooms as their processes recorded them (room -> account), members in them, and messages for all."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        ids = {}
        for room, account in rooms.items():
            ids[room] = (
                await conn.execute(
                    insert(schema.communities)
                    .values(platform_id=room, name=room, created_at=now, account=account)
                    .returning(schema.communities.c.id)
                )
            ).scalar_one()
        for member, room in members.items():
            member_id = (
                await conn.execute(
                    insert(schema.members)
                    .values(platform_id=member, display_name=member, created_at=now)
                    .returning(schema.members.c.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(schema.memberships).values(community_id=ids[room], member_id=member_id, joined_at=now)
            )
        drafts = [
            Draft(f"{room} #{n}", TEMPLATE, "zh_CN", room_id=room, delivery=Delivery.ROUTINE)
            for n in range(per_room)
            for room in rooms
        ]
        drafts += [
            Draft(f"hello {member}", TEMPLATE, "zh_CN", contact_id=member, delivery=Delivery.ROUTINE)
            for member in members
        ]
        await enqueue_many(conn, drafts, now, Addressing(account="nobody"))  # the writer's own account must not matter
    await engine.dispose()


async def _outbox(url: str) -> list:
    engine = create_engine(url)
    async with engine.connect() as conn:
        found = (await conn.execute(select(schema.outbox).where(schema.outbox.c.template == TEMPLATE))).all()
    await engine.dispose()
    return list(found)


def _run(url: str, tmp_path: Path, accounts: list[str]) -> list[list[dict]]:
    """Start one process per account, let them go at the same moment, wait until they have finished."""
    gate = tmp_path / "gate"
    gate.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KOCBOT_")}
    outs = [tmp_path / f"received-{n}.jsonl" for n in range(len(accounts))]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.test_multiprocess", url, account, str(out), str(gate)],
            cwd=PROJECT,
            env=clean,
            stderr=subprocess.PIPE,
        )
        for account, out in zip(accounts, outs, strict=False)
    ]
    deadline = time.monotonic() + TIMEOUT
    while len(list(gate.glob("ready-*"))) < len(processes) and time.monotonic() < deadline:
        assert all(p.poll() is None for p in processes), [p.stderr.read().decode() for p in processes]
        time.sleep(0.05)
    (gate / "go").touch()
    for process in processes:
        _, errors = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0, errors.decode()
    return [received(out) for out in outs]


@_only_postgresql()
def test_each_account_sends_only_its_own_rooms_and_members(database_url: str, tmp_path: Path) -> None:
    rooms = {f"alpha-room-{n}": "alpha" for n in range(10)} | {f"beta-room-{n}": "beta" for n in range(10)}
    members = {"ann": "alpha-room-0", "bea": "beta-room-3"}
    asyncio.run(_prepare(database_url, rooms, members, per_room=3))
    alpha, beta = _run(database_url, tmp_path, ["alpha", "beta"])
    assert {m["by"] for m in alpha} == {"alpha"} and {m["by"] for m in beta} == {"beta"}
    assert {m["to"] for m in alpha} == {r for r, a in rooms.items() if a == "alpha"} | {"ann"}
    assert {m["to"] for m in beta} == {r for r, a in rooms.items() if a == "beta"} | {"bea"}
    stored = asyncio.run(_outbox(database_url))
    assert len(stored) == 62 and {r.status for r in stored} == {"sent"}
    assert sorted(m["id"] for m in alpha + beta) == sorted(r.id for r in stored)  # each once
    for room in rooms:  # and in order within each room
        assert [m["text"] for m in alpha + beta if m["to"] == room] == [f"{room} #{n}" for n in range(3)]


@_only_postgresql()
def test_two_processes_of_one_account_send_each_message_once(database_url: str, tmp_path: Path) -> None:
    rooms = {f"room-{n:03d}": "main" for n in range(300)}
    asyncio.run(_prepare(database_url, rooms, {}))
    first, second = _run(database_url, tmp_path, ["main", "main"])
    ids = Counter(m["id"] for m in first + second)
    stored = asyncio.run(_outbox(database_url))
    assert len(stored) == 300 and {r.status for r in stored} == {"sent"}
    assert set(ids) == {r.id for r in stored} and set(ids.values()) == {1}
    assert first and second, "both processes took a share"
    print(f"300 messages: {len(first)} by one process, {len(second)} by the other")


async def _child(url: str, account: str, out: Path, gate: Path) -> None:
    from bot.bootstrap import open_app
    from bot.config import load_settings
    from handlers import REGISTRIES, config_sections

    overrides = {
        "database": {"url": url},
        "bot": {"account": account},
        "outbox": {"room_interval_seconds": 0, "account_per_minute": 0, "claim_batch": 10},
        "delivery": {"quiet_hours": ""},
    }
    settings = load_settings(
        environ={}, data_dir=out.parent / f"data-{out.stem}", overrides=overrides, capability_sections=config_sections()
    )
    app = await open_app(settings, transport=FileTransport(out, account, LATENCY), registries=REGISTRIES)
    (gate / f"ready-{out.stem}").touch()
    while not (gate / "go").exists():
        await asyncio.sleep(0.01)
    running = asyncio.create_task(app.run_forever())
    while await _left(app, account):
        await asyncio.sleep(0.05)
    app.stop()
    await running
    await app.close()


async def _left(app, account: str) -> int:
    """This account's messages not sent yet (by any process)."""
    outbox = schema.outbox
    async with app.engine.connect() as conn:
        return len(
            (
                await conn.execute(
                    select(outbox.c.id).where(outbox.c.account == account, outbox.c.status.in_(["pending", "sending"]))
                )
            ).all()
        )


if __name__ == "__main__":
    asyncio.run(_child(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])))
