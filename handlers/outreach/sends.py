"""/outreach send (/触达 发送): a saved template rendered for each member of a segment, privately.

The command records the send; the segment is evaluated and every member's text rendered as heavy
work (off the event loop, outside the write transaction, resumed after a restart); the delivery then
writes, in one transaction, each member's recipient row and outbox row (the same key guards both),
so a member gets a send once however often the work runs. The outbox applies quiet hours and the
contact budget (unsolicited, routine); opted-out members were never in the segment, and those who
opt out while a run is rendered are skipped when it is written. `--at` and `--every` schedule the
runs (handlers/outreach/send_schedule); each run is numbered and keyed by its number.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Invocation, parse_id
from bot.config import CoreSettings
from bot.context import Context
from bot.db import schema
from bot.db.schema import Delivery, OutgoingKind, UTCDateTime
from bot.errors import UsageError, UserFacingError
from bot.heavy.spec import Work
from bot.outbox import Draft
from handlers.outreach.config import OutreachSection
from handlers.outreach.custom_templates import find_custom_template, sandbox
from handlers.outreach.segment_parse import parse
from handlers.outreach.segment_query import Compiler, count_and_first, not_staff
from handlers.outreach.segments import find_segment
from handlers.outreach.send_parse import SendRequest, parse_send
from handlers.outreach.send_recipients import Recipient, recipients_of
from handlers.outreach.send_schedule import next_runs, schedule, start_run, stop, times_of, zone_of
from handlers.outreach.tables import SendStatus, consent, outreach_recipients, outreach_sends

_LOGGER = logging.getLogger(__name__)
SAMPLES = 3  # rendered texts a dry run shows


async def send(ctx: Context, cmd: Invocation) -> None:
    """/outreach send SEGMENT --template NAME [--at TIME | --every CRON] [--dry-run]."""
    request = parse_send(cmd, zone_of(ctx), ctx.now)
    expression = await find_segment(ctx.db, request.segment)
    found = await find_custom_template(ctx.db, request.template)
    if found is None:
        raise UserFacingError("outreach/template_unknown", name=request.template)
    if "community" in sandbox().check(found.source).variables:
        raise UserFacingError("outreach/send_problem", reason="community", template=request.template)
    if request.dry:
        at = request.at.isoformat() if request.at else None
        await ctx.hand_off(
            "outreach dry run", segment=request.segment, template=request.template, at=at, cron=request.cron
        )
        return
    send_id = await _record(ctx, request)
    ctx.note_audit(send=send_id, segment=request.segment, template=request.template, cron=request.cron)
    if not request.scheduled:
        row = (await ctx.db.execute(select(outreach_sends).where(outreach_sends.c.id == send_id))).one()
        await start_run(ctx, row)
        return
    # Asked now, before it runs: a big send is confirmed once, ahead of its time (a recurring one too).
    count, _ = await count_and_first(ctx.db, expression, ctx.now, ctx.settings, first=0)
    awaiting = count > _section(ctx.settings).confirm_over
    if awaiting:
        await ctx.db.execute(
            update(outreach_sends).where(outreach_sends.c.id == send_id).values(status=SendStatus.AWAITING.value)
        )
    await schedule(ctx, send_id, request, count, awaiting)


async def _record(ctx: Context, request: SendRequest) -> int:
    values = {
        "segment": request.segment,
        "template": request.template,
        "status": SendStatus.SCHEDULED.value,
        "created_at": ctx.now,
        "created_by": ctx.actor.id,
        "run_at": request.at or ctx.now,
        "cron": request.cron,
        "runs": 0,
    }
    return int(
        (await ctx.db.execute(outreach_sends.insert().values(**values).returning(outreach_sends.c.id))).scalar_one()
    )


async def confirm(ctx: Context, cmd: Invocation) -> None:
    """/outreach confirm ID: a moderator lets a big send go out (WeCom too asks a person to confirm).
    A run that came due while it waited goes out now; a scheduled one keeps its time."""
    row = await _send_row(ctx.db, cmd)
    if row.status != SendStatus.AWAITING.value:
        raise UserFacingError("outreach/send_not_awaiting", id=row.id, status=row.status)
    await ctx.db.execute(
        update(outreach_sends)
        .where(outreach_sends.c.id == row.id)
        .values(status=SendStatus.SCHEDULED.value, confirmed_at=ctx.now, confirmed_by=ctx.actor.id, waiting_run=None)
    )
    ctx.note_audit(send=row.id)
    if row.waiting_run is not None:
        await ctx.hand_off("outreach send", send=row.id, run=row.waiting_run, confirmed=True)
        return
    await ctx.reply_privately("outreach/send_confirmed", id=row.id, times=await next_runs(ctx, row), cron=row.cron)


async def cancel(ctx: Context, cmd: Invocation) -> None:
    """/outreach cancel ID: a send waiting for confirmation is dropped; a scheduled one runs no more,
    and what it queued that has not gone out yet is taken back."""
    row = await _send_row(ctx.db, cmd)
    if row.status not in (SendStatus.AWAITING.value, SendStatus.SCHEDULED.value):
        raise UserFacingError("outreach/send_not_cancellable", id=row.id, status=row.status)
    withdrawn = await stop(ctx, row)
    ctx.note_audit(send=row.id, withdrawn=withdrawn)
    await ctx.reply("outreach/send_cancelled", id=row.id, runs=row.runs, withdrawn=withdrawn, cron=row.cron)


async def _send_row(conn: AsyncConnection, cmd: Invocation) -> Any:
    send_id = parse_id(cmd.args[0] if cmd.args else None)
    if send_id is None:
        raise UsageError("outreach/send_problem", reason="id")
    row = (await conn.execute(select(outreach_sends).where(outreach_sends.c.id == send_id))).first()
    if row is None:
        raise UserFacingError("outreach/send_unknown", id=send_id)
    return row


def _section(settings: CoreSettings) -> OutreachSection:
    """The [outreach] section: capability sections are added to the settings at load time."""
    section: OutreachSection = settings.outreach  # type: ignore[attr-defined]  # (see bot.config)
    return section


# Dry run: count, samples, what would be held; nothing sent.


async def compute_dry_run(work: Work) -> dict[str, Any]:
    segment, template = work.params["segment"], work.params["template"]
    everyone = await recipients_of(work, segment, template)
    return {
        "segment": segment,
        "template": template,
        "recipients": [r for r in everyone if r.inside],
        "left": sum(1 for r in everyone if not r.inside),
        "opted_out": await _segment_opted_out(work, await find_segment(work.db, segment)),
        "at": work.params.get("at"),
        "cron": work.params.get("cron"),
    }


async def _segment_opted_out(work: Work, expression: str) -> int:
    """Members the segment leaves out only because they opted out."""
    members = schema.members
    where = await Compiler(work.db, work.now).clause(parse(expression))
    out = members.c.id.in_(select(consent.c.member_id).where(consent.c.opted_out.is_(True)))
    stmt = select(func.count()).select_from(members).where(where, out, not_staff(work.settings))
    return int((await work.db.execute(stmt)).scalar_one())


async def deliver_dry_run(ctx: Context, result: dict[str, Any]) -> None:
    """The answer; with --at or --every, when it would run, and what would be held then."""
    recipients: list[Recipient] = result["recipients"]
    at = datetime.fromisoformat(result["at"]) if result.get("at") else None
    times = times_of(at, result.get("cron"), zone_of(ctx), ctx.now)
    first = times[0] if times else None
    hints = _Hints(ctx)
    drafts = [_draft(ctx, hints, r, "dry-run", not_before=first) for r in recipients if r.text is not None]
    held = await _held(ctx, drafts, first or ctx.now)
    await ctx.reply_privately(
        "outreach/send_dry_run",
        segment=result["segment"],
        template=result["template"],
        count=len(recipients),
        samples=[{"name": r.name, "text": hints.text(r)} for r in recipients[:SAMPLES] if r.text is not None],
        failed=sum(1 for r in recipients if r.text is None),
        left=result["left"],
        opted_out=result["opted_out"],
        over=len(recipients) > _section(ctx.settings).confirm_over,
        confirm_over=_section(ctx.settings).confirm_over,
        times=times,
        cron=result.get("cron"),
        timezone=zone_of(ctx).key,
        **held,
    )


async def _held(ctx: Context, drafts: list[Draft], when: datetime) -> dict[str, int]:
    """How many of `drafts` quiet hours and the contact budget would hold at `when` (nothing is written)."""
    policy = ctx.uow.database.policy
    if policy is None or not drafts:
        return {"quiet": 0, "budget": 0}
    moved = await policy.hold(ctx.db, drafts, ctx.now)
    later = [d for d in moved if d.not_before is not None and d.not_before > when]
    quiet_end = policy.quiet.release(when, policy.private_tz) if policy.quiet else None
    quiet = sum(1 for d in later if quiet_end is not None and d.not_before == quiet_end)
    return {"quiet": quiet, "budget": len(later) - quiet}


class _Hints:
    """The opt-out line in each language, rendered once per delivery (not once per member)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx, self._texts = ctx, dict[str, str]()

    def text(self, recipient: Recipient) -> str:
        """The recipient's message: their rendering and the opt-out line."""
        locale = self._ctx.services.renderer.locale_or_default(recipient.locale)
        if locale not in self._texts:
            configured = _section(self._ctx.settings).opt_out_hint
            self._texts[locale] = configured or self._ctx.render("outreach/opt_out_hint", locale)
        return f"{recipient.text}\n{self._texts[locale]}"


