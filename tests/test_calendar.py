"""Off the calendar: the playground starts on any date, and no test depends on the day it runs."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.bootstrap import open_app
from bot.clock import FakeClock
from bot.config import CoreSettings
from bot.playground import Playground
from bot.transports.console import ConsoleTransport
from handlers import REGISTRIES
from tests.support import PROJECT, kocbot

PINNED = re.compile(r"^~ \d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$")
TESTS = PROJECT / "tests"
# Tests that start real processes on real time and read the wall clock only to wait for them,
# never to decide what they expect.
REAL_TIME_READERS = {
    "test_scheduler_takeover.py": "schedules jobs a few seconds ahead of two real processes",
    "test_multiprocess.py": "stamps the rows it prepares for real processes with the real time",
}
WALL_CLOCK = re.compile(r"datetime\.now\(|date\.today\(|datetime\.utcnow\(|\btime\.time\(\)")


# The playground's clock, in process.


async def _playground(
    settings: CoreSettings, clock: FakeClock, lines: list[str], *, idle_first: bool = False
) -> tuple[list[str], int]:
    out: list[str] = []
    transport = ConsoleTransport(settings.bot.name, out.append, image_dir=settings.data_dir / "images")
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    try:
        from bot.history import last_recorded_at

        playground = Playground(
            app,
            transport,
            clock,
            timezone="Asia/Shanghai",
            room="playground",
            write=out.append,
            echo=True,
            history_until=await last_recorded_at(app.engine),
        )
        await app.start()
        if idle_first:  # as `make run` does every second before anything is typed
            await app.drain()
        await playground.run_lines(lines)
        return out, playground.errors
    finally:
        await app.close()


@pytest.mark.parametrize("start", ["2019-03-04 09:00", "2041-07-08 09:00"])
async def test_a_fresh_data_dir_starts_on_any_date_past_or_future(settings: CoreSettings, start: str) -> None:
    out, errors = await _playground(settings, FakeClock(), [f"~ {start}", "alice: /ping"])
    assert errors == 0
    assert out == [
        f"~ {start} (Asia/Shanghai)",
        "[playground] alice: /ping",
        "[playground] kocbot: @alice 我在呢，一切正常。",
    ]


@pytest.mark.parametrize("start", ["2019-03-04 09:00", "2041-07-08 09:00"])
async def test_scheduled_work_counts_from_the_start_set_not_from_the_real_time(
    settings: CoreSettings, start: str
) -> None:
    """The built-in jobs were seeded at the real time while the playground idled: nothing in between is
    missed (no notices about skipped runs) and the next runs come at their times after the start."""
    from sqlalchemy import select

    from bot.db import schema

    real_time = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    out, errors = await _playground(
        settings, FakeClock(wall=lambda: real_time), [f"~ {start}", "alice: /ping", "~ +35d"], idle_first=True
    )
    assert errors == 0
    assert [line for line in out if "未执行" in line] == []
    from bot.db.engine import create_engine

    engine = create_engine(settings.database_url())
    async with engine.connect() as conn:
        runs = (
            await conn.execute(
                select(
                    schema.scheduled_runs.c.job_id, schema.scheduled_runs.c.run_time, schema.scheduled_runs.c.outcome
                )
            )
        ).all()
    await engine.dispose()
    begin = datetime.strptime(start, "%Y-%m-%d %H:%M").replace(tzinfo=UTC) - timedelta(hours=8)
    assert runs and all(begin <= run.run_time <= begin + timedelta(days=35) for run in runs)
    assert {run.outcome for run in runs} == {"done"}
    assert "builtin:honour_roll" in {run.job_id for run in runs}  # a 1st of the month lay in the 35 days


async def test_once_something_happened_the_clock_never_goes_back(settings: CoreSettings) -> None:
    out, errors = await _playground(
        settings, FakeClock(), ["~ 2030-05-01 09:00", "alice: hi", "~ 2030-04-30 09:00", "~ +1d", "~ 2030-05-01 08:00"]
    )
    assert errors == 2
    refusal = (
        "(playground) cannot read '~ 2030-04-30 09:00': the clock only moves forward: this data dir "
        "already has what happened up to 2030-05-01 09:00; pick a later time, or a new --data-dir"
    )
    assert out[2] == refusal
    assert out[3] == "~ 2030-05-02 09:00 (Asia/Shanghai)"
    assert out[4].startswith("(playground) cannot read '~ 2030-05-01 08:00': the clock only moves forward")


async def test_a_data_dir_with_a_history_refuses_an_earlier_start(settings: CoreSettings) -> None:
    # The real time is pinned before the script's dates: a run whose clock line is refused goes on at the
    # real time, and what it records then must not depend on the day the test runs.
    def real_time() -> datetime:
        return datetime(2029, 6, 1, 4, 0, tzinfo=UTC)

    await _playground(settings, FakeClock(wall=real_time), ["~ 2030-05-01 09:00", "alice: hi"])
    out, errors = await _playground(settings, FakeClock(wall=real_time), ["~ 2030-04-01 09:00"])
    assert errors == 1
    assert "already has what happened up to 2030-05-01 09:00" in out[0]
    out, errors = await _playground(settings, FakeClock(wall=real_time), ["~ 2030-05-03 09:00", "alice: /ping"])
    assert errors == 0 and out[-1] == "[playground] kocbot: @alice 我在呢，一切正常。"


async def test_a_data_dir_played_ahead_of_the_real_time_continues_where_it_left_off(settings: CoreSettings) -> None:
    def real_time() -> datetime:
        return datetime(2030, 1, 1, 4, 0, tzinfo=UTC)

    await _playground(settings, FakeClock(wall=real_time), ["~ 2030-05-01 09:00", "alice: hi"])
    clock = FakeClock(wall=real_time)
    out, errors = await _playground(settings, clock, ["~ +1h", "alice: /ping"])
    assert errors == 0
    assert out[0] == "~ 2030-05-01 10:00 (Asia/Shanghai)"
    assert clock.now() == datetime(2030, 5, 1, 2, 0, tzinfo=UTC)


async def test_without_a_clock_line_the_playground_follows_the_real_time(settings: CoreSettings) -> None:
    moments = iter([datetime(2031, 2, 3, 4, 5, tzinfo=UTC) + timedelta(seconds=s) for s in range(1000)])
    clock = FakeClock(wall=lambda: next(moments))
    out, errors = await _playground(settings, clock, ["alice: /ping", "~ 2031-02-03 08:00"])
    assert out[:3] == [
        "[playground] alice: /ping",
        "[playground] kocbot: @alice 我在呢，一切正常。",
        "(playground) cannot read '~ 2031-02-03 08:00': the clock only moves forward: this data "
        "dir already has what happened up to 2031-02-03 12:05; pick a later time, or a new --data-dir",
    ]
    assert errors == 1


# No test depends on the day it runs.


def _scripts() -> dict[str, str]:
    """Every playground script the tests run and the README shows, by where it is."""
    found: dict[str, str] = {}
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                and any(isinstance(t, ast.Name) and t.id == "SCRIPT" for t in node.targets)
            ):
                found[path.name] = node.value.value
    blocks = re.findall(r"```text\n(.*?)```", (PROJECT / "README.md").read_text(encoding="utf-8"), re.S)
    for number, block in enumerate(blocks):
        if block.startswith("# ") and "kocbot:" not in block:  # a script, not a transcript
            found[f"README block {number}"] = block
    return found


def test_every_playground_script_pins_its_start_before_anything_happens() -> None:
    scripts = _scripts()
    assert len(scripts) >= 14  # seven sessions, each in a test and in the README
    unpinned = {}
    for where, script in scripts.items():
        lines = [line.strip() for line in script.splitlines() if line.strip() and not line.startswith("#")]
        if not PINNED.match(lines[0]):
            unpinned[where] = lines[0]
    assert unpinned == {}


def test_no_test_reads_the_wall_clock_to_decide_what_it_expects() -> None:
    readers = {
        path.name
        for path in TESTS.glob("*.py")
        if path.name != Path(__file__).name and WALL_CLOCK.search(path.read_text(encoding="utf-8"))
    }
    assert readers == set(REAL_TIME_READERS)


def _faked(when: str) -> dict[str, str]:
    """The environment that makes a child process see `when` as the system's time (libfaketime)."""
    libfaketime = pytest.importorskip("libfaketime")
    _, env = libfaketime.get_reload_information()
    return {**env, "FAKETIME": f"@{when}"}


