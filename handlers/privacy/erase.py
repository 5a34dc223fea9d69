"""Erasure: a member's id, name and words leave every table; their records stay as counts under a pseudonym.

One transaction does it all, so an erasure interrupted by a restart is rolled back and done again in full.
What to touch is read from the map of personal data (handlers.privacy.inventory): texts a member wrote
are redacted where they own the row; their id and name are replaced by the pseudonym in every other
text, JSON list and platform-id column, including staff notes and the bot's own messages about them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Text, and_, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import schema
from bot.db.schema import Base, OutboxStatus
from handlers.feedback.tables import history, items, people
from handlers.koc.tables import agreements, promises
from handlers.listening.tables import flags as listening_flags
from handlers.privacy.inventory import Holds, personal_columns
from handlers.recognition.tables import ledger, thanks, title_events
from handlers.threads.tables import events as issue_events
from handlers.threads.tables import people as issue_people
from handlers.web.tables import links, sessions

REDACTED = "[erased]"
ERASED_PREFIX = "erased:"


def new_pseudonym(platform_id: str) -> str:
    """A salted pseudonym: the salt is thrown away, so nobody can tell whose it was from the id."""
    digest = hmac.new(secrets.token_bytes(16), platform_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"anon-{digest[:8]}"


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    platform_id: str
    name: str
    pseudonym: str

    @property
    def erased_id(self) -> str:
        return ERASED_PREFIX + self.pseudonym

    def replacements(self) -> list[tuple[str, str]]:
        """What to replace in free text, longest first: @name, the WeChat id, the bare name."""
        pairs = [(f"@{self.name}", f"@{self.pseudonym}"), (self.platform_id, self.pseudonym)]
        if len(self.name) >= 2:  # a one-letter name would rewrite unrelated words; its @mention is enough
            pairs.append((self.name, self.pseudonym))
        return sorted({(old, new) for old, new in pairs if old}, key=lambda p: -len(p[0]))


@dataclass(slots=True)
class Receipt:
    erased: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def count(self, into: dict[str, int], kind: str, n: int | None) -> None:
        if n:
            into[kind] = into.get(kind, 0) + n

    def as_json(self) -> dict[str, Any]:
        return {"erased": self.erased, "kept": self.kept}

    def ordered(self) -> Receipt:
        """The same counts in the order the receipt lists them."""

        def order(counts: dict[str, int]) -> dict[str, int]:
            return {k: counts[k] for k in sorted(counts, key=lambda k: _ORDER.index(k) if k in _ORDER else 99)}

        return Receipt(order(self.erased), order(self.kept))


_ORDER = [
    "messages",
    "thanks_reasons",
    "feedback_texts",
    "feedback_notes",
    "thread_answers",
    "messages_to_you",
    "mentions_elsewhere",
    "points",
    "titles",
    "thanks",
    "feedback_items",
    "agreements",
    "promises",
]


async def _redact(conn: AsyncConnection, column: Any, owner: Any, member_id: int, value: str = REDACTED) -> int:
    unchanged = and_(column != "", column != value, column.is_not(None))
    stmt = update(column.table).where(owner == member_id, unchanged).values({column.name: value})
    return (await conn.execute(stmt)).rowcount or 0


async def _redact_own_words(conn: AsyncConnection, person: Person, receipt: Receipt) -> None:
    """Texts the member wrote, where the row is theirs: redacted, the row (and its counts) kept."""
    m, i = person.id, items.c
    receipt.count(
        receipt.erased, "messages", await _redact(conn, schema.messages.c.text, schema.messages.c.member_id, m)
    )
    receipt.count(receipt.erased, "thanks_reasons", await _redact(conn, thanks.c.reason, thanks.c.giver_id, m, ""))
    for column in (i.title, i.scenario, i.steps, i.expected):
        n = await _redact(conn, column, i.reporter_id, m)
        if column is i.title:
            receipt.count(receipt.erased, "feedback_texts", n)
    await _redact(conn, i.product, i.reporter_id, m, "")
    receipt.count(receipt.erased, "feedback_notes", await _redact(conn, people.c.details, people.c.member_id, m, ""))
    await _redact(conn, history.c.note, history.c.actor_id, m, "")
    receipt.count(
        receipt.erased, "thread_answers", await _redact(conn, issue_people.c.answer_text, issue_people.c.member_id, m)
    )
    await _redact(conn, issue_events.c.text, issue_events.c.actor_id, m)
    await _redact(conn, listening_flags.c.text, listening_flags.c.member_id, m)


async def _drop_private_state(conn: AsyncConnection, person: Person, receipt: Receipt) -> None:
    """What only served the member: open conversations, sign-ins, requests' parameters, messages to them."""
    await conn.execute(delete(schema.conversations).where(schema.conversations.c.member_id == person.id))
    await conn.execute(delete(links).where(links.c.member_id == person.id))
    await conn.execute(delete(sessions).where(sessions.c.member_id == person.id))
    h = schema.heavy_requests.c
    await conn.execute(update(schema.heavy_requests).where(h.actor_id == person.id).values(params={}))
    o = schema.outbox.c
    waiting = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
    await conn.execute(delete(schema.outbox).where(o.contact_platform_id == person.platform_id, o.status.in_(waiting)))
    sent = update(schema.outbox).where(o.contact_platform_id == person.platform_id)
    done = await conn.execute(sent.values(text=REDACTED, image_data=None, contact_platform_id=person.erased_id))
    receipt.count(receipt.erased, "messages_to_you", done.rowcount)