def _key(send_id: int | str, run: int, member_id: int) -> str:
    return f"outreach:{send_id}:{run}:{member_id}"


def _draft(
    ctx: Context,
    hints: _Hints,
    recipient: Recipient,
    send_id: int | str,
    run: int = 1,
    not_before: datetime | None = None,
) -> Draft:
    locale = ctx.services.renderer.locale_or_default(recipient.locale)
    return Draft(
        hints.text(recipient),
        "outreach/template_text",
        locale,
        contact_id=recipient.platform_id,
        dedupe_key=_key(send_id, run, recipient.member_id),
        not_before=not_before,
        delivery=Delivery.ROUTINE,
        kind=OutgoingKind.UNSOLICITED,
    )


# The send itself: one run of it (the first and only one, or the Nth of a recurring send).


async def compute_send(work: Work) -> dict[str, Any]:
    send_id, run = int(work.params["send"]), int(work.params.get("run", 1))
    row = (await work.db.execute(select(outreach_sends).where(outreach_sends.c.id == send_id))).one()
    if row.status != SendStatus.SCHEDULED.value:
        return {"send": send_id, "run": run, "status": row.status, "recipients": []}
    already = await _already(work.db, send_id, run)
    everyone = await recipients_of(work, row.segment, row.template)  # the segment as it is at this run
    return {
        "send": send_id,
        "run": run,
        "status": row.status,
        "recurring": row.cron is not None,
        "confirmed": bool(work.params.get("confirmed")) or row.confirmed_at is not None,
        "recipients": [r for r in everyone if r.member_id not in already],
        "already": len(already),
    }


