"""Scheduling and the outbox: next runs on a calendar, cancel an announcement; held, failed and sent messages, retry."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.actions import ActionResult
from web.auth import Visit
from web.console import Console, console_of, staff
from web.data.schedule import calendar, outbox_rows, scheduled_announcements
from web.pages.overview import outbox_counts


async def _page(console: Console, visit: Visit, results: list[ActionResult]) -> Response:
    now = console.services.clock.now()
    async with console.engine.connect() as conn:
        days = await calendar(conn, console.pages.zone)
        found = await scheduled_announcements(conn)
        queues = await outbox_rows(conn, now)
        counts = await outbox_counts(conn, now)
    status = 200 if all(r.ok for r in results) else 422
    return console.page(
        visit,
        "schedule.html",
        status=status,
        days=days,
        announcements=found,
        queues=queues,
        counts=counts,
        results=results,
    )


@staff
async def schedule_page(request: Request, visit: Visit) -> Response:
    return await _page(console_of(request), visit, [])


async def _run(request: Request, visit: Visit, command: str) -> Response:
    console = console_of(request)
    result = await console.actions.run(visit.moderator, command, visit.locale)
    return await _page(console, visit, [result])


@staff
async def cancel_announcement(request: Request, visit: Visit) -> Response:
    return await _run(request, visit, f"/announce cancel {request.path_params['announcement_id']}")


@staff
async def retry_message(request: Request, visit: Visit) -> Response:
    return await _run(request, visit, f"/outbox retry {request.path_params['message_id']}")


@staff
async def retry_failed(request: Request, visit: Visit) -> Response:
    return await _run(request, visit, "/outbox retry failed")


ROUTES = [
    Route("/schedule", schedule_page),
    Route("/schedule/announcements/{announcement_id:int}/cancel", cancel_announcement, methods=["POST"]),
    Route("/outbox/{message_id:int}/retry", retry_message, methods=["POST"]),
    Route("/outbox/retry-failed", retry_failed, methods=["POST"]),
]
