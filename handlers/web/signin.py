"""Sign-in without passwords: a single-use link from /console opens a session; a session is checked at every use."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.dialect import insert_for
from handlers.web.tables import keys, links, sessions

TOKEN_BYTES = 32


def digest(token: str) -> str:
    """What is stored of a token: a leaked database opens no console."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_link(conn: AsyncConnection, member_id: int, now: datetime, minutes: float) -> str:
    """A new sign-in link's token for `member_id`, valid `minutes` from `now`."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await conn.execute(
        links.insert().values(
            token_hash=digest(token), member_id=member_id, created_at=now, expires_at=now + timedelta(minutes=minutes)
        )
    )
    return token


async def use_link(conn: AsyncConnection, token: str, now: datetime) -> int | None:
    """The member a link signs in, marking it used; None when it is unknown, used or expired."""
    stmt = (
        update(links)
        .where(links.c.token_hash == digest(token), links.c.used_at.is_(None), links.c.expires_at > now)
        .values(used_at=now)
        .returning(links.c.member_id)
    )
    member: int | None = (await conn.execute(stmt)).scalar_one_or_none()
    return member


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    member_id: int
    csrf_token: str
    locale: str
    expires_at: datetime


async def open_session(
    conn: AsyncConnection, member_id: int, locale: str, now: datetime, hours: float
) -> tuple[str, Session]:
    """A new session's token (for the cookie) and the session."""
    token, csrf = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(TOKEN_BYTES)
    expires = now + timedelta(hours=hours)
    values = {"member_id": member_id, "csrf_token": csrf, "locale": locale, "created_at": now, "expires_at": expires}
    session_id = (
        await conn.execute(sessions.insert().values(token_hash=digest(token), **values).returning(sessions.c.id))
    ).scalar_one()
    return token, Session(session_id, member_id, csrf, locale, expires)


async def find_session(conn: AsyncConnection, token: str, now: datetime) -> Session | None:
    """The live session of a cookie's token: not ended, not expired."""
    s = sessions.c
    stmt = select(s.id, s.member_id, s.csrf_token, s.locale, s.expires_at).where(
        s.token_hash == digest(token), s.ended_at.is_(None), s.expires_at > now
    )
    row = (await conn.execute(stmt)).one_or_none()
    return None if row is None else Session(row.id, row.member_id, row.csrf_token, row.locale, row.expires_at)


async def set_locale(conn: AsyncConnection, session_id: int, locale: str) -> None:
    await conn.execute(update(sessions).where(sessions.c.id == session_id).values(locale=locale))


async def end_session(conn: AsyncConnection, session_id: int, now: datetime) -> None:
    await conn.execute(update(sessions).where(sessions.c.id == session_id).values(ended_at=now))


async def shared_key(conn: AsyncConnection, name: str) -> str:
    """A random key made once and kept in the database, so every process (and every restart) agrees."""
    stmt = insert_for(conn, keys).values(name=name, value=secrets.token_urlsafe(48))
    await conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    return str((await conn.execute(select(keys.c.value).where(keys.c.name == name))).scalar_one())
