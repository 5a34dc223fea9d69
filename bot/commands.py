"""Slash-command parsing: normalise mobile punctuation in command words, split the name from its arguments.

Only the words a command is recognised by (its name, flags, numbers) are normalised; the free text after
them is kept as typed, character for character: an operator's "：" stays "：" in a notice or a note."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bot.errors import NoSuchDate, NoSuchNumber
from bot.events import Contact, IncomingMessage

# Phones type full-width punctuation; WeChat pads @mentions with U+2005.
_NORMALISE = str.maketrans({"／": "/", "＠": "@", "：": ":", "\u3000": " ", "\u2005": " ", "\u00a0": " "})
_TOKEN = re.compile(r"\S+")
# Phones may type full-width digits; anything else that merely looks like a digit ("²", "١") is no number.
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_NUMBER = re.compile("[0-9]+")
DIGIT = "[0-9０-９]"  # for patterns with a number inside (`6m`, `6个月`); read the number with `parse_number`
MAX_ID = 2**31 - 1  # the largest id both databases store (PostgreSQL's INTEGER)
_ID_PREFIXES = "#＃"
_MONTH = re.compile("([0-9]{4})[-/.]([0-9]{1,2})")
_DATE = re.compile("([0-9]{4})[-/.／]([0-9]{1,2})[-/.／]([0-9]{1,2})")
FIRST_YEAR, LAST_YEAR = 2000, 2999  # a month outside is a typo (and year 9999 has no month after its last)
# A local date and time as moderators type it: 2026-12-01 20:00 (also 2026/12/1 or 2026.12.01, or a T).
LOCAL_TIME = re.compile(
    rf"({DIGIT}{{4}})[-/.／]({DIGIT}{{1,2}})[-/.／]({DIGIT}{{1,2}})[ T\u3000]+({DIGIT}{{1,2}})[:：]({DIGIT}{{2}})"
)


def first_word(text: str) -> tuple[str, str]:
    """The first word and the rest (line breaks in the rest kept)."""
    stripped = text.lstrip(" ")
    found = _TOKEN.match(stripped)
    if found is None:
        return "", ""
    return found[0], stripped[found.end() :].lstrip(" ")


def local_time(found: re.Match[str], zone: tzinfo) -> datetime:
    """The moment a LOCAL_TIME match names in `zone`; NoSuchDate when there is no such day or time."""
    year, month, day, hour, minute = (parse_number(part, most=9999) or 0 for part in found.groups())
    typed = found.string[found.start(1) : found.end(5)]
    _check_day(typed, year, month, day)
    if hour > 23 or minute > 59:
        raise NoSuchDate(typed, "time")
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def parse_date(word: str | None) -> date | None:
    """`2026-12-20`, `2026/12/5`, `2026.12.05`, full-width digits too; None when the word is no date at
    all (a usage reply). A date-shaped word naming no day (2027-13-01, 2026-02-30) raises NoSuchDate,
    so that the member hears what is wrong with it."""
    typed = (word or "").strip()
    found = _DATE.fullmatch(typed.translate(_DIGITS))
    if found is None:
        return None
    year, month, day = (int(part) for part in found.groups())
    _check_day(typed, year, month, day)
    return date(year, month, day)


def _check_day(typed: str, year: int, month: int, day: int) -> None:
    if not 1 <= year <= 9999:  # what a date can hold (a due date far ahead is the moderator's choice)
        raise NoSuchDate(typed, "year")
    if not 1 <= month <= 12:
        raise NoSuchDate(typed, "month")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise NoSuchDate(typed, "day", year=year, month=month, days=days)


def parse_number(word: str | None, *, least: int = 0, most: int) -> int | None:
    """A whole number as a member types it (ASCII or full-width digits, no sign), if it lies in
    least..most; else None, for the caller's usage reply."""
    digits = (word or "").strip().translate(_DIGITS)
    significant = digits.lstrip("0") or "0"
    if _NUMBER.fullmatch(digits) is None or len(significant) > len(str(most)):
        return None  # checked before int(): past 4300 digits int() raises
    number = int(significant)
    return number if least <= number <= most else None


