"""Issue threads: open ones by department and age; a thread with its internal notes; resolve (previewed) and reopen."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from handlers.threads.config import ThreadsSection
from web.actions import ActionResult
from web.auth import Visit
from web.console import Console, console_of, staff
from web.data.common import number, room_names
from web.data.threads import thread_list, thread_page


def resolve_command(thread_id: int, text: str, at: str, *, preview: bool) -> str:
    """/issue resolve as a moderator types it: the text, then the options the command reads."""
    command = f"/issue resolve {thread_id} {text.strip()}"
    if at.strip():
        command += f" --at {at.strip().replace('T', ' ')}"
    return command + (" --preview" if preview else "")


@staff
async def list_page(request: Request, visit: Visit) -> Response:
    console, query = console_of(request), request.query_params
    resolved = query.get("resolved") == "1"
    department, room, page = query.get("department", ""), number(query.get("room")), number(query.get("page"), 1) or 1
    async with console.engine.connect() as conn:
        found, room_counts, more = await thread_list(
            conn, resolved=resolved, department=department, room=room, page=page
        )
        names = await room_names(conn)
    return console.page(
        visit,
        "threads.html",
        threads=found,
        room_counts=room_counts,
        more=more,
        page=page,
        resolved=resolved,
        department=department,
        room=room,
        rooms=names,
        query=query,
        now=console.services.clock.now(),
        departments=console.services.settings.section(ThreadsSection).departments,
    )


async def _thread(console: Console, visit: Visit, thread_id: int, results: list[ActionResult]) -> Response:
    async with console.engine.connect() as conn:
        found = await thread_page(conn, thread_id, await room_names(conn))
    if found is None:
        return console.page(visit, "not_found.html", status=404)
    return console.page(visit, "thread.html", page=found, results=results)


@staff
async def thread_view(request: Request, visit: Visit) -> Response:
    return await _thread(console_of(request), visit, request.path_params["thread_id"], [])


@staff
async def preview(request: Request, visit: Visit) -> Response:
    """The notice each room will get, before anything is sent (htmx fills it in under the form)."""
    console, form, thread_id = console_of(request), await request.form(), request.path_params["thread_id"]
    command = resolve_command(thread_id, str(form.get("text", "")), str(form.get("at", "")), preview=True)
    result = await console.actions.run(visit.moderator, command, visit.locale)
    return console.fragment(visit, "results.html", results=[result])


@staff
async def resolve(request: Request, visit: Visit) -> Response:
    console, form, thread_id = console_of(request), await request.form(), request.path_params["thread_id"]
    command = resolve_command(thread_id, str(form.get("text", "")), str(form.get("at", "")), preview=False)
    result = await console.actions.run(visit.moderator, command, visit.locale)
    return await _thread(console, visit, thread_id, [result])


@staff
async def reopen(request: Request, visit: Visit) -> Response:
    console, form, thread_id = console_of(request), await request.form(), request.path_params["thread_id"]
    command = f"/issue reopen {thread_id} {str(form.get('reason', '')).strip()}".rstrip()
    result = await console.actions.run(visit.moderator, command, visit.locale)
    return await _thread(console, visit, thread_id, [result])


ROUTES = [
    Route("/threads", list_page),
    Route("/threads/{thread_id:int}", thread_view),
    Route("/threads/{thread_id:int}/preview", preview, methods=["POST"]),
    Route("/threads/{thread_id:int}/resolve", resolve, methods=["POST"]),
    Route("/threads/{thread_id:int}/reopen", reopen, methods=["POST"]),
]
