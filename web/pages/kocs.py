"""KOCs: the roster by stage and owner, promises due and overdue, agreements and title terms, the pool, health."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from handlers.koc.config import KocSection
from web.auth import Visit
from web.console import console_of, staff
from web.data.kocs import koc_page, reading_context


@staff
async def kocs_page(request: Request, visit: Visit) -> Response:
    console = console_of(request)
    today = console.services.clock.now().astimezone(console.pages.zone).date()
    async with console.engine.connect() as conn:
        found = await koc_page(reading_context(console.services, conn, visit.moderator), today, console.kept)
    weights = console.services.settings.section(KocSection)
    return console.page(visit, "kocs.html", page=found, weights=weights)


ROUTES = [Route("/kocs", kocs_page)]
