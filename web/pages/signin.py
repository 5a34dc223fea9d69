"""Signing in with a link from /console, signing out, and the page language."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.config import LOCALES
from bot.db.schema import Role
from handlers.web.signin import end_session, open_session, set_locale, use_link
from web.auth import COOKIE, Visit
from web.console import Console, console_of, staff

_LOGGER = logging.getLogger(__name__)


def _plain(console: Console, name: str, status: int = 200, **params: object) -> HTMLResponse:
    locale = console.services.settings.bot.locale
    html = console.pages.render(name, locale, visit=None, nav=(), **params)
    return HTMLResponse(html, status_code=status)


async def signin_help(request: Request) -> Response:
    return _plain(console_of(request), "signin.html", token=None, problem=None)


async def signin_confirm(request: Request) -> Response:
    """The link itself only shows a button: link previews and scanners that open it use nothing up."""
    return _plain(console_of(request), "signin.html", token=request.path_params["token"], problem=None)


async def signin(request: Request) -> Response:
    console = console_of(request)
    client = request.client.host if request.client else "?"
    if not console.limiter.allow(client):
        _LOGGER.warning("console: too many sign-in attempts from %s", client)
        return _plain(console, "signin.html", status=429, token=None, problem="too_many")
    now = console.services.clock.now()
    async with console.database.write_transaction() as conn:
        member_id = await use_link(conn, request.path_params["token"], now)
        member = None if member_id is None else await console.services.directory.find_member_by_id(conn, member_id)
        if member is None or member.role < Role.MODERATOR:
            problem = "bad_link" if member is None else "not_staff"
            return _plain(console, "signin.html", status=403, token=None, problem=problem)
        locale = console.services.renderer.locale_or_default(member.locale)
        token, session = await open_session(conn, member.id, locale, now, console.section.session_hours)
    _LOGGER.info("console: %s signed in (session %d)", member.platform_id, session.id)
    response = RedirectResponse("/", status_code=303)
    secure = console.section.base_url().startswith("https://")
    max_age = int(console.section.session_hours * 3600)
    value = console.gate.cookie_value(token)
    response.set_cookie(COOKIE, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/")
    return response


@staff
async def signout(request: Request, visit: Visit) -> Response:
    console = console_of(request)
    async with console.database.write_transaction() as conn:
        await end_session(conn, visit.session.id, console.services.clock.now())
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@staff
async def choose_locale(request: Request, visit: Visit) -> Response:
    locale = str((await request.form()).get("locale", ""))
    if locale in LOCALES:
        console = console_of(request)
        async with console.database.write_transaction() as conn:
            await set_locale(conn, visit.session.id, locale)
    back = urlsplit(request.headers.get("referer", "")).path or "/"  # a path of this site, never another site
    return RedirectResponse(back, status_code=303)
