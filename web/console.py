"""The console's shared parts, passed to every endpoint: the bot's database and services, the gate, pages, actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from bot.context import Services
from bot.stamped import StampedCache
from bot.uow import Database
from handlers.web.config import WebSection
from web.actions import Actions
from web.auth import Gate, SignInLimiter, Visit, csrf_ok
from web.render import Pages

if TYPE_CHECKING:
    from bot.app import App

Handler = Callable[[Request, Visit], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
NAV = ("overview", "feedback", "threads", "members", "kocs", "campaigns", "schedule", "audit")


@dataclass(frozen=True, slots=True)
class Console:
    database: Database
    services: Services
    gate: Gate
    pages: Pages
    actions: Actions
    limiter: SignInLimiter
    kept: StampedCache  # counts over time that is over: the monthly report's, the KOC pool's whole days
    bot: App | None  # the bot in this process (`kocbot run`); None for `kocbot web` alone

    @property
    def engine(self) -> AsyncEngine:
        return self.database.engine

    @property
    def section(self) -> WebSection:
        return self.services.settings.section(WebSection)

    def page(self, visit: Visit, name: str, *, status: int = 200, **params: Any) -> HTMLResponse:
        html = self.pages.render(name, visit.locale, visit=visit, nav=NAV, **params)
        return HTMLResponse(html, status_code=status)

    def fragment(self, visit: Visit, name: str, **params: Any) -> HTMLResponse:
        """Part of a page, for htmx."""
        return HTMLResponse(self.pages.render(name, visit.locale, visit=visit, **params))


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def refused(request: Request) -> Response:
    """No session (or no longer a moderator): a page asks for a link; anything else is plainly 401."""
    if request.method == "GET" and "hx-request" not in request.headers:
        return RedirectResponse("/signin", status_code=303)
    return PlainTextResponse("sign in again: send /console to the bot", status_code=401)


def staff(handler: Handler) -> Endpoint:
    """A page or action for moderators and admins; a state change also needs the session's CSRF token."""

    async def endpoint(request: Request) -> Response:
        visit = await console_of(request).gate.visit(request)
        if visit is None:
            return refused(request)
        if request.method != "GET" and not await csrf_ok(request, visit):
            return PlainTextResponse("the form is missing its security token: reload the page", status_code=403)
        return await handler(request, visit)

    endpoint.__name__ = handler.__name__
    return endpoint