@pytest.mark.e2e
@pytest.mark.parametrize("system_time", ["2019-02-03 22:30:00", "2035-08-09 23:59:00"])
def test_the_readme_first_look_is_the_same_whatever_the_system_clock_says(tmp_path: Path, system_time: str) -> None:
    from tests.test_cli import SCRIPT, TRANSCRIPT

    ours = os.environ.get("FAKETIME")  # None, unless the whole suite runs under libfaketime
    env = _faked(system_time)
    seen = subprocess.run(
        [sys.executable, "-c", "import datetime; print(datetime.date.today().year)"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    assert seen.stdout.strip() == system_time[:4], "libfaketime did not take effect: " + seen.stderr
    script = tmp_path / "first-look.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    done = kocbot("--data-dir", str(tmp_path / "data"), "run", "--script", str(script), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TRANSCRIPT
    assert os.environ.get("FAKETIME") == ours  # only the child's clock was faked, not this process's


async def test_a_clock_step_too_large_is_refused_politely(settings: CoreSettings) -> None:
    out, errors = await _playground(settings, FakeClock(), ["~ 2030-05-01 09:00", "~ +99999999999d", "~ +3000000d"])
    assert errors == 2
    assert out[1] == (
        "(playground) cannot read '~ +99999999999d': that time step is too large: move at most a few years at a time"
    )
    assert out[2] == "(playground) cannot read '~ +3000000d': that time step goes past the year 9999"
