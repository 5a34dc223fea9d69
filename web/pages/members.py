"""Members: search by name or by room and day; one member's thanks, points, titles, feedback, threads and KOC record."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from handlers.feedback.rules import short_id
from web.auth import Visit
from web.console import console_of, staff
from web.data.common import day_start, number, room_names
from web.data.members import member_page, search


@staff
async def list_page(request: Request, visit: Visit) -> Response:
    console, query = console_of(request), request.query_params
    words, room = query.get("q", "").strip()[:100], number(query.get("room"))
    since, page = day_start(query.get("since"), console.pages.zone), number(query.get("page"), 1) or 1
    async with console.engine.connect() as conn:
        found, more = await search(conn, words, room, since, query.get("sort") == "thanks", page)
        rooms = await room_names(conn)
    return console.page(
        visit,
        "members.html",
        members=found,
        more=more,
        page=page,
        words=words,
        room=room,
        rooms=rooms,
        since=query.get("since", ""),
        query=query,
    )


@staff
async def member_view(request: Request, visit: Visit) -> Response:
    console = console_of(request)
    async with console.engine.connect() as conn:
        found = await member_page(conn, request.path_params["member_id"])
        rooms = await room_names(conn)
    if found is None:
        return console.page(visit, "not_found.html", status=404)
    return console.page(visit, "member.html", page=found, rooms=rooms, short_id=short_id)


ROUTES = [Route("/members", list_page), Route("/members/{member_id:int}", member_view)]
