"""The `kocbot` command: run, db upgrade, config check, export, report."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.config import CoreSettings, load_settings
from bot.data_dir import prepare_data_dir
from bot.db.url import safe_url
from bot.errors import ConfigError, DatabaseInUseError, DatabaseUnusableError, DataDirError, SchemaBehindError

if TYPE_CHECKING:
    from bot.registry import ExportFunction, ReportFunction

_LOGGER = logging.getLogger(__name__)
# Documented in the README's table of exit codes.
EXIT_CONFIG, EXIT_SCHEMA, EXIT_INPUT = 2, 3, 1
EXIT_IN_USE = 4  # another kocbot runs on this SQLite file
EXIT_DATABASE, EXIT_DATA_DIR = 5, 6
_FAILURES: tuple[tuple[type[Exception], int, str], ...] = (
    (ConfigError, EXIT_CONFIG, "configuration error: "),
    (SchemaBehindError, EXIT_SCHEMA, ""),
    (DatabaseInUseError, EXIT_IN_USE, ""),
    (DatabaseUnusableError, EXIT_DATABASE, ""),
    (DataDirError, EXIT_DATA_DIR, ""),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kocbot", description="A bot for a brand's KOC communities.")
    parser.add_argument("--config", help="a TOML file (default: $KOCBOT_CONFIG, else built-in defaults)")
    parser.add_argument("--data-dir", help="folder for the SQLite file and exports (default ./data)")
    parser.add_argument("--log-level", default="WARNING", help="what reaches stderr (the log file gets INFO)")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the bot")
    run.add_argument(
        "--transport",
        choices=["console", "wechaty"],
        help="override bot.transport: console (the playground) or wechaty (real WeChat groups)",
    )
    run.add_argument("--console", action="store_true", help="the console playground (same as --transport console)")
    run.add_argument(
        "--script",
        type=Path,
        help="read playground lines from FILE, print the transcript, exit (the console playground)",
    )

    commands.add_parser("web", help="serve the moderators' web console alone (kocbot run serves it beside the bot)")

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply pending migrations")
    db.add_parser("current", help="show the schema revision")

    config = commands.add_parser("config", help="configuration").add_subparsers(dest="config_command", required=True)
    config.add_parser("check", help="validate the configuration without starting")

    export = commands.add_parser("export", help="write what a capability exports (e.g. feedback, credits)")
    export.add_argument("what", help="what to export: " + ", ".join(sorted(_exports())))
    export.add_argument("argument", nargs="?", help="what the export needs, e.g. a version for credits")
    export.add_argument(
        "--format", help="csv (UTF-8 with a BOM, for Excel and WPS), xlsx or json, as the export allows"
    )
    export.add_argument("--status", action="append", default=[], help="only items in this status (repeatable)")
    export.add_argument("--out", type=Path, help="write to FILE instead of stdout")

    report = commands.add_parser("report", help="write a report's text, CSV files and PNG charts to a folder")
    report.add_argument("what", help="which report: " + ", ".join(sorted(_reports())))
    report.add_argument("argument", help="what it is about, e.g. a campaign's number or a month (2026-12)")
    report.add_argument("--out", type=Path, help="the folder to write into (default: DATA_DIR/reports)")
    report.add_argument(
        "--as-of",
        metavar="TIME",
        help="make the report as it stood at TIME (YYYY-MM-DD or 'YYYY-MM-DD HH:MM' in the bot's timezone); "
        "default: now",
    )

    privacy = commands.add_parser("privacy", help="members' personal data").add_subparsers(
        dest="privacy_command", required=True
    )
    privacy.add_parser("audit", help="per table and column: what personal data is kept, under which retention rule")
    return parser


def _exports() -> dict[str, ExportFunction]:
    from handlers import REGISTRIES

    return {name: function for registry in REGISTRIES for name, function in registry.exports.items()}


def _reports() -> dict[str, ReportFunction]:
    from handlers import REGISTRIES

    return {name: function for registry in REGISTRIES for name, function in registry.reports.items()}


def _settings(args: argparse.Namespace) -> CoreSettings:
    from bot.bootstrap import check_jobs
    from handlers import REGISTRIES, config_sections  # the capabilities own their config sections

    overrides = {}
    playground = getattr(args, "console", False) or getattr(args, "script", None) is not None
    transport = "console" if playground else getattr(args, "transport", None)
    if transport:
        overrides = {"bot": {"transport": transport}}
    settings = load_settings(
        args.config, data_dir=args.data_dir, capability_sections=config_sections(), overrides=overrides
    )
    check_jobs(settings, REGISTRIES)  # what `run` would refuse, `config check` refuses too
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_dispatch(args, _settings(args)))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        failure = next((f for f in _FAILURES if isinstance(exc, f[0])), None)
        if failure is None:
            raise
        # One line for whoever runs kocbot; the log file (when `run` has opened it) keeps the detail.
        _LOGGER.info("stopped: %s", exc, exc_info=exc)
        print(f"kocbot: {failure[2]}{exc}", file=sys.stderr)
        return failure[1]


async def _dispatch(args: argparse.Namespace, settings: CoreSettings) -> int:
    if _uses_data_dir(args, settings):
        prepare_data_dir(settings.data_dir)
    if args.command == "config":
        print(
            f"configuration OK: transport {settings.bot.transport}, database {_safe_url(settings)}, "
            f"locale {settings.bot.locale}, time zone {settings.bot.timezone}, "
            f"communities listed: {len(settings.communities)}"
        )
        return 0
    if args.command == "db":
        return await _db(args.db_command, settings)
    if args.command == "export":
        return await _export(args, settings)
    if args.command == "report":
        return await _report(args, settings)
    if args.command == "web":
        return await _web(settings)
    if args.command == "privacy":
        from handlers.privacy.audit import audit_report

        sys.stdout.write(audit_report(settings))
        return 0
    return await _run(args, settings)


def _uses_data_dir(args: argparse.Namespace, settings: CoreSettings) -> bool:
    """Whether this command writes into the data folder: the log, the embedded database, reports."""
    if args.command in ("run", "web"):
        return True
    if args.command == "report" and args.out is None:
        return True
    return args.command in ("db", "export", "report") and not settings.database.url


def _safe_url(settings: CoreSettings) -> str:
    return safe_url(settings.database_url())


async def _db(command: str, settings: CoreSettings) -> int:
    from bot.db.engine import create_engine
    from bot.db.migrate import current_revision, head_revision, upgrade
    from bot.db.opening import check_sqlite_file, database_errors

    engine = create_engine(settings.database_url())
    try:
        await check_sqlite_file(engine.url)
        with database_errors(engine.url):
            if command == "upgrade":
                await upgrade(engine)
            current = await current_revision(engine)
        print(f"schema revision {current or 'none'} (this kocbot needs {head_revision()})")
    finally:
        await engine.dispose()
    return 0


async def _export(args: argparse.Namespace, settings: CoreSettings) -> int:
    from bot.db.engine import create_engine
    from bot.db.opening import open_database
    from bot.registry import ExportRequest
    from bot.templates import renderer_for

    function = _exports().get(args.what)
    if function is None:
        print(f"kocbot: nothing exports {args.what!r}; try one of {', '.join(sorted(_exports()))}", file=sys.stderr)
        return EXIT_INPUT
    request = ExportRequest(
        args.argument,
        args.format,
        tuple(args.status),
        settings.bot.timezone,
        renderer=renderer_for(settings),
        locale=settings.bot.locale,
    )
    engine = create_engine(settings.database_url())
    try:
        await open_database(engine)
        async with engine.connect() as conn:
            text = await function(conn, request)
    except ValueError as exc:
        print(f"kocbot: {exc}", file=sys.stderr)
        return EXIT_INPUT
    finally:
        await engine.dispose()
    return _write_export(text, args.out)


def _write_export(made: str | bytes, out: Path | None) -> int:
    """To the file (UTF-8, its BOM kept for a CSV) or to stdout; an .xlsx is bytes."""
    if out is None:
        if isinstance(made, str):
            sys.stdout.write(made)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(made)
            sys.stdout.buffer.flush()
        return 0
    data = made.encode("utf-8") if isinstance(made, str) else made
    try:
        out.write_bytes(data)
    except OSError as exc:
        print(f"kocbot: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    return 0


async def _report(args: argparse.Namespace, settings: CoreSettings) -> int:
    from bot.bootstrap import build_services
    from bot.clock import Clock, FakeClock, SystemClock
    from bot.db.engine import create_engine
    from bot.db.opening import open_database
    from bot.registry import ReportRequest
    from handlers import REGISTRIES

    function = _reports().get(args.what)
    if function is None:
        print(f"kocbot: there is no report {args.what!r}; try one of {', '.join(sorted(_reports()))}", file=sys.stderr)
        return EXIT_INPUT
    out = args.out or settings.data_dir / "reports"
    clock: Clock = SystemClock()
    if args.as_of is not None:
        moment = _moment(args.as_of, settings.bot.timezone)
        if moment is None:
            print(
                f"kocbot: --as-of {args.as_of!r} is not a time: write YYYY-MM-DD or 'YYYY-MM-DD HH:MM'",
                file=sys.stderr,
            )
            return EXIT_INPUT
        clock = FakeClock(moment)
    services = build_services(settings, clock, REGISTRIES)
    engine = create_engine(settings.database_url())
    try:
        await open_database(engine)
        out.mkdir(parents=True, exist_ok=True)  # once the database is known to be usable
        async with engine.connect() as conn:
            written = await function(conn, services, ReportRequest(args.argument, out))
    except ValueError as exc:
        print(f"kocbot: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:  # the folder cannot be made or written (not the database: open_database says that)
        print(f"kocbot: cannot write the report into {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    finally:
        await engine.dispose()
    for path in written:
        print(path)
    return 0


def _moment(text: str, timezone: str) -> datetime | None:
    """A time typed on the command line, in the bot's timezone; None if it is not one."""
    for shape in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), shape).replace(tzinfo=ZoneInfo(timezone))
        except ValueError:
            continue
    return None