async def _rename(conn: AsyncConnection, person: Person) -> None:
    m = schema.members.c
    await conn.execute(
        update(schema.members)
        .where(m.id == person.id)
        .values(platform_id=person.erased_id, display_name=person.pseudonym)
    )


def _texty(column: Column[Any]) -> bool:
    return isinstance(column.type, String | Text)


def _patterns(person: Person, as_json: bool) -> list[str]:
    olds = [old for old, _ in person.replacements()]
    if as_json:  # JSON may hold non-ASCII escaped, e.g. "\\u5f20" for 张
        olds += [json.dumps(old)[1:-1] for old in olds]
    return sorted(set(olds))


async def _scrub_text(conn: AsyncConnection, table: Table, column: Column[Any], person: Person) -> int:
    value: Any = column
    for old, new in person.replacements():
        value = func.replace(value, old, new)
    matches = or_(*(column.contains(p, autoescape=True) for p in _patterns(person, False)))
    return (await conn.execute(update(table).where(matches).values({column.name: value}))).rowcount or 0


def _replace_in(value: Any, person: Person, exact: bool) -> Any:
    if isinstance(value, str):
        if exact:
            return person.erased_id if value == person.platform_id else value
        for old, new in person.replacements():
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_replace_in(v, person, exact) for v in value]
    if isinstance(value, dict):
        return {_replace_in(k, person, False): _replace_in(v, person, exact) for k, v in value.items()}
    return value


async def _scrub_json(conn: AsyncConnection, table: Table, column: Column[Any], person: Person, exact: bool) -> int:
    keys = list(table.primary_key.columns)
    as_text = cast(column, Text)
    matches = or_(*(as_text.contains(p, autoescape=True) for p in _patterns(person, True)))
    found = (await conn.execute(select(*keys, column).where(matches))).all()
    for row in found:
        where = [key == row._mapping[key.name] for key in keys]
        fixed = _replace_in(row._mapping[column.name], person, exact)
        await conn.execute(update(table).where(*where).values({column.name: fixed}))
    return len(found)


async def _scrub_everywhere(conn: AsyncConnection, person: Person, receipt: Receipt) -> None:
    """The member's id and name, wherever the map says free text, a JSON list or a platform id may hold them."""
    free = (Holds.WORDS, Holds.ABOUT, Holds.NAME)
    for table, column in personal_columns(Base.metadata, *free, Holds.MENTIONS, Holds.PLATFORM_ID):
        if table is schema.members:  # renamed as a whole below; others' names must not change
            continue
        holds = _holds(table, column)
        if isinstance(column.type, JSON):
            n = await _scrub_json(conn, table, column, person, exact=holds is Holds.MENTIONS)
        elif holds is Holds.PLATFORM_ID:
            n = await _exact(conn, table, column, person)
        elif _texty(column):
            n = await _scrub_text(conn, table, column, person)
        else:
            n = 0
        receipt.count(receipt.erased, "mentions_elsewhere", n)


