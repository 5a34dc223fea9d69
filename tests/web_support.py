"""Helpers for the web console's tests: a client over the ASGI app, and signing in as chat would."""

from __future__ import annotations

import re

import httpx

from bot.app import App
from tests.support import Chat
from web.app import build_console

LINK = re.compile(r"https?://\S+/signin/(\S+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def console_client(app: App) -> httpx.AsyncClient:
    asgi = await build_console(app.database, app.services, bot=app)
    transport = httpx.ASGITransport(app=asgi, client=("127.0.0.1", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://console.test")


async def link_for(chat: Chat, who: str) -> str:
    """The sign-in token /console sends `who` privately."""
    replies = await chat.dm(who, "/console")
    found = LINK.search(replies[-1])
    assert found is not None, replies
    return found[1]


async def sign_in(client: httpx.AsyncClient, chat: Chat, who: str = "mod") -> str:
    """Signs `who` in; returns the session's CSRF token (read from a page, as a browser would have it)."""
    token = await link_for(chat, who)
    response = await client.post(f"/signin/{token}")
    assert response.status_code == 303, response.text
    page = await client.get("/")
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None
    return found[1]