async def _web(settings: CoreSettings) -> int:
    from bot.logs import setup_logging
    from handlers.web.config import WebSection
    from web.launch import serve_alone

    setup_logging(settings.data_dir, "WARNING")
    try:
        return await serve_alone(settings)
    except OSError as exc:
        web = settings.section(WebSection)
        print(f"kocbot: cannot serve the web console on {web.host}:{web.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT


async def _run(args: argparse.Namespace, settings: CoreSettings) -> int:
    from bot.db.lock import sole_bot
    from bot.logs import setup_logging

    with sole_bot(settings.database_url()):  # before anything is written, the log included
        try:
            setup_logging(settings.data_dir, args.log_level)
        except OSError as exc:  # the folder takes files, but not this one (a folder named kocbot.log, a read-only log)
            raise DataDirError(
                f"cannot write the log {settings.data_dir / 'kocbot.log'} ({exc.strerror or exc})"
            ) from exc
        _LOGGER.info("starting kocbot with the %s transport on %s", settings.bot.transport, _safe_url(settings))
        if settings.bot.transport == "wechaty":
            return await _run_wechaty(settings)
        return await _run_console(settings, args.script)


async def _run_wechaty(settings: CoreSettings) -> int:
    """Serve real WeChat groups until SIGINT or SIGTERM, then stop gracefully."""
    import signal

    from bot.bootstrap import open_app
    from bot.heap import settle
    from bot.transports.wechaty import WechatyTransport
    from handlers import REGISTRIES
    from web.launch import start_beside

    app = await open_app(settings, transport=WechatyTransport(settings.wechaty), registries=REGISTRIES)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, app.stop)
    where = settings.wechaty.endpoint or "the gateway the discovery service names"
    print(
        f"kocbot is serving WeChat through {where}; Ctrl-C stops it. Log: {settings.data_dir / 'kocbot.log'}",
        file=sys.stderr,
        flush=True,
    )
    console = await start_beside(settings, app)
    settle()
    try:
        await app.run_forever()
    finally:
        if console is not None:
            await console.stop()
        await app.close()
    return 0