async def _already(conn: AsyncConnection, send_id: int, run: int) -> set[int]:
    r = outreach_recipients
    return set((await conn.execute(select(r.c.member_id).where(r.c.send_id == send_id, r.c.run == run))).scalars())


async def deliver_send(ctx: Context, result: dict[str, Any]) -> None:
    send_id, run, recipients = result["send"], result["run"], result["recipients"]
    now = (await ctx.db.execute(select(outreach_sends.c.status).where(outreach_sends.c.id == send_id))).scalar_one()
    if result["status"] != SendStatus.SCHEDULED.value or now != SendStatus.SCHEDULED.value:
        return  # cancelled (or waiting again) while the run was being rendered
    over = _section(ctx.settings).confirm_over
    if not result["confirmed"] and result["already"] == 0 and len(recipients) > over:
        await _await_confirmation(ctx, send_id, run, len(recipients))
        return
    queued = await _write(ctx, send_id, run, recipients)
    status = SendStatus.SCHEDULED if result["recurring"] else SendStatus.DONE
    await ctx.db.execute(
        update(outreach_sends)
        .where(outreach_sends.c.id == send_id, outreach_sends.c.status == SendStatus.SCHEDULED.value)
        .values(status=status.value, targeted=result["already"] + len(recipients))
    )
    _LOGGER.info("outreach #%d run %d: %d members queued", send_id, run, queued["queued"])
    await ctx.reply_privately("outreach/send_queued", id=send_id, run=run, recurring=result["recurring"], **queued)