def _holds(table: Table, column: Column[Any]) -> Holds:
    from handlers.privacy.inventory import rule_of

    return rule_of(table.name, column.name).holds


async def _exact(conn: AsyncConnection, table: Table, column: Column[Any], person: Person) -> int:
    stmt = update(table).where(column == person.platform_id).values({column.name: person.erased_id})
    return (await conn.execute(stmt)).rowcount or 0


async def _count(conn: AsyncConnection, table: Table, *where: Any) -> int:
    return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def _what_stays(conn: AsyncConnection, person: Person, receipt: Receipt) -> None:
    """Counted for the receipt: records kept under the pseudonym, and what the law keeps."""
    m = person.id
    receipt.count(receipt.kept, "points", await _count(conn, ledger, ledger.c.member_id == m))
    receipt.count(receipt.kept, "titles", await _count(conn, title_events, title_events.c.member_id == m))
    receipt.count(
        receipt.kept, "thanks", await _count(conn, thanks, or_(thanks.c.giver_id == m, thanks.c.receiver_id == m))
    )
    receipt.count(receipt.kept, "feedback_items", await _count(conn, items, items.c.reporter_id == m))
    receipt.count(receipt.kept, "agreements", await _count(conn, agreements, agreements.c.member_id == m))
    receipt.count(receipt.kept, "promises", await _count(conn, promises, promises.c.member_id == m))


MIN_ECHO = 4  # shorter texts ("好的", "+1") are too common to hunt for in others' words


async def _words_echoed(conn: AsyncConnection, person: Person) -> list[str]:
    """The member's texts that others' records may repeat: feedback they wrote, messages someone quoted."""
    i, ms = items.c, schema.messages.c
    own = select(i.title, i.scenario, i.steps, i.expected).where(i.reporter_id == person.id)
    texts = [t for row in (await conn.execute(own)).all() for t in row]
    quoted = select(ms.quote_msg_id).where(ms.quote_msg_id.is_not(None)).scalar_subquery()
    stmt = select(ms.text).where(ms.member_id == person.id, ms.platform_msg_id.in_(quoted))
    texts += (await conn.execute(stmt)).scalars().all()
    answers = select(issue_people.c.answer_text).where(issue_people.c.member_id == person.id)
    texts += (await conn.execute(answers)).scalars().all()
    flagged = select(listening_flags.c.text).where(listening_flags.c.member_id == person.id)
    texts += (await conn.execute(flagged)).scalars().all()  # copied into the labels moderators gave
    return sorted({t for t in texts if t and len(t) >= MIN_ECHO and t != REDACTED}, key=len, reverse=True)


async def _scrub_echoes(conn: AsyncConnection, person: Person, texts: list[str], receipt: Receipt) -> None:
    """Where staff notes or the bot's messages repeat the member's words: those words redacted."""
    if not texts:
        return
    for table, column in personal_columns(Base.metadata, Holds.WORDS, Holds.ABOUT):
        if not _texty(column):
            continue
        for text in texts:
            stmt = (
                update(table)
                .where(column.contains(text, autoescape=True))
                .values({column.name: func.replace(column, text, REDACTED)})
            )
            receipt.count(receipt.erased, "mentions_elsewhere", (await conn.execute(stmt)).rowcount)


async def erase(conn: AsyncConnection, person: Person) -> Receipt:
    """Erase `person` (in the caller's transaction); a second run finds nothing left to change."""
    receipt = Receipt()
    await _what_stays(conn, person, receipt)
    if person.platform_id == person.erased_id:  # renamed last, in the same transaction: all of it is done
        return receipt.ordered()
    await _scrub_echoes(conn, person, await _words_echoed(conn, person), receipt)
    await _redact_own_words(conn, person, receipt)
    await _drop_private_state(conn, person, receipt)
    await _scrub_everywhere(conn, person, receipt)
    await _rename(conn, person)
    return receipt.ordered()


def kinds(receipt: dict[str, Any]) -> Iterable[str]:
    return [*receipt.get("erased", {}), *receipt.get("kept", {})]
