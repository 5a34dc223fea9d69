"""Reading /outreach send: SEGMENT --template NAME [--at TIME | --every CRON] [--dry-run], flags in either language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from bot.commands import LOCAL_TIME, Invocation, local_time
from bot.errors import UsageError
from bot.scheduling.triggers import FIELDS, CronError, cron_trigger, once_trigger

_FLAGS = {
    "--template": "template",
    "--模板": "template",
    "--dry-run": "dry",
    "--试发": "dry",
    "--预演": "dry",
    "--at": "at",
    "--定时": "at",
    "--every": "every",
    "--每": "every",
    "--循环": "every",
}


@dataclass(frozen=True, slots=True)
class SendRequest:
    segment: str
    template: str
    dry: bool
    at: datetime | None = None  # a one-off's time, aware in the bot's time zone
    cron: str | None = None  # a recurring send's 5 fields, in the bot's time zone

    @property
    def scheduled(self) -> bool:
        return self.at is not None or self.cron is not None


@dataclass
class _Reading:
    segment: str = ""
    template: str = ""
    dry: bool = False
    at: datetime | None = None
    cron: str | None = None


def parse_send(cmd: Invocation, zone: ZoneInfo, now: datetime) -> SendRequest:
    """The request, or a UsageError that says what is wrong (a time past or malformed, a bad cron)."""
    words, reading = list(cmd.args), _Reading()
    while words:
        word = words.pop(0)
        flag = _FLAGS.get(word.casefold())
        if flag == "dry":
            reading.dry = True
        elif flag == "template":
            reading.template = words.pop(0) if words else ""
        elif flag in ("at", "every"):
            _when(flag, words, reading, zone, now)
        elif word.startswith("--") or reading.segment:
            raise UsageError("outreach/send_problem", reason="word", word=word)
        else:
            reading.segment = word
    if not reading.segment:
        raise UsageError("outreach/send_problem", reason="segment")
    if not reading.template:
        raise UsageError("outreach/send_problem", reason="template")
    return SendRequest(reading.segment, reading.template, reading.dry, reading.at, reading.cron)


def _when(flag: str, words: list[str], reading: _Reading, zone: ZoneInfo, now: datetime) -> None:
    if reading.at is not None or reading.cron is not None:
        raise UsageError("outreach/send_problem", reason="both")
    if flag == "at":
        reading.at = _at(words, zone, now)
    else:
        reading.cron = _every(words, zone)


def _at(words: list[str], zone: ZoneInfo, now: datetime) -> datetime:
    """`2026-12-05 10:00` (two words, or one with a T), a moment ahead in `zone`."""
    taken = " ".join(words[:2])
    found = LOCAL_TIME.match(taken)
    if found is None:
        raise UsageError("outreach/problem_when", text=taken[:30])
    used = len(taken[: found.end()].split())
    del words[:used]
    moment = local_time(found, zone)  # NoSuchDate for 2026-02-30 10:00
    if moment <= now:
        raise UsageError(
            "outreach/problem_past",
            when=moment.strftime("%Y-%m-%d %H:%M"),
            now=now.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        )
    return moment


def _every(words: list[str], zone: ZoneInfo) -> str:
    """The 5 cron fields after --every, checked as announcements check theirs."""
    fields: list[str] = []
    while words and len(fields) < len(FIELDS) and not words[0].startswith("--"):
        fields.append(words.pop(0))
    cron = " ".join(fields)
    try:
        cron_trigger(cron, zone)
    except CronError as exc:
        raise UsageError("outreach/problem_cron", **exc.params()) from exc
    return cron


def trigger_of(at: datetime | None, cron: str | None, zone: ZoneInfo) -> BaseTrigger:
    if cron is not None:
        return cron_trigger(cron, zone)
    assert at is not None
    return once_trigger(at)