async def _await_confirmation(ctx: Context, send_id: int, run: int, count: int) -> None:
    await ctx.db.execute(
        update(outreach_sends)
        .where(outreach_sends.c.id == send_id)
        .values(status=SendStatus.AWAITING.value, targeted=count, waiting_run=run)
    )
    await ctx.reply_privately(
        "outreach/send_awaiting", id=send_id, count=count, confirm_over=_section(ctx.settings).confirm_over
    )


async def _write(ctx: Context, send_id: int, run: int, recipients: list[Recipient]) -> dict[str, int]:
    """Each recipient's row, and their message unless they left or the template failed for them; a
    member recorded before in this run (a rerun after a crash) is skipped, here and by the outbox's
    key. One INSERT for the rows: this transaction is the only writer of this run's rows (a second
    one on PostgreSQL would fail on the key and roll back whole)."""
    already = await _already(ctx.db, send_id, run)
    # Opted out while the run was being rendered: the opt-out is final (one query for them all).
    out = set((await ctx.db.execute(select(consent.c.member_id).where(consent.c.opted_out.is_(True)))).scalars())
    counts = {"queued": 0, "left": 0, "failed": 0, "opted_out": 0}
    rows: list[dict[str, Any]] = []
    drafts: list[Draft] = []
    hints = _Hints(ctx)
    for recipient in recipients:
        if recipient.member_id in already:
            continue
        outcome = "opted_out" if recipient.member_id in out else _outcome(recipient)
        counts[outcome] += 1
        key = _key(send_id, run, recipient.member_id) if outcome == "queued" else None
        rows.append({"member_id": recipient.member_id, "outcome": outcome, "outbox_key": key})
        if outcome == "queued":
            drafts.append(_draft(ctx, hints, recipient, send_id, run))
    if rows:
        await _insert_recipients(ctx.db, send_id, run, ctx.now, rows)
    for draft in drafts:
        ctx.uow.send(draft)
    return counts


_RECIPIENTS = {  # one statement and one parameter for a run's rows, not one parameter set per member
    "sqlite": "SELECT :send_id, :run, json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]'), :at FROM json_each(:rows)",
    "postgresql": "SELECT CAST(:send_id AS INTEGER), CAST(:run AS INTEGER), CAST(r->>0 AS INTEGER), r->>1, r->>2, "
    "CAST(:at AS TIMESTAMP) FROM jsonb_array_elements(CAST(:rows AS JSONB)) AS r",
}


async def _insert_recipients(
    conn: AsyncConnection, send_id: int, run: int, now: datetime, rows: list[dict[str, Any]]
) -> None:
    select_rows = _RECIPIENTS.get(conn.dialect.name)
    if select_rows is None:
        await conn.execute(
            outreach_recipients.insert(), [{**r, "send_id": send_id, "run": run, "at": now} for r in rows]
        )
        return
    stmt = text(
        f"INSERT INTO outreach_recipients (send_id, run, member_id, outcome, outbox_key, at) {select_rows}"
    ).bindparams(bindparam("at", type_=UTCDateTime()))
    packed = json.dumps([[r["member_id"], r["outcome"], r["outbox_key"]] for r in rows])
    await conn.execute(stmt, {"send_id": send_id, "run": run, "at": now, "rows": packed})


def _outcome(recipient: Recipient) -> str:
    if not recipient.inside:
        return "left"
    return "queued" if recipient.text is not None else "failed"
