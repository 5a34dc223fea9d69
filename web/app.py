"""The console's ASGI application, built by the composition root with everything it uses passed in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.context import Services
from bot.stamped import StampedCache
from bot.templates import TEMPLATES_DIR
from bot.uow import Database
from handlers.web.config import WebSection
from handlers.web.signin import shared_key
from web import operations
from web.actions import Actions
from web.auth import Gate, SignInLimiter
from web.console import Console
from web.pages import overview, signin
from web.render import Labels, Pages

if TYPE_CHECKING:
    from bot.app import App

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Scripts only from the console itself (no inline script): member-written text can never run.
HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the headers above to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def routes() -> list[Route | Mount]:
    from web.pages import audit, campaigns, feedback, kocs, members, schedule, threads

    return [
        Route("/healthz", operations.healthz),
        Route("/metrics", operations.metrics),
        Route("/signin", signin.signin_help),
        Route("/signin/{token}", signin.signin_confirm),
        Route("/signin/{token}", signin.signin, methods=["POST"]),
        Route("/signout", signin.signout, methods=["POST"]),
        Route("/locale", signin.choose_locale, methods=["POST"]),
        Route("/", overview.overview_page),
        *feedback.ROUTES,
        *threads.ROUTES,
        *members.ROUTES,
        *kocs.ROUTES,
        *campaigns.ROUTES,
        *schedule.ROUTES,
        *audit.ROUTES,
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


async def build_console(database: Database, services: Services, *, bot: App | None = None) -> ASGIApp:
    """The console over `database` and `services`; `bot`: the bot running in this process, if any (its
    sender is woken by actions, its transport and scheduler are reported by /healthz and /metrics)."""
    section = services.settings.section(WebSection)
    secret = section.secret_key or await _shared_secret(database)
    overrides = services.settings.bot.templates_dir
    roots = (overrides, TEMPLATES_DIR) if overrides else (TEMPLATES_DIR,)
    console = Console(
        database=database,
        services=services,
        gate=Gate(database.engine, services.clock, services.directory, secret),
        pages=Pages(Labels(roots), services.settings.bot.timezone),
        actions=Actions(database, services, bot.wake if bot is not None else lambda: None),
        limiter=SignInLimiter(section.signin_attempts_per_minute),
        kept=StampedCache(),
        bot=bot,
    )
    app = Starlette(routes=routes())
    app.state.console = console
    return SecurityHeaders(app)


async def _shared_secret(database: Database) -> str:
    async with database.write_transaction() as conn:
        return await shared_key(conn, "session-cookies")
