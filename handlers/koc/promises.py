"""Promises: what the brand owes a member, with a due date; kept, or waived with a reason.

Moderators add them (`/koc promise @x text --due 2026-12-20`); rewards to a KOC and a KOC's
feedback create them through the recognition and feedback hooks, once per `source_key`; a
feedback item's first status change keeps the answer owed on it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from bot.commands import Invocation, parse_date
from bot.context import Context
from bot.db import schema
from bot.db.dialect import insert_for
from bot.db.schema import Stage
from bot.errors import UsageError, UserFacingError
from bot.lookup import row_by_id
from handlers.feedback.config import FeedbackSection
from handlers.koc.tables import PromiseStatus, promises
from handlers.recognition.ledger import titles_of

if TYPE_CHECKING:
    from handlers.feedback.items import HistoryEntry

_LOGGER = logging.getLogger(__name__)
_DUE = re.compile(r"(?:--due|--截止)\s+(\S+)")
KOC_STAGES = (Stage.ACTIVE.value, Stage.RESTING.value)
REWARD_DUE_DAYS = 14  # a reward (a gift, a certificate, the title made public) is delivered within two weeks


def working_days_after(start: date, days: int) -> date:
    """`days` working days (Monday to Friday) after `start`."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        days -= current.weekday() < 5
    return current


def _line(ctx: Context, row: Any, names: dict[int, str] | None = None) -> dict[str, Any]:
    overdue = row.due is not None and row.due < ctx.today
    return {
        "id": row.id,
        "text": row.text,
        "due": row.due.isoformat() if row.due else None,
        "overdue": overdue,
        "source": row.source,
        "name": (names or {}).get(row.member_id),
    }


async def open_rows(ctx: Context, member_id: int | None = None) -> list[Any]:
    """Open promises (one member's, or everyone's), overdue first: earliest due date first."""
    query = select(promises).where(promises.c.status == PromiseStatus.OPEN.value)
    if member_id is not None:
        query = query.where(promises.c.member_id == member_id)
    rows = await _without_titles_given(ctx, (await ctx.db.execute(query)).all())
    return sorted(rows, key=lambda r: (r.due is None, r.due or date.max, r.id))


async def _without_titles_given(ctx: Context, rows: Sequence[Any]) -> list[Any]:
    """A title's promise left open by an older kocbot (granting it kept only a term's) is kept when read:
    the member holds the title, so nothing is owed."""
    titled = [r for r in rows if r.source == "title"]
    held = await titles_of(ctx.db, [r.member_id for r in titled]) if titled else {}
    given = {r.id for r in titled if r.text in held.get(r.member_id, ())}
    for promise_id in given:
        await settle(ctx, promise_id, PromiseStatus.KEPT, "granted")
    return [r for r in rows if r.id not in given]


async def open_promises(ctx: Context, member_id: int | None = None) -> list[dict[str, Any]]:
    rows = await open_rows(ctx, member_id)
    names = await _names(ctx, [r.member_id for r in rows])
    return [_line(ctx, row, names) for row in rows]


async def _names(ctx: Context, member_ids: list[int]) -> dict[int, str]:
    from handlers.koc.records import names_of  # records imports this module for /koc show

    return await names_of(ctx, member_ids)


async def create_promise(
    ctx: Context, member_id: int, text: str, due: date | None, source: str, source_key: str | None = None
) -> int | None:
    """Record a promise; with a `source_key`, at most once (None: it exists already)."""
    stmt = insert_for(ctx.db, promises).values(
        member_id=member_id,
        text=text,
        due=due,
        source=source,
        source_key=source_key,
        status=PromiseStatus.OPEN.value,
        created_at=ctx.now,
        created_by=ctx.actor.id or None,
    )
    if source_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["source_key"])
    promise_id = (await ctx.db.execute(stmt.returning(promises.c.id))).scalar_one_or_none()
    if promise_id is not None:
        _LOGGER.info("promise #%s to member %s (%s)", promise_id, member_id, source_key or source)
    return promise_id


async def settle(ctx: Context, promise_id: int, status: PromiseStatus, note: str | None) -> None:
    await ctx.db.execute(
        update(promises)
        .where(promises.c.id == promise_id)
        .values(status=status.value, settled_at=ctx.now, settled_by=ctx.actor.id or None, settle_note=note)
    )


async def keep_by_key(ctx: Context, prefix: str, note: str) -> int:
    """Keep the open promises whose source_key starts with `prefix`; how many."""
    rows = (
        (
            await ctx.db.execute(
                select(promises.c.id).where(
                    promises.c.source_key.startswith(prefix), promises.c.status == PromiseStatus.OPEN.value
                )
            )
        )
        .scalars()
        .all()
    )
    for promise_id in rows:
        await settle(ctx, promise_id, PromiseStatus.KEPT, note)
    return len(rows)


def parse_due(text: str) -> tuple[str, date | None]:
    """The text without its `--due DATE`, and the date (None: missing or not a date)."""
    found = _DUE.search(text)
    if found is None:
        return text.strip(), None
    rest = (text[: found.start()] + text[found.end() :]).strip()
    return rest, parse_date(found[1])  # NoSuchDate for 2027-13-01: the member hears why


