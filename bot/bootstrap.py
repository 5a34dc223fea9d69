"""The composition root: the one place that chooses engine, transport, clock and templates."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import App
from bot.clock import Clock, SystemClock
from bot.config import CoreSettings
from bot.context import Services
from bot.conversations import ConversationStore
from bot.db.engine import create_engine
from bot.db.migrate import ensure_schema
from bot.delivery import DeliveryPolicy, attach_policy
from bot.errors import ConfigError
from bot.heavy.handoffs import Handoffs
from bot.heavy.runner import HeavyRunner
from bot.heavy.spec import HeavySpec
from bot.heavy.workers import WorkerSetup
from bot.maintenance import RetentionPruner
from bot.members import Directory
from bot.outbox import Addressing, attach_addressing
from bot.pipeline import Pipeline
from bot.registry import HandlerRegistry
from bot.router import Router
from bot.scheduling.scheduler import Scheduler
from bot.sender import OutboxSender, Pacer, ParkingNotice
from bot.templates import renderer_for
from bot.timeouts import ConversationTimer
from bot.transports.base import PacingLimits, Transport


def build_services(settings: CoreSettings, clock: Clock, registries: Sequence[HandlerRegistry]) -> Services:
    renderer = renderer_for(settings)
    sections = {
        r.capability: getattr(settings, r.capability)
        for r in registries
        if r.config_section is not None and hasattr(settings, r.capability)
    }
    router = Router(registries, sections)
    missing = renderer.missing_command_docs((spec.capability, spec.key) for spec in router.commands)
    if missing:
        raise ValueError("commands without usage and summary: " + ", ".join(missing))
    conversations = ConversationStore(router.conversations, clock.now)
    _check_jobs(settings, registries)
    digest = tuple(section for registry in registries for section in registry.digest_sections)
    return Services(
        settings=settings,
        clock=clock,
        renderer=renderer,
        directory=Directory(settings),
        router=router,
        conversations=conversations,
        digest_sections=digest,
        heavy_work=_heavy_work(registries),
    )


def _heavy_work(registries: Sequence[HandlerRegistry]) -> dict[str, HeavySpec]:
    declared: dict[str, HeavySpec] = {}
    for spec in (spec for registry in registries for spec in registry.heavy_work):
        if spec.name in declared:
            raise ValueError(f"heavy work {spec.name!r} is declared twice")
        declared[spec.name] = spec
    return declared


def _check_jobs(settings: CoreSettings, registries: Sequence[HandlerRegistry]) -> None:
    known = sorted(spec.name for registry in registries for spec in registry.jobs)
    for name in settings.scheduler.jobs:
        if name not in known:
            raise ConfigError(f"scheduler.jobs.{name}", name, "one of the built-in jobs: " + ", ".join(known))


def _addressing(settings: CoreSettings, transport: Transport) -> Addressing:
    """This process's account, the configured rooms' accounts, and the longest text the platform takes."""
    max_length = settings.outbox.max_length
    return Addressing(
        account=settings.bot.account,
        room_accounts={c.id: c.account for c in settings.communities if c.account},
        max_length=transport.max_text_length if max_length is None else max_length,
    )


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
    attach_policy(engine, DeliveryPolicy(settings))  # quiet hours and the contact budget, in every commit
    services = build_services(settings, clock, registries)
    limits = PacingLimits.resolve(settings.outbox, transport.default_pacing)
    attach_addressing(engine, _addressing(settings, transport))  # accounts and the length limit, in every commit
    sender = OutboxSender(
        engine,
        transport,
        clock,
        settings.outbox,
        Pacer(limits),
        account=settings.bot.account,
        parking_notice=ParkingNotice(services),
    )
    pipeline = Pipeline(engine, services)
    pruner = RetentionPruner(engine, clock, settings.database.message_retention_days)
    timer = ConversationTimer(engine, services)
    declared = [factory(engine, services) for registry in registries for factory in registry.due_sources]
    runner = HeavyRunner(settings, services.renderer, WorkerSetup.of(settings))
    handoffs = Handoffs(engine, services, runner)
    scheduler = Scheduler(engine, services, [spec for registry in registries for spec in registry.jobs], runner)
    app = App(
        engine,
        services,
        transport,
        pipeline,
        sender,
        due_sources=[pruner, timer, scheduler, *declared],
        runner=runner,
        handoffs=handoffs,
    )
    pipeline.on_committed = handoffs.on_committed = app.wake
    services.signals.schedule_changed.append(app.wake_due_work)
    services.signals.handed_off.append(handoffs.start)
    return app


async def open_app(settings: CoreSettings, **kwargs) -> App:  # noqa: ANN003 - build_app's arguments
    """Build the app and bring its schema up to date (SQLite) or check it (PostgreSQL)."""
    app = build_app(settings, **kwargs)
    try:
        await ensure_schema(app.engine)
    except BaseException:
        await app.engine.dispose()
        raise
    return app
