"""The console playground: a simulated group chat, typed or scripted, with a clock you can move."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app import App
from bot.clock import FakeClock
from bot.events import IncomingMessage, MemberJoined, MemberLeft
from bot.transports.console import (
    ConsoleInputError,
    ConsoleTransport,
    PlaygroundState,
    format_line,
    parse_clock,
    parse_line,
)

BANNER = """kocbot playground: a simulated group chat ({room}). Type lines such as
  alice: 谢谢 @bob 帮我解决了问题      (alice speaks in the current room)
  [dm] alice: /help                  (alice writes to the bot privately)
  [room2] alice: hi                  (switch to room2 and speak there)
  +dave / -dave                      (dave joins / leaves the current room)
  ~ 2026-12-01 09:00  or  ~ +3d      (set or move the clock)
`mod` is a moderator and `admin` an admin. Ctrl-D quits."""
TICK_SECONDS = 1.0


class Playground:
    def __init__(
        self,
        app: App,
        transport: ConsoleTransport,
        clock: FakeClock,
        *,
        timezone: str,
        room: str,
        write: Callable[[str], None],
        echo: bool,
        history_until: datetime | None = None,
    ) -> None:
        self._app = app
        self._transport = transport
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._write = write
        self._echo = echo
        self._state = PlaygroundState(room=room, bot_name=transport.bot_name)
        self._lock = asyncio.Lock()
        # The clock may not go back before anything already recorded: the data dir's history on
        # start, then each event fed and each move of the clock. None: a fresh start, any date goes.
        self._floor = history_until
        if history_until is not None and history_until > clock.now():
            clock.set(history_until)  # this data dir was played ahead of the real time: continue there
        self.errors = 0

    async def feed(self, line: str) -> None:
        async with self._lock:
            try:
                await self._feed(line)
            except ConsoleInputError as exc:
                self.errors += 1
                self._write(f"(playground) cannot read {line.strip()!r}: {exc}")

    async def _feed(self, line: str) -> None:
        stripped = line.strip()
        if stripped.startswith("~"):
            await self._move_clock(stripped[1:])
            return
        event = parse_line(stripped, self._state)
        if event is None:
            return
        if self._echo:
            self._write(self._describe(event))
        self._floor = self._clock.now()
        self._transport.submit(event)
        await self._app.drain()

    async def _move_clock(self, text: str) -> None:
        change = parse_clock(text, str(self._zone))
        now = self._clock.now()
        try:
            target = change.when if change.when is not None else now + (change.delta or timedelta())
        except OverflowError:
            raise ConsoleInputError("that time step goes past the year 9999") from None
        if self._floor is not None and target < self._floor:
            raise ConsoleInputError(
                f"the clock only moves forward: this data dir already has what happened up to "
                f"{self._floor.astimezone(self._zone):%Y-%m-%d %H:%M}; pick a later time, or a new --data-dir"
            )
        self._write(f"~ {target.astimezone(self._zone):%Y-%m-%d %H:%M} ({self._zone})")
        fresh, self._floor = self._floor is None, target
        if fresh:  # nothing has happened yet: the session starts there, with nothing in between
            await self._app.start_at(target)
        else:
            await self._app.advance_to(target)

    @staticmethod
    def _describe(event: IncomingMessage | MemberJoined | MemberLeft) -> str:
        if isinstance(event, IncomingMessage):
            where = event.room_id or f"dm {event.sender.id}"
            return format_line(where, event.sender.id, event.text)
        sign = "+" if isinstance(event, MemberJoined) else "-"
        verb = "joined" if isinstance(event, MemberJoined) else "left"
        return f"[{event.room_id}] {sign} {event.member.id} {verb}"

    async def run_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            await self.feed(line)
        await self._app.drain()

    async def run_interactive(self) -> None:
        self._write(BANNER.format(room=self._state.room))
        ticker = asyncio.create_task(self._tick())
        loop = asyncio.get_running_loop()
        try:
            while line := await loop.run_in_executor(None, sys.stdin.readline):
                await self.feed(line)
        finally:
            ticker.cancel()

    async def _tick(self) -> None:
        """While the clock follows real time, what falls due (retries, expiries) still happens."""
        while True:
            await asyncio.sleep(TICK_SECONDS)
            if self._clock.is_real:
                async with self._lock:
                    await self._app.drain()