async def add_promise(ctx: Context, cmd: Invocation) -> None:
    """/koc promise @x text --due 2026-12-20"""
    from handlers.koc.records import target_of

    member = await target_of(ctx, cmd)
    text, due = parse_due(cmd.text)
    if not text:
        raise UsageError("koc/problem_rec_promise_text")
    if due is None:
        raise UsageError("koc/problem_rec_due")
    promise_id = await create_promise(ctx, member.id, text, due, "manual")
    ctx.note_audit(target=member, promise=promise_id, due=due.isoformat())
    await ctx.reply("koc/promise_added", id=promise_id, name=member.name, text=text, due=due.isoformat())


async def list_promises(ctx: Context, cmd: Invocation) -> None:
    """/koc promises [@x]: the open ones, overdue first, privately."""
    from handlers.koc.records import target_of

    member = await target_of(ctx, cmd) if cmd.mentions else None
    await ctx.reply_privately(
        "koc/promises",
        name=member.name if member else None,
        promises=await open_promises(ctx, member.id if member else None),
    )


async def _open_promise(ctx: Context, cmd: Invocation) -> tuple[Any, str]:
    row = await row_by_id(
        ctx, cmd, promises, problem="koc/problem_rec_promise_id", unknown="koc/problem_rec_no_such_promise"
    )
    if row.status != PromiseStatus.OPEN:
        raise UserFacingError("koc/problem_rec_promise_settled", id=row.id, status=row.status)
    rest = cmd.text.split(maxsplit=1)
    return row, rest[1].strip() if len(rest) > 1 else ""


async def keep(ctx: Context, cmd: Invocation) -> None:
    """/koc keep ID [note]"""
    row, note = await _open_promise(ctx, cmd)
    await settle(ctx, row.id, PromiseStatus.KEPT, note or None)
    ctx.note_audit(promise=row.id, note=note)
    await ctx.reply("koc/promise_kept", id=row.id, text=row.text, note=note)


async def waive(ctx: Context, cmd: Invocation) -> None:
    """/koc waive ID reason: a promise the brand cannot keep is let go openly, with the reason."""
    row, reason = await _open_promise(ctx, cmd)
    if not reason:
        raise UsageError("koc/problem_rec_waive_reason")
    await settle(ctx, row.id, PromiseStatus.WAIVED, reason)
    ctx.note_audit(promise=row.id, reason=reason)
    await ctx.reply("koc/promise_waived", id=row.id, text=row.text, reason=reason)


async def digest_section(ctx: Context) -> tuple[str, dict[str, Any]] | None:
    """Overdue promises for the moderators' weekly digest (nothing when none is overdue)."""
    overdue = [line for line in await open_promises(ctx) if line["overdue"]]
    return ("koc/promises_digest", {"promises": overdue}) if overdue else None


async def _is_koc(ctx: Context, member_id: int) -> bool:
    m = schema.members
    stage = (await ctx.db.execute(select(m.c.stage).where(m.c.id == member_id))).scalar_one_or_none()
    return stage in KOC_STAGES


async def on_reward(ctx: Context, rewarded: Any) -> None:
    """Recognition's hook: points given to a KOC are a reward the brand now owes them. A title is given
    by granting it, whichever path granted it (/title grant, a term, an event, feedback, a campaign, the
    thanks threshold): its promise is recorded kept at once, so it never waits in the digest or holds up an exit."""
    if not await _is_koc(ctx, rewarded.member_id):
        return
    text = f"{rewarded.title}" if rewarded.title else f"+{rewarded.points} · {rewarded.reason}"
    source = "title" if rewarded.title else "reward"
    key = f"reward:{rewarded.key}"
    due = ctx.today + timedelta(days=REWARD_DUE_DAYS)
    promise_id = await create_promise(ctx, rewarded.member_id, text, due, source, key)
    if promise_id is not None and rewarded.title:
        await settle(ctx, promise_id, PromiseStatus.KEPT, "granted")


async def on_feedback_history(ctx: Context, entry: HistoryEntry) -> None:
    """Feedback's hook: a KOC's new item is owed an answer; its first status change is that answer."""
    from handlers.feedback.items import find_item
    from handlers.feedback.rules import OPEN

    item_id, what, to_status = entry.item_id, entry.what, entry.to_status
    if what == "submitted":
        item = await find_item(ctx.db, item_id)
        if item is not None and await _is_koc(ctx, item.reporter_id):
            days = ctx.settings.section(FeedbackSection).response_days
            await create_promise(
                ctx,
                item.reporter_id,
                f"{item.short_id}「{item.title}」",
                working_days_after(ctx.today, days),
                "feedback",
                f"feedback:{item_id}:answer",
            )
    elif what == "status" and to_status is not None:
        await keep_by_key(ctx, f"feedback:{item_id}:answer", str(to_status.value))
        if to_status not in OPEN:
            await keep_by_key(ctx, f"feedback:{item_id}:outcome:", str(to_status.value))
