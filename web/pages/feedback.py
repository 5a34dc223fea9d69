"""The feedback board: filter, open an item, change it, or change many at once (one confirmation, a report)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from handlers.feedback.config import FeedbackSection
from handlers.feedback.rules import short_id
from handlers.feedback.tables import Kind, Status
from web.actions import ActionResult
from web.auth import Visit
from web.console import Console, console_of, staff
from web.data.common import day_start, number, room_names
from web.data.feedback import BoardFilter, board, item_page

ACTIONS = ("status", "assign", "merge", "ship", "decline")
BULK_ACTIONS = ("status", "assign", "decline")
BULK_MOST = 200  # items changed by one confirmation at most


def tail_text(text: str) -> str:
    """Free text for a command's tail: the command reads it to the end, line breaks included."""
    return text.strip()


def command_for(action: str, item_id: int, form: Mapping[str, Any]) -> str:
    """The slash-command this console action is, exactly as a moderator would type it in chat."""
    item = short_id(item_id)

    def field(name: str) -> str:
        return tail_text(str(form.get(name, "")))

    if action == "status":
        return f"/fb status {item} {field('status')} {field('reason')}".rstrip()
    if action == "assign":
        return f"/fb assign {item} {field('department')}".rstrip()
    if action == "merge":
        return f"/fb merge {item} {field('into')}".rstrip()
    if action == "ship":
        return f"/fb ship {item} {field('version')} {field('reason')}".rstrip()
    if action == "decline":
        return f"/fb decline {item} {field('reason')}".rstrip()
    raise ValueError(action)


def board_filter(query: Mapping[str, str], console: Console) -> BoardFilter:
    getall = getattr(query, "getlist", lambda key: [query[key]] if key in query else [])
    statuses = tuple(s for s in getall("status") if s in Status.__members__.values())
    return BoardFilter(
        statuses=statuses,
        department=query.get("department", ""),
        kind=query.get("kind", "") if query.get("kind", "") in Kind.__members__.values() else "",
        room=number(query.get("room")),
        older_than_days=number(query.get("older"), most=36500),
        since=day_start(query.get("since"), console.pages.zone),
        min_plus_ones=number(query.get("plus")),
        words=query.get("q", "").strip()[:100],
        page=number(query.get("page"), 1, most=100_000) or 1,
    )


@staff
async def board_page(request: Request, visit: Visit) -> Response:
    console = console_of(request)
    wanted = board_filter(request.query_params, console)
    async with console.engine.connect() as conn:
        found = await board(conn, wanted, console.services.clock.now())
        rooms = await room_names(conn)
    return console.page(
        visit,
        "feedback_board.html",
        board=found,
        wanted=wanted,
        rooms=rooms,
        statuses=list(Status),
        kinds=list(Kind),
        departments=console.services.settings.section(FeedbackSection).departments,
        query=request.query_params,
        short_id=short_id,
    )


async def _item(
    console: Console, visit: Visit, item_id: int, results: list[ActionResult], status: int = 200
) -> Response:
    async with console.engine.connect() as conn:
        found = await item_page(conn, item_id, await room_names(conn))
    if found is None:
        return console.page(visit, "not_found.html", status=404)
    section = console.services.settings.section(FeedbackSection)
    return console.page(
        visit,
        "feedback_item.html",
        status=status,
        page=found,
        results=results,
        statuses=list(Status),
        departments=section.departments,
        short_id=short_id,
    )


@staff
async def item_view(request: Request, visit: Visit) -> Response:
    return await _item(console_of(request), visit, request.path_params["item_id"], [])


@staff
async def item_action(request: Request, visit: Visit) -> Response:
    console, action = console_of(request), request.path_params["action"]
    if action not in ACTIONS:
        return PlainTextResponse("no such action", status_code=404)
    item_id = request.path_params["item_id"]
    result = await console.actions.run(
        visit.moderator, command_for(action, item_id, await request.form()), visit.locale
    )
    return await _item(console, visit, item_id, [result], status=200 if result.ok else 422)


def _chosen(form: FormData) -> list[int]:
    ids = {int(v) for v in form.getlist("item") if isinstance(v, str) and v.isdigit() and len(v) < 10}
    return sorted(ids)[:BULK_MOST]


@staff
async def bulk(request: Request, visit: Visit) -> Response:
    """First the confirmation (what will happen to which items), then each item's own command and its result."""
    console, form = console_of(request), await request.form()
    action, chosen = str(form.get("action", "")), _chosen(form)
    if action not in BULK_ACTIONS or not chosen:
        return console.page(
            visit,
            "feedback_bulk.html",
            status=422,
            action=action,
            chosen=chosen,
            form=form,
            results=None,
            commands=[],
            problem="choose",
        )
    commands = [command_for(action, item_id, form) for item_id in chosen]
    if form.get("confirmed") != "yes":
        return console.page(
            visit,
            "feedback_bulk.html",
            action=action,
            chosen=chosen,
            form=form,
            results=None,
            commands=commands,
            problem=None,
        )
    results = [await console.actions.run(visit.moderator, command, visit.locale) for command in commands]
    return console.page(
        visit,
        "feedback_bulk.html",
        action=action,
        chosen=chosen,
        form=form,
        results=results,
        commands=commands,
        problem=None,
    )


ROUTES = [
    Route("/feedback", board_page),
    Route("/feedback/bulk", bulk, methods=["POST"]),
    Route("/feedback/{item_id:int}", item_view),
    Route("/feedback/{item_id:int}/{action}", item_action, methods=["POST"]),
]