def parse_id(word: str | None, *, label: str = "") -> int | None:
    """The number of a stored thing as members type it: `12`, `#12`, `＃１２`; with a `label`
    ("FB") also `FB-12`, `fb12`, `#FB-12`. None when the word is no such number (a usage reply).
    A number beyond any id raises `NoSuchNumber`, so that no query is ever asked about it."""
    text = (word or "").strip().lstrip(_ID_PREFIXES)
    if label and text[: len(label)].upper() == label.upper():
        text = text[len(label) :].removeprefix("-")
    if _NUMBER.fullmatch(text.translate(_DIGITS)) is None:
        return None
    number = parse_number(text, most=MAX_ID)
    if number is None:
        raise NoSuchNumber(number=(word or "").strip())
    return number


def parse_month(word: str | None) -> str | None:
    """`2026-12`, `2026-1`, `2026/12`, `２０２６-１２` -> "2026-12"; None when it is no month at all (a usage
    reply). A month-shaped word naming no month (2026-13, 2026-0) raises NoSuchDate, as `parse_date` does."""
    typed = (word or "").strip()
    found = _MONTH.fullmatch(typed.translate(_DIGITS))
    if found is None or not FIRST_YEAR <= int(found[1]) <= LAST_YEAR:
        return None
    if not 1 <= int(found[2]) <= 12:
        raise NoSuchDate(typed, "month", what="month")
    return f"{found[1]}-{int(found[2]):02d}"


def normalise(text: str) -> str:
    return text.translate(_NORMALISE).strip()


def strip_mentions(text: str, mentions: tuple[Contact, ...]) -> str:
    """Remove the @names (or ＠names) of the mentioned contacts; names may contain spaces."""
    for contact in sorted(mentions, key=lambda c: len(c.name), reverse=True):
        if contact.name:
            text = text.replace(f"@{contact.name}", " ").replace(f"＠{contact.name}", " ")
    return text


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """A slash-command before it is resolved: the words after '/', mentions removed."""

    body: str  # the text after '/', mention names removed, line breaks kept
    words: tuple[str, ...]
    ends: tuple[int, ...]  # where each word ends in `body`
    raw_body: str = ""  # `body` as typed (full-width punctuation and spaces kept), character for character

    def rest_after(self, count: int) -> str:
        return self.body[self.ends[count - 1] :].strip() if count else self.body.strip()

    def raw_rest_after(self, count: int) -> str:
        """`rest_after` as the member typed it: free text (an announcement, a title) keeps its "：" and "／"."""
        if len(self.raw_body) != len(self.body):
            return self.rest_after(count)
        return self.raw_body[self.ends[count - 1] :].strip() if count else self.raw_body.strip()


def parse_command(message: IncomingMessage) -> ParsedCommand | None:
    text = normalise(message.text)
    if not text.startswith("/") or text.startswith("//"):
        return None
    body = strip_mentions(text[1:], message.mentions)
    matches = list(_TOKEN.finditer(body))
    if not matches:
        return None
    # The same steps without the mapping (one for one, and str.strip strips the same spaces: positions agree).
    raw = strip_mentions(message.text.strip()[1:], message.mentions)
    return ParsedCommand(
        body=body, words=tuple(m.group() for m in matches), ends=tuple(m.end() for m in matches), raw_body=raw
    )


@dataclass(frozen=True, slots=True)
class Invocation:
    """A resolved command: its name, arguments and the members it mentions."""

    name: str
    args: tuple[str, ...]  # the argument words, full-width punctuation made ASCII: for flags and numbers
    text: str  # the arguments exactly as typed ("：" kept, line breaks kept), mentions removed
    mentions: tuple[Contact, ...]
    quote_sender: Contact | None = None
