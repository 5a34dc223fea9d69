"""Starting the console: beside the bot in `kocbot run`, or alone in `kocbot web`."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING

from bot.config import CoreSettings
from bot.heap import settle
from handlers.web.config import WebSection
from web.app import build_console
from web.server import ConsoleServer, bind

if TYPE_CHECKING:
    from bot.app import App

_LOGGER = logging.getLogger(__name__)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _section(settings: CoreSettings) -> WebSection:
    return settings.section(WebSection)


async def start_beside(settings: CoreSettings, app: App) -> ConsoleServer | None:
    """The console in the bot's event loop, when `web.enabled`; a port already taken costs the console, not the bot."""
    section = _section(settings)
    if not section.enabled:
        return None
    try:
        sock = bind(section.host, section.port)
    except OSError as exc:
        _LOGGER.warning("the web console cannot listen on %s:%d: %s", section.host, section.port, exc)
        _say(f"kocbot: the web console is off: cannot listen on {section.host}:{section.port} ({exc.strerror or exc})")
        return None
    server = ConsoleServer(await build_console(app.database, app.services, bot=app), sock)
    server.start()
    _say(f"Web console: {section.base_url()} (send /console to the bot privately for a sign-in link)")
    return server


async def serve_alone(settings: CoreSettings) -> int:
    """`kocbot web`: the console without the bot (it sends nothing itself: the bot's process sends what it queues)."""
    from bot.bootstrap import build_services, database_for
    from bot.clock import SystemClock
    from bot.db.engine import create_engine
    from bot.db.opening import open_database
    from handlers import REGISTRIES

    section = _section(settings)
    engine = create_engine(settings.database_url())
    try:
        await open_database(engine)
        # Its actions write as the bot's own commands would (quiet hours, accounts); the bot's process sends.
        database = database_for(settings, engine)
        console = await build_console(database, build_services(settings, SystemClock(), REGISTRIES))
        server = ConsoleServer(console, bind(section.host, section.port))
        settle()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        server.start()
        _say(f"Web console: {section.base_url()} (Ctrl-C stops it)")
        await stop.wait()
        await server.stop()
    finally:
        await engine.dispose()
    return 0
