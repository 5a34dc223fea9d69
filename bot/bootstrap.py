"""The composition root: the one place that chooses engine, transport, clock and templates."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import App, Wakeup
from bot.clock import Clock, SystemClock
from bot.config import CoreSettings
from bot.context import Services
from bot.conversations import ConversationStore
from bot.db.engine import create_engine
from bot.db.opening import open_database
from bot.delivery import DeliveryPolicy
from bot.errors import ConfigError
from bot.followups import FollowUps
from bot.heavy.handoffs import Handoffs
from bot.heavy.runner import HeavyRunner
from bot.heavy.spec import HeavySpec
from bot.heavy.workers import WorkerSetup
from bot.hooks import Hooks
from bot.maintenance import RetentionPruner
from bot.member_changes import MemberChangeListener
from bot.members import Directory
from bot.metrics import MeteredTransport, Metrics
from bot.outbox import Addressing
from bot.pacing import Pacer
from bot.pipeline import Pipeline
from bot.registry import HandlerRegistry
from bot.router import Router
from bot.scheduling.scheduler import Scheduler
from bot.sender import OutboxSender, ParkingNotice
from bot.templates import renderer_for
from bot.timeouts import ConversationTimer
from bot.transports.base import PacingLimits, Transport
from bot.uow import Database
from bot.workers import WorkerPool

# What a worker process imports before its first call: the user-template sandbox, and nothing of the bot.
WORKER_PRELOAD = ("bot.sandbox.engine",)


def build_services(
    settings: CoreSettings,
    clock: Clock,
    registries: Sequence[HandlerRegistry],
    *,
    on_committed: Callable[[], None] = lambda: None,
) -> Services:
    """The long-lived collaborators; `on_committed`: what a follow-up calls when it has written outbox rows."""
    renderer = renderer_for(settings)
    sections = {
        r.capability: section
        for r in registries
        if r.config_section is not None and (section := settings.optional_section(r.config_section)) is not None
    }
    router = Router(registries, sections)
    missing = renderer.missing_command_docs((spec.capability, spec.key) for spec in router.commands)
    if missing:
        raise ValueError("commands without usage and summary: " + ", ".join(missing))
    conversations = ConversationStore(router.conversations, clock.now)
    check_jobs(settings, registries)
    digest = tuple(section for registry in registries for section in registry.digest_sections)
    return Services(
        settings=settings,
        clock=clock,
        renderer=renderer,
        directory=Directory(settings),
        router=router,
        conversations=conversations,
        workers=WorkerPool(
            processes=settings.workers.processes, memory_mb=settings.workers.memory_mb, preload=WORKER_PRELOAD
        ),
        digest_sections=digest,
        heavy_work=_heavy_work(registries),
        followups=FollowUps(on_committed),
        hooks=Hooks.collect(listener for registry in registries for listener in registry.listeners),
        private_notes=tuple(note for registry in registries for note in registry.private_notes),
    )


def _heavy_work(registries: Sequence[HandlerRegistry]) -> dict[str, HeavySpec]:
    declared: dict[str, HeavySpec] = {}
    for spec in (spec for registry in registries for spec in registry.heavy_work):
        if spec.name in declared:
            raise ValueError(f"heavy work {spec.name!r} is declared twice")
        declared[spec.name] = spec
    return declared


def check_jobs(settings: CoreSettings, registries: Sequence[HandlerRegistry]) -> None:
    """Every [scheduler.jobs.NAME] names a job of these capabilities (the CLI checks it with the configuration)."""
    known = sorted(spec.name for registry in registries for spec in registry.jobs)
    for name in settings.scheduler.jobs:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"scheduler.jobs.{name}", name, f"the name of a built-in job{hint}: " + ", ".join(known))


def database_for(settings: CoreSettings, engine: AsyncEngine, *, max_text_length: int | None = None) -> Database:
    """The database as every unit of work writes to it: quiet hours and the contact budget, this process's
    account, the configured rooms' accounts, and the longest text the platform takes (`max_text_length`:
    the transport's, unless the configuration sets one)."""
    max_length = settings.outbox.max_length
    addressing = Addressing(
        account=settings.bot.account,
        room_accounts={c.id: c.account for c in settings.communities if c.account},
        max_length=max_text_length if max_length is None else max_length,
    )
    return Database(engine, policy=DeliveryPolicy(settings), addressing=addressing)


def build_app(
    settings: CoreSettings,
    *,
    transport: Transport,
    registries: Sequence[HandlerRegistry],
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
) -> App:
    """Wire the bot together; nothing here touches the database or the network yet."""
    clock = clock or SystemClock()
    engine = engine or create_engine(settings.database_url(), echo=settings.database.echo)
    database = database_for(settings, engine, max_text_length=transport.max_text_length)
    wakeup = Wakeup()  # rung by whatever commits outbox rows: the app's sender looks at once
    services = build_services(settings, clock, registries, on_committed=wakeup.ring)
    limits = PacingLimits.resolve(settings.outbox, transport.default_pacing)
    metrics = Metrics()  # this app's own registry: /metrics of the web console reads it
    sender = OutboxSender(
        database,
        MeteredTransport(transport, metrics),  # a Transport, with its sends counted
        clock,
        settings.outbox,
        Pacer(limits),
        account=settings.bot.account,
        parking_notice=ParkingNotice(services),
    )
    pipeline = Pipeline(database, services, on_committed=wakeup.ring)
    pipeline.observers.append(metrics.observe)
    pruner = RetentionPruner(database, clock, settings.database.message_retention_days)
    timer = ConversationTimer(database, services)
    declared = [factory(database, services) for registry in registries for factory in registry.due_sources]
    runner = HeavyRunner(settings, services.renderer, WorkerSetup.of(settings))
    handoffs = Handoffs(database, services, runner, on_committed=wakeup.ring)
    scheduler = Scheduler(database, services, [spec for registry in registries for spec in registry.jobs], runner)
    # Other processes may share a PostgreSQL database and change members; a SQLite file has one process.
    shared = engine.dialect.name == "postgresql"
    listener = MemberChangeListener(engine, services.directory, settings.bot.account) if shared else None
    hooks = [hook for registry in registries for hook in registry.start_hooks]
    app = App(
        database,
        services,
        transport,
        pipeline,
        sender,
        due_sources=[pruner, timer, scheduler, *declared],
        member_changes=listener,
        start_hooks=hooks,
        runner=runner,
        handoffs=handoffs,
        metrics=metrics,
        wakeup=wakeup,
    )
    services.signals.schedule_changed.append(app.wake_due_work)
    services.signals.handed_off.append(handoffs.start)
    return app


async def open_app(
    settings: CoreSettings,
    *,
    transport: Transport,
    registries: Sequence[HandlerRegistry],
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
) -> App:
    """Build the app and open its database: schema brought up to date (SQLite) or checked (PostgreSQL);
    a database that cannot be used raises DatabaseUnusableError, untouched."""
    app = build_app(settings, transport=transport, registries=registries, clock=clock, engine=engine)
    try:
        await open_database(app.engine)
    except BaseException:
        await app.database.dispose()
        raise
    return app