async def _run_console(settings: CoreSettings, script: Path | None) -> int:
    from bot.bootstrap import open_app
    from bot.clock import FakeClock
    from bot.heap import settle
    from bot.history import last_recorded_at
    from bot.playground import Playground
    from bot.transports.console import ConsoleTransport
    from handlers import REGISTRIES

    def write(line: str) -> None:
        print(line, flush=True)

    lines = None
    if script is not None:  # read before anything opens: a wrong path touches no data
        try:
            lines = script.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is not UTF-8 text"
            print(f"kocbot: cannot read the script {script}: {reason}", file=sys.stderr)
            return EXIT_INPUT
    clock = FakeClock()  # follows real time until a `~` line sets it
    transport = ConsoleTransport(settings.bot.name, write, image_dir=settings.data_dir / "images")
    app = await open_app(settings, transport=transport, registries=REGISTRIES, clock=clock)
    try:
        history_until = await last_recorded_at(app.engine)
    except BaseException:
        await app.close()
        raise
    playground = Playground(
        app,
        transport,
        clock,
        timezone=settings.bot.timezone,
        room=settings.console.room,
        write=write,
        echo=script is not None,
        history_until=history_until,
    )
    console = None
    try:
        await app.start()
        if lines is None:
            from web.launch import start_beside

            console = await start_beside(settings, app)  # a script's transcript has no console beside it
            settle()
            await playground.run_interactive()
            return 0
        await playground.run_lines(lines)
        return EXIT_INPUT if playground.errors else 0
    finally:
        if console is not None:
            await console.stop()
        await app.close()
